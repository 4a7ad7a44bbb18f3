# src/provisioner: one file per provisioner, and the helpers the shell-like ones share
src_libkilncomp_a_SOURCES += \
	src/provisioner/common.c src/provisioner/common.h \
	src/provisioner/breakpoint.c \
	src/provisioner/file.c \
	src/provisioner/shell.c \
	src/provisioner/shell_local.c
TESTS += tests/integration/t0311-provisioner-shell.sh
TESTS += tests/integration/t0312-provisioner-file.sh
TESTS += tests/integration/t0313-provisioner-local.sh

check_PROGRAMS += tests/unit/test-provisioner-common
TESTS += tests/unit/test-provisioner-common
tests_unit_test_provisioner_common_SOURCES = tests/unit/test-provisioner-common.c
tests_unit_test_provisioner_common_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_provisioner_common_LDADD = $(UNIT_LDADD)
