/* aws-driver.c — drives src/cloud/aws from shell tests and bench/upload.sh the way amazon-import calls
 * it: credentials from the chain (environment, profiles, STS, metadata), endpoints from AWS_ENDPOINT_URL*,
 * region from AWS_REGION.
 *
 *   aws-driver put [-part-size N] [-threshold N] [-concurrency N] [-sse S] [-kms K] [-q] FILE BUCKET KEY
 *   aws-driver delete BUCKET KEY
 *   aws-driver abort BUCKET KEY UPLOAD_ID
 *   aws-driver creds          print where the credentials came from (never a secret)
 *
 * put prints "parts N retries N bytes N seconds S MB/s R" (and "etag E"); on failure "error: ..." on
 * stderr, exit 1, and for an aborted multipart upload "abort: ok" or "abort: failed: why". */
#include "cloud/aws/creds.h"
#include "cloud/aws/http.h"
#include "cloud/aws/s3.h"
#include "ui/ui.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(struct kiln_error *e)
{
	char *t = err_text(e);
	fprintf(stderr, "error: %s\n", t);
	if (e->hint)
		fprintf(stderr, "hint: %s\n", e->hint);
	free(t);
	return 1;
}

static int setup(struct aws_client *c, struct kiln_error *err)
{
	aws_client_init(c);
	aws_endpoints_from_env(&c->endpoints, NULL);
	const char *r = getenv("AWS_REGION");
	c->region = xstrdup(r && *r ? r : "us-east-1");
	const char *base = getenv("KILN_AWS_RETRY_BASE_MS");
	if (base)
		c->retry_base_ms = atol(base);
	struct aws_creds_opts o = {.region = c->region, .endpoints = &c->endpoints};
	return aws_creds_provider_new(&o, &c->creds, err);
}

static void progress(void *arg, uint64_t done, uint64_t total)
{
	struct ui_progress *p = arg;
	ui_progress_set_total(p, total);
	ui_progress_update(p, done);
}

int main(int argc, char **argv)
{
	sig_setup();
	log_init_from_env();
	struct aws_client c;
	struct kiln_error err = ERR_INIT;
	if (argc < 2) {
		fprintf(stderr, "usage: aws-driver put|delete|abort|creds ...\n");
		return 2;
	}
	const char *cmd = argv[1];
	struct aws_s3_put_opts o = {0};
	bool quiet = false;
	int i = 2;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-q") == 0)
			quiet = true;
		else if (i + 1 < argc && strcmp(argv[i], "-part-size") == 0)
			o.part_size = strtoull(argv[++i], NULL, 10);
		else if (i + 1 < argc && strcmp(argv[i], "-threshold") == 0)
			o.multipart_threshold = strtoull(argv[++i], NULL, 10);
		else if (i + 1 < argc && strcmp(argv[i], "-concurrency") == 0)
			o.concurrency = atoi(argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "-sse") == 0)
			o.sse = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "-kms") == 0)
			o.sse_kms_key = argv[++i];
		else {
			fprintf(stderr, "aws-driver: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (setup(&c, &err) < 0)
		return fail(&err);
	int rc = 0;
	if (strcmp(cmd, "creds") == 0) {
		printf("source: %s\n", aws_creds_provider_source(c.creds));
	} else if (strcmp(cmd, "put") == 0 && argc - i == 3) {
		struct ui_progress *p = quiet ? NULL : ui_progress_start(ui_global(), "Uploading", 0);
		o.progress = p ? progress : NULL;
		o.progress_arg = p;
		struct aws_s3_put_result res;
		int64_t t0 = time_mono_ns();
		int r = aws_s3_put_file(&c, argv[i + 1], argv[i + 2], argv[i], &o, &res, &err);
		double secs = (double)(time_mono_ns() - t0) / 1e9;
		ui_progress_finish(p);
		if (r < 0) {
			if (res.upload_id)
				printf("abort: %s%s\n", res.aborted ? "ok" : "failed: ", res.aborted ? "" : res.abort_error);
			fflush(stdout);
			rc = fail(&err);
		} else {
			printf("parts %d retries %d bytes %llu seconds %.3f MB/s %.1f\netag %s\n", res.parts, res.retries,
			       (unsigned long long)res.bytes, secs, (double)res.bytes / 1e6 / (secs > 0 ? secs : 1),
			       res.etag ? res.etag : "");
		}
		aws_s3_put_result_free(&res);
	} else if (strcmp(cmd, "delete") == 0 && argc - i == 2) {
		if (aws_s3_delete(&c, argv[i], argv[i + 1], &err) < 0)
			rc = fail(&err);
	} else if (strcmp(cmd, "abort") == 0 && argc - i == 3) {
		if (aws_s3_abort(&c, argv[i], argv[i + 1], argv[i + 2], &err) < 0)
			rc = fail(&err);
	} else {
		fprintf(stderr, "aws-driver: bad arguments\n");
		rc = 2;
	}
	aws_client_free(&c);
	err_clear(&err);
	return rc;
}
