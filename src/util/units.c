/* units.c — sizes with units ("256M", "4GiB") into bytes. */
#include "util/units.h"

#include <ctype.h>

int size_parse(const char *s, char bare_unit, uint64_t *bytes, struct kiln_error *err)
{
	const char *p = s;
	uint64_t v = 0;
	if (!isdigit((unsigned char)*p))
		return err_set_kind(err, ERR_INVALID, "invalid size \"%s\" (use a number with an optional k, M, G or T)", s);
	while (isdigit((unsigned char)*p)) {
		if (v > UINT64_MAX / 10)
			return err_set_kind(err, ERR_INVALID, "size \"%s\" is too large", s);
		v = v * 10 + (uint64_t)(*p++ - '0');
	}
	char unit = *p ? (char)tolower((unsigned char)*p) : (char)tolower((unsigned char)bare_unit);
	if (*p && p[1] && !(tolower((unsigned char)p[1]) == 'b' && !p[2]) && !(tolower((unsigned char)p[1]) == 'i' && tolower((unsigned char)p[2]) == 'b' && !p[3]))
		return err_set_kind(err, ERR_INVALID, "invalid size \"%s\" (use a number with an optional k, M, G or T)", s);
	unsigned shift;
	switch (unit) {
	case 'b': shift = 0; break;
	case 'k': shift = 10; break;
	case 'm': shift = 20; break;
	case 'g': shift = 30; break;
	case 't': shift = 40; break;
	case 'p': shift = 50; break;
	default:
		return err_set_kind(err, ERR_INVALID, "invalid size \"%s\": unknown unit '%c'", s, *p);
	}
	if (shift && v > (UINT64_MAX >> shift))
		return err_set_kind(err, ERR_INVALID, "size \"%s\" is too large", s);
	*bytes = v << shift;
	return 0;
}
