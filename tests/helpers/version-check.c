/* version-check — src/util/version.c from the command line, for the differential test against
 * Packer 1.6.6 (tests/integration/t0103-version-constraints.sh).
 *
 *   usage: version-check VERSION < constraints
 *
 * For each line of standard input (a constraint), prints "yes" when VERSION satisfies it, "no" when
 * it does not, "invalid" when the constraint cannot be read. */
#include "util/buf.h"
#include "util/error.h"
#include "util/version.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fputs("usage: version-check VERSION < constraints\n", stderr);
		return 2;
	}
	char line[4096];
	while (fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\n")] = '\0';
		struct kiln_error err = ERR_INIT;
		int rc = version_satisfies(line, argv[1], &err);
		if (rc < 0 && strstr(err_cause(&err), "is not a version constraint") == NULL) {
			fprintf(stderr, "version-check: %s\n", err_cause(&err));
			return 2;
		}
		puts(rc > 0 ? "yes" : rc == 0 ? "no" : "invalid");
		err_clear(&err);
	}
	return 0;
}
