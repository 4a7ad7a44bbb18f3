# cloud-init: NoCloud seeds and the cidata ISO
cloud_init_libkilncloudinit_a_SOURCES += \
	cloud-init/nocloud.c cloud-init/nocloud.h \
	cloud-init/cd_iso.c cloud-init/cd_iso.h

check_PROGRAMS += tests/unit/test-cloud-init
TESTS += tests/unit/test-cloud-init
tests_unit_test_cloud_init_SOURCES = tests/unit/test-cloud-init.c
tests_unit_test_cloud_init_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_cloud_init_LDADD = $(UNIT_LDADD)

TESTS += tests/integration/t0210-cidata-iso.sh
EXTRA_DIST += tests/integration/t0210-cidata-iso.sh
EXTRA_DIST += docs/cloud-init.md
