# tests: shared test library, fixtures and suites that do not belong to one module
EXTRA_DIST += tests/lib/test-lib.sh
EXTRA_DIST += tests/lib/fixtures.sh tests/fixtures/fixture-lib.sh tests/fixtures/tiny-lib.sh \
	tests/fixtures/mk-test-key tests/fixtures/mk-tiny-image tests/fixtures/mk-debian-image tests/fixtures/mk-debian-repo tests/fixtures/mk-boot-iso
E2E_TESTS += tests/e2e/t0401-fixtures.sh
# tests/lib/libvirtd.sh (private libvirt daemons) and tests/lib/audit.sh (nothing left behind)
EXTRA_DIST += tests/lib/libvirtd.sh tests/lib/audit.sh
E2E_TESTS += tests/e2e/t0402-test-libs.sh
# the fault-injection suite (docs/reliability.md): kill -9, full disks, broken images, libvirtd restarts
EXTRA_DIST += tests/lib/faults.sh tests/lib/stall-http.py
E2E_TESTS += tests/e2e/t0490-faults-kill.sh tests/e2e/t0491-faults-disk.sh tests/e2e/t0492-faults-libvirtd.sh \
	tests/e2e/t0493-faults-panic.sh
# README command 1 (scripts/golden) end to end, and its printed boot line
E2E_TESTS += tests/e2e/t0720-golden.sh
EXTRA_DIST += tests/e2e/t0720-golden.sh

# The HTTP seed server's test and benchmark driver (tests/integration/t02*-seed-*.sh, bench/seed.sh).
check_PROGRAMS += tests/integration/seed-serve
tests_integration_seed_serve_SOURCES = tests/integration/seed-serve.c
tests_integration_seed_serve_LDADD = $(KILN_LINK)

# cloud-init/'s test driver: writes CDs and seeds for the tests to read back (t02*-cidata-*.sh).
check_PROGRAMS += tests/integration/cidata-tool
tests_integration_cidata_tool_SOURCES = tests/integration/cidata-tool.c
tests_integration_cidata_tool_LDADD = $(KILN_LINK)

# images/: the example templates validate and are fmt-clean (kiln and Packer 1.6.6)
TESTS += tests/integration/t0700-images.sh
EXTRA_DIST += tests/integration/t0700-images.sh
# bench/run-all: bench/RESULTS.md from the benchmarks' RESULT lines (stand-in benchmarks, nothing measured)
TESTS += tests/integration/t0710-bench-run-all.sh
EXTRA_DIST += tests/integration/t0710-bench-run-all.sh

# Hostile input (tests/data/hostile/*.case): limits, not crashes, hangs or runaway memory; rss-run
# measures a command's peak memory for it.
check_PROGRAMS += tests/helpers/rss-run
tests_helpers_rss_run_SOURCES = tests/helpers/rss-run.c
TESTS += tests/integration/t0160-hostile.sh tests/integration/t0161-secrets.sh tests/integration/t0162-signals.sh
EXTRA_DIST += tests/integration/t0160-hostile.sh tests/integration/t0161-secrets.sh tests/integration/t0162-signals.sh \
	tests/data/hostile
