/* funcutil.h — helpers shared by the function groups (internal to src/hcl): UTF-8 and grapheme
 * clusters (cty counts and slices strings by grapheme cluster), Unicode case mapping, and small value
 * builders. */
#ifndef KILN_HCL_FUNCUTIL_H
#define KILN_HCL_FUNCUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hcl/func.h"
#include "hcl/value.h"
#include "util/buf.h"

/* Decode one code point at s (len bytes available). Returns its length (invalid bytes: 1, *cp =
 * U+FFFD). */
size_t hcl_utf8_next(const char *s, size_t len, uint32_t *cp);
void hcl_utf8_put(struct buf *b, uint32_t cp);
/* Length in bytes of the Unicode extended grapheme cluster starting at s (libunistring). */
size_t hcl_grapheme_next(const char *s, size_t len);
size_t hcl_grapheme_count(const char *s, size_t len);
/* Unicode simple case mapping (C.UTF-8 locale tables). */
uint32_t hcl_toupper(uint32_t cp);
uint32_t hcl_tolower(uint32_t cp);
bool hcl_isspace(uint32_t cp);   /* Go's unicode.IsSpace */
bool hcl_isletter(uint32_t cp);

/* Resolve a path argument against the context's base directory (NULL: cwd); caller frees. */
char *hcl_func_path(struct hcl_call *call, const char *path);

#endif
