/* xml.c — AWS's XML answers through libxml2 into a plain tree (see xml.h). */
#include "cloud/aws/xml.h"
#include "util/buf.h"
#include "util/mem.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

void aws_xml_free(struct aws_xml *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->nchildren; i++)
		aws_xml_free(x->children[i]);
	free(x->children);
	free(x->name);
	free(x->text);
	free(x);
}

static int convert(xmlNode *n, int depth, struct aws_xml **out, struct kiln_error *err)
{
	if (depth > AWS_XML_MAX_DEPTH)
		return err_set_kind(err, ERR_INVALID, "XML nested deeper than %d elements", AWS_XML_MAX_DEPTH);
	struct aws_xml *x = xcalloc(1, sizeof *x);
	x->name = xstrdup((const char *)n->name);
	struct buf text = BUF_INIT;
	size_t cap = 0;
	for (xmlNode *c = n->children; c; c = c->next) {
		switch (c->type) {
		case XML_ELEMENT_NODE: {
			struct aws_xml *child = NULL;
			if (convert(c, depth + 1, &child, err) < 0) {
				buf_free(&text);
				aws_xml_free(x);
				return -1;
			}
			x->children = xgrow(x->children, &cap, x->nchildren + 1, sizeof *x->children);
			x->children[x->nchildren++] = child;
			break;
		}
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (c->content)
				buf_puts(&text, (const char *)c->content);
			break;
		case XML_ENTITY_REF_NODE:
			/* the predefined entities and character references arrive as text: this one was declared
			 * by the document itself */
			buf_free(&text);
			aws_xml_free(x);
			return err_set_kind(err, ERR_INVALID, "XML refers to an entity (&%s;) it declares itself",
					    c->name ? (const char *)c->name : "");
		default:
			break;  /* comments, processing instructions */
		}
	}
	x->text = buf_detach(&text);
	*out = x;
	return 0;
}

int aws_xml_parse(const char *data, size_t len, struct aws_xml **out, struct kiln_error *err)
{
	*out = NULL;
	pthread_once(&xml_once, xml_init);
	if (len > AWS_XML_MAX_BYTES)
		return err_set_kind(err, ERR_INVALID, "XML answer of %zu bytes is larger than %u", len, AWS_XML_MAX_BYTES);
	if (len == 0)
		return err_set_kind(err, ERR_INVALID, "empty XML answer");
	/* No network, no entity substitution, no DTD loading, errors returned rather than printed. */
	int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return err_set(err, "cannot create an XML parser");
	xmlDocPtr doc = xmlCtxtReadMemory(ctxt, data, (int)len, NULL, NULL, opts);
	int rc = -1;
	if (!doc) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		char *msg = e && e->message ? xstrdup(e->message) : xstrdup("not well-formed");
		size_t ml = strlen(msg);
		while (ml && (msg[ml - 1] == '\n' || msg[ml - 1] == ' '))
			msg[--ml] = '\0';
		err_set_kind(err, ERR_INVALID, "malformed XML answer (line %d): %s", e ? e->line : 0, msg);
		free(msg);
		goto out;
	}
	if (doc->intSubset || doc->extSubset) {
		err_set_kind(err, ERR_INVALID, "XML answer carries a DTD, which AWS never sends");
		goto out;
	}
	xmlNode *root = xmlDocGetRootElement(doc);
	if (!root) {
		err_set_kind(err, ERR_INVALID, "XML answer has no root element");
		goto out;
	}
	rc = convert(root, 1, out, err);
out:
	if (doc)
		xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return rc;
}

const struct aws_xml *aws_xml_child(const struct aws_xml *x, const char *name)
{
	if (!x)
		return NULL;
	for (size_t i = 0; i < x->nchildren; i++)
		if (strcmp(x->children[i]->name, name) == 0)
			return x->children[i];
	return NULL;
}

const struct aws_xml *aws_xml_path(const struct aws_xml *x, const char *path)
{
	const char *p = path;
	while (x && *p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		const struct aws_xml *next = NULL;
		for (size_t i = 0; i < x->nchildren && !next; i++)
			if (strlen(x->children[i]->name) == n && memcmp(x->children[i]->name, p, n) == 0)
				next = x->children[i];
		x = next;
		p += n;
		if (*p == '/')
			p++;
	}
	return x;
}

const char *aws_xml_text(const struct aws_xml *x, const char *path)
{
	const struct aws_xml *n = aws_xml_path(x, path);
	return n ? n->text : NULL;
}

bool aws_xml_error(const struct aws_xml *root, const char **code, const char **message)
{
	const struct aws_xml *e = NULL;
	if (!root)
		return false;
	if (strcmp(root->name, "Error") == 0)
		e = root;                                     /* S3 */
	else if (strcmp(root->name, "Response") == 0)
		e = aws_xml_path(root, "Errors/Error");       /* EC2 */
	else if (strcmp(root->name, "ErrorResponse") == 0)
		e = aws_xml_child(root, "Error");             /* STS, IAM */
	if (!e)
		return false;
	*code = aws_xml_text(e, "Code");
	*message = aws_xml_text(e, "Message");
	return true;
}
