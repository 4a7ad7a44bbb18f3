/* s3.h — the S3 calls of an import: a file uploaded straight from disk (PutObject up to the multipart
 * threshold, else a multipart upload with several parts in flight on one libcurl multi handle), each
 * part's body signed in aws-chunked form as it streams (no second read of the file to hash it), each
 * part retried with backoff; on a failure or Ctrl-C the multipart upload is aborted, so nothing is left
 * billed in the bucket; and the object's deletion.
 *
 * Addressing: virtual-hosted (https://BUCKET.s3.REGION.amazonaws.com/KEY) against AWS, path-style
 * (ENDPOINT/BUCKET/KEY) when the endpoint is an IP address or has a port, or the bucket name cannot be a
 * host name. */
#ifndef KILN_CLOUD_AWS_S3_H
#define KILN_CLOUD_AWS_S3_H

#include <stdbool.h>
#include <stdint.h>

#include "cloud/aws/http.h"
#include "util/error.h"

#define AWS_S3_MULTIPART_THRESHOLD (8ull << 20)   /* as the AWS CLI */
#define AWS_S3_MIN_PART (8ull << 20)
#define AWS_S3_MAX_PARTS 10000
#define AWS_S3_MAX_OBJECT (5ull << 40)

struct aws_s3_put_opts {
	const char *sse;              /* server-side encryption (AES256 or aws:kms), NULL: none */
	const char *sse_kms_key;      /* with "aws:kms" (NULL: S3's default key) */
	uint64_t multipart_threshold; /* 0: AWS_S3_MULTIPART_THRESHOLD */
	uint64_t part_size;           /* 0: AWS_S3_MIN_PART, grown so the file fits in 10,000 parts */
	int concurrency;              /* parts in flight; 0: 8 */
	/* progress: bytes of the file sent so far (called from the uploading thread) */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
};

struct aws_s3_put_result {
	bool multipart;
	int parts;
	int retries;               /* part or request attempts that were repeated */
	uint64_t bytes;
	char *etag;
	char *error_code;          /* AWS's code for the failure (SignatureDoesNotMatch, ...), or NULL */
	/* after a failed multipart upload: what the abort did */
	char *upload_id;           /* the upload that was started (NULL when none) */
	bool aborted;              /* AbortMultipartUpload succeeded */
	char *abort_error;         /* why it did not (AWS's code and message), or NULL */
};
void aws_s3_put_result_free(struct aws_s3_put_result *r);

/* The part size for a file of `size` bytes: at least `min`, a whole number of MiB, and small enough
 * that 10,000 parts hold it. */
uint64_t aws_s3_part_size(uint64_t size, uint64_t min);

/* Upload `path` to s3://bucket/key. On failure (or cancellation: ERR_CANCELLED) a started multipart
 * upload has been aborted, and res says how that went. */
int aws_s3_put_file(struct aws_client *c, const char *bucket, const char *key, const char *path,
		    const struct aws_s3_put_opts *o, struct aws_s3_put_result *res, struct kiln_error *err);
/* DeleteObject. Runs even after Ctrl-C (it is cleanup). */
int aws_s3_delete(struct aws_client *c, const char *bucket, const char *key, struct kiln_error *err);
/* AbortMultipartUpload. Runs even after Ctrl-C. */
int aws_s3_abort(struct aws_client *c, const char *bucket, const char *key, const char *upload_id,
		 struct kiln_error *err);

/* Where requests for bucket/key go: the endpoint (caller frees with aws_endpoint_free) and the path
 * as sent. */
int aws_s3_target(const struct aws_client *c, const char *bucket, const char *key, struct aws_endpoint *ep,
		  char **path, struct kiln_error *err);

#endif
