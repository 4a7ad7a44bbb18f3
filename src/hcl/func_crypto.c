/* func_crypto.c — hash and crypto functions: md5 sha1 sha256 sha512 (OpenSSL digests), bcrypt
 * (libcrypt's "$2a$" bcrypt: OpenSSL has no bcrypt), rsadecrypt (OpenSSL, PKCS #1 v1.5). */
#include <stdlib.h>
#include <string.h>

#include "hcl/funcutil.h"
#include "util/hash.h"
#include "util/lazy_crypt.h"
#include "util/lazy_crypto.h"
#include "util/mem.h"

#define P(n, t) {n, t, 0}
#define END {NULL, NULL, 0}

static struct hcl_value *digest(struct hcl_value **a, const char *algo)
{
	return hcl_string_own(hash_hex(algo, hcl_str(a[0]), hcl_str_len(a[0])));
}

static struct hcl_value *f_md5(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return digest(a, "md5");
}

static struct hcl_value *f_sha1(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return digest(a, "sha1");
}

static struct hcl_value *f_sha256(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return digest(a, "sha256");
}

static struct hcl_value *f_sha512(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	return digest(a, "sha512");
}

static struct hcl_value *f_bcrypt(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	long long cost = 10;
	if (n > 2)
		return hcl_call_error(c, "bcrypt() takes no more than two arguments");
	if (n == 2 && hcl_arg_int(c, a, 1, &cost) < 0)
		return NULL;
	if (cost < 4)
		cost = 10; /* Go's bcrypt uses its default cost below the minimum */
	if (cost > 31)
		return hcl_call_error(c, "error occured generating password crypto/bcrypt: cost %lld is outside allowed range (4,31)", cost);
	unsigned char rnd[16];
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return hcl_call_error(c, "failed to generate a random salt");
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	if (!crypt_gensalt_rn("$2a$", (unsigned long)cost, (const char *)rnd, sizeof(rnd), salt, sizeof(salt)))
		return hcl_call_error(c, "failed to generate a bcrypt salt");
	struct crypt_data *cd = xcalloc(1, sizeof(*cd));
	char *h = crypt_r(hcl_str(a[0]), salt, cd);
	struct hcl_value *r;
	if (!h || h[0] == '*')
		r = hcl_call_error(c, "error occured generating password %s", "hash");
	else
		r = hcl_string(h);
	c->marks |= HCL_MARK_VOLATILE;   /* a random salt: a new hash every time */
	free(cd);
	return r;
}

static int b64dec(const char *s, size_t len, struct buf *out)
{
	unsigned char *tmp = xmalloc(len + 3);
	EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
	int outl = 0, fin = 0;
	EVP_DecodeInit(ctx);
	int rc = EVP_DecodeUpdate(ctx, tmp, &outl, (const unsigned char *)s, (int)len);
	if (rc >= 0)
		rc = EVP_DecodeFinal(ctx, tmp + outl, &fin);
	EVP_ENCODE_CTX_free(ctx);
	if (rc < 0) {
		free(tmp);
		return -1;
	}
	buf_append(out, tmp, (size_t)(outl + fin));
	free(tmp);
	return 0;
}

static struct hcl_value *f_rsadecrypt(struct hcl_call *c, struct hcl_value **a, size_t n)
{
	struct buf ct = BUF_INIT;
	if (b64dec(hcl_str(a[0]), hcl_str_len(a[0]), &ct) < 0) {
		buf_free(&ct);
		return hcl_call_arg_error(c, 0, "failed to decode input \"%s\": cipher text must be base64-encoded", hcl_str(a[0]));
	}
	BIO *bio = BIO_new_mem_buf(hcl_str(a[1]), (int)hcl_str_len(a[1]));
	EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	struct hcl_value *r = NULL;
	if (!key) {
		ERR_clear_error();
		buf_free(&ct);
		return hcl_call_arg_error(c, 1, "invalid private key: failed to parse key");
	}
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(key, NULL);
	size_t outlen = 0;
	unsigned char *out = NULL;
	if (!pctx || EVP_PKEY_decrypt_init(pctx) <= 0 || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_decrypt(pctx, NULL, &outlen, (const unsigned char *)buf_cstr(&ct), ct.len) <= 0)
		goto fail;
	out = xmalloc(outlen + 1);
	if (EVP_PKEY_decrypt(pctx, out, &outlen, (const unsigned char *)buf_cstr(&ct), ct.len) <= 0)
		goto fail;
	r = hcl_string_n((const char *)out, outlen);
	goto done;
fail:
	ERR_clear_error();
	r = hcl_call_error(c, "failed to decrypt: crypto/rsa: decryption error");
done:
	free(out);
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_free(key);
	buf_free(&ct);
	return r;
}

const struct hcl_func hcl_funcs_crypto[] = {
	{"bcrypt", (const struct hcl_param[]){P("str", "string"), END}, &(const struct hcl_param){"cost", "number", 0},
	 "string", f_bcrypt, "A bcrypt hash of a string."},
	{"md5", (const struct hcl_param[]){P("str", "string"), END}, NULL, "string", f_md5, "MD5 hex digest."},
	{"rsadecrypt", (const struct hcl_param[]){P("ciphertext", "string"), P("privatekey", "string"), END}, NULL,
	 "string", f_rsadecrypt, "Decrypt RSA-encrypted Base64 text."},
	{"sha1", (const struct hcl_param[]){P("str", "string"), END}, NULL, "string", f_sha1, "SHA-1 hex digest."},
	{"sha256", (const struct hcl_param[]){P("str", "string"), END}, NULL, "string", f_sha256,
	 "SHA-256 hex digest."},
	{"sha512", (const struct hcl_param[]){P("str", "string"), END}, NULL, "string", f_sha512,
	 "SHA-512 hex digest."},
	{NULL, NULL, NULL, NULL, NULL, NULL},
};
