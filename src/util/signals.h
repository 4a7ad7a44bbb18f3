/* signals.h — SIGINT/SIGTERM as a cancellation flag.
 *
 * Once something needs winding down — a command that winds down (sig_exit_on_first(false)), an
 * emergency cleanup registered, kiln's components module loaded (its libraries start threads and
 * install handlers of their own) — the signals are blocked in every thread and handled on one
 * dedicated thread (sig_handle_on_thread). The first signal sets the cancellation flag that long
 * operations poll (sig_cancelled(), or poll() on sig_cancel_fd()); they stop, and the normal cleanup
 * path runs. A second SIGINT runs the registered emergency cleanups (what is safe to undo from any
 * state: temp dirs, transient domains) and exits 130. With sig_setup_deferred() (kiln's main), until
 * then (fmt, validate -syntax-only, version: nothing to undo) a plain handler ends the process at the
 * first signal, as sig_exit_on_first(true) says, and no thread is started: on the bench host a
 * thread's start and its teardown at exit cost ~0.3 ms of such a run. */
#ifndef KILN_UTIL_SIGNALS_H
#define KILN_UTIL_SIGNALS_H

#include <stdbool.h>

/* Install the handlers and start the signal thread: every signal is the thread's from now on. */
void sig_setup(void);
/* The same, but the thread starts only when needed (below); until then the first signal ends the
 * process. kiln's main() uses this. */
void sig_setup_deferred(void);
/* From now on, the signals are blocked in the calling thread and in every thread it starts, and
 * handled on the signal thread (started once). Call it before starting threads or loading code that
 * may; sig_exit_on_first(false) and sig_on_force_exit() call it. */
void sig_handle_on_thread(void);
/* True once the user interrupted, or when the calling thread's deadline (below) has passed. */
bool sig_cancelled(void);
/* A per-thread deadline (time_mono_ms() value; 0 clears): long operations on this thread see
 * sig_cancelled() once it passes. The engine uses it for provisioner `timeout`. */
void sig_set_thread_deadline(long mono_ms);
bool sig_thread_deadline_passed(void);
int sig_cancel_fd(void);      /* readable once cancelled; -1 before sig_setup() */
void sig_request_cancel(void);
/* With on, the first SIGINT or SIGTERM runs the emergency cleanups (below) and ends the process at
 * once, with status 128 + the signal's number: for commands with nothing to wind down (validate,
 * inspect, fmt, console), which must never keep running after one Ctrl-C, whatever they are stuck in. */
void sig_exit_on_first(bool on);
/* Reset the cancellation state (tests; `kiln console` between lines). */
void sig_reset(void);

/* Emergency cleanups, run on the signal thread at a forced exit, newest first. Returns a handle for
 * sig_forget(); the callback must tolerate running concurrently with the main program. */
int sig_on_force_exit(void (*fn)(void *), void *arg);
void sig_forget(int handle);
/* Restore the default signal mask and dispositions in a child between fork() and exec(). */
void sig_child_reset(void);

#endif
