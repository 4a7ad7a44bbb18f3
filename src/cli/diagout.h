/* diagout.h — how commands print HCL diagnostics: HCL's text style on stderr, coloured on a terminal
 * (unless NO_COLOR or -color=false), secrets masked. */
#ifndef KILN_CLI_DIAGOUT_H
#define KILN_CLI_DIAGOUT_H

#include <stdio.h>

#include "hcl/ast.h"
#include "hcl/diag.h"
#include "util/error.h"

/* Print every diagnostic to f (stderr normally). files supplies the source lines; may be NULL.
 * With KILN_DIAG_FORMAT=short in the environment, one "file:line:col: error: summary" line each
 * (for editors and scripts). With -machine-readable (ui_configure), they go to standard output as
 * Packer writes them: one ui,error line holding them all when any is an error, else one ui,say. */
void cli_print_diags(FILE *f, const struct hcl_diags *d, const struct hcl_fileset *files);

/* Print a command's failure on stderr as "Error: TEXT", then the error's hint (if any) on a line of
 * its own, and clear e. Returns 1, a failed command's exit status. */
int cli_print_error(struct kiln_error *e);

/* Print "PREFIX: TEXT" on stderr (the hint is not printed) and clear e. */
void cli_print_error_line(const char *prefix, struct kiln_error *e);

#endif
