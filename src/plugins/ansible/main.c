/* main.c — kiln-plugin-ansible: provisioner "ansible" (remote.c) and "ansible-local" (local.c), served
 * by the C SDK. Required as `ansible` (github.com/hashicorp/ansible), so the component named "local"
 * is `ansible-local`, as in Packer. */
#include "ansible.h"

static const struct kp_plugin plugin = {
	.name = "ansible",
	.version = ANSIBLE_PLUGIN_VERSION,
	.provisioners = (const struct kp_provisioner *const[]){&ans_remote_provisioner, &ans_local_provisioner, NULL},
};

int main(int argc, char **argv)
{
	return kp_serve(&plugin, argc, argv);
}
