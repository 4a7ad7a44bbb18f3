# src/hcl: the HCL language — values, types, conversions, evaluation, functions
src_libkiln_a_SOURCES += \
	src/hcl/number.c src/hcl/number.h \
	src/hcl/value.c src/hcl/value.h \
	src/hcl/type.c \
	src/hcl/convert.c \
	src/hcl/eval.c src/hcl/eval.h \
	src/hcl/func.c src/hcl/func.h \
	src/hcl/funcutil.c src/hcl/funcutil.h \
	src/hcl/regex.c src/hcl/regex.h \
	src/hcl/func_string.c \
	src/hcl/func_number.c \
	src/hcl/func_collection.c \
	src/hcl/func_encoding.c \
	src/hcl/func_file.c \
	src/hcl/func_time.c \
	src/hcl/func_crypto.c \
	src/hcl/func_net.c \
	src/hcl/func_misc.c

check_PROGRAMS += tests/unit/test-hcl-value
TESTS += tests/unit/test-hcl-value
tests_unit_test_hcl_value_SOURCES = tests/unit/test-hcl-value.c
tests_unit_test_hcl_value_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hcl_value_LDADD = $(UNIT_LDADD)

# kiln console against Packer 1.6.6 (make regen regenerates expected.txt)
TESTS += tests/integration/t0150-console-diff.sh tests/integration/t0151-console.sh
EXTRA_DIST += tests/integration/t0150-console-diff.sh tests/integration/t0151-console.sh tests/console/cases.txt tests/console/expected.txt \
	tests/console/expected-doc.txt tests/console/fixtures

# libFuzzer targets: built and run by tests/fuzz/run.sh (a step of scripts/test), not by make check
EXTRA_DIST += tests/fuzz/run.sh tests/fuzz/fuzz-hcl-parser.c tests/fuzz/fuzz-hcl-eval.c \
	tests/fuzz/fuzz-plugin-rpc.c tests/fuzz/fuzz-plugin-sdk.c tests/fuzz/hcl.dict tests/fuzz/seeds

check_PROGRAMS += tests/unit/test-hcl-eval
TESTS += tests/unit/test-hcl-eval
tests_unit_test_hcl_eval_SOURCES = tests/unit/test-hcl-eval.c
tests_unit_test_hcl_eval_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hcl_eval_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test-hcl-funcs
TESTS += tests/unit/test-hcl-funcs
tests_unit_test_hcl_funcs_SOURCES = tests/unit/test-hcl-funcs.c
tests_unit_test_hcl_funcs_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hcl_funcs_LDADD = $(UNIT_LDADD)
