# tests: shared test library, fixtures and suites that do not belong to one module
EXTRA_DIST += tests/lib/test-lib.sh
EXTRA_DIST += tests/lib/fixtures.sh tests/fixtures/fixture-lib.sh tests/fixtures/tiny-lib.sh \
	tests/fixtures/mk-test-key tests/fixtures/mk-tiny-image tests/fixtures/mk-debian-image tests/fixtures/mk-boot-iso
E2E_TESTS += tests/e2e/t0401-fixtures.sh
