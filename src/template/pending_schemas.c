/* pending_schemas.c — placeholder configuration schemas for components that are being written but not
 * yet registered in src/registry.c, so templates using them validate today. They are consulted only
 * for types the registry does not have: when a real component lands, its own schema takes over and
 * its entry here becomes dead — delete it then. A pending component validates but cannot run. */
#include "template/internal.h"

#include <string.h>

#define S(n, t, doc) {n, t, 0, NULL, doc, NULL}
#define R(n, t, doc) {n, t, KILN_ATTR_REQUIRED, NULL, doc, NULL}
#define SECRET(n, t, doc) {n, t, KILN_ATTR_SENSITIVE, NULL, doc, NULL}
#define END {NULL, NULL, 0, NULL, NULL, NULL}

/* Packer's communicator settings, shared by builders that connect to a machine. */
#define COMMUNICATOR_ATTRS                                                                      \
	S("communicator", "string", "none, ssh or winrm"),                                      \
	S("pause_before_connecting", "string", "wait this long before connecting"),             \
	S("ssh_host", "string", NULL), S("ssh_port", "number", NULL),                           \
	S("ssh_username", "string", NULL), SECRET("ssh_password", "string", NULL),              \
	S("ssh_ciphers", "list(string)", NULL), S("ssh_clear_authorized_keys", "bool", NULL),   \
	S("ssh_key_exchange_algorithms", "list(string)", NULL),                                 \
	S("ssh_certificate_file", "string", NULL), S("ssh_pty", "bool", NULL),                  \
	S("ssh_timeout", "string", NULL), S("ssh_wait_timeout", "string", NULL),                \
	S("ssh_agent_auth", "bool", NULL), S("ssh_disable_agent_forwarding", "bool", NULL),     \
	S("ssh_handshake_attempts", "number", NULL), S("ssh_bastion_host", "string", NULL),     \
	S("ssh_bastion_port", "number", NULL), S("ssh_bastion_agent_auth", "bool", NULL),       \
	S("ssh_bastion_username", "string", NULL), SECRET("ssh_bastion_password", "string", NULL), \
	S("ssh_bastion_interactive", "bool", NULL), S("ssh_bastion_private_key_file", "string", NULL), \
	S("ssh_bastion_certificate_file", "string", NULL),                                      \
	S("ssh_file_transfer_method", "string", NULL), S("ssh_proxy_host", "string", NULL),     \
	S("ssh_proxy_port", "number", NULL), S("ssh_proxy_username", "string", NULL),           \
	SECRET("ssh_proxy_password", "string", NULL), S("ssh_keep_alive_interval", "string", NULL), \
	S("ssh_read_write_timeout", "string", NULL), S("ssh_remote_tunnels", "list(string)", NULL), \
	S("ssh_local_tunnels", "list(string)", NULL), S("ssh_private_key_file", "string", NULL), \
	S("ssh_keypair_name", "string", NULL), S("temporary_key_pair_name", "string", NULL),    \
	S("temporary_key_pair_type", "string", NULL), S("temporary_key_pair_bits", "number", NULL), \
	S("winrm_username", "string", NULL), SECRET("winrm_password", "string", NULL),          \
	S("winrm_host", "string", NULL), S("winrm_no_proxy", "bool", NULL),                     \
	S("winrm_port", "number", NULL), S("winrm_timeout", "string", NULL),                    \
	S("winrm_use_ssl", "bool", NULL), S("winrm_insecure", "bool", NULL),                    \
	S("winrm_use_ntlm", "bool", NULL)

/* --- builders --- */

static const struct kiln_attr null_attrs[] = {COMMUNICATOR_ATTRS, END};
static const struct kiln_schema null_schema = {null_attrs, NULL};

static const struct kiln_attr file_builder_attrs[] = {
	S("content", "string", "the file's contents"),
	S("source", "string", "a file to copy"),
	R("target", "string", "where to write the artifact"),
	END,
};
static const char *const file_builder_conflict[] = {"content", "source", NULL};
static const char *const *const file_builder_conflicts[] = {file_builder_conflict, NULL};
static const struct kiln_schema file_builder_schema = {file_builder_attrs, file_builder_conflicts};

/* --- provisioners --- */

static const struct kiln_attr shell_attrs[] = {
	S("inline", "list(string)", NULL), S("script", "string", NULL), S("scripts", "list(string)", NULL),
	S("environment_vars", "list(string)", NULL), S("env", "map(string)", NULL),
	S("env_var_format", "string", NULL), S("execute_command", "string", NULL),
	S("expect_disconnect", "bool", NULL), S("inline_shebang", "string", NULL),
	S("remote_folder", "string", NULL), S("remote_file", "string", NULL), S("remote_path", "string", NULL),
	S("skip_clean", "bool", NULL), S("start_retry_timeout", "string", NULL), S("pause_after", "string", NULL),
	S("valid_exit_codes", "list(number)", NULL), S("binary", "bool", NULL), S("use_env_var_file", "bool", NULL),
	END,
};
static const char *const shell_conflict[] = {"inline", "script", "scripts", NULL};
static const char *const *const shell_conflicts[] = {shell_conflict, NULL};
static const struct kiln_schema shell_schema = {shell_attrs, shell_conflicts};

static const struct kiln_attr shell_local_attrs[] = {
	S("command", "string", NULL), S("inline", "list(string)", NULL), S("inline_shebang", "string", NULL),
	S("script", "string", NULL), S("scripts", "list(string)", NULL), S("environment_vars", "list(string)", NULL),
	S("env", "map(string)", NULL), S("env_var_format", "string", NULL), S("execute_command", "list(string)", NULL),
	S("only_on", "list(string)", NULL), S("use_linux_pathing", "bool", NULL),
	S("valid_exit_codes", "list(number)", NULL), END,
};
static const char *const shell_local_conflict[] = {"command", "inline", "script", "scripts", NULL};
static const char *const *const shell_local_conflicts[] = {shell_local_conflict, NULL};
static const struct kiln_schema shell_local_schema = {shell_local_attrs, shell_local_conflicts};

static const struct kiln_attr breakpoint_attrs[] = {
	S("disable", "bool", NULL), S("note", "string", NULL), END,
};
static const struct kiln_schema breakpoint_schema = {breakpoint_attrs, NULL};

static const struct kiln_attr file_prov_attrs[] = {
	S("source", "string", NULL), S("sources", "list(string)", NULL), S("content", "string", NULL),
	R("destination", "string", NULL), S("direction", "string", NULL), S("generated", "bool", NULL), END,
};
static const char *const file_prov_conflict[] = {"source", "sources", "content", NULL};
static const char *const *const file_prov_conflicts[] = {file_prov_conflict, NULL};
static const struct kiln_schema file_prov_schema = {file_prov_attrs, file_prov_conflicts};

/* --- post-processors --- */

static const struct kiln_attr checksum_attrs[] = {
	S("checksum_types", "list(string)", NULL), S("output", "string", NULL), END,
};
static const struct kiln_schema checksum_schema = {checksum_attrs, NULL};

static const struct kiln_attr manifest_attrs[] = {
	S("output", "string", NULL), S("strip_path", "bool", NULL), S("strip_time", "bool", NULL),
	S("custom_data", "map(string)", NULL), END,
};
static const struct kiln_schema manifest_schema = {manifest_attrs, NULL};

static const struct kiln_attr compress_attrs[] = {
	S("output", "string", NULL), S("format", "string", NULL), S("compression_level", "number", NULL), END,
};
static const struct kiln_schema compress_schema = {compress_attrs, NULL};

struct pending {
	enum tmpl_kind kind;
	const char *type;
	const struct kiln_schema *schema;
};

static const struct pending pending[] = {
	{TMPL_BUILDER, "null", &null_schema},
	{TMPL_BUILDER, "file", &file_builder_schema},
	{TMPL_PROVISIONER, "shell", &shell_schema},
	{TMPL_PROVISIONER, "shell-local", &shell_local_schema},
	{TMPL_PROVISIONER, "breakpoint", &breakpoint_schema},
	{TMPL_PROVISIONER, "file", &file_prov_schema},
	{TMPL_POSTPROCESSOR, "checksum", &checksum_schema},
	{TMPL_POSTPROCESSOR, "manifest", &manifest_schema},
	{TMPL_POSTPROCESSOR, "compress", &compress_schema},
	{TMPL_POSTPROCESSOR, "shell-local", &shell_local_schema},
	{0, NULL, NULL},
};

const struct kiln_schema *tmpl_pending_schema(enum tmpl_kind kind, const char *type)
{
	for (size_t i = 0; pending[i].type; i++)
		if (pending[i].kind == kind && strcmp(pending[i].type, type) == 0)
			return pending[i].schema;
	return NULL;
}

void tmpl_pending_names(enum tmpl_kind kind, struct strv *out)
{
	for (size_t i = 0; pending[i].type; i++)
		if (pending[i].kind == kind)
			strv_push(out, pending[i].type);
}
