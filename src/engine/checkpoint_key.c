/* checkpoint_key.c — checkpoint keys: a SHA-256 hash chain over what shapes the guest (see
 * checkpoint_key.h). */
#include "config.h"

#include "engine/checkpoint_key.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/strv.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_DEPTH 64

static void field(struct hasher *h, const char *tag, const char *s)
{
	char len[32];
	size_t n = s ? strlen(s) : 0;
	hasher_update(h, tag, strlen(tag));
	int l = snprintf(len, sizeof len, ":%zu:", n);
	hasher_update(h, len, (size_t)l);
	if (n)
		hasher_update(h, s, n);
}

char *ckkey_root(const char *builder_type, const char *builder_fingerprint, const char *identity,
		 const char *base_digest, const char *inputs_digest)
{
	struct hasher *h = hasher_new("sha256");
	field(h, "magic", "kiln checkpoint 1");
	field(h, "kiln", PACKAGE_VERSION);
	field(h, "builder", builder_type);
	field(h, "config", builder_fingerprint);
	field(h, "identity", identity);
	field(h, "base", base_digest);
	field(h, "inputs", inputs_digest);
	return hasher_final_hex(h);
}

char *ckkey_boot(const char *root)
{
	struct hasher *h = hasher_new("sha256");
	field(h, "parent", root);
	field(h, "step", "boot");
	return hasher_final_hex(h);
}

char *ckkey_step(const char *prev, const char *type, const char *fingerprint, const char *inputs_digest)
{
	struct hasher *h = hasher_new("sha256");
	field(h, "parent", prev);
	field(h, "provisioner", type);
	field(h, "config", fingerprint);
	field(h, "inputs", inputs_digest);
	return hasher_final_hex(h);
}

char *ckkey_off(const char *prev, const char *identity)
{
	struct hasher *h = hasher_new("sha256");
	field(h, "parent", prev);
	field(h, "step", "machine off");
	field(h, "shutdown", identity);
	return hasher_final_hex(h);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int digest_path(struct hasher *h, const char *path, const char *name, int depth, struct kiln_error *err)
{
	struct stat st;
	if (depth > MAX_DEPTH)
		return err_set(err, "%s: directories nested too deep (a symbolic link loop?)", path);
	if (stat(path, &st) < 0)
		return err_set_errno(err, errno, "cannot read %s", path);
	if (S_ISREG(st.st_mode)) {
		char *sum = NULL;
		if (hash_file_hex("sha256", path, &sum, err) < 0)
			return -1;
		field(h, "file", name);
		field(h, "exec", (st.st_mode & 0111) ? "x" : "-");
		field(h, "sha256", sum);
		free(sum);
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return err_set(err, "%s is neither a file nor a directory", path);
	field(h, "dir", name);
	DIR *d = opendir(path);
	if (!d)
		return err_set_errno(err, errno, "cannot read %s", path);
	struct strv names = STRV_INIT;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			strv_push(&names, de->d_name);
	closedir(d);
	if (names.n > 1)
		qsort(names.v, names.n, sizeof *names.v, cmp_str);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		char *child = path_join(path, names.v[i]);
		rc = digest_path(h, child, names.v[i], depth + 1, err);
		free(child);
	}
	field(h, "end", name);
	strv_free(&names);
	return rc;
}

int ckkey_inputs_digest(char *const *paths, size_t n, char **hex, struct kiln_error *err)
{
	struct hasher *h = hasher_new("sha256");
	for (size_t i = 0; i < n; i++) {
		field(h, "path", paths[i]);
		if (digest_path(h, paths[i], "", 0, err) < 0) {
			hasher_free(h);
			return -1;
		}
	}
	*hex = hasher_final_hex(h);
	return 0;
}
