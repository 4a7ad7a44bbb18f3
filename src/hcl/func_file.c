/* func_file.c — filesystem functions: abspath basename dirname file fileexists fileset pathexpand
 * templatefile filebase64. Relative paths resolve against the context's base directory (the working
 * directory unless the application set one), `~` expands to $HOME, as Packer's functions do. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hcl/eval.h"
#include "hcl/funcutil.h"
#include "hcl/parser.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/strmap.h"
#include "util/strv.h"
#include "util/timeutil.h"

#define P(n, t) {n, t, 0}
#define END {NULL, NULL, 0}

static char *expand_home(const char *p)
{
	if (p[0] != '~')
		return xstrdup(p);
	if (p[1] != '\0' && p[1] != '/')
		return NULL; /* ~user is not supported, as in Go's go-homedir */
	const char *home = getenv("HOME");
	if (!home)
		home = "/";
	return xasprintf("%s%s", home, p + 1);
}

/* Go's filepath.Clean */
static char *clean(const char *p)
{
	return path_clean(p);
}

static char *resolve(struct hcl_call *c, const char *path, int argi, bool *failed)
{
	char *e = expand_home(path);
	if (!e) {
		hcl_call_arg_error(c, argi, "failed to expand ~: cannot expand user-specific home dir");
		*failed = true;
		return NULL;
	}
	char *full = hcl_func_path(c, e);
	free(e);
	char *cl = clean(full);
	free(full);
	return cl;
}

static bool valid_utf8(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t ch;
		size_t k = hcl_utf8_next(s + i, n - i, &ch);
		if (ch == 0xfffd && k == 1 && (unsigned char)s[i] >= 0x80)
			return false;
		i += k;
	}
	return true;
}

/* Read the file a function is given: a regular file of at most max bytes (a FIFO or a device could
 * block or never end). */
static int read_file(struct hcl_call *c, const char *arg, size_t max, struct buf *out, char **pathp)
{
	bool failed = false;
	char *path = resolve(c, arg, 0, &failed);
	if (failed)
		return -1;
	struct kiln_error err = ERR_INIT;
	if (file_read_regular(path, max, out, &err) < 0) {
		if (err_is(&err, ERR_NOT_FOUND))
			hcl_call_error(c, "no file exists at %s", path);
		else if (err_is(&err, ERR_INVALID))
			hcl_call_error(c, "%s", err_cause(&err));
		else
			hcl_call_error(c, "failed to read %s", path);
		err_clear(&err);
		free(path);
		return -1;
	}
	*pathp = path;
	return 0;
}

static struct hcl_value *f_file(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct buf b = BUF_INIT;
	char *path = NULL;
	if (read_file(c, hcl_str(a[0]), HCL_MAX_FILE_SIZE, &b, &path) < 0)
		return NULL;
	struct hcl_value *r;
	if (!valid_utf8(buf_cstr(&b), b.len))
		r = hcl_call_error(c, "contents of %s are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead", path);
	else
		r = hcl_string_n(buf_cstr(&b), b.len);
	free(path);
	buf_free(&b);
	return r;
}

static struct hcl_value *f_filebase64(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct buf b = BUF_INIT;
	char *path = NULL;
	if (read_file(c, hcl_str(a[0]), HCL_MAX_FILE_SIZE, &b, &path) < 0)
		return NULL;
	free(path);
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct buf o = BUF_INIT;
	const unsigned char *in = (const unsigned char *)buf_cstr(&b);
	for (size_t i = 0; i < b.len; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < b.len)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < b.len)
			v |= in[i + 2];
		buf_putc(&o, tbl[(v >> 18) & 63]);
		buf_putc(&o, tbl[(v >> 12) & 63]);
		buf_putc(&o, i + 1 < b.len ? tbl[(v >> 6) & 63] : '=');
		buf_putc(&o, i + 2 < b.len ? tbl[v & 63] : '=');
	}
	buf_free(&b);
	struct hcl_value *r = hcl_string_n(buf_cstr(&o), o.len);
	buf_free(&o);
	return r;
}

static struct hcl_value *f_fileexists(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	bool failed = false;
	char *path = resolve(c, hcl_str(a[0]), 0, &failed);
	if (failed)
		return NULL;
	struct stat st;
	struct hcl_value *r;
	if (stat(path, &st) < 0) {
		r = errno == ENOENT || errno == ENOTDIR ? hcl_bool(false) :
			hcl_call_arg_error(c, 0, "failed to stat %s", path);
	} else if (S_ISREG(st.st_mode)) {
		r = hcl_bool(true);
	} else {
		/* Go's os.FileMode.String() */
		char mode[16];
		size_t k = 0;
		if (S_ISDIR(st.st_mode)) mode[k++] = 'd';
		else if (S_ISLNK(st.st_mode)) mode[k++] = 'L';
		else if (S_ISFIFO(st.st_mode)) mode[k++] = 'p';
		else if (S_ISSOCK(st.st_mode)) mode[k++] = 'S';
		else if (S_ISCHR(st.st_mode)) { mode[k++] = 'D'; mode[k++] = 'c'; }
		else if (S_ISBLK(st.st_mode)) mode[k++] = 'D';
		if (!k)
			mode[k++] = '-';
		static const char rwx[] = "rwxrwxrwx";
		for (int i = 0; i < 9; i++)
			mode[k++] = (st.st_mode & (1u << (8 - i))) ? rwx[i] : '-';
		mode[k] = '\0';
		r = hcl_call_error(c, "%s is not a regular file, but \"%s\"", path, mode);
	}
	free(path);
	return r;
}

static struct hcl_value *f_abspath(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	char *p = path_abs(hcl_str(a[0]));
	char *cl = clean(p);
	free(p);
	return hcl_string_own(cl);
}

static struct hcl_value *f_basename(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	/* Go's filepath.Base */
	const char *s = hcl_str(a[0]);
	size_t len = strlen(s);
	if (len == 0)
		return hcl_string(".");
	while (len > 0 && s[len - 1] == '/')
		len--;
	if (len == 0)
		return hcl_string("/");
	size_t start = len;
	while (start > 0 && s[start - 1] != '/')
		start--;
	return hcl_string_n(s + start, len - start);
}

static struct hcl_value *f_dirname(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	/* Go's filepath.Dir: everything up to the last separator, cleaned */
	const char *s = hcl_str(a[0]);
	const char *slash = strrchr(s, '/');
	char *dir = slash ? xstrndup(s, (size_t)(slash - s + 1)) : xstrdup("");
	char *cl = clean(dir);
	free(dir);
	return hcl_string_own(cl);
}

static struct hcl_value *f_pathexpand(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	char *e = expand_home(hcl_str(a[0]));
	if (!e)
		return hcl_value_ref(a[0]);
	return hcl_string_own(e);
}

/* fileset: doublestar-style matching of a pattern against paths below a directory */
static bool seg_match(const char *pat, const char *name)
{
	/* {a,b} alternatives, expanded on the fly */
	const char *ob = strchr(pat, '{');
	if (ob) {
		const char *cb = strchr(ob, '}');
		if (cb) {
			const char *p = ob + 1;
			while (p <= cb) {
				const char *e = p;
				while (e < cb && *e != ',')
					e++;
				char *alt = xasprintf("%.*s%.*s%s", (int)(ob - pat), pat, (int)(e - p), p, cb + 1);
				bool m = seg_match(alt, name);
				free(alt);
				if (m)
					return true;
				p = e + 1;
			}
			return false;
		}
	}
	return fnmatch(pat, name, FNM_PERIOD * 0) == 0;
}

/* A fileset walk and its bounds (func.h): a walk over a whole disk ends with an error, not a hang. */
struct glob {
	const char *root;
	char **segs;
	size_t nsegs;
	struct strv *out;
	struct strmap seen;        /* out's paths, to keep each once */
	size_t work;               /* directory entries read and paths tried */
	long deadline;             /* time_mono_ms() */
	const char *stop;          /* why the walk stopped early; NULL while it goes on */
	struct dir_id {
		dev_t dev;
		ino_t ino;
	} *dirs;                   /* the directories being walked, outermost first */
	size_t ndirs, cap;
};

#define FILESET_MAX_DEPTH 256
#define STR_(x) #x
#define STR(x) STR_(x)

static bool glob_go_on(struct glob *g)
{
	if (g->stop)
		return false;
	if (++g->work > HCL_FILESET_MAX_ENTRIES)
		g->stop = "read more than " STR(HCL_FILESET_MAX_ENTRIES) " directory entries";
	else if (g->out->n >= HCL_FILESET_MAX_RESULTS)
		g->stop = "found more than " STR(HCL_FILESET_MAX_RESULTS) " files";
	else if ((g->work & 255) == 0 && time_mono_ms() > g->deadline)
		g->stop = "ran for more than " STR(HCL_FILESET_MAX_SECONDS) " seconds";
	else if (sig_cancelled())
		g->stop = "was interrupted";
	return !g->stop;
}

static void glob_walk(struct glob *g, const char *rel, size_t si)
{
	if (!glob_go_on(g))
		return;
	char *full = rel[0] ? path_join(g->root, rel) : xstrdup(g->root);
	if (si == g->nsegs) {
		struct stat st;
		size_t ignored;
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && !strmap_get(&g->seen, rel, &ignored)) {
			strv_push(g->out, rel);
			strmap_put(&g->seen, g->out->v[g->out->n - 1], 0);
		}
		free(full);
		return;
	}
	const char *seg = g->segs[si];
	bool any = strcmp(seg, "**") == 0;
	if (any) /* zero directories */
		glob_walk(g, rel, si + 1);
	/* symbolic links to directories are followed, as Packer does, but not back into a directory
	 * being walked (a link to a parent would never end) */
	struct stat st;
	DIR *d = NULL;
	if (g->ndirs < FILESET_MAX_DEPTH && stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
		bool loop = false;
		for (size_t i = 0; i < g->ndirs && !loop; i++)
			loop = g->dirs[i].dev == st.st_dev && g->dirs[i].ino == st.st_ino;
		if (!loop)
			d = opendir(full);
	} else if (g->ndirs >= FILESET_MAX_DEPTH && !g->stop) {
		g->stop = "went more than " STR(FILESET_MAX_DEPTH) " directories deep";
	}
	free(full);
	if (!d)
		return;
	g->dirs = xgrow(g->dirs, &g->cap, g->ndirs + 1, sizeof *g->dirs);
	g->dirs[g->ndirs++] = (struct dir_id){st.st_dev, st.st_ino};
	struct strv names = STRV_INIT;
	struct dirent *de;
	while (glob_go_on(g) && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strv_push(&names, de->d_name);
	closedir(d);
	strv_sort(&names);
	for (size_t i = 0; i < names.n && !g->stop; i++) {
		char *child = rel[0] ? xasprintf("%s/%s", rel, names.v[i]) : xstrdup(names.v[i]);
		if (any) /* ** matches any number of path elements, files included */
			glob_walk(g, child, si);
		else if (seg_match(seg, names.v[i]))
			glob_walk(g, child, si + 1);
		free(child);
	}
	strv_free(&names);
	g->ndirs--;
}

static struct hcl_value *f_fileset(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	bool failed = false;
	char *root = resolve(c, hcl_str(a[0]), 0, &failed);
	if (failed)
		return NULL;
	const char *pattern = hcl_str(a[1]);
	/* validate the pattern as Go's filepath.Match would */
	int depth = 0;
	for (const char *p = pattern; *p; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']' && depth > 0)
			depth--;
	}
	if (depth) {
		char *full = xasprintf("%s/%s", hcl_str(a[0]), pattern);
		struct hcl_value *r = hcl_call_error(c, "failed to glob pattern (%s): syntax error in pattern", full);
		free(full);
		free(root);
		return r;
	}
	/* path elements; a run of ** is one ** */
	struct strv segs = STRV_INIT;
	char *pcopy = xstrdup(pattern);
	for (char *tok = strtok(pcopy, "/"); tok; tok = strtok(NULL, "/"))
		if (strcmp(tok, ".") != 0 && !(strcmp(tok, "**") == 0 && segs.n && strcmp(segs.v[segs.n - 1], "**") == 0))
			strv_push(&segs, tok);
	free(pcopy);
	struct strv out = STRV_INIT;
	struct glob g = {root, segs.v, segs.n, &out, STRMAP_INIT, 0,
			 time_mono_ms() + 1000L * HCL_FILESET_MAX_SECONDS, NULL, NULL, 0, 0};
	if (segs.n && segs.n <= FILESET_MAX_DEPTH)
		glob_walk(&g, "", 0);
	struct hcl_value *r = NULL;
	if (segs.n > FILESET_MAX_DEPTH) {
		r = hcl_call_arg_error(c, 1, "the pattern has more than " STR(FILESET_MAX_DEPTH) " path elements");
	} else if (g.stop) {
		r = hcl_call_error(c, "the search for \"%s\" in %s %s; narrow the pattern or the directory",
				   pattern, root, g.stop);
	} else {
		struct hcl_vec vec = HCL_VEC_INIT;
		for (size_t i = 0; i < out.n; i++)
			hcl_vec_push(&vec, hcl_string(out.v[i]));
		r = hcl_vec_to_set(&vec, HCL_T_STRING);
	}
	strmap_free(&g.seen);
	free(g.dirs);
	strv_free(&out);
	strv_free(&segs);
	free(root);
	return r;
}

/* Inside a template rendered by templatefile, templatefile itself only says it cannot recurse. */
static struct hcl_value *f_templatefile_recursive(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return hcl_call_error(c, "cannot recursively call templatefile from inside templatefile call");
}

static const struct hcl_func templatefile_recursive = {
	"templatefile", (const struct hcl_param[]){P("path", "string"), P("vars", "any"), END}, NULL, "string",
	f_templatefile_recursive, "Not available inside templatefile.",
};

static bool valid_var_name(const char *s)
{
	return hcl_valid_identifier(s);
}

static struct hcl_value *f_templatefile(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct hcl_value *vars = a[1];
	if (!hcl_is_mapping(vars))
		return hcl_call_arg_error(c, 1, "invalid vars value: must be a map");
	if (!hcl_is_wholly_known(vars))
		return hcl_unknown(HCL_T_STRING);
	struct buf src = BUF_INIT;
	char *path = NULL;
	if (read_file(c, hcl_str(a[0]), HCL_MAX_SOURCE_SIZE, &src, &path) < 0)
		return NULL;
	struct hcl_diags diags = HCL_DIAGS_INIT;
	struct hcl_expr *tmpl = hcl_parse_template(buf_cstr(&src), src.len, path, (struct hcl_pos){1, 1, 0}, &diags);
	struct hcl_value *res = NULL;
	if (!hcl_diags_has_errors(&diags)) {
		struct hcl_eval_ctx *ctx = hcl_eval_ctx_new();
		const char *base = hcl_eval_ctx_basedir(c->ctx);
		if (base)
			hcl_eval_ctx_set_basedir(ctx, base);
		bool bad = false;
		for (size_t i = 0; i < hcl_len(vars) && !bad; i++) {
			const char *k = hcl_key(vars, i);
			if (!valid_var_name(k)) {
				res = hcl_call_arg_error(c, 1, "invalid template variable name \"%s\": must start with a letter, followed by zero or more letters, digits, and underscores", k);
				bad = true;
				break;
			}
			hcl_eval_ctx_set_var(ctx, k, hcl_value_ref(hcl_elem(vars, i)));
		}
		if (!bad) {
			hcl_eval_ctx_add_func(ctx, &templatefile_recursive);
			res = hcl_eval_template(tmpl, ctx, &diags);
			if (hcl_diags_has_errors(&diags))
				hcl_value_clear(&res);
		}
		hcl_eval_ctx_free(ctx);
	}
	if (!res && !c->err) {
		struct buf msg = BUF_INIT;
		for (size_t i = 0; i < diags.n; i++) {
			if (diags.v[i].severity != HCL_DIAG_ERROR)
				continue;
			char *rs = diags.v[i].has_subject ? hcl_range_string(&diags.v[i].subject) : NULL;
			if (msg.len)
				buf_puts(&msg, "; ");
			buf_printf(&msg, "%s%s%s: %s", rs ? rs : "", rs ? ": " : "", diags.v[i].summary,
				   diags.v[i].detail ? diags.v[i].detail : "");
			free(rs);
		}
		res = hcl_call_error(c, "%s", buf_cstr(&msg));
		buf_free(&msg);
	}
	hcl_diags_free(&diags);
	hcl_expr_free(tmpl);
	buf_free(&src);
	free(path);
	return res;
}


const struct hcl_func hcl_funcs_file[] = {
	{"abspath", (const struct hcl_param[]){P("path", "string"), END}, NULL, "string", f_abspath,
	 "An absolute path."},
	{"basename", (const struct hcl_param[]){P("path", "string"), END}, NULL, "string", f_basename,
	 "The last element of a path."},
	{"dirname", (const struct hcl_param[]){P("path", "string"), END}, NULL, "string", f_dirname,
	 "All but the last element of a path."},
	{"file", (const struct hcl_param[]){P("path", "string"), END}, NULL, "string", f_file,
	 "The contents of a file."},
	{"filebase64", (const struct hcl_param[]){P("path", "string"), END}, NULL, "string", f_filebase64,
	 "The contents of a file, Base64-encoded."},
	{"fileexists", (const struct hcl_param[]){P("path", "string"), END}, NULL, "bool", f_fileexists,
	 "Whether a file exists."},
	{"fileset", (const struct hcl_param[]){P("path", "string"), P("pattern", "string"), END}, NULL, "set(string)",
	 f_fileset, "The files below a directory matching a pattern."},
	{"pathexpand", (const struct hcl_param[]){P("path", "string"), END}, NULL, "string", f_pathexpand,
	 "Expand a leading ~ to the home directory."},
	{"templatefile", (const struct hcl_param[]){P("path", "string"), P("vars", "any"), END}, NULL, "string",
	 f_templatefile, "Render a template file."},
	{NULL, NULL, NULL, NULL, NULL, NULL},
};
