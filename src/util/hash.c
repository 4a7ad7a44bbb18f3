/* hash.c — OpenSSL EVP digests (see hash.h). */
#include "util/hash.h"
#include "util/lazy_crypto.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

struct hasher {
	EVP_MD_CTX *ctx;
};

static const EVP_MD *md_for(const char *algo)
{
	/* Names, not a table of EVP_* function pointers: those would be bound at start (util/lazy_crypto.h). */
	static const char *const names[] = {"md5", "sha1", "sha224", "sha256", "sha384", "sha512"};
	size_t i = 0;
	while (i < sizeof names / sizeof names[0] && strcasecmp(algo, names[i]) != 0)
		i++;
	switch (i) {
	case 0: return EVP_md5();
	case 1: return EVP_sha1();
	case 2: return EVP_sha224();
	case 3: return EVP_sha256();
	case 4: return EVP_sha384();
	case 5: return EVP_sha512();
	default: return NULL;
	}
}

size_t hash_hex_len(const char *algo)
{
	const EVP_MD *md = md_for(algo);
	return md ? 2 * (size_t)EVP_MD_get_size(md) : 0;
}

struct hasher *hasher_new(const char *algo)
{
	const EVP_MD *md = md_for(algo);
	if (!md)
		return NULL;
	struct hasher *h = xcalloc(1, sizeof *h);
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, md, NULL) != 1)
		abort();
	return h;
}

void hasher_update(struct hasher *h, const void *data, size_t n)
{
	EVP_DigestUpdate(h->ctx, data, n);
}

void hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *hasher_final_hex(struct hasher *h)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_DigestFinal_ex(h->ctx, md, &len);
	char *hex = xmalloc(2 * len + 1);
	hex_encode(md, len, hex);
	hasher_free(h);
	return hex;
}

void hasher_free(struct hasher *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

char *hash_hex(const char *algo, const void *data, size_t n)
{
	struct hasher *h = hasher_new(algo);
	if (!h)
		return NULL;
	hasher_update(h, data, n);
	return hasher_final_hex(h);
}

int hash_file_hex(const char *algo, const char *path, char **hex, struct kiln_error *err)
{
	struct hasher *h = hasher_new(algo);
	if (!h)
		return err_set_kind(err, ERR_INVALID, "unknown checksum type \"%s\"", algo);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		hasher_free(h);
		return err_set_errno(err, errno, "cannot open %s", path);
	}
	unsigned char *tmp = xmalloc(1 << 20);
	for (;;) {
		ssize_t n = read(fd, tmp, 1 << 20);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(tmp);
			close(fd);
			hasher_free(h);
			return err_set_errno(err, e, "cannot read %s", path);
		}
		if (n == 0)
			break;
		hasher_update(h, tmp, (size_t)n);
	}
	free(tmp);
	close(fd);
	*hex = hasher_final_hex(h);
	return 0;
}

char *hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t n)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	if (!HMAC(EVP_sha256(), key, (int)keylen, data, n, mac, &len))
		return NULL;
	char *hex = xmalloc(2 * (size_t)len + 1);
	hex_encode(mac, len, hex);
	return hex;
}

char *hex_random(size_t bytes)
{
	unsigned char r[32];
	if (bytes > sizeof r)
		bytes = sizeof r;
	if (getrandom(r, bytes, 0) != (ssize_t)bytes)
		for (size_t i = 0; i < bytes; i++)
			r[i] = (unsigned char)(rand() & 0xff);
	char *hex = xmalloc(2 * bytes + 1);
	hex_encode(r, bytes, hex);
	return hex;
}
