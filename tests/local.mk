# tests: shared test library, fixtures and suites that do not belong to one module
EXTRA_DIST += tests/lib/test-lib.sh
