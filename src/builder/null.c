/* null.c — the "null" builder (Packer's builder id "fnoeding.null"): builds nothing. It connects to an
 * existing machine with the communicator, runs the provisioners there and returns an empty artifact;
 * with communicator = "none" the provisioners run with no machine at all (shell-local, breakpoint). */
#include "comm/ssh.h"
#include "component.h"
#include "engine/steps.h"
#include "ui/ui.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

static const struct kiln_attr null_attrs[] = {
	SSH_CONFIG_ATTRS,
	{.name = NULL},
};
static const struct kiln_schema null_schema = {null_attrs, NULL};

struct null_build {
	const struct ssh_config *sc;
	struct kiln_ctx *ctx;
	struct kiln_comm *comm;
};

static int null_prepare(const struct kiln_config *cfg, void **instance, struct strv *warnings, struct kiln_error *err)
{
	(void)warnings;
	struct ssh_config *sc = xcalloc(1, sizeof *sc);
	if (ssh_config_decode(cfg, sc, err) < 0) {
		free(sc);
		return -1;
	}
	/* No machine is built, so nobody could install a temporary key: a way to log in must be given. */
	if (ssh_config_enabled(sc)) {
		int rc = 0;
		if (!sc->host && kiln_config_is_known(cfg, "ssh_host"))
			rc = kiln_config_error(cfg, "ssh_host", err, "the null builder needs ssh_host: the machine to provision");
		else if (!sc->password && !sc->private_key_file && !sc->agent_auth && kiln_config_is_known(cfg, "ssh_password"))
			rc = kiln_config_error(cfg, "ssh_password", err, "one authentication method must be specified: "
									 "ssh_password, ssh_private_key_file or ssh_agent_auth");
		if (rc < 0) {
			ssh_config_free(sc);
			free(sc);
			return -1;
		}
	}
	*instance = sc;
	return 0;
}

static int step_connect(void *state, struct kiln_error *err)
{
	struct null_build *b = state;
	ssh_export_build_data(b->ctx, b->sc, NULL, b->sc->host, b->sc->port);
	if (!ssh_config_enabled(b->sc))
		return 0;
	ui_say(b->ctx->ui, "Using SSH communicator to connect: %s", b->sc->host);
	ui_say(b->ctx->ui, "Waiting for SSH to become available...");
	struct ssh_connect_opts o = {.host = b->sc->host, .port = b->sc->port, .ui = b->ctx->ui};
	if (ssh_comm_connect(b->sc, &o, &b->comm, err) < 0)
		return -1;
	ui_say(b->ctx->ui, "Connected to SSH!");
	return 0;
}

static void cleanup_connect(void *state)
{
	struct null_build *b = state;
	ssh_comm_close(b->comm);
	b->comm = NULL;
}

static int step_provision(void *state, struct kiln_error *err)
{
	struct null_build *b = state;
	return b->ctx->ops->provision(b->ctx, b->comm, err);
}

static const struct step null_steps[] = {
	{"connect", step_connect, cleanup_connect},
	{"provision", step_provision, NULL},
};

extern const struct kiln_builder null_builder;   /* below: its builder_id names the artifact */

static int null_run(void *instance, struct kiln_ctx *ctx, struct kiln_artifact **artifact, struct kiln_error *err)
{
	struct null_build b = {.sc = instance, .ctx = ctx};
	struct steps_opts o = {.ctx = ctx};
	if (steps_run(null_steps, sizeof null_steps / sizeof null_steps[0], &b, &o, err) < 0)
		return -1;
	*artifact = kiln_artifact_new(null_builder.builder_id, "Null", "Did not export anything. This is the null builder");
	return 0;
}

static void null_destroy(void *instance)
{
	ssh_config_free(instance);
	free(instance);
}

const struct kiln_builder null_builder = {
	.type = "null",
	.builder_id = "fnoeding.null",
	.doc = "Builds nothing: provisions an existing machine over SSH (or nothing, with communicator = \"none\").",
	.schema = &null_schema,
	.prepare = null_prepare,
	.run = null_run,
	.destroy = null_destroy,
};
