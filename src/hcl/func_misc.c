/* func_misc.c — uuidv4 uuidv5 env, the contextual functions kiln does not serve (vault, consul_key,
 * aws_secretsmanager: a clear error, never a network call), and the table entries of can, try and
 * convert, whose arguments the evaluator handles itself (expressions and a type, not values). */
#include <stdlib.h>
#include <string.h>

#include "hcl/funcutil.h"
#include "util/lazy_crypto.h"
#include "util/mem.h"

#define P(n, t) {n, t, 0}
#define END {NULL, NULL, 0}

static void fmt_uuid(const unsigned char u[16], struct buf *b)
{
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			buf_putc(b, '-');
		buf_printf(b, "%02x", u[i]);
	}
}

static struct hcl_value *f_uuidv4(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	unsigned char u[16];
	if (RAND_bytes(u, sizeof(u)) != 1)
		return hcl_call_error(c, "failed to read random bytes");
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	struct buf b = BUF_INIT;
	fmt_uuid(u, &b);
	c->marks |= HCL_MARK_VOLATILE;
	return hcl_string_own(buf_detach(&b));
}

static int parse_uuid(const char *s, unsigned char out[16])
{
	size_t k = 0;
	size_t len = strlen(s);
	if (len == 38 && s[0] == '{' && s[37] == '}') {
		s++;
		len -= 2;
	} else if (len == 45 && strncmp(s, "urn:uuid:", 9) == 0) {
		s += 9;
		len -= 9;
	}
	if (len != 36 && len != 32)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '-') {
			if (len != 36 || (i != 8 && i != 13 && i != 18 && i != 23))
				return -1;
			continue;
		}
		int v;
		char ch = s[i];
		if (ch >= '0' && ch <= '9') v = ch - '0';
		else if (ch >= 'a' && ch <= 'f') v = ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F') v = ch - 'A' + 10;
		else return -1;
		if (k >= 32)
			return -1;
		if (k % 2 == 0)
			out[k / 2] = (unsigned char)(v << 4);
		else
			out[k / 2] |= (unsigned char)v;
		k++;
	}
	return k == 32 ? 0 : -1;
}

static struct hcl_value *f_uuidv5(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	static const struct {
		const char *name, *uuid;
	} ns[] = {
		{"dns", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"},
		{"url", "6ba7b811-9dad-11d1-80b4-00c04fd430c8"},
		{"oid", "6ba7b812-9dad-11d1-80b4-00c04fd430c8"},
		{"x500", "6ba7b814-9dad-11d1-80b4-00c04fd430c8"},
	};
	const char *nsarg = hcl_str(a[0]);
	unsigned char nsu[16];
	bool found = false;
	for (size_t i = 0; i < 4; i++)
		if (strcmp(nsarg, ns[i].name) == 0) {
			parse_uuid(ns[i].uuid, nsu);
			found = true;
		}
	if (!found && parse_uuid(nsarg, nsu) < 0)
		return hcl_call_error(c, "uuidv5() doesn't support namespace %s (invalid UUID length: %zu)", nsarg,
				      strlen(nsarg));
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha1(), NULL);
	EVP_DigestUpdate(ctx, nsu, 16);
	EVP_DigestUpdate(ctx, hcl_str(a[1]), hcl_str_len(a[1]));
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
	struct buf b = BUF_INIT;
	fmt_uuid(md, &b);
	return hcl_string_own(buf_detach(&b));
}

static struct hcl_value *f_env(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	const char *v = getenv(hcl_str(a[0]));
	return hcl_string(v ? v : "");
}

static struct hcl_value *f_vault(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return hcl_call_error(c, "kiln does not reach HashiCorp Vault, so vault(\"%s\", \"%s\") cannot be read; pass the secret in a sensitive variable instead (-var, -var-file or PKR_VAR_...)",
			      hcl_str(a[0]), hcl_str(a[1]));
}

static struct hcl_value *f_consul_key(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return hcl_call_error(c, "kiln does not reach HashiCorp Consul, so consul_key(\"%s\") cannot be read; pass the value in a variable instead (-var, -var-file or PKR_VAR_...)",
			      hcl_str(a[0]));
}

static struct hcl_value *f_aws_secretsmanager(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return hcl_call_error(c, "kiln does not reach AWS Secrets Manager, so aws_secretsmanager(\"%s\", ...) cannot be read; pass the secret in a sensitive variable instead (-var, -var-file or PKR_VAR_...)",
			      hcl_str(a[0]));
}

static struct hcl_value *f_special(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	/* can/try/convert are evaluated by eval.c before a table lookup; reaching here means a caller
	 * invoked them through hcl_func_call with values */
	return hcl_call_error(c, "this function must be called from an HCL expression");
}

const struct hcl_func hcl_funcs_misc[] = {
	{"aws_secretsmanager", (const struct hcl_param[]){P("name", "string"), P("key", "string"), END}, NULL,
	 "string", f_aws_secretsmanager, "Not supported: kiln does not reach AWS Secrets Manager."},
	{"can", (const struct hcl_param[]){{"expression", "any", HCL_PARAM_ALLOW_NULL | HCL_PARAM_ALLOW_UNKNOWN | HCL_PARAM_ALLOW_DYNAMIC}, END},
	 NULL, "bool", f_special, "Whether an expression evaluates without error."},
	{"consul_key", (const struct hcl_param[]){P("key", "string"), END}, NULL, "string", f_consul_key,
	 "Not supported: kiln does not reach Consul."},
	{"convert", (const struct hcl_param[]){{"value", "any", HCL_PARAM_ALLOW_NULL | HCL_PARAM_ALLOW_UNKNOWN | HCL_PARAM_ALLOW_DYNAMIC}, {"type", "any", HCL_PARAM_ALLOW_DYNAMIC}, END},
	 NULL, NULL, f_special, "Convert a value to a type."},
	{"env", (const struct hcl_param[]){P("key", "string"), END}, NULL, "string", f_env,
	 "An environment variable, or \"\"."},
	{"try", (const struct hcl_param[]){END},
	 &(const struct hcl_param){"expressions", "any", HCL_PARAM_ALLOW_NULL | HCL_PARAM_ALLOW_UNKNOWN | HCL_PARAM_ALLOW_DYNAMIC},
	 NULL, f_special, "The first expression that evaluates without error."},
	{"uuidv4", (const struct hcl_param[]){END}, NULL, "string", f_uuidv4, "A random UUID."},
	{"uuidv5", (const struct hcl_param[]){P("namespace", "string"), P("name", "string"), END}, NULL, "string",
	 f_uuidv5, "A name-based (SHA-1) UUID."},
	{"vault", (const struct hcl_param[]){P("path", "string"), P("key", "string"), END}, NULL, "string", f_vault,
	 "Not supported: kiln does not reach Vault."},
	{NULL, NULL, NULL, NULL, NULL, NULL},
};
