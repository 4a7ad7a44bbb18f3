/* rss-run — run a command and report its peak memory: `rss-run FILE CMD [ARG...]` runs CMD, writes the
 * largest resident set size (in KiB) that CMD or any process it waited for reached to FILE, and exits
 * with CMD's status (128 + the signal number when a signal ended it). The kernel's own accounting
 * (wait4's rusage), so it needs no cgroup and no sampling. Used by tests/integration/t0160-hostile.sh. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: rss-run FILE CMD [ARG...]\n");
		return 2;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("rss-run: fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "rss-run: cannot run %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("rss-run: wait4");
			return 2;
		}
	}
	FILE *f = fopen(argv[1], "w");
	if (!f || fprintf(f, "%ld\n", ru.ru_maxrss) < 0 || fclose(f) != 0) {
		fprintf(stderr, "rss-run: cannot write %s\n", argv[1]);
		return 2;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
