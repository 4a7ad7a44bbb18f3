/* units.h — sizes with units: a number with an optional k, M, G, T or P (binary: 1M = 1 MiB), optionally
 * followed by "B" or "iB" ("512M", "4GiB", "10G"); a bare number is in bare_unit ('B', 'M', ...). */
#ifndef KILN_UTIL_UNITS_H
#define KILN_UTIL_UNITS_H

#include <stdint.h>

#include "util/error.h"

int size_parse(const char *s, char bare_unit, uint64_t *bytes, struct kiln_error *err);

#endif
