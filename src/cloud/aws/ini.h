/* ini.h — the AWS shared config and credentials files (~/.aws/config, ~/.aws/credentials), read as the
 * AWS CLI reads them (Python's configparser): `[section]` headers, `key = value` or `key: value`, names
 * in lower case, values trimmed, `#` and `;` comment lines, indented lines continuing the previous value
 * (a key with an empty value and indented `sub = value` lines is a nested section, kept as text). A later
 * key or section of the same name wins. The files are the user's, but kiln reads whatever is there:
 * outside input, fuzzed by tests/fuzz/fuzz-aws.c. */
#ifndef KILN_CLOUD_AWS_INI_H
#define KILN_CLOUD_AWS_INI_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#define AWS_INI_MAX_BYTES (4u << 20)

struct aws_ini;

/* `path` names the file in errors ("~/.aws/config:12: ..."). */
int aws_ini_parse(const char *text, size_t len, const char *path, struct aws_ini **out, struct kiln_error *err);
/* Read and parse a file; a missing file is an empty one. */
int aws_ini_load(const char *path, struct aws_ini **out, struct kiln_error *err);
void aws_ini_free(struct aws_ini *ini);

/* The value of key in section, or NULL. */
const char *aws_ini_get(const struct aws_ini *ini, const char *section, const char *key);
size_t aws_ini_section_count(const struct aws_ini *ini);
const char *aws_ini_section_name(const struct aws_ini *ini, size_t i);

/* The section that holds a profile: in the config file "[profile NAME]" (or "[default]" / "[profile
 * default]" for "default"), in the credentials file "[NAME]". NULL when absent. */
const char *aws_ini_profile_section(const struct aws_ini *ini, const char *profile, bool config_file);

#endif
