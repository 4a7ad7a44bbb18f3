/* process.c — starting, watching and ending a plugin process (see process.h). */
#include "plugin/process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugin/protocol.h"
#include "ui/ui.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/strv.h"
#include "util/timeutil.h"

extern char **environ;

/* The environment: kiln's own, without any KILN_PLUGIN_* it inherited, plus the plugin's three. */
static void plugin_env(struct strv *env)
{
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "KILN_PLUGIN_MAGIC_COOKIE=", 25) != 0 && strncmp(*e, "KILN_PLUGIN_FD=", 15) != 0 &&
		    strncmp(*e, "KILN_PLUGIN_PROTOCOL=", 21) != 0)
			strv_push(env, *e);
	strv_push(env, PLUGIN_ENV_COOKIE "=" PLUGIN_COOKIE_VALUE);
	strv_pushf(env, PLUGIN_ENV_FD "=%d", PLUGIN_SOCKET_FD);
	strv_pushf(env, PLUGIN_ENV_PROTOCOL "=%d.%d", PLUGIN_PROTOCOL_MAJOR, PLUGIN_PROTOCOL_MINOR);
}

static void kill_group(void *arg)
{
	pid_t pid = (pid_t)(intptr_t)arg;
	kill(-pid, SIGKILL);
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child(const char *path, const char *cwd, char *const *envp, int sock, int out, int execpipe, pid_t parent)
{
	sig_child_reset();
	setpgid(0, 0);
	/* die with kiln (kill -9 included); and if kiln is already gone, do not start at all */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	/* Move the descriptors out of the way first, then into place (either may already be 1, 2 or 3). */
	int s = fcntl(sock, F_DUPFD, 10), o = fcntl(out, F_DUPFD, 10);
	int dn = open("/dev/null", O_RDONLY);
	if (s < 0 || o < 0 || dn < 0 || dup2(dn, STDIN_FILENO) < 0 || dup2(o, STDOUT_FILENO) < 0 ||
	    dup2(o, STDERR_FILENO) < 0 || dup2(s, PLUGIN_SOCKET_FD) < 0 || (cwd && chdir(cwd) < 0))
		goto fail;
	char *argv[] = {(char *)path, NULL};
	execve(path, argv, envp);
fail:;
	int e = errno;
	ssize_t w = write(execpipe, &e, sizeof e);
	(void)w;
	_exit(127);
}

int plugin_proc_start(const char *path, const char *cwd, struct plugin_proc **out, struct kiln_error *err)
{
	int sv[2] = {-1, -1}, outp[2] = {-1, -1}, execp[2] = {-1, -1};
	struct strv env = STRV_INIT;
	struct plugin_proc *p = NULL;
	int rc = -1;
	*out = NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || pipe2(outp, O_CLOEXEC) < 0 ||
	    pipe2(execp, O_CLOEXEC) < 0) {
		err_set_errno(err, errno, "cannot start the plugin %s", path);
		goto out;
	}
	plugin_env(&env);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		err_set_errno(err, errno, "cannot start the plugin %s", path);
		goto out;
	}
	if (pid == 0)
		child(path, cwd, strv_argv(&env), sv[1], outp[1], execp[1], parent);
	/* Also from here, so that a signal arriving before the child ran setpgid reaches no one else. */
	setpgid(pid, pid);
	close(execp[1]);
	execp[1] = -1;
	int child_errno = 0;
	ssize_t got;
	do
		got = read(execp[0], &child_errno, sizeof child_errno);
	while (got < 0 && errno == EINTR);
	if (got == (ssize_t)sizeof child_errno) {
		waitpid(pid, NULL, 0);
		err_set_errno(err, child_errno, "cannot run the plugin %s", path);
		goto out;
	}
	p = xcalloc(1, sizeof *p);
	p->pid = pid;
	p->name = path_basename(path);
	/* the file name's version suffix is noise in messages: kiln-plugin-hello_v1.0.0_x1.0_linux_amd64 */
	char *us = strchr(p->name, '_');
	if (us && strncmp(p->name, "kiln-plugin-", 12) == 0)
		*us = '\0';
	rpc_conn_init(&p->conn, sv[0]);
	sv[0] = -1;
	p->outfd = outp[0];
	outp[0] = -1;
	fcntl(p->outfd, F_SETFL, fcntl(p->outfd, F_GETFL) | O_NONBLOCK);
	p->force_handle = sig_on_force_exit(kill_group, (void *)(intptr_t)pid);
	log_debug("plugin %s: started %s as process %d", p->name, path, (int)pid);
	*out = p;
	rc = 0;
out:
	for (int *fd = (int[]){sv[0], sv[1], outp[0], outp[1], execp[0], execp[1]}, i = 0; i < 6; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	strv_free(&env);
	return rc;
}

static void keep_line(struct plugin_proc *p, const char *line)
{
	log_debug("plugin %s: %s", p->name, line);
	if (p->ntail == PLUGIN_TAIL_LINES) {
		free(p->tail[0]);
		memmove(p->tail, p->tail + 1, sizeof p->tail[0] * (PLUGIN_TAIL_LINES - 1));
		p->ntail--;
	}
	/* a line may be huge (a plugin dumping data): keep its start */
	size_t n = strlen(line);
	p->tail[p->ntail++] = n > 400 ? xasprintf("%.400s...", line) : xstrdup(line);
}

void plugin_proc_drain(struct plugin_proc *p)
{
	char chunk[8192];
	while (p->outfd >= 0) {
		ssize_t n = read(p->outfd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			close(p->outfd);
			p->outfd = -1;
			break;
		}
		buf_append(&p->partial, chunk, (size_t)n);
		size_t start = 0;
		for (size_t i = 0; i < p->partial.len; i++) {
			if (p->partial.data[i] != '\n')
				continue;
			p->partial.data[i] = '\0';
			if (i > start && p->partial.data[i - 1] == '\r')
				p->partial.data[i - 1] = '\0';
			keep_line(p, p->partial.data + start);
			start = i + 1;
		}
		buf_remove_prefix(&p->partial, start);
		if (p->partial.len > 65536) { /* no newline in sight: keep what there is as a line */
			keep_line(p, buf_cstr(&p->partial));
			buf_reset(&p->partial);
		}
	}
	if (p->partial.len) {
		keep_line(p, buf_cstr(&p->partial));
		buf_reset(&p->partial);
	}
}

bool plugin_proc_exited(struct plugin_proc *p)
{
	if (p->exited)
		return true;
	siginfo_t si;
	memset(&si, 0, sizeof si);
	/* WNOWAIT: the zombie keeps the process group's id reserved until the group is killed */
	if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == p->pid) {
		p->exited = true;
		if (si.si_code == CLD_EXITED)
			p->exit_code = si.si_status;
		else
			p->term_signal = si.si_status;
	}
	return p->exited;
}

char *plugin_proc_exit_text(const struct plugin_proc *p)
{
	if (!p->exited)
		return xstrdup("is still running");
	if (!p->term_signal)
		return xasprintf("exited with status %d", p->exit_code);
	int sig = p->term_signal;
	return xasprintf("was killed by signal %d (%s)", sig, strsignal(sig));
}

char *plugin_proc_tail_text(const struct plugin_proc *p)
{
	struct buf b = BUF_INIT;
	for (int i = 0; i < p->ntail; i++) {
		char *m = ui_mask(p->tail[i]);
		buf_printf(&b, "\n    %s", m);
		free(m);
	}
	return buf_detach(&b);
}

void plugin_proc_kill(struct plugin_proc *p)
{
	if (p->pid > 0)
		kill(-p->pid, SIGKILL);
}

void plugin_proc_stop(struct plugin_proc *p, long grace_ms)
{
	if (!p)
		return;
	rpc_conn_close(&p->conn);
	long until = time_mono_ms() + grace_ms;
	while (!plugin_proc_exited(p) && time_mono_ms() < until) {
		struct pollfd pfd = {p->outfd, POLLIN, 0};
		if (p->outfd >= 0 && poll(&pfd, 1, 20) > 0)
			plugin_proc_drain(p);
		else if (p->outfd < 0)
			poll(NULL, 0, 10);
	}
	if (!p->exited)
		log_debug("plugin %s: still running %ld ms after the end of its connection: killing it", p->name, grace_ms);
	/* whatever the plugin started and left behind goes with it */
	plugin_proc_kill(p);
	int st;
	while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
		;
	sig_forget(p->force_handle);
	plugin_proc_drain(p);
	if (p->outfd >= 0)
		close(p->outfd);
	buf_free(&p->partial);
	for (int i = 0; i < p->ntail; i++)
		free(p->tail[i]);
	free(p->name);
	free(p);
}
