# src/config: kiln's own configuration file (the hosts of the build pool)
src_libkiln_a_SOURCES += \
	src/config/config.c src/config/config.h

check_PROGRAMS += tests/unit/test-config
TESTS += tests/unit/test-config
tests_unit_test_config_SOURCES = tests/unit/test-config.c
tests_unit_test_config_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_config_LDADD = $(UNIT_LDADD)
