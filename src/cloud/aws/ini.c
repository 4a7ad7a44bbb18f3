/* ini.c — the AWS shared config and credentials files (see ini.h). */
#include "cloud/aws/ini.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct ini_kv {
	char *key;
	struct buf value;
};

struct ini_section {
	char *name;
	struct ini_kv *kv;
	size_t n, cap;
};

struct aws_ini {
	struct ini_section *s;
	size_t n, cap;
};

void aws_ini_free(struct aws_ini *ini)
{
	if (!ini)
		return;
	for (size_t i = 0; i < ini->n; i++) {
		for (size_t k = 0; k < ini->s[i].n; k++) {
			free(ini->s[i].kv[k].key);
			buf_free(&ini->s[i].kv[k].value);
		}
		free(ini->s[i].kv);
		free(ini->s[i].name);
	}
	free(ini->s);
	free(ini);
}

static char *trimmed(const char *p, size_t n)
{
	while (n && isspace((unsigned char)*p))
		p++, n--;
	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	return xstrndup(p, n);
}

static struct ini_section *find_section(struct aws_ini *ini, const char *name)
{
	for (size_t i = 0; i < ini->n; i++)
		if (strcmp(ini->s[i].name, name) == 0)
			return &ini->s[i];
	return NULL;
}

static struct ini_kv *find_kv(struct ini_section *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->kv[i].key, key) == 0)
			return &s->kv[i];
	return NULL;
}

int aws_ini_parse(const char *text, size_t len, const char *path, struct aws_ini **out, struct kiln_error *err)
{
	*out = NULL;
	if (len > AWS_INI_MAX_BYTES)
		return err_set_kind(err, ERR_INVALID, "%s is larger than %u bytes", path, AWS_INI_MAX_BYTES);
	struct aws_ini *ini = xcalloc(1, sizeof *ini);
	struct ini_section *cur = NULL;
	struct ini_kv *last = NULL;  /* the key indented lines continue */
	size_t lineno = 0;
	const char *p = text, *end = text + len;
	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		lineno++;
		size_t n = (size_t)(le - p);
		if (memchr(p, '\0', n)) {
			err_set_kind(err, ERR_INVALID, "%s:%zu: a NUL byte in the file", path, lineno);
			goto fail;
		}
		char *line = trimmed(p, n);
		bool indented = n > 0 && (p[0] == ' ' || p[0] == '\t');
		p = nl ? nl + 1 : end;
		if (!*line) {
			free(line);
			continue;
		}
		if (line[0] == '#' || line[0] == ';') {
			free(line);
			continue;
		}
		if (indented && last) {
			/* a continuation line of the last value */
			buf_putc(&last->value, '\n');
			buf_puts(&last->value, line);
			free(line);
			continue;
		}
		if (line[0] == '[') {
			char *close = strrchr(line, ']');
			if (!close || close == line + 1) {
				err_set_kind(err, ERR_INVALID, "%s:%zu: malformed section header \"%s\"", path, lineno, line);
				free(line);
				goto fail;
			}
			char *name = trimmed(line + 1, (size_t)(close - line - 1));
			free(line);
			cur = find_section(ini, name);
			if (cur) {
				free(name);
			} else {
				ini->s = xgrow(ini->s, &ini->cap, ini->n + 1, sizeof *ini->s);
				cur = &ini->s[ini->n++];
				memset(cur, 0, sizeof *cur);
				cur->name = name;
			}
			last = NULL;
			continue;
		}
		size_t kl = strcspn(line, "=:");
		if (!line[kl]) {
			err_set_kind(err, ERR_INVALID, "%s:%zu: \"%s\" is neither a [section] nor key = value", path, lineno,
				     line);
			free(line);
			goto fail;
		}
		if (!cur) {
			err_set_kind(err, ERR_INVALID, "%s:%zu: key = value before the first [section]", path, lineno);
			free(line);
			goto fail;
		}
		char *key = trimmed(line, kl);
		for (char *k = key; *k; k++)
			*k = (char)tolower((unsigned char)*k);
		char *value = trimmed(line + kl + 1, strlen(line + kl + 1));
		free(line);
		if (!*key) {
			err_set_kind(err, ERR_INVALID, "%s:%zu: a value without a key", path, lineno);
			free(key);
			free(value);
			goto fail;
		}
		last = find_kv(cur, key);
		if (last) {
			free(key);
			buf_reset(&last->value);
		} else {
			cur->kv = xgrow(cur->kv, &cur->cap, cur->n + 1, sizeof *cur->kv);
			last = &cur->kv[cur->n++];
			last->key = key;
			buf_init(&last->value);
		}
		buf_puts(&last->value, value);
		free(value);
	}
	*out = ini;
	return 0;
fail:
	aws_ini_free(ini);
	return -1;
}

int aws_ini_load(const char *path, struct aws_ini **out, struct kiln_error *err)
{
	struct buf b = BUF_INIT;
	struct kiln_error e = ERR_INIT;
	if (!file_exists(path)) {
		*out = xcalloc(1, sizeof **out);
		return 0;
	}
	off_t size = 0;
	if (file_size(path, &size, &e) == 0 && size > (off_t)AWS_INI_MAX_BYTES) {
		err_clear(&e);
		return err_set_kind(err, ERR_INVALID, "%s is larger than %u bytes", path, AWS_INI_MAX_BYTES);
	}
	err_clear(&e);
	if (file_read_all(path, &b, err) < 0)
		return -1;
	int rc = aws_ini_parse(buf_cstr(&b), b.len, path, out, err);
	buf_free(&b);
	return rc;
}

const char *aws_ini_get(const struct aws_ini *ini, const char *section, const char *key)
{
	if (!ini || !section)
		return NULL;
	struct ini_section *s = find_section((struct aws_ini *)ini, section);
	struct ini_kv *kv = s ? find_kv(s, key) : NULL;
	return kv ? buf_cstr(&kv->value) : NULL;
}

size_t aws_ini_section_count(const struct aws_ini *ini)
{
	return ini ? ini->n : 0;
}

const char *aws_ini_section_name(const struct aws_ini *ini, size_t i)
{
	return ini && i < ini->n ? ini->s[i].name : NULL;
}

const char *aws_ini_profile_section(const struct aws_ini *ini, const char *profile, bool config_file)
{
	if (!ini || !profile)
		return NULL;
	for (size_t i = 0; i < ini->n; i++) {
		const char *name = ini->s[i].name;
		if (!config_file) {
			if (strcmp(name, profile) == 0)
				return name;
			continue;
		}
		/* "profile NAME", with any white space between; "default" also bare */
		if (strncmp(name, "profile", 7) == 0 && isspace((unsigned char)name[7])) {
			const char *n = name + 7;
			while (isspace((unsigned char)*n))
				n++;
			if (strcmp(n, profile) == 0)
				return name;
		} else if (strcmp(profile, "default") == 0 && strcmp(name, "default") == 0) {
			return name;
		}
	}
	return NULL;
}
