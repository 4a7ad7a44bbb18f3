/* boot_command.c — parsing Packer's boot_command language into key actions and typing them through a
 * driver (see boot_command.h). Keys are Linux input keycodes, which virDomainSendKey accepts directly
 * (VIR_KEYCODE_SET_LINUX); characters map through a US keyboard layout, as Packer's VNC driver does. */
#include "qemu/boot_command.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/timeutil.h"

#include <ctype.h>
#include <linux/input-event-codes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	unsigned key;
} specials[] = {
	{"bs", KEY_BACKSPACE}, {"del", KEY_DELETE}, {"enter", KEY_ENTER}, {"return", KEY_ENTER},
	{"esc", KEY_ESC}, {"tab", KEY_TAB}, {"spacebar", KEY_SPACE}, {"insert", KEY_INSERT},
	{"home", KEY_HOME}, {"end", KEY_END}, {"pageUp", KEY_PAGEUP}, {"pageDown", KEY_PAGEDOWN},
	{"up", KEY_UP}, {"down", KEY_DOWN}, {"left", KEY_LEFT}, {"right", KEY_RIGHT},
	{"f1", KEY_F1}, {"f2", KEY_F2}, {"f3", KEY_F3}, {"f4", KEY_F4}, {"f5", KEY_F5}, {"f6", KEY_F6},
	{"f7", KEY_F7}, {"f8", KEY_F8}, {"f9", KEY_F9}, {"f10", KEY_F10}, {"f11", KEY_F11}, {"f12", KEY_F12},
	{"leftAlt", KEY_LEFTALT}, {"rightAlt", KEY_RIGHTALT}, {"leftCtrl", KEY_LEFTCTRL},
	{"rightCtrl", KEY_RIGHTCTRL}, {"leftShift", KEY_LEFTSHIFT}, {"rightShift", KEY_RIGHTSHIFT},
	{"leftSuper", KEY_LEFTMETA}, {"rightSuper", KEY_RIGHTMETA}, {"leftMeta", KEY_LEFTMETA},
	{"rightMeta", KEY_RIGHTMETA}, {"menu", KEY_COMPOSE},
};

/* US layout: the key for each printable ASCII character and whether it needs Shift. */
static bool char_key(unsigned char c, unsigned *key, bool *shift)
{
	static const char row_num[] = "1234567890";
	static const char row_num_shift[] = "!@#$%^&*()";
	static const unsigned num_keys[] = {KEY_1, KEY_2, KEY_3, KEY_4, KEY_5, KEY_6, KEY_7, KEY_8, KEY_9, KEY_0};
	static const unsigned letter_keys[26] = {
		KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I, KEY_J, KEY_K, KEY_L, KEY_M,
		KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z,
	};
	static const struct {
		char plain, shifted;
		unsigned key;
	} punct[] = {
		{'-', '_', KEY_MINUS}, {'=', '+', KEY_EQUAL}, {'[', '{', KEY_LEFTBRACE}, {']', '}', KEY_RIGHTBRACE},
		{'\\', '|', KEY_BACKSLASH}, {';', ':', KEY_SEMICOLON}, {'\'', '"', KEY_APOSTROPHE},
		{'`', '~', KEY_GRAVE}, {',', '<', KEY_COMMA}, {'.', '>', KEY_DOT}, {'/', '?', KEY_SLASH},
	};
	*shift = false;
	if (c >= 'a' && c <= 'z') {
		*key = letter_keys[c - 'a'];
		return true;
	}
	if (c >= 'A' && c <= 'Z') {
		*key = letter_keys[c - 'A'];
		*shift = true;
		return true;
	}
	const char *p = c ? strchr(row_num, c) : NULL;
	if (p) {
		*key = num_keys[p - row_num];
		return true;
	}
	p = c ? strchr(row_num_shift, c) : NULL;
	if (p) {
		*key = num_keys[p - row_num_shift];
		*shift = true;
		return true;
	}
	for (size_t i = 0; i < sizeof punct / sizeof punct[0]; i++) {
		if (c == (unsigned char)punct[i].plain || c == (unsigned char)punct[i].shifted) {
			*key = punct[i].key;
			*shift = c == (unsigned char)punct[i].shifted;
			return true;
		}
	}
	switch (c) {
	case ' ':
		*key = KEY_SPACE;
		return true;
	case '\n':
	case '\r':
		*key = KEY_ENTER;
		return true;
	case '\t':
		*key = KEY_TAB;
		return true;
	}
	return false;
}

static const char *key_name(unsigned key)
{
	for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++)
		if (specials[i].key == key)
			return specials[i].name;
	return NULL;
}

static struct qemu_boot_action *push(struct qemu_boot_script *s, enum qemu_boot_kind kind)
{
	s->v = xgrow(s->v, &s->cap, s->n + 1, sizeof *s->v);
	struct qemu_boot_action *a = &s->v[s->n++];
	memset(a, 0, sizeof *a);
	a->kind = kind;
	return a;
}

static int special_key(const char *name, size_t n, unsigned *key)
{
	for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++)
		if (strlen(specials[i].name) == n && strncasecmp(name, specials[i].name, n) == 0) {
			*key = specials[i].key;
			return 0;
		}
	return -1;
}

/* "<wait...>": returns the length consumed (through '>'), 0 when not a wait form. */
static size_t parse_wait(const char *p, int64_t *ms)
{
	if (strncmp(p, "<wait", 5) != 0)
		return 0;
	const char *q = p + 5;
	const char *close = strchr(q, '>');
	if (!close)
		return 0;
	size_t n = (size_t)(close - q);
	if (n == 0) {
		*ms = 1000;
		return 6;
	}
	bool digits = true;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)q[i]))
			digits = false;
	if (digits) {
		if (n > 1 && q[0] == '0')
			return 0;   /* Packer's Integer rule: no leading zeros */
		*ms = strtoll(q, NULL, 10) * 1000;
		return n + 6;
	}
	char *d = xstrndup(q, n);
	struct kiln_error e = ERR_INIT;
	int64_t v;
	int rc = duration_parse(d, &v, &e);
	free(d);
	err_clear(&e);
	/* Go's duration needs a unit on every number; "<wait5x>" is typed literally, as in Packer. */
	if (rc < 0 || !isalpha((unsigned char)q[n - 1]))
		return 0;
	*ms = v;
	return n + 6;
}

/* `<waitFor "regex">` or `<waitFor "regex" 30s>`; 0 when not this form, -1 on a malformed one. */
static long parse_wait_for(const char *p, struct qemu_boot_script *out, struct kiln_error *err)
{
	if (strncasecmp(p, "<waitFor", 8) != 0 || !isspace((unsigned char)p[8]))
		return 0;
	const char *q = p + 8;
	while (isspace((unsigned char)*q))
		q++;
	if (*q != '"')
		return err_set_kind(err, ERR_INVALID, "boot_command: <waitFor needs a quoted regular expression: <waitFor \"login:\">");
	q++;
	struct buf pat = BUF_INIT;
	while (*q && *q != '"') {
		if (q[0] == '\\' && q[1] == '"') {
			buf_putc(&pat, '"');
			q += 2;
			continue;
		}
		buf_putc(&pat, *q++);
	}
	if (*q != '"') {
		buf_free(&pat);
		return err_set_kind(err, ERR_INVALID, "boot_command: unterminated string in <waitFor");
	}
	q++;
	while (isspace((unsigned char)*q))
		q++;
	int64_t ms = QEMU_BOOT_WAITFOR_DEFAULT_MS;
	if (*q != '>') {
		const char *close = strchr(q, '>');
		if (!close) {
			buf_free(&pat);
			return err_set_kind(err, ERR_INVALID, "boot_command: <waitFor without a closing '>'");
		}
		size_t n = (size_t)(close - q);
		while (n && isspace((unsigned char)q[n - 1]))
			n--;
		char *d = xstrndup(q, n);
		int rc = duration_parse(d, &ms, err);
		if (rc < 0) {
			err_wrap(err, "boot_command: <waitFor timeout \"%s\"", d);
			free(d);
			buf_free(&pat);
			return -1;
		}
		free(d);
		q = close;
	}
	struct qemu_boot_action *a = push(out, QEMU_BOOT_WAIT_FOR);
	a->pattern = buf_detach(&pat);
	a->ms = ms;
	return (long)(q + 1 - p);
}

/* <name>, <nameOn>, <nameOff>, <cOn>, <cOff>: returns the length consumed, 0 when not one. */
static size_t parse_special(const char *p, struct qemu_boot_script *out)
{
	const char *close = strchr(p + 1, '>');
	if (!close)
		return 0;
	const char *name = p + 1;
	size_t n = (size_t)(close - name);
	unsigned key;
	if (n > 0 && special_key(name, n, &key) == 0) {
		push(out, QEMU_BOOT_PRESS)->key = key;
		return n + 2;
	}
	enum qemu_boot_kind kind;
	size_t base;
	if (n > 2 && strncasecmp(name + n - 2, "on", 2) == 0) {
		kind = QEMU_BOOT_DOWN;
		base = n - 2;
	} else if (n > 3 && strncasecmp(name + n - 3, "off", 3) == 0) {
		kind = QEMU_BOOT_UP;
		base = n - 3;
	} else {
		return 0;
	}
	bool shift = false;
	if (special_key(name, base, &key) < 0 && !(base == 1 && char_key((unsigned char)name[0], &key, &shift)))
		return 0;
	struct qemu_boot_action *a = push(out, kind);
	a->key = key;
	a->shift = shift;
	return n + 2;
}

int qemu_boot_parse(const char *command, struct qemu_boot_script *out, struct kiln_error *err)
{
	const char *p = command;
	while (*p) {
		if (*p == '<') {
			int64_t ms;
			size_t used = parse_wait(p, &ms);
			if (used) {
				push(out, QEMU_BOOT_WAIT)->ms = ms;
				p += used;
				continue;
			}
			long wf = parse_wait_for(p, out, err);
			if (wf < 0)
				return -1;
			if (wf > 0) {
				p += wf;
				continue;
			}
			used = parse_special(p, out);
			if (used) {
				p += used;
				continue;
			}
		}
		unsigned char c = (unsigned char)*p;
		unsigned key;
		bool shift;
		if (!char_key(c, &key, &shift)) {
			if (c >= 0x80)
				return err_set_kind(err, ERR_INVALID,
						    "boot_command: cannot type the non-ASCII text at \"%.12s\" (kiln types "
						    "through a US keyboard layout)", p);
			return err_set_kind(err, ERR_INVALID, "boot_command: cannot type control character 0x%02x", c);
		}
		struct qemu_boot_action *a = push(out, QEMU_BOOT_PRESS);
		a->key = key;
		a->shift = shift;
		p++;
	}
	return 0;
}

void qemu_boot_script_free(struct qemu_boot_script *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].pattern);
	free(s->v);
	memset(s, 0, sizeof *s);
}

static void describe_key(struct buf *b, unsigned key, bool shift)
{
	const char *name = key_name(key);
	if (name && key != KEY_SPACE) {
		buf_printf(b, "<%s>", name);
		return;
	}
	for (unsigned c = 32; c < 127; c++) {
		unsigned k;
		bool s;
		if (char_key((unsigned char)c, &k, &s) && k == key && s == shift) {
			buf_putc(b, (char)c);
			return;
		}
	}
	buf_printf(b, "<key %u%s>", key, shift ? "+shift" : "");
}

char *qemu_boot_script_describe(const struct qemu_boot_script *s)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < s->n; i++) {
		const struct qemu_boot_action *a = &s->v[i];
		if (i)
			buf_putc(&b, ' ');
		switch (a->kind) {
		case QEMU_BOOT_PRESS:
			describe_key(&b, a->key, a->shift);
			break;
		case QEMU_BOOT_DOWN:
			buf_putc(&b, '+');
			describe_key(&b, a->key, false);
			break;
		case QEMU_BOOT_UP:
			buf_putc(&b, '-');
			describe_key(&b, a->key, false);
			break;
		case QEMU_BOOT_WAIT:
			buf_printf(&b, "wait(%lld)", (long long)a->ms);
			break;
		case QEMU_BOOT_WAIT_FOR:
			buf_printf(&b, "waitFor(/%s/,%lld)", a->pattern, (long long)a->ms);
			break;
		}
	}
	return buf_detach(&b);
}

static int do_sleep(const struct qemu_boot_driver *d, int64_t ms)
{
	if (ms <= 0)
		return 0;
	if (d->sleep)
		return d->sleep(d->arg, ms);
	return sleep_cancellable_ms((long)ms);
}

#define MAX_HELD 16

int qemu_boot_type(const struct qemu_boot_script *s, const struct qemu_boot_driver *d, int64_t key_interval_ms,
		   struct kiln_error *err)
{
	unsigned held[MAX_HELD];
	size_t nheld = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct qemu_boot_action *a = &s->v[i];
		switch (a->kind) {
		case QEMU_BOOT_PRESS: {
			unsigned keys[MAX_HELD + 2];
			size_t n = 0;
			for (size_t h = 0; h < nheld; h++)
				keys[n++] = held[h];
			if (a->shift)
				keys[n++] = KEY_LEFTSHIFT;
			keys[n++] = a->key;
			if (d->send_keys(d->arg, keys, n, 0, err) < 0)
				return -1;
			if (do_sleep(d, key_interval_ms) < 0)
				return err_set_kind(err, ERR_CANCELLED, "cancelled while typing the boot command");
			break;
		}
		case QEMU_BOOT_DOWN: {
			bool already = false;
			for (size_t h = 0; h < nheld; h++)
				already |= held[h] == a->key;
			if (!already) {
				if (nheld == MAX_HELD)
					return err_set_kind(err, ERR_INVALID, "boot_command holds more than %d keys at once", MAX_HELD);
				held[nheld++] = a->key;
			}
			break;
		}
		case QEMU_BOOT_UP:
			for (size_t h = 0; h < nheld; h++)
				if (held[h] == a->key) {
					memmove(&held[h], &held[h + 1], (nheld - h - 1) * sizeof held[0]);
					nheld--;
					break;
				}
			break;
		case QEMU_BOOT_WAIT:
			/* Held keys stay down through the wait (e.g. <leftShiftOn><wait5><leftShiftOff>). */
			if (nheld && d->send_keys(d->arg, held, nheld, (unsigned)(a->ms > 60000 ? 60000 : a->ms), err) < 0)
				return -1;
			if (do_sleep(d, a->ms) < 0)
				return err_set_kind(err, ERR_CANCELLED, "cancelled while typing the boot command");
			break;
		case QEMU_BOOT_WAIT_FOR:
			if (d->wait_for(d->arg, a->pattern, a->ms, err) < 0)
				return -1;
			break;
		}
	}
	return 0;
}

int qemu_boot_type_steps(const struct qemu_boot_script *scripts, const char *const *descriptions, size_t n,
			 const struct qemu_boot_driver *d, int64_t key_interval_ms,
			 int (*step_begin)(void *arg, size_t i, size_t n, const char *description, struct kiln_error *err),
			 struct kiln_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const char *desc = descriptions ? descriptions[i] : NULL;
		if (step_begin && step_begin(d->arg, i, n, desc, err) < 0)
			return -1;
		if (qemu_boot_type(&scripts[i], d, key_interval_ms, err) < 0) {
			if (desc)
				return err_wrap(err, "boot step %zu (%s)", i + 1, desc);
			return err_wrap(err, "boot step %zu", i + 1);
		}
	}
	return 0;
}
