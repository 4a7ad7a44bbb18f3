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
	src/template/pending_schemas.c \
	src/template/plan.c \
	src/template/version.c
