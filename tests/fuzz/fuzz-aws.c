/* fuzz-aws.c — libFuzzer target for the readers of outside input in src/cloud/aws. The first byte picks
 * the reader, the rest is its input:
 *   0  AWS's XML answers (S3, EC2, STS): parse, walk every element, look for an error and a few paths
 *   1  the shared config/credentials files: parse, look up every section's usual keys
 *   2  credential_process and metadata-service JSON
 *   3  credential_process command lines (word splitting)
 *   4  URIs: endpoint URLs, query canonicalisation, path normalisation
 *
 *   tests/fuzz/run.sh builds and runs it (with the HCL targets). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/aws/creds.h"
#include "cloud/aws/http.h"
#include "cloud/aws/ini.h"
#include "cloud/aws/uri.h"
#include "cloud/aws/xml.h"
#include "util/mem.h"
#include "util/strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk(const struct aws_xml *x)
{
	size_t n = strlen(x->name) + strlen(x->text);
	for (size_t i = 0; i < x->nchildren; i++)
		n += walk(x->children[i]);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned kind = data[0] % 5;
	const char *in = (const char *)data + 1;
	size_t len = size - 1;
	char *s = xstrndup(in, len);  /* NUL-terminated copy for the string readers */
	struct kiln_error err = ERR_INIT;
	switch (kind) {
	case 0: {
		struct aws_xml *x = NULL;
		if (aws_xml_parse(in, len, &x, &err) == 0) {
			const char *code = NULL, *msg = NULL;
			(void)walk(x);
			(void)aws_xml_error(x, &code, &msg);
			(void)aws_xml_text(x, "Errors/Error/Code");
			(void)aws_xml_path(x, "importImageTaskSet/item/status");
			(void)aws_xml_text(x, "AssumeRoleResult/Credentials/SessionToken");
			aws_xml_free(x);
		}
		break;
	}
	case 1: {
		struct aws_ini *ini = NULL;
		if (aws_ini_parse(in, len, "fuzz", &ini, &err) == 0) {
			static const char *const keys[] = {"region", "role_arn", "source_profile", "credential_process",
							   "aws_access_key_id", "aws_secret_access_key", NULL};
			for (size_t i = 0; i < aws_ini_section_count(ini); i++)
				for (size_t k = 0; keys[k]; k++)
					(void)aws_ini_get(ini, aws_ini_section_name(ini, i), keys[k]);
			(void)aws_ini_profile_section(ini, "default", true);
			(void)aws_ini_profile_section(ini, "ci", false);
			aws_ini_free(ini);
		}
		break;
	}
	case 2: {
		struct aws_creds c;
		if (aws_creds_parse_json(in, len, len & 1, &c, &err) == 0)
			aws_creds_clear(&c);
		int64_t t;
		(void)aws_parse_time(s, &t);
		break;
	}
	case 3: {
		struct strv argv = STRV_INIT;
		(void)aws_split_command(s, &argv, &err);
		strv_free(&argv);
		break;
	}
	case 4: {
		struct aws_endpoint e;
		if (aws_endpoint_parse(s, &e, &err) == 0) {
			free(aws_endpoint_base(&e));
			aws_endpoint_free(&e);
		}
		free(aws_query_canonical(s));
		free(aws_path_normalize(s));
		struct buf b = BUF_INIT;
		aws_uri_decode(&b, in, len);
		aws_uri_encode(&b, in, len, len & 1);
		buf_free(&b);
		break;
	}
	}
	err_clear(&err);
	free(s);
	return 0;
}
