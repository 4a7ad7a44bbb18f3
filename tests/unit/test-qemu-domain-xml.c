/* test-qemu-domain-xml.c — details of the domain XML renderer that the golden files (built from
 * templates, tests/data/domain-xml/) do not reach: escaping, disk target names past vdz, the device
 * slot of the user-mode NIC per machine type, vCPU counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/error.h"

#include <stdlib.h>
#include <string.h>

#include "qemu/domain_xml.h"
#include "qemu/vm_config.h"

static void assert_contains(const char *xml, const char *needle)
{
	if (!strstr(xml, needle))
		fail_msg("missing: %s\nin:\n%s", needle, xml);
}

static void test_escaping(void **state)
{
	(void)state;
	struct qemu_domain_disk disk = {.path = "/tmp/a&b/it's <here>.qcow2", .format = "qcow2", .bus = "virtio"};
	struct qemu_kv meta[] = {{"build", "qemu.\"x\""}};
	struct qemu_domain d = {.name = "n<1>", .type = "qemu", .memory_mib = 256, .vcpus = 1, .disks = &disk,
				.ndisks = 1, .serial = QEMU_SERIAL_NONE, .net = QEMU_NET_NONE, .metadata = meta, .nmetadata = 1};
	char *xml = qemu_domain_xml(&d);
	assert_contains(xml, "<name>n&lt;1&gt;</name>");
	assert_contains(xml, "<source file='/tmp/a&amp;b/it&apos;s &lt;here&gt;.qcow2'/>");
	assert_contains(xml, "build='qemu.&quot;x&quot;'");
	assert_contains(xml, "xmlns:kiln='urn:kiln:domain:1'");
	assert_null(strstr(xml, "qemu:commandline"));
	free(xml);
}

static void test_target_names(void **state)
{
	(void)state;
	struct qemu_domain_disk disks[30];
	for (size_t i = 0; i < 30; i++)
		disks[i] = (struct qemu_domain_disk){.path = "/d", .format = "raw", .bus = "virtio"};
	disks[29].bus = "scsi";
	struct qemu_domain d = {.name = "t", .type = "qemu", .memory_mib = 256, .disks = disks, .ndisks = 30,
				.net = QEMU_NET_NONE};
	char *xml = qemu_domain_xml(&d);
	assert_contains(xml, "<target dev='vda' bus='virtio'/>");
	assert_contains(xml, "<target dev='vdz' bus='virtio'/>");
	assert_contains(xml, "<target dev='vdaa' bus='virtio'/>");
	assert_contains(xml, "<target dev='vdac' bus='virtio'/>");
	assert_contains(xml, "<target dev='sda' bus='scsi'/>");
	assert_contains(xml, "<controller type='scsi' index='0' model='virtio-scsi'/>");
	free(xml);
}

static void test_user_net_slot(void **state)
{
	(void)state;
	struct qemu_port_forward fw = {"127.0.0.1", 2222, 22};
	struct qemu_domain d = {.name = "t", .type = "qemu", .machine = "pc", .memory_mib = 256, .net = QEMU_NET_USER,
				.net_model = "virtio-net-pci", .forwards = &fw, .nforwards = 1};
	char *xml = qemu_domain_xml(&d);
	assert_contains(xml, "<qemu:arg value='user,id=kilnnet0,hostfwd=tcp:127.0.0.1:2222-:22'/>");
	assert_contains(xml, "<qemu:arg value='virtio-net-pci,netdev=kilnnet0,bus=pci.0,addr=0x1f'/>");
	assert_contains(xml, "<controller type='usb' model='none'/>");
	free(xml);
	d.machine = "pc-q35-7.1";
	xml = qemu_domain_xml(&d);
	assert_contains(xml, "bus=pcie.0,addr=0x1e");
	free(xml);
	d.net_model = "usb-net";
	xml = qemu_domain_xml(&d);
	assert_contains(xml, "<qemu:arg value='usb-net,netdev=kilnnet0'/>");
	assert_contains(xml, "<controller type='usb' model='qemu-xhci'/>");
	free(xml);
}

static void test_vcpus(void **state)
{
	(void)state;
	struct qemu_domain d = {.name = "t", .type = "kvm", .memory_mib = 256, .vcpus = 2, .max_vcpus = 4,
				.sockets = 1, .cores = 2, .threads = 2, .net = QEMU_NET_NONE};
	char *xml = qemu_domain_xml(&d);
	assert_contains(xml, "<vcpu current='2'>4</vcpu>");
	assert_contains(xml, "<cpu mode='host-passthrough'>");
	assert_contains(xml, "<topology sockets='1' dies='1' cores='2' threads='2'/>");
	free(xml);
	struct qemu_domain plain = {.name = "t", .type = "qemu", .memory_mib = 256, .net = QEMU_NET_NONE};
	xml = qemu_domain_xml(&plain);
	assert_contains(xml, "<vcpu>1</vcpu>");
	assert_null(strstr(xml, "<cpu"));
	free(xml);
}

static void test_net_device_names(void **state)
{
	(void)state;
	assert_string_equal(qemu_net_qemu_device(NULL), "virtio-net-pci");
	assert_string_equal(qemu_net_qemu_device("virtio-net"), "virtio-net-pci");
	assert_string_equal(qemu_net_qemu_device("virtio"), "virtio-net-pci");
	assert_string_equal(qemu_net_qemu_device("e1000"), "e1000");
	assert_string_equal(qemu_net_libvirt_model("virtio-net-pci"), "virtio");
	assert_string_equal(qemu_net_libvirt_model("rtl8139"), "rtl8139");
	assert_string_equal(qemu_default_cdrom_bus("pc"), "ide");
	assert_string_equal(qemu_default_cdrom_bus("q35"), "sata");
}

static void test_cpu_model_and_vga(void **state)
{
	(void)state;
	char *store = NULL;
	const char *model = NULL;
	struct qemu_cpu_feature *f = NULL;
	size_t n = 0;
	struct kiln_error err = ERR_INIT;
	assert_int_equal(qemu_cpu_model_parse("EPYC,+svm,-x2apic,pdpe1gb=on,ssbd=off,avx2", &store, &model, &f, &n, &err), 0);
	assert_string_equal(model, "EPYC");
	assert_int_equal(n, 5);
	assert_string_equal(f[0].name, "svm");
	assert_true(f[0].enable);
	assert_false(f[1].enable);
	assert_true(f[2].enable);
	assert_string_equal(f[3].name, "ssbd");
	assert_false(f[3].enable);
	assert_string_equal(f[4].name, "avx2");
	assert_true(f[4].enable);
	free(store);
	free(f);
	const char *bad[] = {"", ",+x", "host,+", "host,hv-passthrough", "max,level=0xd", "Haswell;rm -rf"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(qemu_cpu_model_parse(bad[i], &store, &model, &f, &n, &err), -1);
		assert_null(store);
		assert_null(f);
		assert_true(err_is(&err, ERR_INVALID));
		err_clear(&err);
	}
	assert_string_equal(qemu_vga_libvirt_model("std"), "vga");
	assert_string_equal(qemu_vga_libvirt_model("vmware"), "vmvga");
	assert_string_equal(qemu_vga_libvirt_model("none"), "none");
	assert_null(qemu_vga_libvirt_model("tcx"));
	assert_null(qemu_vga_libvirt_model(NULL));

	/* rendering: features inside the mode's <cpu>, with the topology */
	struct qemu_cpu_feature feats[] = {{"pcid", true}, {"hle", false}};
	struct qemu_domain d = {.name = "t", .type = "qemu", .memory_mib = 256, .net = QEMU_NET_NONE,
				.cpu_mode = QEMU_CPU_MAXIMUM, .cpu_features = feats, .ncpu_features = 2,
				.vcpus = 2, .max_vcpus = 2, .sockets = 1, .cores = 2, .threads = 1, .video = "qxl"};
	char *xml = qemu_domain_xml(&d);
	assert_contains(xml, "  <cpu mode='maximum'>\n    <topology sockets='1' dies='1' cores='2' threads='1'/>\n"
			     "    <feature policy='require' name='pcid'/>\n    <feature policy='disable' name='hle'/>\n  </cpu>\n");
	assert_contains(xml, "<video>\n      <model type='qxl'/>\n    </video>");
	free(xml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_target_names),
		cmocka_unit_test(test_user_net_slot),
		cmocka_unit_test(test_vcpus),
		cmocka_unit_test(test_net_device_names),
		cmocka_unit_test(test_cpu_model_and_vga),
	};
	return cmocka_run_group_tests_name("qemu-domain-xml", tests, NULL, NULL);
}
