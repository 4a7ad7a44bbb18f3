/* shell_local.c — the `shell-local` post-processor: Packer's post-processor flavour of the shell-local
 * provisioner. It is the provisioner itself (its schema, prepare, run and destroy, through its component
 * table: no second copy of the code), run with no communicator once the artifact exists; the artifact
 * passes on unchanged and is kept. */
#include "component.h"
#include "provisioner/common.h"

extern const struct kiln_provisioner shell_local_provisioner;

static int shell_local_pp_prepare(const struct kiln_config *cfg, void **instance, struct strv *warnings,
				  struct kiln_error *err)
{
	return shell_local_provisioner.prepare(cfg, instance, warnings, err);
}

static int shell_local_pp_run(void *instance, struct kiln_ctx *ctx, struct kiln_artifact *in,
			      struct kiln_artifact **out, bool *keep_input, struct kiln_error *err)
{
	if (shell_local_provisioner.provision(instance, ctx, NULL, err) < 0)
		return -1;
	*out = in;
	*keep_input = true;
	return 0;
}

static void shell_local_pp_destroy(void *instance)
{
	shell_local_provisioner.destroy(instance);
}

const struct kiln_postprocessor shell_local_postprocessor = {
	.type = "shell-local",
	.doc = "Runs commands or scripts on the machine kiln runs on, once the artifact exists",
	.schema = &prov_shell_local_schema,
	.prepare = shell_local_pp_prepare,
	.run = shell_local_pp_run,
	.destroy = shell_local_pp_destroy,
};
