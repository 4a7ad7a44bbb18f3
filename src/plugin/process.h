/* process.h — a plugin as a child process: started with its end of a socket pair as descriptor 3, in a
 * process group of its own (the terminal's Ctrl-C never reaches it: kiln sends `cancel`, then kills),
 * killed with kiln if kiln dies, its stdout and stderr kept (the last lines, for error messages) and
 * logged. */
#ifndef KILN_PLUGIN_PROCESS_H
#define KILN_PLUGIN_PROCESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "plugin/rpc.h"
#include "util/buf.h"
#include "util/error.h"

/* The environment a plugin is started with (docs/plugins.md, "Starting a plugin"). */
#define PLUGIN_ENV_COOKIE "KILN_PLUGIN_MAGIC_COOKIE"
#define PLUGIN_COOKIE_VALUE "d3a1d6c1f0b94c4e9b1f2f8a6c35e0a7"
#define PLUGIN_ENV_FD "KILN_PLUGIN_FD"
#define PLUGIN_ENV_PROTOCOL "KILN_PLUGIN_PROTOCOL"
#define PLUGIN_SOCKET_FD 3
#define PLUGIN_TAIL_LINES 10

struct plugin_proc {
	pid_t pid;                 /* -1 once reaped */
	struct rpc_conn conn;
	int outfd;                 /* read end of the plugin's stdout+stderr, -1 at end */
	struct buf partial;        /* an output line not finished yet */
	char *tail[PLUGIN_TAIL_LINES];   /* the last output lines, oldest first */
	int ntail;
	char *name;                /* "kiln-plugin-hello" (for messages and the log) */
	int force_handle;          /* sig_on_force_exit registration */
	bool exited;
	int exit_code;             /* once exited: its status, */
	int term_signal;           /* or the signal that killed it */
};

/* Start the executable at path, in the directory cwd (NULL: kiln's). */
int plugin_proc_start(const char *path, const char *cwd, struct plugin_proc **out, struct kiln_error *err);
/* Read what the plugin wrote to stdout/stderr so far (non-blocking); call when outfd is readable. */
void plugin_proc_drain(struct plugin_proc *p);
/* Has the process exited? (reaps nothing: the group is killed first, see plugin_proc_stop). */
bool plugin_proc_exited(struct plugin_proc *p);
/* "exited with status 3", "was killed by signal 11 (Segmentation fault)"; caller frees. */
char *plugin_proc_exit_text(const struct plugin_proc *p);
/* The last output lines, each indented, masked for secrets; "" when there is none. Caller frees. */
char *plugin_proc_tail_text(const struct plugin_proc *p);
/* End the plugin: close the socket (a well-behaved plugin exits at end of stream), wait up to
 * grace_ms, then SIGKILL its whole process group; then reap it. Frees p. */
void plugin_proc_stop(struct plugin_proc *p, long grace_ms);
/* SIGKILL the process group now (the plugin broke the protocol or ignored cancel). */
void plugin_proc_kill(struct plugin_proc *p);

#endif
