# qemu: the libvirt/QEMU builder
qemu_libkilnqemu_a_SOURCES += \
	qemu/boot_command.c qemu/boot_command.h \
	qemu/checksum.c qemu/checksum.h \
	qemu/download.c qemu/download.h

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
