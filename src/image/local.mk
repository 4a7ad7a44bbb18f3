# src/image: what is done to a finished disk: libguestfs inspection and sanitize, trim, format
# conversion and packaging (OVA, Vagrant box)
src_libkilncomp_a_SOURCES += \
	src/image/image.h \
	src/image/archive.c src/image/archive.h \
	src/image/config.c \
	src/image/export.c src/image/export_internal.h \
	src/image/gce.c \
	src/image/guest.c src/image/guest.h \
	src/image/info.c \
	src/image/inspect.c \
	src/image/ova.c \
	src/image/sanitize.c src/image/sanitize_internal.h \
	src/image/sanitize_inspect.c \
	src/image/sanitize_ops.c \
	src/image/sanitize_text.c src/image/sanitize_text.h \
	src/image/space.c \
	src/image/vagrant.c

# Drives the API from shell tests and bench/export.sh (not installed).
check_PROGRAMS += tests/helpers/image-driver
tests_helpers_image_driver_SOURCES = tests/helpers/image-driver.c
tests_helpers_image_driver_LDADD = $(KILN_LINK)

check_PROGRAMS += tests/unit/test-image
TESTS += tests/unit/test-image tests/integration/t0500-image-export.sh tests/integration/t0510-image-sanitize.sh \
	tests/integration/t0511-image-config.sh tests/integration/t0512-image-trim.sh \
	tests/integration/t0513-image-inspect-cache.sh tests/integration/t0502-image-gce.sh
EXTRA_DIST += tests/integration/t0500-image-export.sh tests/integration/t0510-image-sanitize.sh tests/lib/mk-fake-guest.sh \
	tests/integration/t0502-image-gce.sh \
	tests/integration/t0511-image-config.sh tests/integration/t0512-image-trim.sh \
	tests/integration/t0513-image-inspect-cache.sh tests/e2e/t0550-image-sanitize-boot.sh tests/e2e/t0551-image-inspect.sh
E2E_TESTS += tests/e2e/t0550-image-sanitize-boot.sh tests/e2e/t0551-image-inspect.sh
tests_unit_test_image_SOURCES = tests/unit/test-image.c
tests_unit_test_image_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_image_LDADD = $(UNIT_LDADD)
