# src/hcl: the HCL language — values, types, conversions, evaluation, functions
src_libkiln_a_SOURCES += \
	src/hcl/number.c src/hcl/number.h \
	src/hcl/value.c src/hcl/value.h \
	src/hcl/type.c \
	src/hcl/convert.c
