# src/builder: builders that are not qemu (null)
src_libkilncomp_a_SOURCES += src/builder/null.c
TESTS += tests/integration/t0310-build-null.sh
TESTS += tests/integration/t0314-build-reboot.sh
