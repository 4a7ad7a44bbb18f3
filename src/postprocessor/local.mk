# src/postprocessor: one file per post-processor (registered in src/registry.c), and what they share
src_libkilncomp_a_SOURCES += \
	src/postprocessor/amazon_import.c \
	src/postprocessor/artifice.c \
	src/postprocessor/checksum.c \
	src/postprocessor/common.c src/postprocessor/common.h \
	src/postprocessor/compress.c \
	src/postprocessor/manifest.c \
	src/postprocessor/shell_local.c

check_PROGRAMS += tests/unit/test-postprocessor
TESTS += tests/unit/test-postprocessor tests/integration/t0520-postprocessors.sh
EXTRA_DIST += tests/integration/t0520-postprocessors.sh
tests_unit_test_postprocessor_SOURCES = tests/unit/test-postprocessor.c
tests_unit_test_postprocessor_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_postprocessor_LDADD = $(UNIT_LDADD)
