# src/cli: the command table and one file per command
src_libkiln_a_SOURCES += \
	src/cli/cli.c src/cli/cli.h \
	src/cli/commands.c \
	src/cli/cmd-build.c \
	src/cli/cmd-cache.c \
	src/cli/cmd-console.c \
	src/cli/cmd-describe-component.c \
	src/cli/cmd-help.c \
	src/cli/cmd-hosts.c \
	src/cli/poolargs.c src/cli/poolargs.h \
	src/cli/cmd-inspect-image.c \
	src/cli/cmd-version.c

check_PROGRAMS += tests/unit/test-cli
TESTS += tests/unit/test-cli tests/integration/t0001-cli.sh tests/integration/t0010-man-completion.sh tests/integration/t0011-components-module.sh tests/integration/t0012-regen.sh tests/integration/t0600-build-cli.sh \
	tests/integration/t0601-cli-packer-parity.sh
EXTRA_DIST += tests/integration/t0601-cli-packer-parity.sh
tests_unit_test_cli_SOURCES = tests/unit/test-cli.c
tests_unit_test_cli_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_cli_LDADD = $(UNIT_LDADD)

# HCL and template commands (fmt, validate, inspect, init) and diagnostics output
src_libkiln_a_SOURCES += src/cli/diagout.c src/cli/diagout.h src/cli/cmd-fmt.c \
	src/cli/tmplargs.c src/cli/tmplargs.h src/cli/cmd-validate.c src/cli/cmd-inspect.c src/cli/cmd-init.c \
	src/cli/requirements.c src/cli/requirements.h src/cli/cmd-plugins.c
TESTS += tests/integration/t0100-fmt.sh tests/integration/t0104-required-plugins.sh
EXTRA_DIST += tests/integration/t0104-required-plugins.sh

# kiln build checks everything validate checks before anything is downloaded or booted (issue 15)
E2E_TESTS += tests/e2e/t0405-build-checks-first.sh
EXTRA_DIST += tests/e2e/t0405-build-checks-first.sh
