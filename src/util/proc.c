/* proc.c — subprocesses from argv arrays (see proc.h). */
#include "util/proc.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/strv.h"
#include "util/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct line_acc {
	struct buf pending;
	bool is_stderr;
};

static void feed_lines(struct line_acc *acc, const char *data, size_t n, const struct proc_opts *o, bool flush)
{
	if (!o->on_line)
		return;
	buf_append(&acc->pending, data, n);
	size_t start = 0;
	for (size_t i = 0; i < acc->pending.len; i++) {
		/* "\r\n" is one line end; a lone '\r' (a redrawn progress line) ends a line only with split_cr,
		 * and only once the next byte is known not to be '\n'. */
		if (o->split_cr && acc->pending.data[i] == '\r' && i + 1 < acc->pending.len &&
		    acc->pending.data[i + 1] != '\n') {
			acc->pending.data[i] = '\0';
			o->on_line(o->line_arg, acc->is_stderr, acc->pending.data + start);
			start = i + 1;
			continue;
		}
		if (acc->pending.data[i] == '\n') {
			acc->pending.data[i] = '\0';
			size_t end = i;
			if (end > start && acc->pending.data[end - 1] == '\r')
				acc->pending.data[end - 1] = '\0';
			o->on_line(o->line_arg, acc->is_stderr, acc->pending.data + start);
			start = i + 1;
		}
	}
	buf_remove_prefix(&acc->pending, start);
	if (flush && acc->pending.len) {
		o->on_line(o->line_arg, acc->is_stderr, buf_cstr(&acc->pending));
		buf_reset(&acc->pending);
	}
}


static char **build_env(char *const *extra, struct strv *store)
{
	if (!extra)
		return environ;
	for (char **e = environ; *e; e++) {
		const char *eq = strchr(*e, '=');
		size_t klen = eq ? (size_t)(eq - *e) : strlen(*e);
		bool overridden = false;
		for (char *const *x = extra; *x; x++)
			if (strncmp(*x, *e, klen) == 0 && (*x)[klen] == '=')
				overridden = true;
		if (!overridden)
			strv_push(store, *e);
	}
	for (char *const *x = extra; *x; x++)
		strv_push(store, *x);
	return (char **)strv_argv(store);
}

int proc_run(char *const argv[], const struct proc_opts *opts, int *exit_status, struct kiln_error *err)
{
	static const struct proc_opts defaults;
	const struct proc_opts *o = opts ? opts : &defaults;
	int inpipe[2] = {-1, -1}, outpipe[2] = {-1, -1}, errpipe[2] = {-1, -1}, execpipe[2] = {-1, -1};
	struct strv envstore = STRV_INIT;
	struct line_acc acc_out = {BUF_INIT, false}, acc_err = {BUF_INIT, true};
	int rc = -1;
	pid_t pid = -1;

	if (pipe2(execpipe, O_CLOEXEC) < 0 ||
	    (!o->inherit_stdio && (pipe2(outpipe, O_CLOEXEC) < 0 || pipe2(errpipe, O_CLOEXEC) < 0)) ||
	    (o->stdin_data && pipe2(inpipe, O_CLOEXEC) < 0)) {
		err_set_errno(err, errno, "cannot create pipes for %s", argv[0]);
		goto out;
	}
	char **envp = build_env(o->env_extra, &envstore);

	pid_t parent = getpid();
	pid = fork();
	if (pid < 0) {
		err_set_errno(err, errno, "cannot start %s", argv[0]);
		goto out;
	}
	if (pid == 0) {
		sig_child_reset();
		setpgid(0, 0);
		/* A kiln killed with SIGKILL takes its subprocesses with it: a qemu-img left writing into an
		 * output directory the next build takes over would corrupt what that build writes. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if (o->stdin_data) {
			dup2(inpipe[0], STDIN_FILENO);
		} else if (!o->inherit_stdio) {
			int dn = open("/dev/null", O_RDONLY);
			if (dn >= 0)
				dup2(dn, STDIN_FILENO);
		}
		if (!o->inherit_stdio) {
			dup2(outpipe[1], STDOUT_FILENO);
			dup2(errpipe[1], STDERR_FILENO);
		}
		if (o->cwd && chdir(o->cwd) < 0) {
			int e = errno;
			ssize_t w = write(execpipe[1], &e, sizeof e);
			(void)w;
			_exit(127);
		}
		environ = envp;
		execvp(argv[0], argv);
		int e = errno;
		ssize_t w = write(execpipe[1], &e, sizeof e);
		(void)w;
		_exit(127);
	}
	close(execpipe[1]);
	execpipe[1] = -1;
	int child_errno = 0;
	ssize_t got;
	do
		got = read(execpipe[0], &child_errno, sizeof child_errno);
	while (got < 0 && errno == EINTR);
	if (got == (ssize_t)sizeof child_errno) {
		waitpid(pid, NULL, 0);
		pid = -1;
		err_set_errno(err, child_errno, "cannot run %s", argv[0]);
		if (child_errno == ENOENT)
			err_hint(err, "install %s (scripts/install-deps installs everything kiln uses)", argv[0]);
		goto out;
	}

	if (inpipe[0] >= 0) {
		close(inpipe[0]);
		inpipe[0] = -1;
		fcntl(inpipe[1], F_SETFL, O_NONBLOCK);
	}
	if (outpipe[1] >= 0) {
		close(outpipe[1]);
		outpipe[1] = -1;
		close(errpipe[1]);
		errpipe[1] = -1;
	}

	size_t in_off = 0;
	long start = time_mono_ms();
	bool killed = false;
	const char *why_killed = NULL;
	for (;;) {
		struct pollfd pfd[4];
		int n = 0, idx_out = -1, idx_err = -1, idx_in = -1, idx_cancel = -1;
		if (outpipe[0] >= 0) { pfd[n] = (struct pollfd){outpipe[0], POLLIN, 0}; idx_out = n++; }
		if (errpipe[0] >= 0) { pfd[n] = (struct pollfd){errpipe[0], POLLIN, 0}; idx_err = n++; }
		if (inpipe[1] >= 0) { pfd[n] = (struct pollfd){inpipe[1], POLLOUT, 0}; idx_in = n++; }
		if (!o->ignore_cancel && sig_cancel_fd() >= 0 && !killed) {
			pfd[n] = (struct pollfd){sig_cancel_fd(), POLLIN, 0};
			idx_cancel = n++;
		}
		if (idx_out < 0 && idx_err < 0 && idx_in < 0) {
			if (o->inherit_stdio && !killed) {
				/* Nothing to read: just wait for the child, still honouring cancel/timeout. */
				int st;
				pid_t w = waitpid(pid, &st, WNOHANG);
				if (w == pid) {
					*exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
					pid = -1;
					break;
				}
				if (sig_cancelled() && !o->ignore_cancel) {
					why_killed = "cancelled";
					killed = true;
					kill(-pid, SIGTERM);
				} else if (o->timeout_ms && time_mono_ms() - start > o->timeout_ms) {
					why_killed = "timed out";
					killed = true;
					kill(-pid, SIGTERM);
				}
				poll(NULL, 0, 50);
				continue;
			}
			break;
		}
		int timeout = 200;
		int pr = poll(pfd, (nfds_t)n, timeout);
		if (pr < 0 && errno != EINTR) {
			err_set_errno(err, errno, "poll");
			break;
		}
		if (!killed && ((idx_cancel >= 0 && (pfd[idx_cancel].revents & POLLIN)) || (sig_cancelled() && !o->ignore_cancel))) {
			why_killed = "cancelled";
			killed = true;
			kill(-pid, SIGTERM);
		}
		if (!killed && o->timeout_ms && time_mono_ms() - start > o->timeout_ms) {
			why_killed = "timed out";
			killed = true;
			kill(-pid, SIGTERM);
		}
		char tmp[16384];
		int idxs[2] = {idx_out, idx_err};
		int *fds[2] = {&outpipe[0], &errpipe[0]};
		for (int k = 0; k < 2; k++) {
			if (idxs[k] < 0 || !(pfd[idxs[k]].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t r = read(*fds[k], tmp, sizeof tmp);
			if (r > 0) {
				struct buf *cap = k == 0 ? o->out : o->errout;
				if (cap)
					buf_append(cap, tmp, (size_t)r);
				feed_lines(k == 0 ? &acc_out : &acc_err, tmp, (size_t)r, o, false);
			} else if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
				close(*fds[k]);
				*fds[k] = -1;
			}
		}
		if (idx_in >= 0 && (pfd[idx_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
			const char *data = o->stdin_data;
			ssize_t w = in_off < o->stdin_len ? write(inpipe[1], data + in_off, o->stdin_len - in_off) : 0;
			if (w > 0)
				in_off += (size_t)w;
			if (in_off >= o->stdin_len || (w < 0 && errno != EAGAIN && errno != EINTR)) {
				close(inpipe[1]);
				inpipe[1] = -1;
			}
		}
	}
	feed_lines(&acc_out, "", 0, o, true);
	feed_lines(&acc_err, "", 0, o, true);
	if (pid > 0) {
		int st = 0;
		if (killed) {
			/* Give it a moment to exit on SIGTERM, then make sure. */
			for (int i = 0; i < 50; i++) {
				if (waitpid(pid, &st, WNOHANG) == pid) {
					pid = -1;
					break;
				}
				poll(NULL, 0, 20);
			}
			if (pid > 0) {
				kill(-pid, SIGKILL);
				waitpid(pid, &st, 0);
				pid = -1;
			}
		} else {
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			pid = -1;
		}
		*exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	}
	if (killed) {
		err_set_kind(err, strcmp(why_killed, "cancelled") == 0 ? ERR_CANCELLED : ERR_TIMEOUT,
			     "%s %s", argv[0], why_killed);
		goto out;
	}
	if (!err_isset(err))
		rc = 0;
out:
	for (int *fd = (int[]){inpipe[0], inpipe[1], outpipe[0], outpipe[1], errpipe[0], errpipe[1], execpipe[0], execpipe[1]},
	     i = 0; i < 8; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	strv_free(&envstore);
	buf_free(&acc_out.pending);
	buf_free(&acc_err.pending);
	return rc;
}

/* The shape of a line, for telling repeated messages apart: numbers do not count ("error while writing
 * at byte 15728640" and "... at byte 0", "offset 0x50000" and "offset 0x1a0000" are the same message). */
static char *line_shape(const char *line)
{
	char *s = xstrdup(line);
	char *w = s;
	for (const char *p = line; *p;) {
		/* a word that starts with a digit (12345, 0x1a000, 3rd) is one number */
		bool word_start = p == line || !((p[-1] >= '0' && p[-1] <= '9') || (p[-1] >= 'a' && p[-1] <= 'z') ||
						 (p[-1] >= 'A' && p[-1] <= 'Z'));
		if (word_start && *p >= '0' && *p <= '9') {
			while ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
				p++;
			*w++ = '#';
			continue;
		}
		*w++ = *p++;
	}
	*w = '\0';
	return s;
}

char *proc_condense_stderr(const char *text, size_t max_lines)
{
	struct strv shown = STRV_INIT, shapes = STRV_INIT;
	size_t more = 0;
	char *copy = xstrdup(text);
	for (char *save = NULL, *line = strtok_r(copy, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line)
			continue;
		char *shape = line_shape(line);
		if (strv_contains(&shapes, shape)) {
			more++;
			free(shape);
			continue;
		}
		strv_push_owned(&shapes, shape);
		if (shown.n < max_lines)
			strv_push(&shown, line);
		else
			more++;
	}
	free(copy);
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < shown.n; i++)
		buf_printf(&b, "%s%s", i ? "; " : "", shown.v[i]);
	if (more)
		buf_printf(&b, " (and %zu more line%s)", more, more == 1 ? "" : "s");
	strv_free(&shown);
	strv_free(&shapes);
	return buf_detach(&b);
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGKILL: return "SIGKILL";
	case SIGTERM: return "SIGTERM";
	case SIGINT: return "SIGINT";
	case SIGSEGV: return "SIGSEGV";
	case SIGABRT: return "SIGABRT";
	case SIGBUS: return "SIGBUS";
	case SIGPIPE: return "SIGPIPE";
	default: return NULL;
	}
}

int proc_run_checked(char *const argv[], const struct proc_opts *opts, struct kiln_error *err)
{
	struct proc_opts o = opts ? *opts : (struct proc_opts){0};
	struct buf errbuf = BUF_INIT;
	if (!o.errout && !o.inherit_stdio)
		o.errout = &errbuf;
	int status = 0;
	int rc = proc_run(argv, &o, &status, err);
	if (rc == 0 && status != 0) {
		const char *text = buf_cstr(o.errout ? o.errout : &errbuf);
		/* the first distinct lines in the error, all of it in the log */
		char *said = proc_condense_stderr(text, 3);
		char how[64];
		const char *sn = status > 128 ? signal_name(status - 128) : NULL;
		if (sn)
			snprintf(how, sizeof how, "was killed by %s", sn);
		else if (status > 128 && status < 128 + 65)
			snprintf(how, sizeof how, "was killed by signal %d", status - 128);
		else
			snprintf(how, sizeof how, "exited with status %d", status);
		if (*said)
			rc = err_set(err, "%s %s: %s", argv[0], how, said);
		else
			rc = err_set(err, "%s %s", argv[0], how);
		if (*text)
			err_detail(err, "%s's standard error:\n%s", argv[0], text);
		if (strstr(text, "No space left on device"))
			err->errnum = ENOSPC;
		free(said);
	}
	buf_free(&errbuf);
	return rc;
}
