# qemu: the libvirt/QEMU builder
qemu_libkilnqemu_a_SOURCES += \
	qemu/accel.c qemu/accel.h \
	qemu/boot_command.c qemu/boot_command.h \
	qemu/build.h \
	qemu/builder.c qemu/checkpoint.c qemu/checkpoint.h \
	qemu/checksum.c qemu/checksum.h \
	qemu/builder_config.c qemu/builder_config.h \
	qemu/disk.c qemu/disk.h \
	qemu/domain_xml.c qemu/domain_xml.h \
	qemu/download.c qemu/download.h \
	qemu/hosts.c qemu/hosts.h \
	qemu/libvirt.c qemu/libvirt.h \
	qemu/outdir.c \
	qemu/ports.c qemu/ports.h \
	qemu/serial_log.c qemu/serial_log.h \
	qemu/step_finish.c \
	qemu/step_prepare.c \
	qemu/step_vm.c \
	qemu/vm_config.c qemu/vm_config.h \
	qemu/volcache.c qemu/volcache.h

check_PROGRAMS += tests/unit/test-qemu-volcache
TESTS += tests/unit/test-qemu-volcache
tests_unit_test_qemu_volcache_SOURCES = tests/unit/test-qemu-volcache.c
tests_unit_test_qemu_volcache_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_qemu_volcache_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test-qemu-checksum
TESTS += tests/unit/test-qemu-checksum
tests_unit_test_qemu_checksum_SOURCES = tests/unit/test-qemu-checksum.c
tests_unit_test_qemu_checksum_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_qemu_checksum_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test-qemu-download
TESTS += tests/unit/test-qemu-download
tests_unit_test_qemu_download_SOURCES = tests/unit/test-qemu-download.c
tests_unit_test_qemu_download_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_qemu_download_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test-qemu-boot-command
TESTS += tests/unit/test-qemu-boot-command
tests_unit_test_qemu_boot_command_SOURCES = tests/unit/test-qemu-boot-command.c
tests_unit_test_qemu_boot_command_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_qemu_boot_command_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test-qemu-serial-log
TESTS += tests/unit/test-qemu-serial-log
tests_unit_test_qemu_serial_log_SOURCES = tests/unit/test-qemu-serial-log.c
tests_unit_test_qemu_serial_log_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_qemu_serial_log_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test-qemu-domain-xml
TESTS += tests/unit/test-qemu-domain-xml
tests_unit_test_qemu_domain_xml_SOURCES = tests/unit/test-qemu-domain-xml.c
tests_unit_test_qemu_domain_xml_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_qemu_domain_xml_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test-qemu-disk
TESTS += tests/unit/test-qemu-disk
tests_unit_test_qemu_disk_SOURCES = tests/unit/test-qemu-disk.c
tests_unit_test_qemu_disk_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_qemu_disk_LDADD = $(UNIT_LDADD)

# The domain XML golden files' driver (make regen, t0410-qemu-domain-xml.sh).
check_PROGRAMS += tests/helpers/qemu-domain-xml
tests_helpers_qemu_domain_xml_SOURCES = tests/helpers/qemu-domain-xml.c
tests_helpers_qemu_domain_xml_LDADD = $(KILN_LINK)
TESTS += tests/integration/t0402-qemu-refusals.sh tests/integration/t0410-qemu-domain-xml.sh tests/integration/t0411-qemu-config.sh

check_PROGRAMS += tests/unit/test-qemu-docs
TESTS += tests/unit/test-qemu-docs
tests_unit_test_qemu_docs_SOURCES = tests/unit/test-qemu-docs.c
tests_unit_test_qemu_docs_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_qemu_docs_LDADD = $(UNIT_LDADD)

# End-to-end tests on real VMs under TCG (make check-e2e).
E2E_TESTS += tests/e2e/t0400-qemu-tiny.sh tests/e2e/t0420-qemu-failures.sh tests/e2e/t0430-qemu-boot-iso.sh \
	tests/e2e/t0440-qemu-debian.sh tests/e2e/t0450-qemu-remote.sh tests/e2e/t0460-qemu-pool.sh \
	tests/e2e/t0465-checkpoints.sh tests/e2e/t0466-checkpoints-debian.sh
EXTRA_DIST += tests/lib/qemu.sh

check_PROGRAMS += tests/unit/test-qemu-accel
TESTS += tests/unit/test-qemu-accel
tests_unit_test_qemu_accel_SOURCES = tests/unit/test-qemu-accel.c
tests_unit_test_qemu_accel_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_qemu_accel_LDADD = $(UNIT_LDADD)
