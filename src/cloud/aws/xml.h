/* xml.h — AWS's XML answers (S3, EC2, STS) read with libxml2 into a small tree of elements: local
 * names, direct text, children in order. The reader never loads anything from the network, never
 * expands an entity, refuses documents with a DTD, and caps size and depth: the input is a server's
 * answer, so it is outside input (tests/fuzz/fuzz-aws.c fuzzes it). */
#ifndef KILN_CLOUD_AWS_XML_H
#define KILN_CLOUD_AWS_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#define AWS_XML_MAX_BYTES (16u << 20)
#define AWS_XML_MAX_DEPTH 64

struct aws_xml {
	char *name;                  /* local name, without a namespace prefix */
	char *text;                  /* the element's own text (character data and CDATA), "" when none */
	struct aws_xml **children;   /* elements only, in document order */
	size_t nchildren;
};

/* Parse a whole document; *out is its root element. */
int aws_xml_parse(const char *data, size_t len, struct aws_xml **out, struct kiln_error *err);
void aws_xml_free(struct aws_xml *x);

/* The first child element named `name`, or NULL. */
const struct aws_xml *aws_xml_child(const struct aws_xml *x, const char *name);
/* Follow child names separated by '/': "Errors/Error/Code". NULL when a step is missing. */
const struct aws_xml *aws_xml_path(const struct aws_xml *x, const char *path);
/* The text at path, or NULL when there is no such element. */
const char *aws_xml_text(const struct aws_xml *x, const char *path);

/* An AWS error document — S3's <Error>, EC2's <Response><Errors><Error>, STS's <ErrorResponse><Error> —
 * gives its Code and Message (either may be NULL); false when the document is not an error. */
bool aws_xml_error(const struct aws_xml *root, const char **code, const char **message);

#endif
