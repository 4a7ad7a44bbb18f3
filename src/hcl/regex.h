/* regex.h — regular expressions with Go's (RE2) semantics for the HCL functions regex, regexall,
 * replace and regex_replace, on top of PCRE2. PCRE2 reads every RE2 construct the same way once
 * `$` is end-of-text only and \d \w \s \b stay ASCII (both set here); what PCRE2 accepts beyond RE2
 * (backreferences, lookaround) is accepted rather than rejected — see docs/functions.md.
 * Matching iterates the way Go's FindAll and ReplaceAll do (no empty match right after a match). */
#ifndef KILN_HCL_REGEX_H
#define KILN_HCL_REGEX_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

struct hcl_re;

/* NULL with *err (caller frees) describing the problem. */
struct hcl_re *hcl_re_compile(const char *pattern, char **err);
void hcl_re_free(struct hcl_re *re);
size_t hcl_re_ngroups(const struct hcl_re *re);        /* capture groups, not counting the match */
const char *hcl_re_group_name(const struct hcl_re *re, size_t i); /* 1-based; NULL when unnamed */

/* Each match (leftmost-first, Go's iteration rules); offsets has 2*(ngroups+1) entries, -1 for
 * groups that did not participate. Return non-zero from fn to stop. Returns the number of matches. */
typedef int (*hcl_re_match_fn)(void *arg, const char *s, const long *offsets);
size_t hcl_re_each(const struct hcl_re *re, const char *s, size_t len, size_t max, hcl_re_match_fn fn, void *arg);

/* Go's ReplaceAllString: `$1`, `${1}`, `${name}`, `$name` expand (a missing group is empty, `$$` is
 * a dollar). */
void hcl_re_replace_all(const struct hcl_re *re, const char *s, size_t len, const char *repl, struct buf *out);

#endif
