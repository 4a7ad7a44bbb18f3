/* amazon_import.c — the `amazon-import` post-processor: the artifact's disk uploaded to S3 and imported
 * into an AMI, with Packer's keys and Packer's order of calls (S3 upload, ImportImage, waiting, CopyImage
 * to rename, tags on the AMI and its snapshots, ModifyImageAttribute, the S3 object deleted), and beyond
 * Packer: the snapshot path (ImportSnapshot + RegisterImage: no OS inspection by AWS, arm64 and UEFI),
 * copies to more regions (ami_regions), a task that fails ends the build at once with AWS's message,
 * and a failure or Ctrl-C leaves nothing behind (the upload aborted, the task cancelled, AMIs and
 * snapshots of this run removed, the S3 object deleted). The AWS client is src/cloud/aws/. */
#include "cloud/aws/creds.h"
#include "cloud/aws/ec2.h"
#include "cloud/aws/http.h"
#include "cloud/aws/s3.h"
#include "component.h"
#include "image/image.h"
#include "postprocessor/common.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define BUILDER_ID "packer.post-processor.amazon-import"

/* ------------------------------------------------------------------------------------------------
 * Schema */

static const struct kiln_attr assume_role_attrs[] = {
	{.name = "role_arn", .type = "string", .flags = KILN_ATTR_REQUIRED,
	 .doc = "the role to assume with the credentials found"},
	{.name = "session_name", .type = "string", .default_doc = "\"kiln-<time>\"", .doc = "the role session's name"},
	{.name = "external_id", .type = "string", .doc = "the external id the role's trust policy asks for"},
	{.name = "duration_seconds", .type = "number", .range = KILN_RANGE(900, 43200), .default_doc = "STS's: 3600",
	 .doc = "how long the role's credentials last (they are refreshed before they expire)"},
	{.name = "policy", .type = "string", .doc = "a session policy (JSON) that narrows the role"},
	{.name = "policy_arns", .type = "list(string)", .doc = "managed policies that narrow the role"},
	{.name = "tags", .type = "map(string)", .doc = "session tags"},
	{.name = "transitive_tag_keys", .type = "list(string)", .doc = "session tags that pass on to roles assumed after this one"},
	{.name = NULL},
};
static const struct kiln_schema assume_role_schema = {assume_role_attrs, NULL};

static const struct kiln_attr polling_attrs[] = {
	{.name = "delay_seconds", .type = "number", .range = KILN_RANGE(0, 86400),
	 .default_doc = "AWS_POLL_DELAY_SECONDS, else 5 (import) and 15 (AMI)", .doc = "seconds between two polls"},
	{.name = "max_attempts", .type = "number", .range = KILN_RANGE(0, 1000000),
	 .default_doc = "AWS_MAX_ATTEMPTS, else 720 (import) and 120 (AMI)", .doc = "polls before giving up"},
	{.name = NULL},
};
static const struct kiln_schema polling_schema = {polling_attrs, NULL};

#define VAULT_DOC                                                                                   \
	"vault_aws_engine is not supported by kiln: read the credentials from Vault first (vault read " \
	"aws/creds/ROLE) and pass them as AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, "   \
	"or use a credential_process"
static const struct kiln_attr vault_attrs[] = {
	{.name = "name", .type = "string", .flags = KILN_ATTR_UNSUPPORTED, .doc = VAULT_DOC},
	{.name = "engine_name", .type = "string", .flags = KILN_ATTR_UNSUPPORTED, .doc = VAULT_DOC},
	{.name = "role_arn", .type = "string", .flags = KILN_ATTR_UNSUPPORTED, .doc = VAULT_DOC},
	{.name = "ttl", .type = "string", .flags = KILN_ATTR_UNSUPPORTED, .doc = VAULT_DOC},
	{.name = NULL},
};
static const struct kiln_schema vault_schema = {vault_attrs, NULL};

/* AWS's one value for tpm_support and imds_support */
#define VERSION_2 KILN_VALUES("v2.0")

static const struct kiln_attr ai_attrs[] = {
	/* where the disk goes */
	{.name = "s3_bucket_name", .type = "string", .flags = KILN_ATTR_REQUIRED,
	 .doc = "the bucket the disk is uploaded to (in `region`)"},
	{.name = "s3_key_name", .type = "string", .flags = KILN_ATTR_TEMPLATE,
	 .default_doc = "\"packer-import-{{timestamp}}.<format>\"", .doc = "the object's key"},
	{.name = "s3_encryption", .type = "string", .allowed = KILN_VALUES("AES256", "aws:kms"),
	 .doc = "server-side encryption of the object"},
	{.name = "s3_encryption_key", .type = "string", .doc = "with aws:kms: the KMS key (S3's default key when unset)"},
	{.name = "skip_clean", .type = "bool", .def = "false", .doc = "keep the S3 object after the import"},
	{.name = "format", .type = "string", .allowed = KILN_VALUES("ova", "raw", "vmdk", "vhd", "vhdx"),
	 .default_doc = "\"ova\" (\"vmdk\" for the snapshot path)",
	 .doc = "the disk format uploaded (converted when the build did not export it)"},
	/* how it is imported */
	{.name = "import_method", .type = "string", .allowed = KILN_VALUES("image", "snapshot"),
	 .default_doc = "\"image\" (\"snapshot\" for arm64)",
	 .doc = "kiln: ImportImage (AWS inspects the OS) or ImportSnapshot + RegisterImage"},
	{.name = "role_name", .type = "string", .default_doc = "AWS's: \"vmimport\"", .doc = "the VM Import service role"},
	{.name = "license_type", .type = "string", .doc = "image path: \"AWS\" or \"BYOL\""},
	{.name = "architecture", .type = "string", .allowed = KILN_VALUES("i386", "x86_64", "arm64"),
	 .default_doc = "\"x86_64\"", .doc = "the disk's architecture"},
	{.name = "boot_mode", .type = "string", .allowed = KILN_VALUES("legacy-bios", "uefi", "uefi-preferred"),
	 .default_doc = "\"legacy-bios\" (\"uefi\" for arm64)",
	 .doc = "how instances boot (uefi-preferred: the snapshot path only)"},
	{.name = "platform", .type = "string", .allowed = KILN_VALUES("linux", "windows"),
	 .doc = "image path: the OS (required with boot_mode = uefi)"},
	{.name = "tpm_support", .type = "string", .allowed = VERSION_2,
	 .doc = "kiln, snapshot path: a virtual TPM (needs boot_mode = uefi)"},
	/* the AMI */
	{.name = "ami_name", .type = "string", .flags = KILN_ATTR_TEMPLATE,
	 .default_doc = "the import task's id (image path), \"packer-import-{{timestamp}}\" (snapshot path)",
	 .doc = "the AMI's name: the image path copies the imported AMI to it, the snapshot path registers it"},
	{.name = "ami_description", .type = "string", .doc = "the AMI's description"},
	{.name = "ami_users", .type = "list(string)", .doc = "accounts that may launch the AMI"},
	{.name = "ami_groups", .type = "list(string)", .doc = "groups that may launch the AMI (\"all\": public)"},
	{.name = "ami_org_arns", .type = "list(string)", .doc = "organizations that may launch the AMI"},
	{.name = "ami_ou_arns", .type = "list(string)", .doc = "organizational units that may launch the AMI"},
	{.name = "ami_encrypt", .type = "bool", .def = "false", .doc = "encrypt the AMI's snapshots"},
	{.name = "ami_kms_key", .type = "string",
	 .doc = "with ami_encrypt: the KMS key (the account's default EBS key when unset)"},
	{.name = "ami_regions", .type = "list(string)", .doc = "kiln: copy the AMI to these regions too"},
	{.name = "imds_support", .type = "string", .allowed = VERSION_2,
	 .doc = "instances from the AMI must use IMDSv2"},
	{.name = "tags", .type = "map(string)", .doc = "tags on the AMI and its snapshots, in every region"},
	/* access */
	{.name = "access_key", .type = "string", .flags = KILN_ATTR_SENSITIVE,
	 .doc = "AWS access key id (see the credential chain)"},
	{.name = "secret_key", .type = "string", .flags = KILN_ATTR_SENSITIVE, .doc = "AWS secret access key"},
	{.name = "token", .type = "string", .flags = KILN_ATTR_SENSITIVE, .doc = "AWS session token"},
	{.name = "profile", .type = "string", .default_doc = "AWS_PROFILE, else \"default\"",
	 .doc = "the profile of the shared files"},
	{.name = "shared_credentials_file", .type = "string",
	 .default_doc = "AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials", .doc = "the shared credentials file"},
	{.name = "region", .type = "string", .default_doc = "AWS_REGION, AWS_DEFAULT_REGION, the profile's",
	 .doc = "the region of the import"},
	{.name = "custom_endpoint_ec2", .type = "string",
	 .doc = "an EC2 endpoint URL (used for S3 too unless AWS_ENDPOINT_URL_S3 is set)"},
	{.name = "insecure_skip_tls_verify", .type = "bool", .def = "false",
	 .doc = "do not verify the endpoints' TLS certificates"},
	{.name = "skip_metadata_api_check", .type = "bool", .def = "false",
	 .doc = "never ask the EC2 instance metadata service for credentials"},
	{.name = "skip_credential_validation", .type = "bool", .flags = KILN_ATTR_IGNORED,
	 .doc = "kiln does not call STS to check credentials before using them"},
	{.name = "skip_region_validation", .type = "bool", .flags = KILN_ATTR_IGNORED,
	 .doc = "kiln does not check region names against a list"},
	{.name = "max_retries", .type = "number", .def = "10", .range = KILN_RANGE(0, 100),
	 .doc = "attempts after the first for a throttled or failed call"},
	{.name = "mfa_code", .type = "string", .flags = KILN_ATTR_SENSITIVE,
	 .doc = "the MFA code for a profile with mfa_serial"},
	{.name = "decode_authorization_messages", .type = "bool", .def = "false",
	 .doc = "not supported by kiln (an error when true)"},
	{.name = "assume_role", .flags = KILN_ATTR_BLOCK, .doc = "assume this role with the credentials found",
	 .block = &assume_role_schema},
	{.name = "aws_polling", .flags = KILN_ATTR_BLOCK, .doc = "how often and how long to poll AWS",
	 .block = &polling_schema},
	{.name = "vault_aws_engine", .flags = KILN_ATTR_BLOCK | KILN_ATTR_UNSUPPORTED, .doc = VAULT_DOC,
	 .block = &vault_schema},
	{.name = NULL},
};

static const struct kiln_schema ai_schema = {ai_attrs, NULL};

/* ------------------------------------------------------------------------------------------------
 * Configuration */

enum method { METHOD_IMAGE, METHOD_SNAPSHOT };

struct ai_pp {
	char *access_key, *secret_key, *token, *profile, *shared_credentials_file, *region, *custom_endpoint_ec2;
	char *mfa_code;
	bool insecure, skip_metadata;
	int max_retries;
	struct aws_assume_role role;
	bool have_role;
	int poll_delay, poll_attempts;      /* aws_polling; 0: unset */
	char *bucket, *key_tmpl, *sse, *sse_key;
	bool skip_clean;
	char *format;
	enum method method;
	char *role_name, *license_type, *architecture, *boot_mode, *platform, *tpm_support;
	char *ami_name, *ami_description, *kms_key, *imds_support;
	bool encrypt;
	struct strv users, groups, org_arns, ou_arns, regions;
	struct strv tag_keys, tag_values;   /* sorted by key */
};

static char *opt_str(const struct kiln_config *cfg, const char *key)
{
	const char *v = kiln_config_string(cfg, key);
	return v && *v ? xstrdup(v) : NULL;
}

static void ai_free(struct ai_pp *p)
{
	if (!p)
		return;
	free(p->access_key);
	free(p->secret_key);
	free(p->token);
	free(p->profile);
	free(p->shared_credentials_file);
	free(p->region);
	free(p->custom_endpoint_ec2);
	free(p->mfa_code);
	free(p->role.role_arn);
	free(p->role.session_name);
	free(p->role.external_id);
	free(p->role.policy);
	strv_free(&p->role.policy_arns);
	strv_free(&p->role.tags);
	strv_free(&p->role.transitive_tag_keys);
	free(p->bucket);
	free(p->key_tmpl);
	free(p->sse);
	free(p->sse_key);
	free(p->format);
	free(p->role_name);
	free(p->license_type);
	free(p->architecture);
	free(p->boot_mode);
	free(p->platform);
	free(p->tpm_support);
	free(p->ami_name);
	free(p->ami_description);
	free(p->kms_key);
	free(p->imds_support);
	strv_free(&p->users);
	strv_free(&p->groups);
	strv_free(&p->org_arns);
	strv_free(&p->ou_arns);
	strv_free(&p->regions);
	strv_free(&p->tag_keys);
	strv_free(&p->tag_values);
	free(p);
}

static bool one_of(const char *v, const char *const *allowed)
{
	for (size_t i = 0; allowed[i]; i++)
		if (strcmp(v, allowed[i]) == 0)
			return true;
	return false;
}

/* Check a key against its allowed values (when set and known). */
static int check_enum(const struct kiln_config *cfg, const char *key, const char *v, const char *const *allowed,
		      struct kiln_error *err)
{
	if (!v || one_of(v, allowed))
		return 0;
	struct buf b = BUF_INIT;
	for (size_t i = 0; allowed[i]; i++)
		buf_printf(&b, "%s\"%s\"", i ? ", " : "", allowed[i]);
	kiln_config_error(cfg, key, err, "invalid %s \"%s\": use one of %s", key, v, buf_cstr(&b));
	buf_free(&b);
	return -1;
}

static void sorted_map(const struct kiln_config *cfg, const char *key, struct strv *keys, struct strv *values)
{
	size_t n = kiln_config_map_len(cfg, key);
	size_t *idx = xcalloc(n ? n : 1, sizeof *idx);
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	/* insertion sort by key: tag maps are small */
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && strcmp(kiln_config_map_key(cfg, key, idx[k - 1]),
						   kiln_config_map_key(cfg, key, idx[k])) > 0; k--) {
			size_t t = idx[k];
			idx[k] = idx[k - 1];
			idx[k - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		strv_push(keys, kiln_config_map_key(cfg, key, idx[i]));
		strv_push(values, kiln_config_map_string(cfg, key, idx[i]));
	}
	free(idx);
}

static int ai_prepare(const struct kiln_config *cfg, void **instance, struct strv *warnings, struct kiln_error *err)
{
	struct ai_pp *p = xcalloc(1, sizeof *p);
	/* the schema checks each key's values; these are the rules between keys, Packer's and kiln's */
	static const char *const snapshot_formats[] = {"raw", "vmdk", "vhd", NULL};

	/* every key is read first, so that a rule between keys below can fail without skipping any */
	const char *key = kiln_config_string(cfg, "s3_key_name");
	const char *method = kiln_config_string(cfg, "import_method");
	const char *fmt = kiln_config_string(cfg, "format");
	p->access_key = opt_str(cfg, "access_key");
	p->secret_key = opt_str(cfg, "secret_key");
	p->token = opt_str(cfg, "token");
	p->profile = opt_str(cfg, "profile");
	p->shared_credentials_file = opt_str(cfg, "shared_credentials_file");
	p->region = opt_str(cfg, "region");
	p->custom_endpoint_ec2 = opt_str(cfg, "custom_endpoint_ec2");
	p->mfa_code = opt_str(cfg, "mfa_code");
	p->insecure = kiln_config_bool(cfg, "insecure_skip_tls_verify");
	p->skip_metadata = kiln_config_bool(cfg, "skip_metadata_api_check");
	p->max_retries = (int)kiln_config_int(cfg, "max_retries");
	p->bucket = opt_str(cfg, "s3_bucket_name");
	p->sse = opt_str(cfg, "s3_encryption");
	p->sse_key = opt_str(cfg, "s3_encryption_key");
	p->skip_clean = kiln_config_bool(cfg, "skip_clean");
	p->role_name = opt_str(cfg, "role_name");
	p->license_type = opt_str(cfg, "license_type");
	p->architecture = opt_str(cfg, "architecture");
	p->boot_mode = opt_str(cfg, "boot_mode");
	p->platform = opt_str(cfg, "platform");
	p->tpm_support = opt_str(cfg, "tpm_support");
	p->ami_name = opt_str(cfg, "ami_name");
	p->ami_description = opt_str(cfg, "ami_description");
	p->kms_key = opt_str(cfg, "ami_kms_key");
	p->imds_support = opt_str(cfg, "imds_support");
	p->encrypt = kiln_config_bool(cfg, "ami_encrypt");
	kiln_config_list_strv(cfg, "ami_users", &p->users);
	kiln_config_list_strv(cfg, "ami_groups", &p->groups);
	kiln_config_list_strv(cfg, "ami_org_arns", &p->org_arns);
	kiln_config_list_strv(cfg, "ami_ou_arns", &p->ou_arns);
	kiln_config_list_strv(cfg, "ami_regions", &p->regions);
	sorted_map(cfg, "tags", &p->tag_keys, &p->tag_values);

	if (kiln_config_bool(cfg, "decode_authorization_messages")) {
		kiln_config_error(cfg, "decode_authorization_messages", err,
				  "decode_authorization_messages is not supported by kiln");
		err_hint(err, "decode a message with: aws sts decode-authorization-message --encoded-message ...");
		goto fail;
	}
	if (kiln_config_block_count(cfg, "assume_role") > 0) {
		const struct kiln_config *b = kiln_config_block(cfg, "assume_role", 0);
		p->have_role = true;
		p->role.role_arn = opt_str(b, "role_arn");
		p->role.session_name = opt_str(b, "session_name");
		p->role.external_id = opt_str(b, "external_id");
		p->role.policy = opt_str(b, "policy");
		p->role.duration_seconds = (int)kiln_config_int(b, "duration_seconds");
		kiln_config_list_strv(b, "policy_arns", &p->role.policy_arns);
		kiln_config_list_strv(b, "transitive_tag_keys", &p->role.transitive_tag_keys);
		struct strv k = STRV_INIT, v = STRV_INIT;
		sorted_map(b, "tags", &k, &v);
		for (size_t i = 0; i < k.n; i++)
			strv_pushf(&p->role.tags, "%s=%s", k.v[i], v.v[i]);
		strv_free(&k);
		strv_free(&v);
	}
	if (kiln_config_block_count(cfg, "aws_polling") > 0) {
		const struct kiln_config *b = kiln_config_block(cfg, "aws_polling", 0);
		p->poll_delay = (int)kiln_config_int(b, "delay_seconds");
		p->poll_attempts = (int)kiln_config_int(b, "max_attempts");
	}
	if (kiln_config_is_known(cfg, "access_key") && kiln_config_is_known(cfg, "secret_key") &&
	    (!p->access_key) != (!p->secret_key)) {
		kiln_config_error(cfg, p->access_key ? "access_key" : "secret_key", err,
				  "`access_key` and `secret_key` must both be either set or not set.");
		goto fail;
	}
	if (!p->bucket && kiln_config_is_known(cfg, "s3_bucket_name")) {
		kiln_config_error(cfg, "s3_bucket_name", err, "s3_bucket_name must be set");
		goto fail;
	}
	if (!method)
		method = "";
	bool arm = p->architecture && strcmp(p->architecture, "arm64") == 0;
	/* ImportImage refuses arm64 disks: the snapshot path is the default for them */
	p->method = strcmp(method, "snapshot") == 0 || (!*method && arm) ? METHOD_SNAPSHOT : METHOD_IMAGE;
	if (fmt && *fmt)
		p->format = xstrdup(fmt);
	else
		p->format = xstrdup(p->method == METHOD_SNAPSHOT ? "vmdk" : "ova");
	if (p->method == METHOD_IMAGE) {
		if (p->boot_mode && strcmp(p->boot_mode, "uefi-preferred") == 0) {
			kiln_config_error(cfg, "boot_mode", err, "boot_mode \"uefi-preferred\" is for import_method = "
				      "\"snapshot\": ImportImage takes legacy-bios or uefi");
			goto fail;
		}
		if (p->boot_mode && strcmp(p->boot_mode, "uefi") == 0 && !p->platform &&
		    kiln_config_is_known(cfg, "platform")) {
			kiln_config_error(cfg, "boot_mode", err,
					  "invalid platform '', 'platform' must be set for 'uefi' image imports");
			goto fail;
		}
		if (p->tpm_support) {
			kiln_config_error(cfg, "tpm_support", err, "tpm_support needs import_method = \"snapshot\"");
			err_hint(err, "ImportImage has no TPM setting; RegisterImage (the snapshot path) has");
			goto fail;
		}
	} else {
		if (check_enum(cfg, "format", p->format, snapshot_formats, err) < 0) {
			err_hint(err, "ImportSnapshot takes a disk, not a whole appliance: use format = \"vmdk\" (the smallest "
				      "upload), \"raw\" or \"vhd\"");
			goto fail;
		}
		if (p->license_type || p->platform) {
			kiln_config_error(cfg, p->license_type ? "license_type" : "platform", err,
					  "%s is for ImportImage: the snapshot path registers the AMI itself",
					  p->license_type ? "license_type" : "platform");
			goto fail;
		}
		if (p->tpm_support && !(p->boot_mode && strcmp(p->boot_mode, "uefi") == 0) && !arm) {
			kiln_config_error(cfg, "tpm_support", err, "tpm_support = \"v2.0\" needs boot_mode = \"uefi\"");
			goto fail;
		}
	}
	if (arm && p->boot_mode && strcmp(p->boot_mode, "legacy-bios") == 0) {
		kiln_config_error(cfg, "boot_mode", err, "invalid boot mode 'legacy-bios' for 'arm64' architecture");
		goto fail;
	}
	if (p->kms_key && !p->encrypt && kiln_config_is_known(cfg, "ami_encrypt")) {
		kiln_config_error(cfg, "ami_kms_key", err, "ami_kms_key needs ami_encrypt = true");
		goto fail;
	}
	p->key_tmpl = key && *key ? xstrdup(key) : xasprintf("packer-import-{{timestamp}}.%s", p->format);
	if (p->sse && strcmp(p->sse, "AES256") == 0 && p->sse_key)
		strv_pushf(warnings, "amazon-import: s3_encryption_key is ignored with s3_encryption = \"AES256\"");
	if (p->kms_key && p->regions.n)
		strv_pushf(warnings, "amazon-import: the copies in ami_regions are encrypted with each region's default "
				     "EBS key (ami_kms_key is a key of %s only)", p->region ? p->region : "the import's region");
	*instance = p;
	return 0;
fail:
	ai_free(p);
	return -1;
}

static void ai_destroy(void *instance)
{
	ai_free(instance);
}

/* ------------------------------------------------------------------------------------------------
 * What this run created, undone on failure or Ctrl-C */

struct made {
	char *region;
	char *image_id;      /* NULL: a lone snapshot */
	char *snapshot_id;
};

struct run {
	struct ai_pp *p;
	struct kiln_ctx *ctx;
	struct ui *ui;
	struct aws_client c;
	char *key;                 /* the rendered S3 key */
	char *converted_dir;       /* a temporary directory holding a converted disk */
	bool object_put;           /* the S3 object exists */
	char *task_id;             /* an import task that may still run */
	bool task_snapshot;
	struct made *made;         /* AMIs and snapshots of this run, in the order they came */
	size_t nmade, capmade;
	char *ami;                 /* the AMI in the home region */
	struct strv region_amis;   /* "region=ami", home region first */
};

static void remember(struct run *r, const char *region, const char *image, const char *snapshot)
{
	r->made = xgrow(r->made, &r->capmade, r->nmade + 1, sizeof *r->made);
	r->made[r->nmade++] = (struct made){xstrdup(region), image ? xstrdup(image) : NULL,
					    snapshot ? xstrdup(snapshot) : NULL};
}

static void forget_image(struct run *r, const char *image)
{
	for (size_t i = 0; i < r->nmade; i++) {
		if (r->made[i].image_id && strcmp(r->made[i].image_id, image) == 0) {
			free(r->made[i].region);
			free(r->made[i].image_id);
			free(r->made[i].snapshot_id);
			memmove(&r->made[i], &r->made[i + 1], (r->nmade - i - 1) * sizeof *r->made);
			r->nmade--;
			return;
		}
	}
}

static void warn_err(struct ui *ui, const char *what, struct kiln_error *e)
{
	char *m = err_text(e);
	ui_warn(ui, "%s: %s", what, m);
	free(m);
	err_clear(e);
}

/* Undo, newest first. Each step runs even after Ctrl-C; a step that fails is reported with what is
 * left, and the others still run. */
static void undo(struct run *r)
{
	struct kiln_error e = ERR_INIT;
	if (r->task_id) {
		ui_message(r->ui, "Cancelling import task %s", r->task_id);
		if (aws_ec2_cancel_import(&r->c, r->task_id, "kiln build failed or was cancelled", &e) < 0)
			warn_err(r->ui, "could not cancel the import task (cancel it with `aws ec2 cancel-import-task`)", &e);
	}
	for (size_t i = r->nmade; i-- > 0;) {
		struct made *m = &r->made[i];
		if (m->image_id) {
			ui_message(r->ui, "Deregistering AMI %s in %s and deleting its snapshots", m->image_id, m->region);
			if (aws_ec2_destroy_image(&r->c, m->region, m->image_id, &e) < 0)
				warn_err(r->ui, "could not remove an AMI of this build", &e);
		} else if (m->snapshot_id) {
			ui_message(r->ui, "Deleting snapshot %s in %s", m->snapshot_id, m->region);
			if (aws_ec2_delete_snapshot(&r->c, m->region, m->snapshot_id, &e) < 0)
				warn_err(r->ui, "could not delete a snapshot of this build", &e);
		}
	}
	if (r->object_put && !r->p->skip_clean) {
		ui_message(r->ui, "Deleting import source s3://%s/%s", r->p->bucket, r->key);
		if (aws_s3_delete(&r->c, r->p->bucket, r->key, &e) < 0)
			warn_err(r->ui, "could not delete the uploaded disk", &e);
		else
			r->object_put = false;
	}
}

/* ------------------------------------------------------------------------------------------------
 * Hints for what AWS says */

static void hint_for(struct run *r, const char *code, const char *message, struct kiln_error *err)
{
	const char *msg = message ? message : "";
	const char *src = aws_creds_provider_source(r->c.creds);
	if (!code)
		return;
	if (strstr(msg, "service role") || strstr(msg, "vmimport")) {
		err_hint(err, "VM Import runs as the IAM role %s (role_name), which must exist, trust vmie.amazonaws.com "
			      "and read s3://%s: see docs/post-processors.md, \"The IAM role\"",
			 r->p->role_name ? r->p->role_name : "vmimport", r->p->bucket);
	} else if (strstr(msg, "not local to the region") || strstr(msg, "bucket") || strcmp(code, "PermanentRedirect") == 0) {
		err_hint(err, "the bucket must be in the import's region (%s)", r->c.region);
	} else if (strcmp(code, "UnauthorizedOperation") == 0 || strcmp(code, "AccessDenied") == 0) {
		err_hint(err, "the credentials from %s may not do this: see the permissions in docs/post-processors.md", src);
	} else if (strcmp(code, "SignatureDoesNotMatch") == 0 || strcmp(code, "AuthFailure") == 0 ||
		   strcmp(code, "InvalidClientTokenId") == 0 || strcmp(code, "InvalidAccessKeyId") == 0) {
		err_hint(err, "AWS did not accept the credentials from %s: check the secret key (and the clock)", src);
	} else if (aws_expired_code(code)) {
		err_hint(err, "the session token from %s has expired (or the clock is off): get fresh credentials", src);
	}
}

/* Wrap an AWS failure with Packer's context and a hint from the response's code. */
static int aws_failed(struct run *r, const struct aws_response *resp, struct kiln_error *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int aws_failed(struct run *r, const struct aws_response *resp, struct kiln_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *ctx = xvasprintf(fmt, ap);
	va_end(ap);
	err_wrap(err, "%s", ctx);
	free(ctx);
	if (resp && !err->hint)
		hint_for(r, resp->code, resp->message, err);
	return -1;
}

/* ------------------------------------------------------------------------------------------------
 * Polling, as Packer's waiters: delay and attempts from aws_polling, else AWS_POLL_DELAY_SECONDS and
 * AWS_MAX_ATTEMPTS (or the deprecated AWS_TIMEOUT_SECONDS), else the waiter's defaults. */

static int env_int(const char *name, int def)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return def;
	char *end;
	long n = strtol(v, &end, 10);
	return *end || n < 0 ? def : (int)n;
}

static void poll_params(const struct ai_pp *p, int def_delay, int def_attempts, long *delay_ms, int *attempts)
{
	int delay = p->poll_delay ? p->poll_delay : env_int("AWS_POLL_DELAY_SECONDS", -1);
	int n = p->poll_attempts ? p->poll_attempts : env_int("AWS_MAX_ATTEMPTS", -1);
	int timeout = env_int("AWS_TIMEOUT_SECONDS", -1);
	if (n < 0 && timeout > 0)
		n = timeout / (delay > 0 ? delay : 2);
	*delay_ms = (delay >= 0 ? delay : def_delay) * 1000L;
	*attempts = n > 0 ? n : def_attempts;
}

static bool unsupported_os(const char *m)
{
	return strcasestr(m, "Unsupported kernel") || strcasestr(m, "Unknown OS") || strcasestr(m, "Unsupported OS") ||
	       strcasestr(m, "unsupported operating system") || strcasestr(m, "No valid operating system");
}

/* Wait for the import task; shows its status as it changes. */
static int wait_task(struct run *r, bool snapshot, struct aws_import_task *done, struct kiln_error *err)
{
	long delay;
	int attempts;
	poll_params(r->p, 5, 720, &delay, &attempts);
	char *last = NULL;
	for (int i = 1;; i++) {
		struct aws_import_task t;
		if (aws_ec2_describe_import(&r->c, snapshot, r->task_id, &t, err) < 0)
			return err_wrap(err, "Failed to find import task %s", r->task_id);
		char *now = xasprintf("%s%s%s%s%s%s", t.status, *t.message ? ": " : "", t.message,
				      *t.progress ? " (" : "", t.progress, *t.progress ? "%)" : "");
		if (!last || strcmp(last, now) != 0)
			ui_message(r->ui, "Import task %s: %s", r->task_id, now);
		free(last);
		last = now;
		if (strcmp(t.status, "completed") == 0) {
			*done = t;
			free(last);
			return 0;
		}
		if (strcmp(t.status, "deleting") == 0 || strcmp(t.status, "deleted") == 0) {
			/* the task will not finish: say why now rather than wait out the timeout (packer #6743) */
			err_set(err, "Import task %s failed with status message: %s", r->task_id,
				*t.message ? t.message : t.status);
			if (unsupported_os(t.message))
				err_hint(err, "ImportImage inspects the OS and rejects kernels and distributions it does not "
					      "know; import_method = \"snapshot\" imports the disk as it is");
			else if (strcasestr(t.message, "S3") || strcasestr(t.message, "disk image"))
				err_hint(err, "check that the role %s can read s3://%s/%s",
					 r->p->role_name ? r->p->role_name : "vmimport", r->p->bucket, r->key);
			free(r->task_id);
			r->task_id = NULL;  /* nothing left to cancel */
			aws_import_task_free(&t);
			free(last);
			return -1;
		}
		aws_import_task_free(&t);
		if (i >= attempts) {
			free(last);
			err_set_kind(err, ERR_TIMEOUT, "import task %s did not complete after %d polls", r->task_id, attempts);
			err_hint(err, "wait longer with aws_polling { max_attempts = N } or AWS_MAX_ATTEMPTS");
			return -1;
		}
		if (sleep_cancellable_ms(delay) < 0) {
			free(last);
			return err_set_kind(err, ERR_CANCELLED, "cancelled while waiting for import task %s", r->task_id);
		}
	}
}

/* Wait for an AMI to be available (CopyImage, RegisterImage). */
static int wait_image(struct run *r, const char *region, const char *image_id, struct kiln_error *err)
{
	long delay;
	int attempts;
	poll_params(r->p, 15, 120, &delay, &attempts);
	for (int i = 1;; i++) {
		struct aws_image img;
		if (aws_ec2_describe_image(&r->c, region, image_id, &img, err) < 0)
			return err_wrap(err, "Error waiting for AMI (%s)", image_id);
		bool ok = strcmp(img.state, "available") == 0;
		bool failed = strcmp(img.state, "failed") == 0 || strcmp(img.state, "error") == 0 ||
			      strcmp(img.state, "invalid") == 0 || strcmp(img.state, "deregistered") == 0;
		if (failed)
			err_set(err, "AMI %s in %s is %s%s%s", image_id, region, img.state, *img.state_reason ? ": " : "",
				img.state_reason);
		aws_image_free(&img);
		if (ok)
			return 0;
		if (failed)
			return -1;
		if (i >= attempts) {
			err_set_kind(err, ERR_TIMEOUT, "AMI %s in %s is not available after %d polls", image_id, region, attempts);
			err_hint(err, "wait longer with aws_polling { max_attempts = N } or AWS_MAX_ATTEMPTS");
			return -1;
		}
		if (sleep_cancellable_ms(delay) < 0)
			return err_set_kind(err, ERR_CANCELLED, "cancelled while waiting for AMI %s", image_id);
	}
}

/* ------------------------------------------------------------------------------------------------
 * The steps */

static int setup_client(struct run *r, struct kiln_error *err)
{
	struct ai_pp *p = r->p;
	aws_client_init(&r->c);
	aws_endpoints_from_env(&r->c.endpoints, p->custom_endpoint_ec2);
	r->c.insecure = p->insecure;
	r->c.max_retries = p->max_retries;
	const char *base = getenv("KILN_AWS_RETRY_BASE_MS");  /* tests: no half-second waits */
	if (base && *base)
		r->c.retry_base_ms = atol(base);
	/* the region: the key, the environment, the profile */
	const char *reg = p->region;
	if (!reg)
		reg = getenv("AWS_REGION");
	if (!reg || !*reg)
		reg = getenv("AWS_DEFAULT_REGION");
	if (reg && *reg) {
		r->c.region = xstrdup(reg);
	} else {
		struct kiln_error e = ERR_INIT;
		r->c.region = aws_profile_region(p->profile, &e);
		err_clear(&e);
	}
	if (!r->c.region) {
		err_set_kind(err, ERR_INVALID, "amazon-import: no region");
		err_hint(err, "set region, AWS_REGION or a region in the profile of ~/.aws/config");
		return -1;
	}
	struct aws_creds_opts o = {
		.access_key = p->access_key,
		.secret_key = p->secret_key,
		.token = p->token,
		.profile = p->profile,
		.shared_credentials_file = p->shared_credentials_file,
		.region = r->c.region,
		.assume_role = p->have_role ? &p->role : NULL,
		.skip_metadata = p->skip_metadata,
		.insecure = p->insecure,
		.endpoints = &r->c.endpoints,
		.mfa_code = p->mfa_code,
	};
	if (aws_creds_provider_new(&o, &r->c.creds, err) < 0)
		return err_wrap(err, "AWS credentials");
	ui_message(r->ui, "Using AWS credentials from %s, region %s", aws_creds_provider_source(r->c.creds), r->c.region);
	return 0;
}

/* The artifact's file in the upload format, or a conversion of its disk. *path is owned by the caller. */
static int find_source(struct run *r, const struct kiln_artifact *in, char **path, struct kiln_error *err)
{
	struct ai_pp *p = r->p;
	char *suffix = xasprintf(".%s", p->format);
	for (size_t i = 0; i < in->files.n; i++) {
		if (path_has_suffix(in->files.v[i], suffix)) {
			*path = xstrdup(in->files.v[i]);
			free(suffix);
			return 0;
		}
	}
	free(suffix);
	/* not exported in that format: convert the artifact's disk */
	enum img_format want;
	if (img_format_parse(p->format, &want, err) < 0)
		return -1;
	const char *disk = NULL, *disk_fmt = NULL;
	struct img_info info = {0};
	for (size_t i = 0; i < in->files.n && !disk; i++) {
		struct kiln_error e = ERR_INIT;
		const char *f = in->files.v[i];
		if (path_has_suffix(f, ".ova") || path_has_suffix(f, ".box") || path_has_suffix(f, ".tar.gz") ||
		    !file_is_regular(f))
			continue;
		/* a disk qemu-img knows, and not a raw guess at some other file (a checksum, a log) */
		if (img_info_read(f, NULL, &info, &e) == 0 &&
		    (strcmp(info.format, "raw") != 0 || path_has_suffix(f, ".raw") || path_has_suffix(f, ".img"))) {
			disk = f;
			disk_fmt = info.format;
		} else {
			img_info_free(&info);
		}
		err_clear(&e);
	}
	if (!disk) {
		img_info_free(&info);
		err_set_kind(err, ERR_NOT_FOUND, "No %s image file found in artifact from builder", p->format);
		err_hint(err, "export it (export { formats = [\"%s\"] }) or give the artifact a disk kiln can convert",
			 p->format);
		return -1;
	}
	char *dir = path_dirname(disk);
	char *tmpl = xasprintf("%s/.kiln-amazon-import-XXXXXX", dir);
	free(dir);
	if (!mkdtemp(tmpl)) {
		err_set_errno(err, errno, "cannot create a directory beside %s for the %s conversion", disk, p->format);
		free(tmpl);
		img_info_free(&info);
		return -1;
	}
	r->converted_dir = tmpl;
	char *base = path_basename(disk);
	char *dot = strrchr(base, '.');
	if (dot && dot != base)
		*dot = '\0';
	char *name = xasprintf("%s.%s", base, img_format_extension(want));
	*path = path_join(tmpl, name);
	free(name);
	free(base);
	ui_message(r->ui, "The artifact has no %s file: converting %s (%s) for the import", p->format, disk, disk_fmt);
	int rc = img_export_file(disk, disk_fmt, want, *path, r->ui, err);
	img_info_free(&info);
	if (rc < 0) {
		free(*path);
		*path = NULL;
	}
	return rc;
}

static void on_upload_progress(void *arg, uint64_t done, uint64_t total)
{
	struct ui_progress *p = arg;
	ui_progress_set_total(p, total);
	ui_progress_update(p, done);
}

static int upload(struct run *r, const char *source, struct kiln_error *err)
{
	struct ai_pp *p = r->p;
	if (p->sse && strcmp(p->sse, "AES256") == 0 && p->sse_key)
		ui_message(r->ui, "Ignoring s3_encryption_key because s3_encryption is set to '%s'", p->sse);
	ui_message(r->ui, "Uploading %s to s3://%s/%s", source, p->bucket, r->key);
	off_t size = 0;
	file_size(source, &size, NULL);
	char *label = xasprintf("Uploading to s3://%s/%s", p->bucket, r->key);
	struct ui_progress *bar = ui_progress_start(r->ui, label, (uint64_t)size);
	free(label);
	struct aws_s3_put_opts o = {
		.sse = p->sse,
		.sse_kms_key = p->sse && strcmp(p->sse, "aws:kms") == 0 ? p->sse_key : NULL,
		.progress = on_upload_progress,
		.progress_arg = bar,
	};
	struct aws_s3_put_result res;
	long t0 = time_mono_ms();
	int rc = aws_s3_put_file(&r->c, p->bucket, r->key, source, &o, &res, err);
	long ms = time_mono_ms() - t0;
	ui_progress_finish(bar);
	if (rc < 0) {
		if (res.upload_id && res.aborted)
			ui_message(r->ui, "Aborted the multipart upload %s: nothing was left in the bucket", res.upload_id);
		else if (res.upload_id)
			ui_warn(r->ui, "could not abort the multipart upload %s of s3://%s/%s: %s; its parts stay billed until "
				       "it is aborted (aws s3api abort-multipart-upload --bucket %s --key %s --upload-id %s, or "
				       "a lifecycle rule with AbortIncompleteMultipartUpload)",
				res.upload_id, p->bucket, r->key, res.abort_error ? res.abort_error : "unknown error", p->bucket,
				r->key, res.upload_id);
		err_wrap(err, "Failed to upload %s", source);
		if (!err->hint)
			hint_for(r, res.error_code, NULL, err);
		aws_s3_put_result_free(&res);
		return -1;
	}
	r->object_put = true;
	char *h = ui_format_bytes(res.bytes);
	char *rate = ui_format_bytes(ms > 0 ? (uint64_t)((double)res.bytes * 1000.0 / (double)ms) : res.bytes);
	ui_message(r->ui, "Completed upload of %s to s3://%s/%s (%s in %.1f s, %s/s%s)", source, p->bucket, r->key, h,
		   (double)ms / 1000.0, rate, res.multipart ? ", multipart" : "");
	free(h);
	free(rate);
	aws_s3_put_result_free(&res);
	return 0;
}

/* Call action; the answer's `field` (a task or an AMI id) is what the caller wants, in *id. A failure is
 * wrapped with `what` and a hint from AWS's code. Frees q. */
static int ec2_create(struct run *r, const char *region, const char *action, struct aws_query *q, const char *field,
		      char **id, struct kiln_error *err, const char *what)
{
	struct aws_response resp;
	*id = NULL;
	int rc = aws_ec2_call(&r->c, region, action, q, false, &resp, err);
	aws_query_free(q);
	if (rc < 0) {
		aws_failed(r, &resp, err, "%s", what);
	} else {
		const char *v = aws_xml_text(resp.xml, field);
		if (v && *v)
			*id = xstrdup(v);
		else
			rc = err_set(err, "%s answered without %s", action, field);
	}
	aws_response_free(&resp);
	return rc;
}

/* Start the import task `action` (ImportImage, or ImportSnapshot when snapshot) of the uploaded object and
 * wait for it: *id is what it made, the AMI or the snapshot (the caller frees it). While it runs,
 * r->task_id names it for undo(). Frees q. */
static int import_task(struct run *r, const char *action, struct aws_query *q, bool snapshot, char **id,
		       struct kiln_error *err)
{
	const char *kind = snapshot ? "snapshot import" : "import";
	char *what = xasprintf("Failed to start %s from s3://%s/%s", kind, r->p->bucket, r->key);
	int rc = ec2_create(r, NULL, action, q, "importTaskId", &r->task_id, err, what);
	free(what);
	if (rc < 0)
		return -1;
	r->task_snapshot = snapshot;
	ui_message(r->ui, "Started %s of s3://%s/%s, task id %s", kind, r->p->bucket, r->key, r->task_id);
	ui_message(r->ui, "Waiting for task %s to complete (may take a while)", r->task_id);
	struct aws_import_task t;
	if (wait_task(r, snapshot, &t, err) < 0)
		return -1;
	free(r->task_id);
	r->task_id = NULL;
	const char *made = snapshot ? t.snapshot_id : t.image_id;
	if (!*made)
		rc = err_set(err, "%s", snapshot ? "the snapshot import completed without a snapshot id"
					   : "Import task completed without an AMI id");
	else if (snapshot)
		ui_message(r->ui, "Import task %s complete: snapshot %s", t.id, made);
	else
		ui_message(r->ui, "Import task %s complete", t.id);
	*id = rc < 0 ? NULL : xstrdup(made);
	aws_import_task_free(&t);
	return rc;
}

/* Go-template text of the configuration ({{timestamp}}, {{.BuildName}}), expanded. */
static int render(struct run *r, const char *text, const char *key, char **out, struct kiln_error *err)
{
	struct strv extra = STRV_INIT;
	pp_template_values(r->ctx, &extra);
	int rc = pp_expand(r->ctx, text, &extra, out, err);
	strv_free(&extra);
	if (rc < 0)
		err_wrap(err, "Error interpolating %s", key);
	return rc;
}

/* "region=ami" entries of r->region_amis: the region (caller frees) and the AMI. */
static char *region_of(const char *entry, const char **ami)
{
	const char *eq = strchr(entry, '=');
	*ami = eq + 1;
	return xstrndup(entry, (size_t)(eq - entry));
}

static void add_encryption(struct aws_query *q, const struct ai_pp *p, bool copy)
{
	if (!p->encrypt)
		return;
	aws_query_add(q, "Encrypted", "true");
	if (p->kms_key && !copy)
		aws_query_add(q, "KmsKeyId", p->kms_key);
}

static int import_image(struct run *r, struct kiln_error *err)
{
	struct ai_pp *p = r->p;
	struct aws_query q = AWS_QUERY_INIT;
	/* Packer always sends Encrypted, true or false */
	aws_query_add(&q, "Encrypted", p->encrypt ? "true" : "false");
	if (p->encrypt && p->kms_key)
		aws_query_add(&q, "KmsKeyId", p->kms_key);
	aws_query_add(&q, "DiskContainer.1.Format", p->format);
	aws_query_add(&q, "DiskContainer.1.UserBucket.S3Bucket", p->bucket);
	aws_query_add(&q, "DiskContainer.1.UserBucket.S3Key", r->key);
	if (p->architecture)
		aws_query_add(&q, "Architecture", p->architecture);
	if (p->boot_mode)
		aws_query_add(&q, "BootMode", p->boot_mode);
	else if (p->architecture && strcmp(p->architecture, "arm64") == 0)
		aws_query_add(&q, "BootMode", "uefi");
	if (p->platform)
		aws_query_add(&q, "Platform", p->platform);
	if (p->role_name)
		aws_query_add(&q, "RoleName", p->role_name);
	if (p->license_type) {
		ui_message(r->ui, "Setting license type to '%s'", p->license_type);
		aws_query_add(&q, "LicenseType", p->license_type);
	}
	if (import_task(r, "ImportImage", &q, false, &r->ami, err) < 0)
		return -1;
	remember(r, r->c.region, r->ami, NULL);

	if (!p->ami_name)
		return 0;
	/* Packer's rename: copy the AMI under its name, wait, destroy the intermediate one */
	char *name = NULL, *copy = NULL;
	if (render(r, p->ami_name, "ami_name", &name, err) < 0)
		return -1;
	ui_message(r->ui, "Starting rename of AMI (%s)", r->ami);
	struct aws_query c = AWS_QUERY_INIT;
	aws_query_add(&c, "Name", name);
	aws_query_add(&c, "SourceImageId", r->ami);
	aws_query_add(&c, "SourceRegion", r->c.region);
	add_encryption(&c, p, false);
	free(name);
	char *what = xasprintf("Error Copying AMI (%s)", r->ami);
	int rc = ec2_create(r, NULL, "CopyImage", &c, "imageId", &copy, err, what);
	free(what);
	if (rc < 0)
		return -1;
	remember(r, r->c.region, copy, NULL);
	ui_message(r->ui, "Waiting for AMI rename to complete (may take a while)");
	if (wait_image(r, r->c.region, copy, err) < 0) {
		free(copy);
		return -1;
	}
	ui_message(r->ui, "Destroying intermediary AMI...");
	if (aws_ec2_destroy_image(&r->c, r->c.region, r->ami, err) < 0) {
		free(copy);
		return err_wrap(err, "Error deregistering existing AMI");
	}
	forget_image(r, r->ami);
	ui_message(r->ui, "AMI rename completed");
	free(r->ami);
	r->ami = copy;
	return 0;
}

static int import_snapshot(struct run *r, struct kiln_error *err)
{
	struct ai_pp *p = r->p;
	struct aws_query q = AWS_QUERY_INIT;
	char *upper = xstrdup(p->format);
	for (char *c = upper; *c; c++)
		*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
	aws_query_add(&q, "DiskContainer.Format", upper);
	free(upper);
	aws_query_add(&q, "DiskContainer.UserBucket.S3Bucket", p->bucket);
	aws_query_add(&q, "DiskContainer.UserBucket.S3Key", r->key);
	aws_query_addf(&q, "DiskContainer.Description", "kiln %s", r->ctx->build_name ? r->ctx->build_name : "");
	add_encryption(&q, p, false);
	if (p->role_name)
		aws_query_add(&q, "RoleName", p->role_name);
	char *snap = NULL;
	if (import_task(r, "ImportSnapshot", &q, true, &snap, err) < 0)
		return -1;
	remember(r, r->c.region, NULL, snap);

	/* RegisterImage: the name set directly, ENA on, the root device, no OS inspection */
	char *name = NULL;
	if (render(r, p->ami_name ? p->ami_name : "packer-import-{{timestamp}}", "ami_name", &name, err) < 0) {
		free(snap);
		return -1;
	}
	const char *arch = p->architecture ? p->architecture : "x86_64";
	struct aws_query g = AWS_QUERY_INIT;
	aws_query_add(&g, "Name", name);
	if (p->ami_description)
		aws_query_add(&g, "Description", p->ami_description);
	aws_query_add(&g, "Architecture", arch);
	aws_query_add(&g, "RootDeviceName", "/dev/xvda");
	aws_query_add(&g, "BlockDeviceMapping.1.DeviceName", "/dev/xvda");
	aws_query_add(&g, "BlockDeviceMapping.1.Ebs.SnapshotId", snap);
	aws_query_add(&g, "BlockDeviceMapping.1.Ebs.VolumeType", "gp3");
	aws_query_add(&g, "BlockDeviceMapping.1.Ebs.DeleteOnTermination", "true");
	aws_query_add(&g, "VirtualizationType", "hvm");
	aws_query_add(&g, "EnaSupport", "true");
	const char *boot = p->boot_mode ? p->boot_mode : strcmp(arch, "arm64") == 0 ? "uefi" : NULL;
	if (boot)
		aws_query_add(&g, "BootMode", boot);
	if (p->tpm_support)
		aws_query_add(&g, "TpmSupport", p->tpm_support);
	if (p->imds_support)
		aws_query_add(&g, "ImdsSupport", p->imds_support);
	ui_message(r->ui, "Registering AMI %s from snapshot %s", name, snap);
	free(name);
	free(snap);
	if (ec2_create(r, NULL, "RegisterImage", &g, "imageId", &r->ami, err, "Error registering the AMI") < 0)
		return -1;
	/* the image owns the snapshot from now on: removing the image removes it */
	r->made[r->nmade - 1].image_id = xstrdup(r->ami);
	ui_message(r->ui, "Waiting for AMI %s to be available", r->ami);
	return wait_image(r, r->c.region, r->ami, err);
}

/* Copy the AMI to each of ami_regions, then wait for all of them. */
static int copy_regions(struct run *r, struct kiln_error *err)
{
	struct ai_pp *p = r->p;
	if (!p->regions.n)
		return 0;
	struct aws_image img;
	if (aws_ec2_describe_image(&r->c, NULL, r->ami, &img, err) < 0)
		return err_wrap(err, "Failed to retrieve details for AMI %s", r->ami);
	char *name = xstrdup(img.name);
	aws_image_free(&img);
	int rc = 0;
	for (size_t i = 0; i < p->regions.n && rc == 0; i++) {
		const char *region = p->regions.v[i];
		if (strcmp(region, r->c.region) == 0)
			continue;
		ui_message(r->ui, "Copying AMI %s to %s", r->ami, region);
		struct aws_query q = AWS_QUERY_INIT;
		aws_query_add(&q, "Name", name);
		aws_query_add(&q, "SourceImageId", r->ami);
		aws_query_add(&q, "SourceRegion", r->c.region);
		if (p->ami_description)
			aws_query_add(&q, "Description", p->ami_description);
		add_encryption(&q, p, true);
		char *what = xasprintf("Error copying AMI %s to %s", r->ami, region), *id = NULL;
		rc = ec2_create(r, region, "CopyImage", &q, "imageId", &id, err, what);
		free(what);
		if (rc == 0) {
			remember(r, region, id, NULL);
			strv_pushf(&r->region_amis, "%s=%s", region, id);
		}
		free(id);
	}
	free(name);
	for (size_t i = 1; i < r->region_amis.n && rc == 0; i++) {
		const char *id;
		char *region = region_of(r->region_amis.v[i], &id);
		ui_message(r->ui, "Waiting for AMI %s in %s to be available", id, region);
		rc = wait_image(r, region, id, err);
		free(region);
	}
	return rc;
}

static int tag_all(struct run *r, struct kiln_error *err)
{
	struct ai_pp *p = r->p;
	if (!p->tag_keys.n)
		return 0;
	for (size_t i = 0; i < p->tag_keys.n; i++)
		ui_message(r->ui, "Adding tag: \"%s\": \"%s\"", p->tag_keys.v[i], p->tag_values.v[i]);
	for (size_t k = 0; k < r->region_amis.n; k++) {
		const char *ami;
		char *region = region_of(r->region_amis.v[k], &ami);
		struct aws_image img;
		if (aws_ec2_describe_image(&r->c, region, ami, &img, err) < 0) {
			free(region);
			return err_wrap(err, "Failed to retrieve details for AMI %s", ami);
		}
		struct aws_query q = AWS_QUERY_INIT;
		aws_query_add(&q, "ResourceId.1", ami);
		for (size_t s = 0; s < img.snapshots.n; s++) {
			ui_message(r->ui, "Tagging snapshot %s", img.snapshots.v[s]);
			char *key = xasprintf("ResourceId.%zu", s + 2);
			aws_query_add(&q, key, img.snapshots.v[s]);
			free(key);
		}
		aws_image_free(&img);
		for (size_t i = 0; i < p->tag_keys.n; i++) {
			char *kk = xasprintf("Tag.%zu.Key", i + 1), *vk = xasprintf("Tag.%zu.Value", i + 1);
			aws_query_add(&q, kk, p->tag_keys.v[i]);
			aws_query_add(&q, vk, p->tag_values.v[i]);
			free(kk);
			free(vk);
		}
		ui_message(r->ui, "Tagging AMI %s", ami);
		struct aws_response resp;
		int rc = aws_ec2_call(&r->c, region, "CreateTags", &q, false, &resp, err);
		aws_query_free(&q);
		if (rc < 0)
			aws_failed(r, &resp, err, "Failed to add tags to resources of %s", ami);
		aws_response_free(&resp);
		free(region);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* One ModifyImageAttribute per kind, in Packer's order of kinds, on every region's AMI. */
static int modify_attributes(struct run *r, struct kiln_error *err)
{
	struct ai_pp *p = r->p;
	struct {
		const char *what;
		const struct strv *values;
		const char *list_key;     /* UserId.N ... */
		const char *perm_key;     /* LaunchPermission.Add.N.X */
	} lists[] = {
		{"groups", &p->groups, "UserGroup", "Group"},
		{"users", &p->users, "UserId", "UserId"},
		{"ami org arns", &p->org_arns, "OrganizationArn", "OrganizationArn"},
		{"ami ou arns", &p->ou_arns, "OrganizationalUnitArn", "OrganizationalUnitArn"},
	};
	for (size_t k = 0; k < r->region_amis.n; k++) {
		const char *ami;
		char *region = region_of(r->region_amis.v[k], &ami);
		struct aws_query qs[6];
		const char *names[6];
		size_t n = 0;
		/* the snapshot path registered the description already, and its region copies got it too */
		if (p->ami_description && p->method == METHOD_IMAGE && k == 0) {
			qs[n] = (struct aws_query)AWS_QUERY_INIT;
			aws_query_add(&qs[n], "Description.Value", p->ami_description);
			names[n++] = "description";
		}
		for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
			if (!lists[l].values->n)
				continue;
			qs[n] = (struct aws_query)AWS_QUERY_INIT;
			for (size_t i = 0; i < lists[l].values->n; i++) {
				char *a = xasprintf("%s.%zu", lists[l].list_key, i + 1);
				char *b = xasprintf("LaunchPermission.Add.%zu.%s", i + 1, lists[l].perm_key);
				aws_query_add(&qs[n], a, lists[l].values->v[i]);
				aws_query_add(&qs[n], b, lists[l].values->v[i]);
				free(a);
				free(b);
			}
			names[n++] = lists[l].what;
		}
		/* the snapshot path registered IMDS support with the AMI; its copies are set here, as the image
		 * path's AMIs are */
		if (p->imds_support && (p->method == METHOD_IMAGE || k > 0)) {
			qs[n] = (struct aws_query)AWS_QUERY_INIT;
			aws_query_add(&qs[n], "ImdsSupport.Value", p->imds_support);
			names[n++] = "ami imds support";
		}
		int rc = 0;
		for (size_t i = 0; i < n; i++) {
			if (rc == 0) {
				if (k == 0)
					ui_message(r->ui, "Modifying: %s", names[i]);
				else
					ui_message(r->ui, "Modifying: %s (%s in %s)", names[i], ami, region);
				aws_query_add(&qs[i], "ImageId", ami);
				struct aws_response resp;
				rc = aws_ec2_call(&r->c, region, "ModifyImageAttribute", &qs[i], false, &resp, err);
				if (rc < 0)
					aws_failed(r, &resp, err, "Error modifying AMI attributes");
				aws_response_free(&resp);
			}
			aws_query_free(&qs[i]);
		}
		free(region);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static struct kiln_artifact *make_artifact(struct run *r)
{
	struct strv sorted = STRV_INIT;
	for (size_t i = 0; i < r->region_amis.n; i++) {
		const char *eq = strchr(r->region_amis.v[i], '=');
		strv_pushf(&sorted, "%.*s:%s", (int)(eq - r->region_amis.v[i]), r->region_amis.v[i], eq + 1);
	}
	strv_sort(&sorted);
	char *id = strv_join(&sorted, ",");
	struct kiln_artifact *a = kiln_artifact_new(BUILDER_ID, id, NULL);
	struct buf d = BUF_INIT;
	buf_puts(&d, "AMIs were created:\n");
	for (size_t i = 0; i < sorted.n; i++) {
		char *colon = strchr(sorted.v[i], ':');
		buf_printf(&d, "%.*s: %s\n", (int)(colon - sorted.v[i]), sorted.v[i], colon + 1);
		char *k = xasprintf("region.%.*s", (int)(colon - sorted.v[i]), sorted.v[i]);
		kiln_artifact_set(a, k, colon + 1);
		free(k);
	}
	free(a->description);
	a->description = buf_detach(&d);
	free(id);
	strv_free(&sorted);
	return a;
}

static int ai_run(void *instance, struct kiln_ctx *ctx, struct kiln_artifact *in, struct kiln_artifact **out,
		  bool *keep_input, struct kiln_error *err)
{
	struct run r = {.p = instance, .ctx = ctx, .ui = ctx->ui};
	char *source = NULL;
	int rc = -1;
	struct strv extra = STRV_INIT;
	pp_template_values(ctx, &extra);
	if (pp_expand(ctx, r.p->key_tmpl, &extra, &r.key, err) < 0) {
		strv_free(&extra);
		return err_wrap(err, "Error rendering s3_key_name template");
	}
	strv_free(&extra);
	if (setup_client(&r, err) < 0 || find_source(&r, in, &source, err) < 0 || upload(&r, source, err) < 0)
		goto out;
	if (r.p->method == METHOD_IMAGE) {
		log_debug("amazon-import: calling EC2 to import from s3://%s/%s", r.p->bucket, r.key);
		if (import_image(&r, err) < 0)
			goto out;
	} else if (import_snapshot(&r, err) < 0) {
		goto out;
	}
	strv_pushf(&r.region_amis, "%s=%s", r.c.region, r.ami);
	if (copy_regions(&r, err) < 0 || tag_all(&r, err) < 0 || modify_attributes(&r, err) < 0)
		goto out;
	*out = make_artifact(&r);
	/* Packer's amazon-import does not keep its input: the image lives in AWS now */
	*keep_input = false;
	rc = 0;
	/* success: nothing to undo but the upload */
	for (size_t i = 0; i < r.nmade; i++) {
		free(r.made[i].region);
		free(r.made[i].image_id);
		free(r.made[i].snapshot_id);
	}
	r.nmade = 0;
	if (!r.p->skip_clean) {
		struct kiln_error e = ERR_INIT;
		ui_message(r.ui, "Deleting import source s3://%s/%s", r.p->bucket, r.key);
		if (aws_s3_delete(&r.c, r.p->bucket, r.key, &e) < 0)
			warn_err(r.ui, "could not delete the uploaded disk (delete it yourself: it is billed while it stays)", &e);
		r.object_put = false;
	}
out:
	if (rc < 0) {
		if (sig_cancelled())
			ui_say(r.ui, "Cancelled: removing what this import created");
		undo(&r);
	}
	if (r.converted_dir)
		rm_rf(r.converted_dir, NULL);
	for (size_t i = 0; i < r.nmade; i++) {
		free(r.made[i].region);
		free(r.made[i].image_id);
		free(r.made[i].snapshot_id);
	}
	free(r.made);
	free(r.converted_dir);
	free(r.task_id);
	free(r.ami);
	free(r.key);
	free(source);
	strv_free(&r.region_amis);
	aws_client_free(&r.c);
	return rc;
}

const struct kiln_postprocessor amazon_import_postprocessor = {
	.type = "amazon-import",
	.doc = "Uploads the disk to S3 and imports it as an AMI (ImportImage, or ImportSnapshot + RegisterImage)",
	.schema = &ai_schema,
	.prepare = ai_prepare,
	.run = ai_run,
	.destroy = ai_destroy,
};
