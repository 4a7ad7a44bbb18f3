/* version.h — versions and version constraints exactly as Packer reads them (hashicorp/go-version):
 * `packer { required_version }`, `required_plugins` versions, and the versions of installed plugins.
 *
 * A version is "v1.2.3", "1.2", "1.2.3.4", "1.2.3-beta.1+build.5", "1.7rc2": one or more numeric
 * segments (padded to three), an optional prerelease and optional build metadata (ignored when
 * comparing). A constraint is a comma-separated list of terms, each an operator (=, !=, >, >=, <, <=,
 * ~>; none means =) and a version; a version satisfies it when it satisfies every term.
 *
 *     struct version_constraints c;
 *     if (version_constraints_parse(">= 1.2, < 2.0", &c, &err) < 0) ...
 *     struct version v;
 *     if (version_parse("1.4.0", &v, &err) < 0) ...
 *     if (version_constraints_check(&c, &v)) ...
 *     version_free(&v);
 *     version_constraints_free(&c);
 *
 * or, for one answer: version_satisfies(">= 1.2", "1.4.0", &err) → 1 / 0 / -1.
 *
 * Prereleases follow go-version: a prerelease version satisfies >, >=, <, <=, ~> only when the term
 * names a prerelease of the same segments (">= 1.0" is not satisfied by "1.2.0-rc1", ">= 1.2.0-a" is
 * by "1.2.0-rc1"); = and != compare the whole version. "~> 1.2" means >= 1.2, < 2.0; "~> 1.2.3" means
 * >= 1.2.3, < 1.3.0; a ~> term with a prerelease is satisfied only by prereleases. */
#ifndef KILN_UTIL_VERSION_H
#define KILN_UTIL_VERSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct version {
	int64_t *seg;      /* numeric segments, at least three (missing ones are 0) */
	size_t nseg;
	size_t written;    /* segments written in the text: 2 for "1.2" (what ~> looks at) */
	char *pre;         /* prerelease ("beta.1"), "" when none */
	char *meta;        /* build metadata ("build.5"), "" when none */
};

#define VERSION_INIT {NULL, 0, 0, NULL, NULL}

/* Parse text into *out, which starts as VERSION_INIT or a parsed version; the caller frees it with
 * version_free, also after a failure. */
int version_parse(const char *text, struct version *out, struct kiln_error *err);
void version_free(struct version *v);
/* -1, 0 or 1 as a sorts before, equal to or after b (metadata ignored, a release after its
 * prereleases). */
int version_compare(const struct version *a, const struct version *b);
/* The canonical form, "1.2.0-beta.1+build.5" (no "v", three segments at least); caller frees. */
char *version_string(const struct version *v);

enum version_op {
	VERSION_OP_EQ = 0,   /* "=" or none */
	VERSION_OP_NE,       /* "!=" */
	VERSION_OP_GT,       /* ">" */
	VERSION_OP_GE,       /* ">=" */
	VERSION_OP_LT,       /* "<" */
	VERSION_OP_LE,       /* "<=" */
	VERSION_OP_PESSIMISTIC, /* "~>" */
};

struct version_term {
	enum version_op op;
	struct version v;
	char *text;          /* the term as written, trimmed: ">= 1.2" */
};

struct version_constraints {
	struct version_term *terms;
	size_t n;
};

#define VERSION_CONSTRAINTS_INIT {NULL, 0}

/* Parse a constraint list into *out (VERSION_CONSTRAINTS_INIT or parsed before). Errors name the term
 * that cannot be read and hint at what a term looks like. The caller frees *out with
 * version_constraints_free, also after a failure. */
int version_constraints_parse(const char *text, struct version_constraints *out, struct kiln_error *err);
void version_constraints_free(struct version_constraints *c);
bool version_term_check(const struct version_term *t, const struct version *v);
/* Does v satisfy every term? */
bool version_constraints_check(const struct version_constraints *c, const struct version *v);
/* The first term v does not satisfy (to name it in a message), or NULL when v satisfies them all. */
const struct version_term *version_constraints_failing(const struct version_constraints *c,
						       const struct version *v);

/* One call: 1 when version satisfies constraints, 0 when not, -1 when either cannot be read. */
int version_satisfies(const char *constraints, const char *version, struct kiln_error *err);

#endif
