# src/builder: builders that are not qemu (null, file)
src_libkilncomp_a_SOURCES += src/builder/null.c src/builder/file.c
TESTS += tests/integration/t0310-build-null.sh tests/integration/t0315-build-file.sh
TESTS += tests/integration/t0314-build-reboot.sh
