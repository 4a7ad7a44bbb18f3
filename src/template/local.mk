# src/template: the Packer template model (loading, variables, locals, builds, component configs, plan)
src_libkiln_a_SOURCES += \
	src/template/template.h src/template/internal.h \
	src/template/body.c \
	src/template/builds.c \
	src/template/components.c \
	src/template/config.c \
	src/template/dynamic.c \
	src/template/evaluate.c \
	src/template/inspect.c \
	src/template/load.c \
	src/template/plan.c \
	src/template/varfile_json.c

check_PROGRAMS += tests/unit/test-template
TESTS += tests/unit/test-template
tests_unit_test_template_SOURCES = tests/unit/test-template.c
tests_unit_test_template_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_template_LDADD = $(UNIT_LDADD)

TESTS += tests/integration/t0101-validate.sh tests/integration/t0102-inspect-variables.sh \
	tests/integration/t0105-template-files.sh tests/integration/t0106-multi-builder.sh \
	tests/integration/t0107-data-null.sh
EXTRA_DIST += tests/data/hcl-malformed tests/data/template-inspect tests/data/hcl-fmt tests/data/multi-builder \
	tests/integration/t0105-template-files.sh tests/integration/t0106-multi-builder.sh \
	tests/integration/t0107-data-null.sh
