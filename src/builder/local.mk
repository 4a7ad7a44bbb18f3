# src/builder: builders that are not qemu (null)
src_libkiln_a_SOURCES += src/builder/null.c
