# src/datasource: one file per data source
src_libkilncomp_a_SOURCES += src/datasource/null.c
