# src/hcl: the HCL language — syntax side (lexer, parser, AST, diagnostics, formatter)
