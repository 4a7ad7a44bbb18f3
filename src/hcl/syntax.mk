# src/hcl: the HCL language — syntax side (lexer, parser, AST, diagnostics, formatter)
src_libkiln_a_SOURCES += \
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
