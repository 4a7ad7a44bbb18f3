/* plugin-handshake — how long starting a plugin and shaking hands with it takes, as kiln does it
 * (plugin_open: fork, exec, socket pair, handshake), for bench/plugin.sh.
 *
 *   plugin-handshake PLUGIN [RUNS]          prints one line per run, "open_us=N", then "median_us=N"
 *   plugin-handshake -spawn PROGRAM [RUNS]  the same for starting PROGRAM and waiting for it to exit
 *                                           (/bin/true: what any child process costs on this machine now) */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugin/host.h"
#include "util/timeutil.h"

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	bool spawn = argc > 1 && strcmp(argv[1], "-spawn") == 0;
	if (spawn) {
		argv++;
		argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: plugin-handshake [-spawn] PROGRAM [RUNS]\n");
		return 2;
	}
	int runs = argc > 2 ? atoi(argv[2]) : 50;
	if (runs < 1)
		runs = 1;
	int64_t *us = calloc((size_t)runs, sizeof *us);
	for (int i = 0; i < runs; i++) {
		struct plugin_conn *c;
		struct kiln_error err = ERR_INIT;
		int64_t t0 = time_mono_ns();
		if (spawn) {
			pid_t pid = fork();
			if (pid == 0) {
				execl(argv[1], argv[1], (char *)NULL);
				_exit(127);
			}
			int status = 0;
			if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				fprintf(stderr, "plugin-handshake: %s did not run\n", argv[1]);
				return 1;
			}
			us[i] = (time_mono_ns() - t0) / 1000;
			printf("open_us=%lld\n", (long long)us[i]);
			continue;
		}
		if (plugin_open(argv[1], NULL, &c, &err) < 0) {
			char *t = err_text(&err);
			fprintf(stderr, "plugin-handshake: %s\n", t);
			return 1;
		}
		us[i] = (time_mono_ns() - t0) / 1000;
		plugin_close(c);
		printf("open_us=%lld\n", (long long)us[i]);
	}
	qsort(us, (size_t)runs, sizeof *us, cmp);
	printf("median_us=%lld\n", (long long)us[runs / 2]);
	free(us);
	return 0;
}
