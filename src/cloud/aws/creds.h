/* creds.h — AWS credentials and where they come from, in the AWS SDKs' order:
 *
 *   1. the template's keys (access_key, secret_key, token);
 *   2. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN;
 *   3. the shared files for `profile` (else AWS_PROFILE, else "default"): AWS_SHARED_CREDENTIALS_FILE
 *      (~/.aws/credentials) and AWS_CONFIG_FILE (~/.aws/config) — static keys, `credential_process`,
 *      `role_arn` with `source_profile` or `credential_source` (STS AssumeRole), `web_identity_token_file`;
 *   4. AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN (STS AssumeRoleWithWebIdentity: CI's OIDC tokens);
 *   5. the EC2 instance metadata service, with IMDSv2 session tokens.
 *
 * The first source that has credentials wins; one that is configured but fails (a role that cannot be
 * assumed, a process that exits non-zero) is an error, not a reason to try the next. Temporary
 * credentials are refreshed before they expire. Every secret is registered with the UI's masking
 * (ui_secret_add) the moment it is read, and never logged. */
#ifndef KILN_CLOUD_AWS_CREDS_H
#define KILN_CLOUD_AWS_CREDS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"
#include "util/strv.h"

struct aws_creds {
	char *access_key_id;
	char *secret_access_key;
	char *session_token;     /* NULL when none */
	int64_t expiration;      /* Unix seconds; 0: does not expire */
};

void aws_creds_copy(struct aws_creds *dst, const struct aws_creds *src);
/* Frees and wipes the secrets. */
void aws_creds_clear(struct aws_creds *c);

/* Packer's `assume_role { ... }` block, applied to whatever the chain found. */
struct aws_assume_role {
	char *role_arn;
	char *session_name;
	char *external_id;
	int duration_seconds;         /* 0: STS's default (1 hour) */
	char *policy;                 /* a JSON policy document */
	struct strv policy_arns;
	struct strv tags;             /* "Key=Value" */
	struct strv transitive_tag_keys;
	char *mfa_serial;             /* a profile's mfa_serial, with the code given as mfa_code */
	char *mfa_code;
};

struct aws_endpoints;

/* Where to look, from the template and the environment. */
struct aws_creds_opts {
	const char *access_key, *secret_key, *token;   /* the template's keys (NULL when unset) */
	const char *profile;                           /* `profile`, else AWS_PROFILE */
	const char *shared_credentials_file;           /* `shared_credentials_file` */
	const char *region;                            /* for STS */
	const struct aws_assume_role *assume_role;     /* NULL when none */
	bool skip_metadata;                            /* `skip_metadata_api_check` */
	bool insecure;                                 /* `insecure_skip_tls_verify` (STS) */
	const struct aws_endpoints *endpoints;         /* STS and IMDS endpoints */
	const char *mfa_code;                          /* `mfa_code`: for a profile with mfa_serial */
};

struct aws_creds_provider;

/* Find the first source with credentials and read them (this may call STS, run a process or ask the
 * metadata service). *source describes it for messages ("environment (AWS_ACCESS_KEY_ID)",
 * "shared credentials file ~/.aws/credentials, profile \"ci\""). */
int aws_creds_provider_new(const struct aws_creds_opts *opts, struct aws_creds_provider **out,
			   struct kiln_error *err);
/* The current credentials, refreshed first when they expire within 5 minutes (or now, with force:
 * after AWS answered ExpiredToken). out is a copy: aws_creds_clear() it. */
int aws_creds_provider_get(struct aws_creds_provider *p, bool force, struct aws_creds *out, struct kiln_error *err);
/* Can force-refreshing give different credentials (temporary ones from STS, IMDS or a process)? */
bool aws_creds_provider_refreshable(const struct aws_creds_provider *p);
const char *aws_creds_provider_source(const struct aws_creds_provider *p);
void aws_creds_provider_free(struct aws_creds_provider *p);

/* The region from the profile (config file `region`), for the region chain; NULL when none. Caller
 * frees. */
char *aws_profile_region(const char *profile, struct kiln_error *err);

/* Split a credential_process command line as a POSIX shell would split words (quotes, backslashes;
 * no expansion), as the AWS SDKs do; -1 on an unterminated quote. */
int aws_split_command(const char *cmd, struct strv *argv, struct kiln_error *err);

/* Parse credential_process output (or the metadata service's JSON: the same keys, without Version).
 * need_version: the process form, which must say "Version": 1. */
int aws_creds_parse_json(const char *text, size_t len, bool need_version, struct aws_creds *out,
			 struct kiln_error *err);

/* An ISO 8601 / RFC 3339 UTC time ("2025-01-02T03:04:05Z", fractions allowed) as Unix seconds. */
int aws_parse_time(const char *s, int64_t *out);

#endif
