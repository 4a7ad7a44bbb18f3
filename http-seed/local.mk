# http-seed: the embedded HTTP seed server (libmicrohttpd)
http_seed_libkilnseed_a_SOURCES += \
	http-seed/seed_server.h \
	http-seed/server.c \
	http-seed/http_parse.c http-seed/http_parse.h

check_PROGRAMS += tests/unit/test-http-seed
TESTS += tests/unit/test-http-seed
tests_unit_test_http_seed_SOURCES = tests/unit/test-http-seed.c
tests_unit_test_http_seed_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_http_seed_LDADD = $(UNIT_LDADD)

TESTS += tests/integration/t0200-seed-server.sh tests/integration/t0201-seed-valgrind.sh
EXTRA_DIST += tests/integration/t0200-seed-server.sh tests/integration/t0201-seed-valgrind.sh tests/lib/seed-lib.sh
EXTRA_DIST += docs/http-seed.md bench/seed.sh
