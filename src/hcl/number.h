/* number.h — HCL/cty numbers: binary floating point with arbitrary precision, modelled on Go's
 * math/big.Float as cty uses it. A number is sign × mant × 2^exp with `prec` bits of mantissa;
 * literals are parsed at 512 bits (cty), values that came from float64 functions carry 53 bits and
 * integers from int64 carry 64, exactly as in cty, because the precision decides how a number prints
 * when converted to a string (Text('f', -1): the shortest decimal that rounds back at that precision).
 *
 * Arithmetic follows big.Float: the result's precision is the larger of the operands', rounding is
 * to nearest even, and operations that Go would panic on (0/0, inf-inf, 0*inf) return -1.
 * hcl_num values are immutable once built; every function returns a newly allocated number. */
#ifndef KILN_HCL_NUMBER_H
#define KILN_HCL_NUMBER_H

#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"

#define HCL_NUM_PREC 512 /* cty's precision for parsed numbers */

struct hcl_num;

struct hcl_num *hcl_num_from_int(int64_t i);       /* prec 64 */
struct hcl_num *hcl_num_from_uint(uint64_t u);     /* prec 64 */
struct hcl_num *hcl_num_from_double(double d);     /* prec 53; NaN is not allowed */
struct hcl_num *hcl_num_inf(bool negative);
/* Decimal text as big.ParseFloat(s, 10, 512): [+-]digits[.digits][e[+-]digits], also "inf".
 * Returns NULL when s is not a number. */
struct hcl_num *hcl_num_parse(const char *s);
/* Integer text in `base` (2..62 as Go's big.Int SetString; 0 = prefix-detected); prec =
 * max(64, bit length). NULL when not valid. */
struct hcl_num *hcl_num_parse_int(const char *s, int base);
struct hcl_num *hcl_num_copy(const struct hcl_num *x);
void hcl_num_free(struct hcl_num *x);

/* Arithmetic: return 0 and set *out, or -1 for a NaN result (0/0, inf/inf, inf-inf, 0*inf). */
int hcl_num_add(const struct hcl_num *a, const struct hcl_num *b, struct hcl_num **out);
int hcl_num_sub(const struct hcl_num *a, const struct hcl_num *b, struct hcl_num **out);
int hcl_num_mul(const struct hcl_num *a, const struct hcl_num *b, struct hcl_num **out);
int hcl_num_quo(const struct hcl_num *a, const struct hcl_num *b, struct hcl_num **out);
/* cty's Modulo: a - b*trunc(a/b) computed at a's precision; a%0 is a; infinities give a*b. */
int hcl_num_mod(const struct hcl_num *a, const struct hcl_num *b, struct hcl_num **out);
struct hcl_num *hcl_num_neg(const struct hcl_num *x);
struct hcl_num *hcl_num_abs(const struct hcl_num *x);
/* Round toward -inf / +inf / zero to an integer (infinities stay). Precision kept. */
struct hcl_num *hcl_num_floor(const struct hcl_num *x);
struct hcl_num *hcl_num_ceil(const struct hcl_num *x);
struct hcl_num *hcl_num_trunc(const struct hcl_num *x);

int hcl_num_cmp(const struct hcl_num *a, const struct hcl_num *b); /* -1, 0, 1 (-0 == 0) */
int hcl_num_sign(const struct hcl_num *x);                         /* -1, 0, 1 */
bool hcl_num_is_inf(const struct hcl_num *x);
bool hcl_num_is_int(const struct hcl_num *x);
/* Exact int64 value: true only when x is an integer in range (as big.Float.Int64 == Exact). */
bool hcl_num_to_int64(const struct hcl_num *x, int64_t *out);
/* Nearest float64 (overflow gives ±inf). */
double hcl_num_to_double(const struct hcl_num *x);
/* Truncated integer as decimal text ("" for infinities); caller frees. */
char *hcl_num_int_text(const struct hcl_num *x);

/* Go's big.Float Text('f', -1): shortest decimal that rounds back at x's precision; "+Inf"/"-Inf". */
void hcl_num_format(const struct hcl_num *x, struct buf *out);
char *hcl_num_to_string(const struct hcl_num *x);
/* Go's strconv.FormatFloat(d, 'g', -1, 64) — how float64 values print (fmt %v). */
void hcl_double_format_g(double d, struct buf *out);
/* Go's fmt %v of the value after hcl2shim: exact int64 as an integer, otherwise float64 %g. */
void hcl_num_format_shim(const struct hcl_num *x, struct buf *out);

#endif
