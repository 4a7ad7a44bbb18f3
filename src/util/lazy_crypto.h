/* lazy_crypto.h — OpenSSL's libcrypto for kiln's core, bound on first use (util/lazylib.h).
 *
 * Core files (src/libkiln.a) include this instead of <openssl/...>: kiln does not link libcrypto,
 * so a command that computes no hash, big number or random value never loads it. Each function
 * the core calls is listed below, one line each; one missing from the list is an undefined
 * reference in kiln's link. kiln-components.so includes OpenSSL's headers directly. */
#ifndef KILN_UTIL_LAZY_CRYPTO_H
#define KILN_UTIL_LAZY_CRYPTO_H

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "util/lazylib.h"

extern struct lazylib lazylib_crypto;

#define BIO_free LAZYLIB_FN(crypto, BIO_free)
#define BIO_new_mem_buf LAZYLIB_FN(crypto, BIO_new_mem_buf)
#define BN_CTX_free LAZYLIB_FN(crypto, BN_CTX_free)
#define BN_CTX_new LAZYLIB_FN(crypto, BN_CTX_new)
#define BN_add LAZYLIB_FN(crypto, BN_add)
#define BN_add_word LAZYLIB_FN(crypto, BN_add_word)
#define BN_bn2dec LAZYLIB_FN(crypto, BN_bn2dec)
#define BN_copy LAZYLIB_FN(crypto, BN_copy)
#define BN_dec2bn LAZYLIB_FN(crypto, BN_dec2bn)
#define BN_div LAZYLIB_FN(crypto, BN_div)
#define BN_exp LAZYLIB_FN(crypto, BN_exp)
#define BN_free LAZYLIB_FN(crypto, BN_free)
#define BN_get_word LAZYLIB_FN(crypto, BN_get_word)
#define BN_is_bit_set LAZYLIB_FN(crypto, BN_is_bit_set)
#define BN_is_negative LAZYLIB_FN(crypto, BN_is_negative)
#define BN_is_odd LAZYLIB_FN(crypto, BN_is_odd)
#define BN_is_zero LAZYLIB_FN(crypto, BN_is_zero)
#define BN_lshift LAZYLIB_FN(crypto, BN_lshift)
#define BN_mul LAZYLIB_FN(crypto, BN_mul)
#define BN_mul_word LAZYLIB_FN(crypto, BN_mul_word)
#define BN_new LAZYLIB_FN(crypto, BN_new)
#define BN_num_bits LAZYLIB_FN(crypto, BN_num_bits)
#define BN_rshift LAZYLIB_FN(crypto, BN_rshift)
#define BN_set_negative LAZYLIB_FN(crypto, BN_set_negative)
#define BN_set_word LAZYLIB_FN(crypto, BN_set_word)
#define BN_sub LAZYLIB_FN(crypto, BN_sub)
#define BN_ucmp LAZYLIB_FN(crypto, BN_ucmp)
#define BN_value_one LAZYLIB_FN(crypto, BN_value_one)
#define BN_zero_ex LAZYLIB_FN(crypto, BN_zero_ex)
#define CRYPTO_free LAZYLIB_FN(crypto, CRYPTO_free)
#define ERR_clear_error LAZYLIB_FN(crypto, ERR_clear_error)
#define EVP_DecodeFinal LAZYLIB_FN(crypto, EVP_DecodeFinal)
#define EVP_DecodeInit LAZYLIB_FN(crypto, EVP_DecodeInit)
#define EVP_DecodeUpdate LAZYLIB_FN(crypto, EVP_DecodeUpdate)
#define EVP_DigestFinal_ex LAZYLIB_FN(crypto, EVP_DigestFinal_ex)
#define EVP_DigestInit_ex LAZYLIB_FN(crypto, EVP_DigestInit_ex)
#define EVP_DigestUpdate LAZYLIB_FN(crypto, EVP_DigestUpdate)
#define EVP_ENCODE_CTX_free LAZYLIB_FN(crypto, EVP_ENCODE_CTX_free)
#define EVP_ENCODE_CTX_new LAZYLIB_FN(crypto, EVP_ENCODE_CTX_new)
#define EVP_MD_CTX_free LAZYLIB_FN(crypto, EVP_MD_CTX_free)
#define EVP_MD_CTX_new LAZYLIB_FN(crypto, EVP_MD_CTX_new)
#define EVP_MD_get_size LAZYLIB_FN(crypto, EVP_MD_get_size)
#define EVP_PKEY_CTX_free LAZYLIB_FN(crypto, EVP_PKEY_CTX_free)
#define EVP_PKEY_CTX_new LAZYLIB_FN(crypto, EVP_PKEY_CTX_new)
#define EVP_PKEY_CTX_set_rsa_padding LAZYLIB_FN(crypto, EVP_PKEY_CTX_set_rsa_padding)
#define EVP_PKEY_decrypt LAZYLIB_FN(crypto, EVP_PKEY_decrypt)
#define EVP_PKEY_decrypt_init LAZYLIB_FN(crypto, EVP_PKEY_decrypt_init)
#define EVP_PKEY_free LAZYLIB_FN(crypto, EVP_PKEY_free)
#define EVP_md5 LAZYLIB_FN(crypto, EVP_md5)
#define EVP_sha1 LAZYLIB_FN(crypto, EVP_sha1)
#define EVP_sha224 LAZYLIB_FN(crypto, EVP_sha224)
#define EVP_sha256 LAZYLIB_FN(crypto, EVP_sha256)
#define EVP_sha384 LAZYLIB_FN(crypto, EVP_sha384)
#define EVP_sha512 LAZYLIB_FN(crypto, EVP_sha512)
#define HMAC LAZYLIB_FN(crypto, HMAC)
#define PEM_read_bio_PrivateKey LAZYLIB_FN(crypto, PEM_read_bio_PrivateKey)
#define RAND_bytes LAZYLIB_FN(crypto, RAND_bytes)

#endif
