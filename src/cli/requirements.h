/* requirements.h — a template's packer { required_plugins } against the plugins kiln has built in.
 *
 * Some of Packer's plugins are components built into kiln (github.com/hashicorp/qemu is kiln's qemu
 * builder). Each such plugin is listed with the releases kiln's components stand in for; a
 * requirement on it is satisfied when one of those releases satisfies its version constraint
 * (src/util/version.h, Packer's rules): "~> 1.0.8" by 1.0.10, "1.1.4" by 1.1.4, ">= 99.0.0" by none.
 * validate and build refuse an unsatisfied requirement on a built-in plugin, as Packer refuses a
 * required plugin that is not installed; init also reports every requirement. */
#ifndef KILN_CLI_REQUIREMENTS_H
#define KILN_CLI_REQUIREMENTS_H

#include <stdbool.h>

#include "hcl/diag.h"
#include "template/template.h"
#include "util/strv.h"

/* What kiln has of one required plugin. */
enum cli_req_state {
	CLI_REQ_BUILTIN,     /* built in, at a release that satisfies the constraint */
	CLI_REQ_VERSION,     /* built in, but no release kiln stands in for satisfies the constraint */
	CLI_REQ_MISSING,     /* kiln has none of the plugin's components */
};

struct cli_req_result {
	enum cli_req_state state;
	char *release;          /* CLI_REQ_BUILTIN: the newest release that satisfies the constraint */
	char *oldest, *newest;  /* the releases kiln stands in for (NULL when missing) */
	char *provides;         /* "builder \"qemu\"" (NULL when missing) */
};

/* Check one requirement (the constraint was read when the template was loaded). */
void cli_req_check(const struct tmpl_plugin_req *r, struct cli_req_result *out);
void cli_req_result_free(struct cli_req_result *r);
/* The error for a CLI_REQ_VERSION result, at the requirement. */
void cli_req_version_error(const struct tmpl_plugin_req *r, const struct cli_req_result *res, struct hcl_diags *d);

/* validate and build: an error diagnostic for each requirement on a built-in plugin that no release
 * kiln stands in for satisfies. Requirements on plugins kiln lacks are left to the component checks
 * (a multi-builder template may require plugins whose sources -only leaves out). */
void cli_check_required_plugins(struct tmpl *t, struct hcl_diags *d);

#endif
