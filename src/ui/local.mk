# src/ui: Packer-style output, colour, machine-readable, progress, logging, secret masking
src_libkiln_a_SOURCES += \
	src/ui/ui.c src/ui/ui.h \
	src/ui/log.c \
	src/ui/secret.c

check_PROGRAMS += tests/unit/test-ui
TESTS += tests/unit/test-ui
tests_unit_test_ui_SOURCES = tests/unit/test-ui.c
tests_unit_test_ui_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ui_LDADD = $(UNIT_LDADD)
