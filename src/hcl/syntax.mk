# src/hcl: the HCL language — syntax side (lexer, parser, AST, diagnostics, formatter)
src_libkiln_a_SOURCES += \
	src/hcl/arena.c src/hcl/arena.h \
	src/hcl/ast.c src/hcl/ast.h \
	src/hcl/diag.c src/hcl/diag.h \
	src/hcl/format.c src/hcl/format.h \
	src/hcl/lexer.c src/hcl/lexer.h \
	src/hcl/parser.c src/hcl/parser.h

check_PROGRAMS += tests/unit/test-hcl-parser
TESTS += tests/unit/test-hcl-parser
tests_unit_test_hcl_parser_SOURCES = tests/unit/test-hcl-parser.c
tests_unit_test_hcl_parser_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hcl_parser_LDADD = $(UNIT_LDADD)

# HCL's conformance suite (tests/hcl-specsuite/tests, from the HCL repository; MPL-2.0, see
# tests/hcl-specsuite/LICENSE), run by kiln's own hcldec-style driver.
check_PROGRAMS += tests/hcl-specsuite/specsuite
TESTS += tests/hcl-specsuite/specsuite
tests_hcl_specsuite_specsuite_SOURCES = tests/hcl-specsuite/specsuite.c
tests_hcl_specsuite_specsuite_LDADD = $(KILN_LINK)
EXTRA_DIST += tests/hcl-specsuite/tests tests/hcl-specsuite/LICENSE tests/hcl-specsuite/README.upstream.md \
	tests/hcl-specsuite/known-failures
