/* number.c — arbitrary-precision binary floating point with Go math/big.Float's rounding and
 * precision rules (what cty numbers are), on top of OpenSSL's BIGNUM for the integer mantissa.
 *
 * A finite number is (-1)^neg × m × 2^e with m an odd integer (or zero) of at most `prec` bits.
 * Exponents are bounded to ±HCL_NUM_MAXEXP bits, about 1e±39456 (Go allows ±2^31; nothing real gets
 * near either, and the bound keeps pathological literals such as 1e-999999999 from taking gigabytes
 * and minutes to print): beyond it a number overflows to ±Inf or underflows to ±0. */
#include "hcl/number.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include "util/lazy_crypto.h"
#include "util/mem.h"

#define HCL_NUM_MAXEXP (1L << 17)

struct hcl_num {
	unsigned prec;
	bool neg;
	bool inf;
	BIGNUM *m;
	long e;
};

/* One BN_CTX per thread, freed when the thread ends (builds evaluate numbers on their own threads). */
static pthread_key_t ctx_key;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static void ctx_free(void *ctx)
{
	BN_CTX_free(ctx);
}

static void ctx_key_init(void)
{
	if (pthread_key_create(&ctx_key, ctx_free) != 0)
		abort();
}

static BN_CTX *num_ctx(void)
{
	pthread_once(&ctx_once, ctx_key_init);
	BN_CTX *ctx = pthread_getspecific(ctx_key);
	if (!ctx) {
		ctx = BN_CTX_new();
		if (!ctx || pthread_setspecific(ctx_key, ctx) != 0)
			abort();
	}
	return ctx;
}

static void check_bn(int ok)
{
	if (!ok) {
		fprintf(stderr, "kiln: out of memory in big number arithmetic\n");
		abort();
	}
}

static BIGNUM *bn_new(void)
{
	BIGNUM *b = BN_new();
	check_bn(b != NULL);
	return b;
}

static struct hcl_num *num_alloc(unsigned prec)
{
	struct hcl_num *x = xcalloc(1, sizeof(*x));
	x->prec = prec;
	x->m = bn_new();
	return x;
}

void hcl_num_free(struct hcl_num *x)
{
	if (!x)
		return;
	BN_free(x->m);
	free(x);
}

static bool num_is_zero(const struct hcl_num *x)
{
	return !x->inf && BN_is_zero(x->m);
}

/* Strip trailing zero bits, check the exponent range. */
static void num_normalize(struct hcl_num *x)
{
	if (x->inf)
		return;
	if (BN_is_zero(x->m)) {
		x->e = 0;
		return;
	}
	int tz = 0;
	while (!BN_is_bit_set(x->m, tz))
		tz++;
	if (tz) {
		check_bn(BN_rshift(x->m, x->m, tz));
		x->e += tz;
	}
	long top = x->e + BN_num_bits(x->m);
	if (top > HCL_NUM_MAXEXP) {
		x->inf = true;
		BN_zero(x->m);
		x->e = 0;
	} else if (top < -HCL_NUM_MAXEXP) {
		BN_zero(x->m);
		x->e = 0;
	}
}

/* Round the mantissa to x->prec bits, to nearest even; `sticky` says that bits below the mantissa
 * (already dropped) were non-zero. */
static void num_round_sticky(struct hcl_num *x, bool sticky)
{
	if (x->inf || BN_is_zero(x->m))
		return;
	int bits = BN_num_bits(x->m);
	if ((unsigned)bits > x->prec) {
		int sh = bits - (int)x->prec;
		bool half = BN_is_bit_set(x->m, sh - 1);
		for (int i = 0; i < sh - 1 && !sticky; i++)
			if (BN_is_bit_set(x->m, i))
				sticky = true;
		check_bn(BN_rshift(x->m, x->m, sh));
		x->e += sh;
		if (half && (sticky || BN_is_odd(x->m)))
			check_bn(BN_add_word(x->m, 1));
	}
	num_normalize(x);
}

static void num_round(struct hcl_num *x)
{
	num_round_sticky(x, false);
}

struct hcl_num *hcl_num_from_uint(uint64_t u)
{
	struct hcl_num *x = num_alloc(64);
	/* BN_set_word takes BN_ULONG, which is 64 bits on the platforms kiln supports. */
	check_bn(BN_set_word(x->m, (BN_ULONG)u));
	num_normalize(x);
	return x;
}

struct hcl_num *hcl_num_from_int(int64_t i)
{
	uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
	struct hcl_num *x = hcl_num_from_uint(u);
	x->neg = i < 0;
	return x;
}

struct hcl_num *hcl_num_inf(bool negative)
{
	struct hcl_num *x = num_alloc(HCL_NUM_PREC);
	x->inf = true;
	x->neg = negative;
	return x;
}

struct hcl_num *hcl_num_from_double(double d)
{
	struct hcl_num *x = num_alloc(53);
	x->neg = signbit(d) != 0;
	if (isinf(d)) {
		x->inf = true;
		return x;
	}
	if (d == 0)
		return x;
	int exp;
	double frac = frexp(fabs(d), &exp); /* d = frac * 2^exp, frac in [0.5, 1) */
	uint64_t mant = (uint64_t)ldexp(frac, 64);
	check_bn(BN_set_word(x->m, (BN_ULONG)mant));
	x->e = exp - 64;
	num_normalize(x);
	return x;
}

struct hcl_num *hcl_num_copy(const struct hcl_num *x)
{
	struct hcl_num *y = num_alloc(x->prec);
	y->neg = x->neg;
	y->inf = x->inf;
	y->e = x->e;
	check_bn(BN_copy(y->m, x->m) != NULL);
	return y;
}

static struct hcl_num *num_with_prec(const struct hcl_num *x, unsigned prec)
{
	struct hcl_num *y = hcl_num_copy(x);
	y->prec = prec;
	num_round(y);
	return y;
}

/* z = a * b at precision prec (exact then rounded). */
static struct hcl_num *num_mul_prec(const struct hcl_num *a, const struct hcl_num *b, unsigned prec)
{
	struct hcl_num *z = num_alloc(prec);
	z->neg = a->neg != b->neg;
	if (a->inf || b->inf) {
		z->inf = true;
		return z;
	}
	check_bn(BN_mul(z->m, a->m, b->m, num_ctx()));
	z->e = a->e + b->e;
	num_round(z);
	return z;
}

/* z = a / b at precision prec, b finite non-zero, a finite. */
static struct hcl_num *num_quo_prec(const struct hcl_num *a, const struct hcl_num *b, unsigned prec)
{
	struct hcl_num *z = num_alloc(prec);
	z->neg = a->neg != b->neg;
	if (BN_is_zero(a->m))
		return z;
	long k = (long)prec + 2 + BN_num_bits(b->m) - BN_num_bits(a->m);
	if (k < 0)
		k = 0;
	BIGNUM *n = bn_new(), *r = bn_new();
	check_bn(BN_lshift(n, a->m, (int)k));
	check_bn(BN_div(z->m, r, n, b->m, num_ctx()));
	z->e = a->e - k - b->e;
	bool sticky = !BN_is_zero(r);
	BN_free(n);
	BN_free(r);
	num_round_sticky(z, sticky);
	return z;
}

static unsigned max_prec(const struct hcl_num *a, const struct hcl_num *b)
{
	return a->prec > b->prec ? a->prec : b->prec;
}

/* Exact |a| + |b| or |a| - |b| helper: z = sa*a + sb*b, rounded to prec. */
static struct hcl_num *num_addsub(const struct hcl_num *a, const struct hcl_num *b, bool negate_b,
				  unsigned prec)
{
	bool bneg = b->neg != negate_b;
	struct hcl_num *z = num_alloc(prec);
	if (BN_is_zero(a->m) && BN_is_zero(b->m)) {
		/* Go: -0 + -0 = -0, otherwise +0 */
		z->neg = a->neg && bneg;
		return z;
	}
	if (BN_is_zero(b->m)) {
		hcl_num_free(z);
		return num_with_prec(a, prec);
	}
	if (BN_is_zero(a->m)) {
		hcl_num_free(z);
		z = num_with_prec(b, prec);
		z->neg = bneg;
		return z;
	}
	/* Replace an operand far below the other's rounding position by a tiny stand-in: the result
	 * rounds the same, and we never shift by millions of bits. */
	const struct hcl_num *big = a, *small = b;
	long topa = a->e + BN_num_bits(a->m), topb = b->e + BN_num_bits(b->m);
	bool swapped = false;
	if (topb > topa) {
		big = b;
		small = a;
		swapped = true;
	}
	long topbig = swapped ? topb : topa, topsmall = swapped ? topa : topb;
	long limit = topbig - (long)prec - 4;
	if (prec < (unsigned)BN_num_bits(big->m))
		limit = topbig - BN_num_bits(big->m) - 4;
	BIGNUM *sm = bn_new();
	long se;
	if (topsmall < limit && topsmall < big->e - 4) {
		check_bn(BN_one(sm));
		se = (limit < big->e - 4 ? limit : big->e - 4) - 1;
	} else {
		check_bn(BN_copy(sm, small->m) != NULL);
		se = small->e;
	}
	bool big_neg = swapped ? bneg : a->neg;
	bool small_neg = swapped ? a->neg : bneg;
	BIGNUM *bm = bn_new();
	check_bn(BN_copy(bm, big->m) != NULL);
	long e = big->e < se ? big->e : se;
	check_bn(BN_lshift(bm, bm, (int)(big->e - e)));
	check_bn(BN_lshift(sm, sm, (int)(se - e)));
	BN_set_negative(bm, big_neg);
	BN_set_negative(sm, small_neg);
	check_bn(BN_add(z->m, bm, sm));
	z->e = e;
	if (BN_is_zero(z->m)) {
		z->neg = false; /* x - x = +0 under ToNearestEven */
	} else {
		z->neg = BN_is_negative(z->m);
		BN_set_negative(z->m, 0);
	}
	BN_free(bm);
	BN_free(sm);
	num_round(z);
	return z;
}

int hcl_num_add(const struct hcl_num *a, const struct hcl_num *b, struct hcl_num **out)
{
	unsigned prec = max_prec(a, b);
	if (a->inf || b->inf) {
		if (a->inf && b->inf && a->neg != b->neg)
			return -1;
		struct hcl_num *z = num_alloc(prec);
		z->inf = true;
		z->neg = a->inf ? a->neg : b->neg;
		*out = z;
		return 0;
	}
	*out = num_addsub(a, b, false, prec);
	return 0;
}

int hcl_num_sub(const struct hcl_num *a, const struct hcl_num *b, struct hcl_num **out)
{
	unsigned prec = max_prec(a, b);
	if (a->inf || b->inf) {
		if (a->inf && b->inf && a->neg == b->neg)
			return -1;
		struct hcl_num *z = num_alloc(prec);
		z->inf = true;
		z->neg = a->inf ? a->neg : !b->neg;
		*out = z;
		return 0;
	}
	*out = num_addsub(a, b, true, prec);
	return 0;
}

int hcl_num_mul(const struct hcl_num *a, const struct hcl_num *b, struct hcl_num **out)
{
	if ((a->inf && num_is_zero(b)) || (b->inf && num_is_zero(a)))
		return -1;
	*out = num_mul_prec(a, b, max_prec(a, b));
	return 0;
}

int hcl_num_quo(const struct hcl_num *a, const struct hcl_num *b, struct hcl_num **out)
{
	unsigned prec = max_prec(a, b);
	if ((num_is_zero(a) && num_is_zero(b)) || (a->inf && b->inf))
		return -1;
	struct hcl_num *z;
	if (a->inf || num_is_zero(b)) {
		z = num_alloc(prec);
		z->inf = true;
		z->neg = a->neg != b->neg;
	} else if (b->inf) {
		z = num_alloc(prec);
		z->neg = a->neg != b->neg;
	} else {
		z = num_quo_prec(a, b, prec);
	}
	*out = z;
	return 0;
}

/* Truncate to an integer in place (precision unchanged). */
static void num_trunc_inplace(struct hcl_num *x)
{
	if (x->inf || x->e >= 0)
		return;
	check_bn(BN_rshift(x->m, x->m, (int)-x->e));
	x->e = 0;
	num_normalize(x);
}

int hcl_num_mod(const struct hcl_num *a, const struct hcl_num *b, struct hcl_num **out)
{
	if (a->inf || b->inf)
		return hcl_num_mul(a, b, out);
	if (num_is_zero(b) && !b->neg) {
		*out = hcl_num_copy(a);
		return 0;
	}
	struct hcl_num *rat;
	if (hcl_num_quo(a, b, &rat) < 0)
		return -1;
	if (rat->inf) {
		/* Go's Float.Int leaves the big.Int at zero for infinities */
		BN_zero(rat->m);
		rat->inf = false;
	}
	num_trunc_inplace(rat);
	/* work := new(big.Float).Copy(a).SetInt(trunc): the dividend's precision, so that the product
	 * and the difference keep it (the older cty in Packer 1.6.6 used max(64, bit length)). */
	unsigned wprec = a->prec;
	rat->prec = wprec;
	num_round(rat);
	struct hcl_num *work = num_mul_prec(b, rat, wprec);
	hcl_num_free(rat);
	struct hcl_num *res = num_addsub(a, work, true, wprec);
	hcl_num_free(work);
	*out = res;
	return 0;
}

struct hcl_num *hcl_num_neg(const struct hcl_num *x)
{
	struct hcl_num *y = hcl_num_copy(x);
	y->neg = !y->neg;
	return y;
}

struct hcl_num *hcl_num_abs(const struct hcl_num *x)
{
	struct hcl_num *y = hcl_num_copy(x);
	y->neg = false;
	return y;
}

static bool num_has_fraction(const struct hcl_num *x)
{
	return !x->inf && !BN_is_zero(x->m) && x->e < 0;
}

struct hcl_num *hcl_num_trunc(const struct hcl_num *x)
{
	struct hcl_num *y = hcl_num_copy(x);
	num_trunc_inplace(y);
	return y;
}

static struct hcl_num *num_round_dir(const struct hcl_num *x, bool up)
{
	struct hcl_num *y = hcl_num_copy(x);
	if (!num_has_fraction(x))
		return y;
	num_trunc_inplace(y);
	/* truncation moved toward zero; step away when that was the wrong direction */
	if (up != x->neg) {
		struct hcl_num *one = hcl_num_from_int(x->neg ? -1 : 1), *z;
		hcl_num_add(y, one, &z);
		hcl_num_free(one);
		z->prec = x->prec;
		hcl_num_free(y);
		y = z;
	}
	return y;
}

struct hcl_num *hcl_num_floor(const struct hcl_num *x)
{
	return num_round_dir(x, false);
}

struct hcl_num *hcl_num_ceil(const struct hcl_num *x)
{
	return num_round_dir(x, true);
}

int hcl_num_sign(const struct hcl_num *x)
{
	if (num_is_zero(x))
		return 0;
	return x->neg ? -1 : 1;
}

bool hcl_num_is_inf(const struct hcl_num *x)
{
	return x->inf;
}

bool hcl_num_is_int(const struct hcl_num *x)
{
	return !x->inf && (BN_is_zero(x->m) || x->e >= 0);
}

int hcl_num_cmp(const struct hcl_num *a, const struct hcl_num *b)
{
	int sa = hcl_num_sign(a), sb = hcl_num_sign(b);
	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (sa == 0)
		return 0;
	/* same sign, both non-zero */
	int mag;
	if (a->inf || b->inf) {
		mag = (a->inf && b->inf) ? 0 : (a->inf ? 1 : -1);
	} else {
		long ta = a->e + BN_num_bits(a->m), tb = b->e + BN_num_bits(b->m);
		if (ta != tb) {
			mag = ta < tb ? -1 : 1;
		} else {
			BIGNUM *x = bn_new(), *y = bn_new();
			long e = a->e < b->e ? a->e : b->e;
			check_bn(BN_lshift(x, a->m, (int)(a->e - e)));
			check_bn(BN_lshift(y, b->m, (int)(b->e - e)));
			mag = BN_ucmp(x, y);
			mag = mag < 0 ? -1 : mag > 0;
			BN_free(x);
			BN_free(y);
		}
	}
	return sa < 0 ? -mag : mag;
}

bool hcl_num_to_int64(const struct hcl_num *x, int64_t *out)
{
	if (!hcl_num_is_int(x))
		return false;
	if (BN_is_zero(x->m)) {
		*out = 0;
		return true;
	}
	long bits = BN_num_bits(x->m) + x->e;
	if (bits > 64)
		return false;
	BIGNUM *t = bn_new();
	check_bn(BN_lshift(t, x->m, (int)x->e));
	uint64_t u = BN_get_word(t);
	BN_free(t);
	if (!x->neg && u > (uint64_t)INT64_MAX)
		return false;
	if (x->neg && u > (uint64_t)INT64_MAX + 1)
		return false;
	*out = x->neg ? (int64_t)(0 - u) : (int64_t)u;
	return true;
}

double hcl_num_to_double(const struct hcl_num *x)
{
	if (x->inf)
		return x->neg ? -INFINITY : INFINITY;
	if (BN_is_zero(x->m))
		return x->neg ? -0.0 : 0.0;
	long top = x->e + BN_num_bits(x->m) - 1; /* exponent of the leading bit */
	double r;
	if (top >= 1024) {
		r = INFINITY;
	} else {
		long eff = 53;
		if (top < -1022)
			eff = 53 - (-1022 - top);
		if (eff < 1) {
			/* below half the smallest subnormal rounds to zero, above it to the smallest */
			r = (top == -1075 && BN_num_bits(x->m) > 1) ? ldexp(1, -1074) : 0.0;
		} else {
			struct hcl_num *y = num_with_prec(x, (unsigned)eff);
			if (y->inf) {
				r = INFINITY;
			} else {
				uint64_t u = BN_get_word(y->m);
				r = ldexp((double)u, (int)y->e);
			}
			hcl_num_free(y);
		}
	}
	return x->neg ? -r : r;
}

char *hcl_num_int_text(const struct hcl_num *x)
{
	if (x->inf)
		return xstrdup("");
	struct hcl_num *t = hcl_num_trunc(x);
	BIGNUM *v = bn_new();
	check_bn(BN_lshift(v, t->m, (int)t->e));
	BN_set_negative(v, t->neg && !BN_is_zero(v));
	char *s = BN_bn2dec(v);
	check_bn(s != NULL);
	char *r = xstrdup(s);
	OPENSSL_free(s);
	BN_free(v);
	hcl_num_free(t);
	return r;
}

/* ---- parsing ---- */

static struct hcl_num *num_pow5(unsigned long n, unsigned prec)
{
	/* Go's Float.pow5: exact up to 5^27, then binary powering at prec+64 bits */
	static const uint64_t tab[28] = {
		1ULL, 5ULL, 25ULL, 125ULL, 625ULL, 3125ULL, 15625ULL, 78125ULL, 390625ULL, 1953125ULL,
		9765625ULL, 48828125ULL, 244140625ULL, 1220703125ULL, 6103515625ULL, 30517578125ULL,
		152587890625ULL, 762939453125ULL, 3814697265625ULL, 19073486328125ULL,
		95367431640625ULL, 476837158203125ULL, 2384185791015625ULL, 11920928955078125ULL,
		59604644775390625ULL, 298023223876953125ULL, 1490116119384765625ULL,
		7450580596923828125ULL,
	};
	struct hcl_num *z;
	if (n <= 27) {
		z = hcl_num_from_uint(tab[n]);
		z->prec = prec;
		num_round(z);
		return z;
	}
	z = hcl_num_from_uint(tab[27]);
	z->prec = prec;
	num_round(z);
	n -= 27;
	struct hcl_num *f = hcl_num_from_uint(5);
	f->prec = prec + 64;
	while (n > 0) {
		if (n & 1) {
			struct hcl_num *t = num_mul_prec(z, f, z->prec);
			hcl_num_free(z);
			z = t;
		}
		struct hcl_num *t = num_mul_prec(f, f, f->prec);
		hcl_num_free(f);
		f = t;
		n >>= 1;
		if (z->inf)
			break;
	}
	hcl_num_free(f);
	return z;
}

struct hcl_num *hcl_num_parse(const char *s)
{
	const char *p = s;
	bool neg = false;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (strcmp(p, "Inf") == 0 || strcmp(p, "inf") == 0)
		return hcl_num_inf(neg);
	struct buf digits = BUF_INIT;
	long exp10 = 0;
	bool any = false, dot = false;
	for (; *p; p++) {
		if (isdigit((unsigned char)*p)) {
			any = true;
			if (digits.len == 0 && *p == '0') {
				if (dot)
					exp10--;
				continue;
			}
			buf_putc(&digits, *p);
			if (dot)
				exp10--;
		} else if (*p == '.' && !dot) {
			dot = true;
		} else {
			break;
		}
	}
	if (!any)
		goto fail;
	if (*p == 'e' || *p == 'E') {
		p++;
		bool eneg = false;
		if (*p == '+' || *p == '-')
			eneg = *p++ == '-';
		if (!isdigit((unsigned char)*p))
			goto fail;
		long ev = 0;
		for (; isdigit((unsigned char)*p); p++)
			if (ev < 100000000)
				ev = ev * 10 + (*p - '0');
		exp10 += eneg ? -ev : ev;
	}
	if (*p)
		goto fail;

	struct hcl_num *z = num_alloc(HCL_NUM_PREC);
	z->neg = neg;
	if (digits.len == 0) {
		buf_free(&digits);
		return z;
	}
	BIGNUM *m = z->m;
	check_bn(BN_dec2bn(&m, digits.data) != 0);
	buf_free(&digits);
	if (exp10 > 400000000)
		exp10 = 400000000;
	if (exp10 < -400000000)
		exp10 = -400000000;
	/* 10^d = 2^d * 5^d: the 2^d part is exact, the 5^d part multiplies or divides at prec */
	num_round(z);
	if (exp10 > HCL_NUM_MAXEXP || exp10 < -HCL_NUM_MAXEXP) {
		bool big = exp10 > 0;
		BN_zero(z->m);
		z->e = 0;
		z->inf = big;
		return z;
	}
	z->e += exp10;
	num_normalize(z);
	if (exp10 != 0 && !z->inf && !BN_is_zero(z->m)) {
		struct hcl_num *p5 = num_pow5((unsigned long)labs(exp10), z->prec + 64);
		struct hcl_num *r;
		if (exp10 > 0)
			r = num_mul_prec(z, p5, z->prec);
		else
			r = num_quo_prec(z, p5, z->prec);
		hcl_num_free(p5);
		hcl_num_free(z);
		z = r;
	}
	return z;
fail:
	buf_free(&digits);
	return NULL;
}

struct hcl_num *hcl_num_parse_int(const char *s, int base)
{
	const char *p = s;
	bool neg = false;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (base == 0) {
		base = 10;
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
			base = 16, p += 2;
		else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
			base = 2, p += 2;
		else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
			base = 8, p += 2;
		else if (p[0] == '0' && p[1])
			base = 8, p += 1;
	}
	if (base < 2 || base > 62 || !*p)
		return NULL;
	BIGNUM *v = bn_new();
	for (; *p; p++) {
		int d;
		unsigned char c = (unsigned char)*p;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'z')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'Z')
			d = base <= 36 ? c - 'A' + 10 : c - 'A' + 36;
		else
			d = 99;
		if (d >= base) {
			BN_free(v);
			return NULL;
		}
		check_bn(BN_mul_word(v, (BN_ULONG)base));
		check_bn(BN_add_word(v, (BN_ULONG)d));
		if (BN_num_bits(v) > HCL_NUM_MAXEXP) {
			BN_free(v);
			return NULL;
		}
	}
	int bl = BN_num_bits(v);
	struct hcl_num *z = num_alloc(bl > 64 ? (unsigned)bl : 64);
	BN_free(z->m);
	z->m = v;
	z->neg = neg;
	num_normalize(z);
	return z;
}

/* ---- formatting (Go's math/big ftoa.go and strconv's 'g') ---- */

struct decimal {
	struct buf mant; /* digits without leading or trailing zeros */
	long dp;         /* decimal point position: value = 0.mant * 10^dp */
};

static void dec_trim(struct decimal *d)
{
	size_t n = d->mant.len;
	while (n > 0 && d->mant.data[n - 1] == '0')
		n--;
	buf_truncate(&d->mant, n);
	if (n == 0)
		d->dp = 0;
}

/* d = m * 2^shift exactly */
static void dec_init(struct decimal *d, const BIGNUM *m, long shift)
{
	buf_init(&d->mant);
	d->dp = 0;
	if (BN_is_zero(m))
		return;
	BIGNUM *t = bn_new();
	long dexp = 0;
	if (shift >= 0) {
		check_bn(BN_lshift(t, m, (int)shift));
	} else {
		BIGNUM *p = bn_new(), *five = bn_new();
		check_bn(BN_set_word(five, 5));
		BIGNUM *n = bn_new();
		check_bn(BN_set_word(n, (BN_ULONG)-shift));
		check_bn(BN_exp(p, five, n, num_ctx()));
		check_bn(BN_mul(t, m, p, num_ctx()));
		BN_free(p);
		BN_free(five);
		BN_free(n);
		dexp = shift; /* m * 2^-k = m * 5^k * 10^-k */
	}
	char *s = BN_bn2dec(t);
	check_bn(s != NULL);
	buf_puts(&d->mant, s);
	d->dp = (long)strlen(s) + dexp;
	OPENSSL_free(s);
	BN_free(t);
	dec_trim(d);
}

static char dec_at(const struct decimal *d, size_t i)
{
	return i < d->mant.len ? d->mant.data[i] : '0';
}

static void dec_round_up(struct decimal *d, size_t n)
{
	if (n >= d->mant.len)
		return;
	while (n > 0 && d->mant.data[n - 1] == '9')
		n--;
	if (n == 0) {
		buf_reset(&d->mant);
		buf_putc(&d->mant, '1');
		d->dp++;
		return;
	}
	d->mant.data[n - 1]++;
	buf_truncate(&d->mant, n);
}

static void dec_round_down(struct decimal *d, size_t n)
{
	if (n >= d->mant.len)
		return;
	buf_truncate(&d->mant, n);
	dec_trim(d);
}

static void dec_round(struct decimal *d, size_t n)
{
	if (n >= d->mant.len)
		return;
	bool up;
	if (d->mant.data[n] == '5' && n + 1 == d->mant.len)
		up = n > 0 && ((d->mant.data[n - 1] - '0') & 1);
	else
		up = d->mant.data[n] >= '5';
	if (up)
		dec_round_up(d, n);
	else
		dec_round_down(d, n);
}

/* Go's roundShortest: the shortest decimal within x's rounding interval. */
static void dec_round_shortest(struct decimal *d, const struct hcl_num *x)
{
	if (d->mant.len == 0)
		return;
	BIGNUM *mant = bn_new();
	check_bn(BN_copy(mant, x->m) != NULL);
	long exp = x->e;
	int s = BN_num_bits(mant) - (int)(x->prec + 1);
	if (s < 0)
		check_bn(BN_lshift(mant, mant, -s));
	else if (s > 0)
		check_bn(BN_rshift(mant, mant, s));
	exp += s;
	BIGNUM *t = bn_new();
	struct decimal lower, upper;
	check_bn(BN_sub(t, mant, BN_value_one()));
	dec_init(&lower, t, exp);
	check_bn(BN_add(t, mant, BN_value_one()));
	dec_init(&upper, t, exp);
	bool inclusive = !BN_is_bit_set(mant, 1);
	BN_free(t);
	BN_free(mant);
	/* walk along until d has distinguished itself from lower and upper (Go compares digit
	 * indexes, not positions; mirrored as is) */
	for (size_t i = 0; i < d->mant.len; i++) {
		char m = d->mant.data[i];
		char l = dec_at(&lower, i), u = dec_at(&upper, i);
		bool okdown = l != m || (inclusive && i + 1 == lower.mant.len);
		bool okup = m != u && (inclusive || m + 1 < u || i + 1 < upper.mant.len);
		if (okdown && okup) {
			dec_round(d, i + 1);
			break;
		} else if (okdown) {
			dec_round_down(d, i + 1);
			break;
		} else if (okup) {
			dec_round_up(d, i + 1);
			break;
		}
	}
	buf_free(&lower.mant);
	buf_free(&upper.mant);
}

void hcl_num_format(const struct hcl_num *x, struct buf *out)
{
	if (x->inf) {
		buf_puts(out, x->neg ? "-Inf" : "+Inf");
		return;
	}
	struct decimal d;
	dec_init(&d, x->m, x->e);
	dec_round_shortest(&d, x);
	if (x->neg)
		buf_putc(out, '-');
	/* %f with shortest precision */
	long prec = (long)d.mant.len - d.dp;
	if (prec < 0)
		prec = 0;
	if (d.dp > 0) {
		long m = (long)d.mant.len < d.dp ? (long)d.mant.len : d.dp;
		buf_append(out, d.mant.data, (size_t)m);
		for (; m < d.dp; m++)
			buf_putc(out, '0');
	} else {
		buf_putc(out, '0');
	}
	if (prec > 0) {
		buf_putc(out, '.');
		for (long i = 1; i <= prec; i++) {
			long j = d.dp + i - 1;
			buf_putc(out, (j < 0 || j >= (long)d.mant.len) ? '0' : d.mant.data[j]);
		}
	}
	buf_free(&d.mant);
}

char *hcl_num_to_string(const struct hcl_num *x)
{
	struct buf b = BUF_INIT;
	hcl_num_format(x, &b);
	return buf_detach(&b);
}

void hcl_double_format_g(double v, struct buf *out)
{
	if (isinf(v)) {
		buf_puts(out, v < 0 ? "-Inf" : "+Inf");
		return;
	}
	if (isnan(v)) {
		buf_puts(out, "NaN");
		return;
	}
	if (signbit(v))
		buf_putc(out, '-');
	v = fabs(v);
	if (v == 0) {
		buf_putc(out, '0');
		return;
	}
	/* shortest digits that round-trip */
	char tmp[64];
	for (int p = 0; p < 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	/* tmp = d[.ddd]e±XX */
	char digits[32];
	size_t nd = 0;
	char *ep = strchr(tmp, 'e');
	for (char *c = tmp; c < ep; c++)
		if (isdigit((unsigned char)*c))
			digits[nd++] = *c;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	int exp = atoi(ep + 1);
	if (exp < -4 || exp >= 6) {
		buf_putc(out, digits[0]);
		if (nd > 1) {
			buf_putc(out, '.');
			buf_append(out, digits + 1, nd - 1);
		}
		buf_printf(out, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
		return;
	}
	long dp = exp + 1;
	if (dp <= 0) {
		buf_puts(out, "0.");
		for (long i = dp; i < 0; i++)
			buf_putc(out, '0');
		buf_append(out, digits, nd);
	} else if ((size_t)dp >= nd) {
		buf_append(out, digits, nd);
		for (size_t i = nd; i < (size_t)dp; i++)
			buf_putc(out, '0');
	} else {
		buf_append(out, digits, (size_t)dp);
		buf_putc(out, '.');
		buf_append(out, digits + dp, nd - (size_t)dp);
	}
}

void hcl_num_format_shim(const struct hcl_num *x, struct buf *out)
{
	int64_t i;
	if (hcl_num_to_int64(x, &i)) {
		buf_printf(out, "%lld", (long long)i);
		return;
	}
	hcl_double_format_g(hcl_num_to_double(x), out);
}
