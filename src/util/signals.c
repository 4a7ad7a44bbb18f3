/* signals.c — SIGINT/SIGTERM handling: a handler that ends the process until something needs
 * winding down, then a dedicated thread (see signals.h). */
#include "util/signals.h"
#include "util/mem.h"
#include "util/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct force_cb {
	void (*fn)(void *);
	void *arg;
	bool live;
};

static atomic_bool cancelled;
static atomic_bool exit_at_first;
static int cancel_pipe[2] = {-1, -1};
static pthread_mutex_t cb_lock = PTHREAD_MUTEX_INITIALIZER;
static struct force_cb *cbs;
static size_t ncbs, capcbs;
static bool setup_done;
static sigset_t handled;                 /* SIGINT, SIGTERM */
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int thread_tid;            /* the signal thread's id once it waits for signals; 0 before */
static bool thread_started;

static void notify_cancel(void)
{
	atomic_store(&cancelled, true);
	if (cancel_pipe[1] >= 0) {
		char c = 'x';
		ssize_t r = write(cancel_pipe[1], &c, 1);
		(void)r;
	}
}

static void run_force_cleanups(void)
{
	pthread_mutex_lock(&cb_lock);
	for (size_t i = ncbs; i-- > 0;)
		if (cbs[i].live) {
			cbs[i].live = false;
			cbs[i].fn(cbs[i].arg);
		}
	pthread_mutex_unlock(&cb_lock);
}

static void *signal_thread(void *arg)
{
	sigset_t *set = arg;
	int count = 0;
	atomic_store(&thread_tid, (int)syscall(SYS_gettid));
	for (;;) {
		int sig = 0;
		if (sigwait(set, &sig) != 0)
			continue;
		count++;
		if (count == 1 && atomic_load(&exit_at_first)) {
			/* nothing to wind down: end now, whatever the main thread is stuck in */
			static const char msg[] = "\nkiln: interrupted\n";
			ssize_t r = write(STDERR_FILENO, msg, sizeof msg - 1);
			(void)r;
			run_force_cleanups();
			_exit(128 + sig);
		} else if (count == 1) {
			static const char msg[] = "\nkiln: interrupted, cleaning up (press Ctrl-C again to force exit)\n";
			ssize_t r = write(STDERR_FILENO, msg, sizeof msg - 1);
			(void)r;
			notify_cancel();
		} else {
			static const char msg[] = "\nkiln: forced exit, removing what is safe to remove\n";
			ssize_t r = write(STDERR_FILENO, msg, sizeof msg - 1);
			(void)r;
			run_force_cleanups();
			_exit(130);
		}
	}
	return NULL;
}

/* The handler, installed in every thread that does not block the signals: before the signal thread
 * runs (nothing registered to undo, no thread started: what exit_at_first does, at once), or in a
 * thread started before it (then the signal thread takes the signal). */
static void on_signal(int sig)
{
	int tid = atomic_load(&thread_tid);
	if (tid) {
		syscall(SYS_tgkill, getpid(), tid, sig);
		return;
	}
	static const char msg[] = "\nkiln: interrupted\n";
	ssize_t r = write(STDERR_FILENO, msg, sizeof msg - 1);
	(void)r;
	_exit(128 + sig);
}

void sig_setup(void)
{
	sig_setup_deferred();
	sig_handle_on_thread();
}

void sig_setup_deferred(void)
{
	if (setup_done)
		return;
	setup_done = true;
	if (pipe(cancel_pipe) == 0) {
		for (int i = 0; i < 2; i++)
			fcntl(cancel_pipe[i], F_SETFD, FD_CLOEXEC);
		fcntl(cancel_pipe[1], F_SETFL, O_NONBLOCK);
	}
	sigemptyset(&handled);
	sigaddset(&handled, SIGINT);
	sigaddset(&handled, SIGTERM);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A write to a closed SSH or HTTP socket must be an error return, not a death. */
	signal(SIGPIPE, SIG_IGN);
}

void sig_handle_on_thread(void)
{
	if (!setup_done)
		return;
	pthread_mutex_lock(&start_lock);
	if (!thread_started) {
		/* blocked here and in every thread started from now on; only the signal thread takes them */
		sigset_t old;
		pthread_sigmask(SIG_BLOCK, &handled, &old);
		pthread_t t;
		if (pthread_create(&t, NULL, signal_thread, &handled) == 0) {
			pthread_detach(t);
			thread_started = true;
		} else {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
		}
	}
	pthread_mutex_unlock(&start_lock);
}

static _Thread_local long thread_deadline;

void sig_set_thread_deadline(long mono_ms)
{
	thread_deadline = mono_ms;
}

bool sig_thread_deadline_passed(void)
{
	return thread_deadline && time_mono_ms() >= thread_deadline;
}

bool sig_cancelled(void)
{
	return atomic_load(&cancelled) || sig_thread_deadline_passed();
}

int sig_cancel_fd(void)
{
	return cancel_pipe[0];
}

void sig_exit_on_first(bool on)
{
	atomic_store(&exit_at_first, on);
	if (!on)
		sig_handle_on_thread();
}

void sig_request_cancel(void)
{
	notify_cancel();
}

void sig_reset(void)
{
	atomic_store(&cancelled, false);
	if (cancel_pipe[0] >= 0) {
		int fl = fcntl(cancel_pipe[0], F_GETFL);
		fcntl(cancel_pipe[0], F_SETFL, fl | O_NONBLOCK);
		char tmp[64];
		while (read(cancel_pipe[0], tmp, sizeof tmp) > 0)
			;
		fcntl(cancel_pipe[0], F_SETFL, fl);
	}
}

int sig_on_force_exit(void (*fn)(void *), void *arg)
{
	sig_handle_on_thread();
	pthread_mutex_lock(&cb_lock);
	cbs = xgrow(cbs, &capcbs, ncbs + 1, sizeof *cbs);
	cbs[ncbs] = (struct force_cb){fn, arg, true};
	int h = (int)ncbs++;
	pthread_mutex_unlock(&cb_lock);
	return h;
}

void sig_forget(int handle)
{
	pthread_mutex_lock(&cb_lock);
	if (handle >= 0 && (size_t)handle < ncbs)
		cbs[handle].live = false;
	pthread_mutex_unlock(&cb_lock);
}

void sig_child_reset(void)
{
	sigset_t set;
	sigemptyset(&set);
	pthread_sigmask(SIG_SETMASK, &set, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
}
