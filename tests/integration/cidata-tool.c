/* cidata-tool.c — test driver for cloud-init/: writes CDs and seeds and validates seed files, so
 * the integration tests can read the results back with isoinfo and xorriso.
 *
 *   cidata-tool iso OUT.iso [-l LABEL] [-f PATTERN]... [-c CDPATH=FILE]...   cd_files / cd_content
 *   cidata-tool generate OUT.iso -n VM_NAME -u USER -k PUBKEY_FILE [-i INSTANCE_ID]
 *   cidata-tool validate NAME FILE                                           nocloud_validate_file
 *   cidata-tool serial HOST PORT                                             nocloud_net_serial
 *
 * Errors go to stderr ("cidata-tool: file:line:col: message", then "hint: ...") with exit status 1. */
#include "cloud-init/cd_iso.h"
#include "cloud-init/nocloud.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/strv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: cidata-tool iso OUT [-l LABEL] [-f PATTERN]... [-c CDPATH=FILE]...\n"
	                "       cidata-tool generate OUT -n VM_NAME -u USER -k PUBKEY_FILE [-i INSTANCE_ID]\n"
	                "       cidata-tool validate NAME FILE\n"
	                "       cidata-tool serial HOST PORT\n");
	return 2;
}

static int cmd_iso(int argc, char **argv, struct kiln_error *err)
{
	struct strv files = STRV_INIT;
	struct cd_iso_content *content = xcalloc((size_t)argc, sizeof *content);
	struct buf *bodies = xcalloc((size_t)argc, sizeof *bodies);
	struct cd_iso_spec spec = {0};
	int n = 0, rc = -1, opt;
	while ((opt = getopt(argc, argv, "l:f:c:")) != -1) {
		if (opt == 'l') {
			spec.label = optarg;
		} else if (opt == 'f') {
			strv_push(&files, optarg);
		} else if (opt == 'c' && strchr(optarg, '=')) {
			char *eq = strchr(optarg, '=');
			*eq = '\0';
			if (file_read_all(eq + 1, &bodies[n], err) < 0)
				goto out;
			content[n] = (struct cd_iso_content){optarg, buf_cstr(&bodies[n]), bodies[n].len};
			n++;
		} else {
			rc = usage();
			goto out;
		}
	}
	spec.files = (const char *const *)files.v;
	spec.n_files = files.n;
	spec.content = content;
	spec.n_content = (size_t)n;
	rc = optind == argc - 1 ? cd_iso_write(argv[optind], &spec, err) : usage();
out:
	for (int i = 0; i < argc; i++)
		buf_free(&bodies[i]);
	free(bodies);
	free(content);
	strv_free(&files);
	return rc;
}

static int cmd_generate(int argc, char **argv, struct kiln_error *err)
{
	struct nocloud_defaults d = {0};
	struct nocloud_seed seed = {0};
	struct buf key = BUF_INIT;
	const char *key_file = NULL;
	int rc = -1, opt;
	while ((opt = getopt(argc, argv, "n:u:k:i:")) != -1) {
		switch (opt) {
		case 'n': d.vm_name = optarg; break;
		case 'u': d.ssh_username = optarg; break;
		case 'k': key_file = optarg; break;
		case 'i': d.instance_id = optarg; break;
		default: return usage();
		}
	}
	if (optind != argc - 1 || !key_file)
		return usage();
	if (file_read_all(key_file, &key, err) < 0)
		goto out;
	d.ssh_public_key = buf_cstr(&key);
	if (nocloud_seed_generate(&d, &seed, err) < 0 || nocloud_seed_validate(&seed, err) < 0 ||
	    nocloud_write_cidata_iso(argv[optind], &seed, err) < 0)
		goto out;
	rc = 0;
out:
	nocloud_seed_free(&seed);
	buf_free(&key);
	return rc;
}

static int cmd_validate(int argc, char **argv, struct kiln_error *err)
{
	if (argc != 3)
		return usage();
	struct buf data = BUF_INIT;
	int rc = file_read_all(argv[2], &data, err);
	if (rc == 0)
		rc = nocloud_validate_file(argv[1], argv[2], buf_cstr(&data), data.len, err);
	buf_free(&data);
	return rc;
}

int main(int argc, char **argv)
{
	struct kiln_error err = ERR_INIT;
	int rc;
	if (argc < 2)
		return usage();
	const char *cmd = argv[1];
	argc--;
	argv++;
	if (strcmp(cmd, "iso") == 0) {
		rc = cmd_iso(argc, argv, &err);
	} else if (strcmp(cmd, "generate") == 0) {
		rc = cmd_generate(argc, argv, &err);
	} else if (strcmp(cmd, "validate") == 0) {
		rc = cmd_validate(argc, argv, &err);
	} else if (strcmp(cmd, "serial") == 0 && argc == 3) {
		char *s = nocloud_net_serial(argv[1], atoi(argv[2]));
		printf("%s\n", s);
		free(s);
		rc = 0;
	} else {
		rc = usage();
	}
	if (err_isset(&err)) {
		char *text = err_text(&err);
		fprintf(stderr, "cidata-tool: %s\n", text);
		if (err.hint)
			fprintf(stderr, "hint: %s\n", err.hint);
		free(text);
	}
	err_clear(&err);
	return rc == 0 ? 0 : rc == 2 ? 2 : 1;
}
