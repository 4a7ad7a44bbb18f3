# src/engine: component registry, artifacts, run context, build steps
src_libkiln_a_SOURCES += \
	src/component.h \
	src/registry.c \
	src/schema.c src/schema.h \
	src/engine/artifact.c \
	src/engine/ctx.c \
	src/engine/steps.c src/engine/steps.h \
	src/engine/plan.h

check_PROGRAMS += tests/unit/test-engine
TESTS += tests/unit/test-engine
tests_unit_test_engine_SOURCES = tests/unit/test-engine.c
tests_unit_test_engine_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_engine_LDADD = $(UNIT_LDADD)

src_libkiln_a_SOURCES += \
	src/engine/build.c src/engine/build.h \
	src/engine/engine.c src/engine/engine.h \
	src/engine/checkpoint.c src/engine/checkpoint.h \
	src/engine/checkpoint_key.c src/engine/checkpoint_key.h \
	src/engine/checkpoint_store.c src/engine/checkpoint_store.h \
	src/engine/pool.c src/engine/pool.h \
	src/engine/sched.c src/engine/sched.h

check_PROGRAMS += tests/unit/test-engine-pool
TESTS += tests/unit/test-engine-pool
tests_unit_test_engine_pool_SOURCES = tests/unit/test-engine-pool.c tests/unit/ui-capture.h
tests_unit_test_engine_pool_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_engine_pool_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test-engine-run
TESTS += tests/unit/test-engine-run
tests_unit_test_engine_run_SOURCES = tests/unit/test-engine-run.c tests/unit/ui-capture.h
tests_unit_test_engine_run_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_engine_run_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test-engine-steps
TESTS += tests/unit/test-engine-steps
tests_unit_test_engine_steps_SOURCES = tests/unit/test-engine-steps.c
tests_unit_test_engine_steps_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_engine_steps_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test-checkpoint
TESTS += tests/unit/test-checkpoint
tests_unit_test_checkpoint_SOURCES = tests/unit/test-checkpoint.c
tests_unit_test_checkpoint_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_checkpoint_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test-schema
TESTS += tests/unit/test-schema
tests_unit_test_schema_SOURCES = tests/unit/test-schema.c
tests_unit_test_schema_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_schema_LDADD = $(UNIT_LDADD)
