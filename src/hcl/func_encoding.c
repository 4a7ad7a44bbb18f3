/* func_encoding.c — encoding functions: base64encode base64decode textencodebase64 textdecodebase64
 * csvdecode jsonencode jsondecode yamlencode yamldecode urlencode base64gzip. JSON parsing uses
 * jansson, YAML libyaml (emitting the same events as cty's go-cty-yaml, and resolving plain scalars
 * with YAML 1.1's rules as it does), gzip through the hcl_gzip hook (libarchive, in the components
 * module: see func.h), character sets iconv. */
#include <errno.h>
#include <iconv.h>
#include "util/lazy_jansson.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hcl/funcutil.h"
#include "util/lazy_yaml.h"
#include "util/mem.h"
#include "util/strv.h"

#define P(n, t) {n, t, 0}
#define END {NULL, NULL, 0}

/* ---- base64 ---- */

static void b64_encode(const unsigned char *in, size_t n, struct buf *out)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		buf_putc(out, tbl[(v >> 18) & 63]);
		buf_putc(out, tbl[(v >> 12) & 63]);
		buf_putc(out, i + 1 < n ? tbl[(v >> 6) & 63] : '=');
		buf_putc(out, i + 2 < n ? tbl[v & 63] : '=');
	}
}

/* Go's base64.StdEncoding.DecodeString: padding required, no whitespace except \r \n ignored. */
static int b64_decode(const char *s, size_t n, struct buf *out)
{
	unsigned v = 0;
	int bits = 0, pad = 0;
	size_t count = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '\r' || ch == '\n')
			continue;
		int d;
		if (ch >= 'A' && ch <= 'Z') d = ch - 'A';
		else if (ch >= 'a' && ch <= 'z') d = ch - 'a' + 26;
		else if (ch >= '0' && ch <= '9') d = ch - '0' + 52;
		else if (ch == '+') d = 62;
		else if (ch == '/') d = 63;
		else if (ch == '=') {
			pad++;
			count++;
			continue;
		} else
			return -1;
		if (pad)
			return -1;
		count++;
		v = (v << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_putc(out, (char)((v >> bits) & 0xff));
		}
	}
	if (count % 4 != 0 || pad > 2)
		return -1;
	if (bits >= 6 || (v & ((1u << bits) - 1)) != 0)
		return pad ? 0 : -1;
	return 0;
}

static bool valid_utf8(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t c;
		size_t k = hcl_utf8_next(s + i, n - i, &c);
		if (c == 0xfffd && k == 1 && (unsigned char)s[i] >= 0x80)
			return false;
		i += k;
	}
	return true;
}

static struct hcl_value *f_base64encode(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct buf b = BUF_INIT;
	b64_encode((const unsigned char *)hcl_str(a[0]), hcl_str_len(a[0]), &b);
	struct hcl_value *r = hcl_string_n(buf_cstr(&b), b.len);
	buf_free(&b);
	return r;
}

static struct hcl_value *f_base64decode(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct buf b = BUF_INIT;
	if (b64_decode(hcl_str(a[0]), hcl_str_len(a[0]), &b) < 0) {
		buf_free(&b);
		return hcl_call_error(c, "failed to decode base64 data '%s'", hcl_str(a[0]));
	}
	if (!valid_utf8(buf_cstr(&b), b.len)) {
		buf_free(&b);
		return hcl_call_error(c, "the result of decoding the the provided string is not valid UTF-8");
	}
	struct hcl_value *r = hcl_string_n(buf_cstr(&b), b.len);
	buf_free(&b);
	return r;
}

static int iconv_convert(const char *to, const char *from, const char *in, size_t inlen, struct buf *out)
{
	iconv_t cd = iconv_open(to, from);
	if (cd == (iconv_t)-1)
		return -2;
	char *ip = (char *)in;
	size_t il = inlen;
	int rc = 0;
	while (il > 0) {
		char tmp[4096];
		char *op = tmp;
		size_t ol = sizeof(tmp);
		size_t r = iconv(cd, &ip, &il, &op, &ol);
		buf_append(out, tmp, sizeof(tmp) - ol);
		if (r == (size_t)-1 && errno != E2BIG) {
			rc = -1;
			break;
		}
	}
	iconv_close(cd);
	return rc;
}

static struct hcl_value *f_textencodebase64(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	const char *enc = hcl_str(a[1]);
	struct buf conv = BUF_INIT;
	int rc = iconv_convert(enc, "UTF-8", hcl_str(a[0]), hcl_str_len(a[0]), &conv);
	if (rc == -2) {
		buf_free(&conv);
		return hcl_call_arg_error(c, 1, "\"%s\" is not a supported IANA encoding name or alias in this kiln version", enc);
	}
	if (rc < 0) {
		buf_free(&conv);
		return hcl_call_arg_error(c, 0, "the given string contains characters that cannot be represented in %s", enc);
	}
	struct buf b = BUF_INIT;
	b64_encode((const unsigned char *)buf_cstr(&conv), conv.len, &b);
	buf_free(&conv);
	struct hcl_value *r = hcl_string_n(buf_cstr(&b), b.len);
	buf_free(&b);
	return r;
}

static struct hcl_value *f_textdecodebase64(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	const char *enc = hcl_str(a[1]);
	struct buf raw = BUF_INIT, conv = BUF_INIT;
	if (b64_decode(hcl_str(a[0]), hcl_str_len(a[0]), &raw) < 0) {
		buf_free(&raw);
		return hcl_call_arg_error(c, 0, "the given value is has an invalid base64 symbol");
	}
	int rc = iconv_convert("UTF-8", enc, buf_cstr(&raw), raw.len, &conv);
	buf_free(&raw);
	if (rc == -2) {
		buf_free(&conv);
		return hcl_call_arg_error(c, 1, "\"%s\" is not a supported IANA encoding name or alias in this kiln version", enc);
	}
	if (rc < 0) {
		buf_free(&conv);
		return hcl_call_arg_error(c, 0, "the given string contains symbols that are not defined for %s", enc);
	}
	struct hcl_value *r = hcl_string_n(buf_cstr(&conv), conv.len);
	buf_free(&conv);
	return r;
}

hcl_gzip_fn hcl_gzip;

static struct hcl_value *f_base64gzip(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	(void)n;
	if (!hcl_gzip)
		return hcl_call_error(c, "failed to compress: no gzip compressor in this program");
	struct buf z = BUF_INIT;
	char *why = NULL;
	struct hcl_value *r;
	if (hcl_gzip(hcl_str(a[0]), hcl_str_len(a[0]), &z, &why) < 0) {
		r = hcl_call_error(c, "failed to compress: %s", why ? why : "unknown error");
	} else {
		struct buf b = BUF_INIT;
		b64_encode((const unsigned char *)z.data, z.len, &b);
		r = hcl_string_n(buf_cstr(&b), b.len);
		buf_free(&b);
	}
	free(why);
	buf_free(&z);
	return r;
}

/* Go's url.QueryEscape */
static struct hcl_value *f_urlencode(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = BUF_INIT;
	const unsigned char *s = (const unsigned char *)hcl_str(a[0]);
	for (size_t i = 0; i < hcl_str_len(a[0]); i++) {
		unsigned char ch = s[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		    ch == '_' || ch == '.' || ch == '~')
			buf_putc(&b, (char)ch);
		else if (ch == ' ')
			buf_putc(&b, '+');
		else
			buf_printf(&b, "%%%c%c", hex[ch >> 4], hex[ch & 15]);
	}
	struct hcl_value *r = hcl_string_n(buf_cstr(&b), b.len);
	buf_free(&b);
	return r;
}

/* ---- JSON ---- */

static struct hcl_value *f_jsonencode(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	if (!hcl_is_wholly_known(a[0]))
		return hcl_unknown(HCL_T_STRING);
	struct buf b = BUF_INIT;
	hcl_json_encode(a[0], &b);
	struct hcl_value *r = hcl_string_n(buf_cstr(&b), b.len);
	buf_free(&b);
	return r;
}

/* jansson keeps numbers as doubles; cty parses each literal at 512 bits. The number literals are
 * therefore collected from the source text in document order and matched up with jansson's values
 * as the tree is walked in the same order (a literal is used only when it agrees with jansson's
 * double, so a reordering by duplicate keys falls back to the double). */
struct json_nums {
	struct strv lits;
	size_t next;
};

static void json_scan_numbers(const char *s, size_t len, struct json_nums *nums)
{
	for (size_t i = 0; i < len;) {
		char c = s[i];
		if (c == '"') {
			for (i++; i < len && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			i++;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			size_t st = i;
			while (i < len && strchr("+-.eE0123456789", s[i]))
				i++;
			char *lit = xstrndup(s + st, i - st);
			strv_push_owned(&nums->lits, lit);
		} else {
			i++;
		}
	}
}

static struct hcl_value *json_number(double d, struct json_nums *nums)
{
	if (nums->next < nums->lits.n) {
		const char *lit = nums->lits.v[nums->next++];
		if (strtod(lit, NULL) == d) {
			struct hcl_value *v = hcl_number_parse(lit);
			if (v)
				return v;
		}
	}
	return hcl_number_double(d);
}

static struct hcl_value *from_json(json_t *j, struct json_nums *nums)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		struct hcl_vec vec = HCL_VEC_INIT;
		const char *k;
		json_t *v;
		json_object_foreach(j, k, v)
			hcl_vec_push_kv(&vec, k, from_json(v, nums));
		return hcl_vec_to_object(&vec);
	}
	case JSON_ARRAY: {
		struct hcl_vec vec = HCL_VEC_INIT;
		for (size_t i = 0; i < json_array_size(j); i++)
			hcl_vec_push(&vec, from_json(json_array_get(j, i), nums));
		return hcl_vec_to_tuple(&vec);
	}
	case JSON_STRING:
		return hcl_string_n(json_string_value(j), json_string_length(j));
	case JSON_INTEGER:
		return json_number((double)json_integer_value(j), nums);
	case JSON_REAL:
		return json_number(json_real_value(j), nums);
	case JSON_TRUE:
		return hcl_bool(true);
	case JSON_FALSE:
		return hcl_bool(false);
	default:
		return hcl_null(HCL_T_DYNAMIC);
	}
}

struct hcl_value *hcl_json_decode_at(const char *text, size_t len, bool reject_duplicates, char **why, int *line,
				     int *col)
{
	json_error_t jerr;
	size_t flags = JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL;
	json_t *j = json_loadb(text, len, flags | (reject_duplicates ? JSON_REJECT_DUPLICATES : 0), &jerr);
	if (!j) {
		/* Go's encoding/json says "EOF" / "unexpected end of JSON input" for truncated text */
		if (strstr(jerr.text, "end of file") || strstr(jerr.text, "premature end") || strstr(jerr.text, "'[' or '{' expected"))
			*why = xstrdup("EOF");
		else
			*why = xstrdup(jerr.text);
		*line = jerr.line > 0 ? jerr.line : 1;
		*col = jerr.column > 0 ? jerr.column : 1;
		return NULL;
	}
	struct json_nums nums = {STRV_INIT, 0};
	json_scan_numbers(text, len, &nums);
	struct hcl_value *r = from_json(j, &nums);
	strv_free(&nums.lits);
	json_decref(j);
	if (hcl_depth(r) > HCL_MAX_VALUE_DEPTH) {
		hcl_value_unref(r);
		*why = xasprintf("the JSON nests more than %d levels deep", HCL_MAX_VALUE_DEPTH);
		*line = *col = 1;
		return NULL;
	}
	return r;
}

struct hcl_value *hcl_json_decode(const char *text, size_t len, char **why)
{
	int line, col;
	return hcl_json_decode_at(text, len, false, why, &line, &col);
}

static struct hcl_value *f_jsondecode(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	(void)n;
	char *why = NULL;
	struct hcl_value *r = hcl_json_decode(hcl_str(a[0]), hcl_str_len(a[0]), &why);
	if (!r) {
		r = hcl_call_error(c, "%s", why);
		free(why);
	}
	return r;
}

/* ---- CSV (Go's encoding/csv reader, first row is the header) ---- */

static int csv_read_record(const char *s, size_t len, size_t *pos, int *line, struct strv *rec, char **err)
{
	size_t i = *pos;
	struct buf field = BUF_INIT;
	int start_line = *line;
	for (;;) {
		buf_reset(&field);
		if (i < len && s[i] == '"') {
			i++;
			for (;;) {
				if (i >= len) {
					*err = xasprintf("record on line %d; parse error on line %d, column %zu: extraneous or missing \" in quoted-field",
							 start_line, *line + 1, (size_t)0);
					buf_free(&field);
					return -1;
				}
				if (s[i] == '"') {
					if (i + 1 < len && s[i + 1] == '"') {
						buf_putc(&field, '"');
						i += 2;
						continue;
					}
					i++;
					break;
				}
				if (s[i] == '\n')
					(*line)++;
				if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n') {
					i++;
					continue;
				}
				buf_putc(&field, s[i++]);
			}
			if (i < len && s[i] != ',' && s[i] != '\n' && s[i] != '\r') {
				*err = xasprintf("record on line %d; parse error on line %d, column %zu: extraneous or missing \" in quoted-field",
						 start_line, *line, (size_t)0);
				buf_free(&field);
				return -1;
			}
		} else {
			while (i < len && s[i] != ',' && s[i] != '\n' && !(s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')) {
				if (s[i] == '"') {
					*err = xasprintf("record on line %d; parse error on line %d, column %zu: bare \" in non-quoted-field",
							 start_line, *line, (size_t)0);
					buf_free(&field);
					return -1;
				}
				buf_putc(&field, s[i++]);
			}
		}
		strv_push(rec, buf_cstr(&field));
		if (i < len && s[i] == ',') {
			i++;
			continue;
		}
		if (i < len && s[i] == '\r')
			i++;
		if (i < len && s[i] == '\n')
			i++;
		(*line)++;
		break;
	}
	buf_free(&field);
	*pos = i;
	return 0;
}

static struct hcl_value *f_csvdecode(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	const char *s = hcl_str(a[0]);
	size_t len = hcl_str_len(a[0]), pos = 0;
	int line = 1;
	struct strv header = STRV_INIT;
	char *err = NULL;
	struct hcl_value *res = NULL;
	while (pos < len && (s[pos] == '\n' || s[pos] == '\r')) {
		pos++;
		line++;
	}
	if (pos >= len) {
		res = hcl_call_error(c, "missing header line");
		goto out;
	}
	if (csv_read_record(s, len, &pos, &line, &header, &err) < 0) {
		res = hcl_call_error(c, "%s", err);
		goto out;
	}
	struct hcl_vec rows = HCL_VEC_INIT;
	while (pos < len) {
		if (s[pos] == '\n' || s[pos] == '\r') {
			pos++;
			line++;
			continue;
		}
		int rec_line = line;
		struct strv rec = STRV_INIT;
		if (csv_read_record(s, len, &pos, &line, &rec, &err) < 0) {
			strv_free(&rec);
			hcl_vec_free(&rows);
			res = hcl_call_error(c, "%s", err);
			goto out;
		}
		if (rec.n != header.n) {
			strv_free(&rec);
			hcl_vec_free(&rows);
			res = hcl_call_error(c, "record on line %d: wrong number of fields", rec_line);
			goto out;
		}
		struct hcl_vec obj = HCL_VEC_INIT;
		for (size_t i = 0; i < rec.n; i++)
			hcl_vec_push_kv(&obj, header.v[i], hcl_string(rec.v[i]));
		hcl_vec_push(&rows, hcl_vec_to_object(&obj));
		strv_free(&rec);
	}
	if (rows.n == 0) {
		struct hcl_type **ts = xcalloc(header.n ? header.n : 1, sizeof(*ts));
		for (size_t i = 0; i < header.n; i++)
			ts[i] = HCL_T_STRING;
		struct hcl_type *ot = hcl_type_object((const char *const *)header.v, ts, header.n, NULL);
		free(ts);
		res = hcl_vec_to_list(&rows, ot);
	} else {
		res = hcl_vec_to_list(&rows, NULL);
	}
out:
	free(err);
	strv_free(&header);
	return res;
}

/* ---- YAML ---- */

struct yemit {
	yaml_emitter_t em;
	struct buf out;
	bool failed;
};

static int yaml_write(void *data, unsigned char *buffer, size_t size)
{
	struct yemit *y = data;
	buf_append(&y->out, buffer, size);
	return 1;
}

static void y_event(struct yemit *y, yaml_event_t *ev)
{
	if (!y->failed && !yaml_emitter_emit(&y->em, ev))
		y->failed = true;
}

static void y_scalar(struct yemit *y, const char *s, size_t len, yaml_scalar_style_t style)
{
	yaml_event_t ev;
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)len, 1, 1, style);
	y_event(y, &ev);
}

static void y_value(struct yemit *y, struct hcl_value *v)
{
	if (v->null) {
		y_scalar(y, "null", 4, YAML_PLAIN_SCALAR_STYLE);
		return;
	}
	switch (v->type->kind) {
	case HCL_STRING:
		y_scalar(y, hcl_str(v), hcl_str_len(v),
			 memchr(hcl_str(v), '\n', hcl_str_len(v)) ? YAML_LITERAL_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
		return;
	case HCL_NUMBER: {
		char *s = hcl_num_to_string(hcl_num_of(v));
		y_scalar(y, s, strlen(s), YAML_PLAIN_SCALAR_STYLE);
		free(s);
		return;
	}
	case HCL_BOOL:
		y_scalar(y, hcl_true(v) ? "true" : "false", hcl_true(v) ? 4 : 5, YAML_PLAIN_SCALAR_STYLE);
		return;
	case HCL_LIST: case HCL_SET: case HCL_TUPLE: {
		yaml_event_t ev;
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
						     hcl_len(v) ? YAML_BLOCK_SEQUENCE_STYLE : YAML_FLOW_SEQUENCE_STYLE);
		y_event(y, &ev);
		for (size_t i = 0; i < hcl_len(v); i++)
			y_value(y, hcl_elem(v, i));
		yaml_sequence_end_event_initialize(&ev);
		y_event(y, &ev);
		return;
	}
	case HCL_MAP: case HCL_OBJECT: {
		yaml_event_t ev;
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
						    hcl_len(v) ? YAML_BLOCK_MAPPING_STYLE : YAML_FLOW_MAPPING_STYLE);
		y_event(y, &ev);
		for (size_t i = 0; i < hcl_len(v); i++) {
			const char *k = hcl_key(v, i);
			y_scalar(y, k, strlen(k), strchr(k, '\n') ? YAML_LITERAL_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
			y_value(y, hcl_elem(v, i));
		}
		yaml_mapping_end_event_initialize(&ev);
		y_event(y, &ev);
		return;
	}
	default:
		y_scalar(y, "null", 4, YAML_PLAIN_SCALAR_STYLE);
	}
}

static struct hcl_value *f_yamlencode(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	if (!hcl_is_wholly_known(a[0]))
		return hcl_unknown(HCL_T_STRING);
	struct yemit y = {.failed = false, .out = BUF_INIT};
	yaml_emitter_initialize(&y.em);
	yaml_emitter_set_output(&y.em, yaml_write, &y);
	yaml_emitter_set_unicode(&y.em, 1);
	yaml_emitter_set_width(&y.em, 80);
	yaml_event_t ev;
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	y_event(&y, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	y_event(&y, &ev);
	y_value(&y, a[0]);
	yaml_document_end_event_initialize(&ev, 1);
	y_event(&y, &ev);
	yaml_stream_end_event_initialize(&ev);
	y_event(&y, &ev);
	yaml_emitter_flush(&y.em);
	struct hcl_value *r;
	/* go-yaml closes a document whose root is a plain scalar with "..." */
	struct hcl_value *root = a[0];
	if (!y.failed && (root->null || root->type->kind == HCL_NUMBER || root->type->kind == HCL_BOOL) &&
	    !buf_ends_with(&y.out, "...\n"))
		buf_puts(&y.out, "...\n");
	if (y.failed)
		r = hcl_call_error(c, "%s", y.em.problem ? y.em.problem : "cannot encode the value as YAML");
	else
		r = hcl_string_n(buf_cstr(&y.out), y.out.len);
	yaml_emitter_delete(&y.em);
	buf_free(&y.out);
	return r;
}

struct yparse {
	yaml_parser_t p;
	yaml_event_t ev;
	bool have;
	char *err;
	struct hcl_vec anchors; /* keyed by anchor name */
};

static bool yp_next(struct yparse *y)
{
	if (y->have)
		yaml_event_delete(&y->ev);
	y->have = false;
	if (!yaml_parser_parse(&y->p, &y->ev)) {
		if (!y->err)
			/* cty's go-cty-yaml reports the (zeroed) mark of the event it failed to read: always 1, 1 */
		y->err = xasprintf("on line 1, column 1: %s", y->p.problem ? y->p.problem : "invalid YAML");
		return false;
	}
	y->have = true;
	return true;
}

static bool all_digits(const char *s, const char *set)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr(set, *s))
			return false;
	return true;
}

static struct hcl_value *y_resolve_plain(const char *s)
{
	static const char *const t[] = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", NULL};
	static const char *const f[] = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", NULL};
	static const char *const nul[] = {"", "~", "null", "Null", "NULL", NULL};
	for (size_t i = 0; t[i]; i++)
		if (strcmp(s, t[i]) == 0)
			return hcl_bool(true);
	for (size_t i = 0; f[i]; i++)
		if (strcmp(s, f[i]) == 0)
			return hcl_bool(false);
	for (size_t i = 0; nul[i]; i++)
		if (strcmp(s, nul[i]) == 0)
			return hcl_null(HCL_T_DYNAMIC);
	if (!strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, ".INF") || !strcmp(s, "+.inf") ||
	    !strcmp(s, "+.Inf") || !strcmp(s, "+.INF"))
		return hcl_number(hcl_num_inf(false));
	if (!strcmp(s, "-.inf") || !strcmp(s, "-.Inf") || !strcmp(s, "-.INF"))
		return hcl_number(hcl_num_inf(true));
	char c0 = s[0];
	if ((c0 >= '0' && c0 <= '9') || c0 == '-' || c0 == '+' || c0 == '.') {
		/* integers: decimal, 0x, 0o/0 octal, 0b binary; underscores ignored */
		char *plain = xstrdup(s);
		size_t o = 0;
		for (size_t i = 0; plain[i]; i++)
			if (plain[i] != '_')
				plain[o++] = plain[i];
		plain[o] = '\0';
		const char *p = plain;
		bool neg = false;
		if (*p == '+' || *p == '-')
			neg = *p++ == '-';
		struct hcl_num *num = NULL;
		/* decimal and 0b binary only: 0x and 0o forms stay strings, as in cty's YAML decoder */
		if (p[0] == '0' && p[1] == 'b' && all_digits(p + 2, "01"))
			num = hcl_num_parse_int(p + 2, 2);
		else if (all_digits(p, "0123456789"))
			num = hcl_num_parse_int(p, 10);
		if (num) {
			/* int64/uint64 keep 64 bits of precision as cty.NumberIntVal does */
			struct hcl_value *v = hcl_number(neg ? hcl_num_neg(num) : hcl_num_copy(num));
			hcl_num_free(num);
			free(plain);
			return v;
		}
		/* floats: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ parsed as float64 */
		const char *q = p;
		bool ok = false;
		if (*q == '.' && q[1] >= '0' && q[1] <= '9') {
			q++;
			while (*q >= '0' && *q <= '9')
				q++;
			ok = true;
		} else if (*q >= '0' && *q <= '9') {
			while (*q >= '0' && *q <= '9')
				q++;
			if (*q == '.') {
				q++;
				while (*q >= '0' && *q <= '9')
					q++;
			}
			ok = true;
		}
		if (ok && (*q == 'e' || *q == 'E')) {
			q++;
			if (*q == '+' || *q == '-')
				q++;
			if (!(*q >= '0' && *q <= '9'))
				ok = false;
			while (*q >= '0' && *q <= '9')
				q++;
		}
		if (ok && !*q) {
			double d = strtod(plain, NULL);
			free(plain);
			return hcl_number_double(d);
		}
		free(plain);
	}
	return hcl_string(s);
}

static struct hcl_value *y_node(struct yparse *y, unsigned depth);

static void y_anchor(struct yparse *y, const yaml_char_t *anchor, struct hcl_value *v)
{
	if (anchor)
		hcl_vec_push_kv(&y->anchors, (const char *)anchor, hcl_value_ref(v));
}

/* depth: how many sequences and mappings enclose this node (libyaml has no limit of its own). */
static struct hcl_value *y_node(struct yparse *y, unsigned depth)
{
	if (!yp_next(y))
		return NULL;
	yaml_event_t *ev = &y->ev;
	if ((ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT) &&
	    depth >= HCL_MAX_VALUE_DEPTH) {
		y->err = xasprintf("the YAML source nests more than %d levels deep", HCL_MAX_VALUE_DEPTH);
		return NULL;
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT: {
		const char *name = (const char *)ev->data.alias.anchor;
		for (size_t i = y->anchors.n; i-- > 0;)
			if (strcmp(y->anchors.k[i], name) == 0)
				return hcl_value_ref(y->anchors.v[i]);
		y->err = xasprintf("unknown anchor '%s' referenced", name);
		return NULL;
	}
	case YAML_SCALAR_EVENT: {
		const char *val = (const char *)ev->data.scalar.value;
		const char *tag = (const char *)ev->data.scalar.tag;
		struct hcl_value *v;
		if (tag && strcmp(tag, YAML_STR_TAG) == 0)
			v = hcl_string_n(val, ev->data.scalar.length);
		else if (tag && strcmp(tag, YAML_NULL_TAG) == 0)
			v = hcl_null(HCL_T_DYNAMIC);
		else if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || (tag && strcmp(tag, "!") == 0))
			v = hcl_string_n(val, ev->data.scalar.length);
		else
			v = y_resolve_plain(val);
		y_anchor(y, ev->data.scalar.anchor, v);
		return v;
	}
	case YAML_SEQUENCE_START_EVENT: {
		char *anchor = ev->data.sequence_start.anchor ? xstrdup((const char *)ev->data.sequence_start.anchor) : NULL;
		struct hcl_vec vec = HCL_VEC_INIT;
		for (;;) {
			struct hcl_value *e = y_node(y, depth + 1);
			if (!e) {
				if (y->err) {
					hcl_vec_free(&vec);
					free(anchor);
					return NULL;
				}
				break;
			}
			hcl_vec_push(&vec, e);
		}
		struct hcl_value *v = hcl_vec_to_tuple(&vec);
		y_anchor(y, (const yaml_char_t *)anchor, v);
		free(anchor);
		return v;
	}
	case YAML_MAPPING_START_EVENT: {
		char *anchor = ev->data.mapping_start.anchor ? xstrdup((const char *)ev->data.mapping_start.anchor) : NULL;
		struct hcl_vec vec = HCL_VEC_INIT;
		for (;;) {
			struct hcl_value *k = y_node(y, depth + 1);
			if (!k) {
				if (y->err) {
					hcl_vec_free(&vec);
					free(anchor);
					return NULL;
				}
				break;
			}
			struct hcl_value *v = y_node(y, depth + 1);
			if (!v) {
				hcl_value_unref(k);
				hcl_vec_free(&vec);
				free(anchor);
				if (!y->err)
					y->err = xstrdup("unexpected end of mapping");
				return NULL;
			}
			if (k->type->kind == HCL_STRING && strcmp(hcl_str(k), "<<") == 0 && hcl_is_mapping(v)) {
				for (size_t i = 0; i < hcl_len(v); i++) {
					bool have = false;
					for (size_t j = 0; j < vec.n; j++)
						if (strcmp(vec.k[j], hcl_key(v, i)) == 0)
							have = true;
					if (!have)
						hcl_vec_push_kv(&vec, hcl_key(v, i), hcl_value_ref(hcl_elem(v, i)));
				}
				hcl_value_unref(k);
				hcl_value_unref(v);
				continue;
			}
			char *ks = hcl_value_as_text(k);
			if (!ks) {
				hcl_value_unref(k);
				hcl_value_unref(v);
				hcl_vec_free(&vec);
				free(anchor);
				y->err = xstrdup("only strings, numbers and bools can be used as mapping keys");
				return NULL;
			}
			hcl_vec_push_kv(&vec, ks, v);
			free(ks);
			hcl_value_unref(k);
		}
		struct hcl_value *v = hcl_vec_to_object(&vec);
		y_anchor(y, (const yaml_char_t *)anchor, v);
		free(anchor);
		return v;
	}
	default:
		/* end of a sequence or mapping */
		return NULL;
	}
}

static struct hcl_value *f_yamldecode(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct yparse y = {.have = false, .err = NULL, .anchors = HCL_VEC_INIT};
	yaml_parser_initialize(&y.p);
	yaml_parser_set_input_string(&y.p, (const unsigned char *)hcl_str(a[0]), hcl_str_len(a[0]));
	struct hcl_value *res = NULL;
	if (!yp_next(&y) || y.ev.type != YAML_STREAM_START_EVENT)
		goto out;
	if (!yp_next(&y))
		goto out;
	if (y.ev.type != YAML_DOCUMENT_START_EVENT) {
		y.err = xstrdup("on line 1, column 1: missing start of document");
		goto out;
	}
	/* document start */
	res = y_node(&y, 0);
	if (!res)
		goto out;
	if (!yp_next(&y))
		goto fail_res;
	/* document end, then stream end or another document */
	if (!yp_next(&y))
		goto fail_res;
	if (y.ev.type != YAML_STREAM_END_EVENT) {
		hcl_value_clear(&res);
		y.err = xstrdup("the YAML source contains more than one document");
	}
	goto out;
fail_res:
	hcl_value_clear(&res);
out:
	if (y.have)
		yaml_event_delete(&y.ev);
	yaml_parser_delete(&y.p);
	hcl_vec_free(&y.anchors);
	if (!res) {
		res = hcl_call_error(c, "%s", y.err ? y.err : "invalid YAML");
	}
	free(y.err);
	return res;
}

const struct hcl_func hcl_funcs_encoding[] = {
	{"base64decode", (const struct hcl_param[]){P("str", "string"), END}, NULL, "string", f_base64decode,
	 "Decode Base64 to a string."},
	{"base64encode", (const struct hcl_param[]){P("str", "string"), END}, NULL, "string", f_base64encode,
	 "Encode a string as Base64."},
	{"base64gzip", (const struct hcl_param[]){P("str", "string"), END}, NULL, "string", f_base64gzip,
	 "Gzip a string and encode it as Base64."},
	{"csvdecode", (const struct hcl_param[]){P("str", "string"), END}, NULL, NULL, f_csvdecode,
	 "Decode CSV with a header row."},
	{"jsondecode", (const struct hcl_param[]){P("str", "string"), END}, NULL, NULL, f_jsondecode,
	 "Decode JSON."},
	{"jsonencode", (const struct hcl_param[]){{"val", "any", HCL_PARAM_ALLOW_DYNAMIC}, END},
	 NULL, "string", f_jsonencode, "Encode a value as JSON."},
	{"textdecodebase64", (const struct hcl_param[]){P("source", "string"), P("encoding", "string"), END}, NULL,
	 "string", f_textdecodebase64, "Decode Base64 text in a character encoding."},
	{"textencodebase64", (const struct hcl_param[]){P("string", "string"), P("encoding", "string"), END}, NULL,
	 "string", f_textencodebase64, "Encode a string in a character encoding, then Base64."},
	{"urlencode", (const struct hcl_param[]){P("str", "string"), END}, NULL, "string", f_urlencode,
	 "URL query-encode a string."},
	{"yamldecode", (const struct hcl_param[]){P("src", "string"), END}, NULL, NULL, f_yamldecode,
	 "Decode YAML."},
	{"yamlencode", (const struct hcl_param[]){{"value", "any", HCL_PARAM_ALLOW_NULL | HCL_PARAM_ALLOW_DYNAMIC}, END},
	 NULL, "string", f_yamlencode, "Encode a value as YAML."},
	{NULL, NULL, NULL, NULL, NULL, NULL},
};
