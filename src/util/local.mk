# src/util: buffers, strings, errors, files, temp dirs, subprocesses, hashing, time, signals
src_libkiln_a_SOURCES += \
	src/util/buf.c src/util/buf.h \
	src/util/dirlock.c src/util/dirlock.h \
	src/util/error.c src/util/error.h \
	src/util/file.c src/util/file.h \
	src/util/hash.c src/util/hash.h \
	src/util/lazylib.c src/util/lazylib.h src/util/lazy_crypto.h src/util/lazy_crypt.h \
	src/util/lazy_jansson.c src/util/lazy_jansson.h \
	src/util/lazy_m.h src/util/lazy_pcre2.h src/util/lazy_unistring.h src/util/lazy_yaml.h \
	src/util/mem.c src/util/mem.h \
	src/util/proc.c src/util/proc.h \
	src/util/signals.c src/util/signals.h \
	src/util/strmap.c src/util/strmap.h \
	src/util/strv.c src/util/strv.h \
	src/util/timeutil.c src/util/timeutil.h \
	src/util/units.c src/util/units.h \
	src/util/version.c src/util/version.h

check_PROGRAMS += tests/unit/test-util
TESTS += tests/unit/test-util
tests_unit_test_util_SOURCES = tests/unit/test-util.c
tests_unit_test_util_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_util_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test-version
TESTS += tests/unit/test-version
tests_unit_test_version_SOURCES = tests/unit/test-version.c
tests_unit_test_version_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_version_LDADD = $(UNIT_LDADD)
# the differential test of src/util/version.c against Packer 1.6.6's required_version
check_PROGRAMS += tests/helpers/version-check
tests_helpers_version_check_SOURCES = tests/helpers/version-check.c
tests_helpers_version_check_LDADD = $(KILN_LINK)
TESTS += tests/integration/t0103-version-constraints.sh
EXTRA_DIST += tests/integration/t0103-version-constraints.sh tests/data/version

# the one audited quoting function for remote shells (owned by the ssh work)
src_libkiln_a_SOURCES += src/util/shellquote.c src/util/shellquote.h
check_PROGRAMS += tests/unit/test-shellquote
TESTS += tests/unit/test-shellquote
tests_unit_test_shellquote_SOURCES = tests/unit/test-shellquote.c
tests_unit_test_shellquote_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_shellquote_LDADD = $(UNIT_LDADD)
