/* ssh_exec.c — running a command on the machine: output streamed line by line as it arrives, the exit
 * status (or 128+signal, as Go's SSH client reports it), and KILN_EXIT_DISCONNECTED when the link
 * drops before the command ends (a reboot). Keep-alives go out while the command is quiet; with
 * ssh_read_write_timeout, a link that stays silent that long counts as dropped. Also the removal of the
 * temporary key from authorized_keys (ssh_clear_authorized_keys), which is one more command. */
#include "comm/ssh_internal.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/shellquote.h"
#include "util/signals.h"
#include "util/timeutil.h"

#include <libssh/callbacks.h>
#include <libssh/server.h>   /* ssh_send_keepalive: a keepalive@openssh.com request, for clients too */

#include <signal.h>
#include <stdlib.h>
#include <string.h>

struct exec_state {
	bool have_status;
	int status;
	char *signal;
	struct buf pending[2];   /* partial lines of stdout, stderr */
	kiln_line_fn on_line;
	void *arg;
};

static void on_exit_status(ssh_session s, ssh_channel ch, int status, void *userdata)
{
	(void)s;
	(void)ch;
	struct exec_state *st = userdata;
	st->have_status = true;
	st->status = status;
}

static int signal_number(const char *name)
{
	static const struct {
		const char *name;
		int num;
	} sigs[] = {
		{"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"ILL", SIGILL}, {"ABRT", SIGABRT},
		{"FPE", SIGFPE}, {"KILL", SIGKILL}, {"USR1", SIGUSR1}, {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
		{"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM},
	};
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (strcmp(sigs[i].name, name) == 0)
			return sigs[i].num;
	return 0;
}

static void on_exit_signal(ssh_session s, ssh_channel ch, const char *signal, int core, const char *errmsg,
			   const char *lang, void *userdata)
{
	(void)s;
	(void)ch;
	(void)core;
	(void)errmsg;
	(void)lang;
	struct exec_state *st = userdata;
	st->have_status = true;
	st->status = 128 + signal_number(signal ? signal : "");
	free(st->signal);
	st->signal = xstrdup(signal ? signal : "?");
}

static void feed(struct exec_state *st, int stream, const char *data, size_t n, bool flush)
{
	struct buf *b = &st->pending[stream];
	buf_append(b, data, n);
	size_t start = 0;
	for (size_t i = 0; i < b->len; i++) {
		if (b->data[i] != '\n')
			continue;
		b->data[i] = '\0';
		if (i > start && b->data[i - 1] == '\r')
			b->data[i - 1] = '\0';
		if (st->on_line)
			st->on_line(st->arg, stream == 1, b->data + start);
		start = i + 1;
	}
	buf_remove_prefix(b, start);
	if (flush && b->len) {
		if (b->data[b->len - 1] == '\r')
			buf_truncate(b, b->len - 1);
		if (st->on_line)
			st->on_line(st->arg, stream == 1, buf_cstr(b));
		buf_reset(b);
	}
}

/* Read what both streams hold. -1 when the link failed. */
static int drain(ssh_channel ch, struct exec_state *st)
{
	char data[16384];
	for (int stream = 0; stream < 2; stream++) {
		int n;
		while ((n = ssh_channel_read_nonblocking(ch, data, sizeof data, stream)) > 0)
			feed(st, stream, data, (size_t)n, false);
		if (n == SSH_ERROR)
			return -1;
	}
	return 0;
}

static ssh_channel open_exec_channel(struct ssh_comm *c, const char *command, struct ssh_channel_callbacks_struct *cb,
				     struct kiln_error *err)
{
	ssh_channel ch = ssh_channel_new(c->session);
	if (!ch || ssh_channel_open_session(ch) != SSH_OK) {
		err_set(err, "cannot open an SSH session channel: %s", sshc_error(c));
		goto fail;
	}
	ssh_set_channel_callbacks(ch, cb);
	if (c->sc->pty && ssh_channel_request_pty_size(ch, "xterm", 80, 40) != SSH_OK) {
		err_set(err, "the server refused a PTY: %s", sshc_error(c));
		goto fail;
	}
	if (ssh_channel_request_exec(ch, command) != SSH_OK) {
		err_set(err, "the server refused to run the command: %s", sshc_error(c));
		goto fail;
	}
	/* Nothing to send: commands that read stdin see end-of-file instead of waiting forever. */
	ssh_channel_send_eof(ch);
	return ch;
fail:
	if (ch)
		ssh_channel_free(ch);
	return NULL;
}

int sshc_exec(struct kiln_comm *comm, const char *command, kiln_line_fn on_line, void *arg, int *exit_status,
	      struct kiln_error *err)
{
	struct ssh_comm *c = (struct ssh_comm *)comm;
	struct exec_state st = {.on_line = on_line, .arg = arg, .pending = {BUF_INIT, BUF_INIT}};
	struct ssh_channel_callbacks_struct cb = {
		.userdata = &st,
		.channel_exit_status_function = on_exit_status,
		.channel_exit_signal_function = on_exit_signal,
	};
	ssh_callbacks_init(&cb);
	ssh_event ev = NULL;
	ssh_channel ch = NULL;
	bool dropped = false;
	int rc = -1;
	*exit_status = KILN_EXIT_DISCONNECTED;
	if (sshc_session(c, err) < 0)
		goto out;
	char *masked = ui_mask(command);
	log_debug("ssh: exec %s", masked);
	free(masked);
	ch = open_exec_channel(c, command, &cb, err);
	if (!ch) {
		if (!sshc_alive(c)) {
			/* the link dropped right now: the same as dropping during the command */
			err_clear(err);
			rc = 0;
		}
		goto out;
	}
	ev = ssh_event_new();
	ssh_event_add_session(ev, c->session);
	int64_t now = time_mono_ms(), last_rx = now, last_keepalive = now, last_check = now;
	uint64_t rx_seen = c->rx.in_bytes;
	for (;;) {
		if (drain(ch, &st) < 0) {
			dropped = true;
			break;
		}
		if (ssh_channel_is_closed(ch) || (ssh_channel_is_eof(ch) && st.have_status))
			break;
		if (!sshc_alive(c)) {
			dropped = true;
			break;
		}
		if (sig_cancelled()) {
			/* Closing the channel alone leaves a command without a PTY running on the machine. */
			ssh_channel_request_send_signal(ch, "TERM");
			err_set_kind(err, ERR_CANCELLED, "cancelled while running a remote command");
			goto out;
		}
		if (ssh_event_dopoll(ev, 200) == SSH_ERROR && !sshc_alive(c)) {
			dropped = true;
			break;
		}
		now = time_mono_ms();
		if (c->machine_check && now - last_check >= 1000) {
			last_check = now;
			if (c->machine_check(c->machine_arg, err) < 0) {
				dropped = true;
				goto out;
			}
		}
		if (c->rx.in_bytes != rx_seen) {
			rx_seen = c->rx.in_bytes;
			last_rx = now;
		}
		if (c->sc->keep_alive_ms > 0 && now - last_keepalive >= c->sc->keep_alive_ms) {
			/* Sent without waiting for the answer (a blocking send waits as long as the link is
			 * dead); the answer, when it comes, moves the rx counter. */
			ssh_set_blocking(c->session, 0);
			ssh_send_keepalive(c->session);
			ssh_set_blocking(c->session, 1);
			last_keepalive = now;
		}
		if (c->sc->read_write_timeout_ms > 0 && now - last_rx >= c->sc->read_write_timeout_ms) {
			char *d = duration_human_ms(now - last_rx);
			log_info("ssh: nothing received from %s:%d for %s (ssh_read_write_timeout); dropping the link",
				 c->host, c->port, d);
			free(d);
			dropped = true;
			break;
		}
	}
	drain(ch, &st);
	feed(&st, 0, "", 0, true);
	feed(&st, 1, "", 0, true);
	if (st.have_status && !dropped) {
		*exit_status = st.status;
		if (st.signal)
			log_info("ssh: remote command killed by signal %s", st.signal);
	} else {
		/* no exit status: the session or the machine went away (Packer's "disconnect") */
		log_info("ssh: the connection dropped before the remote command ended");
		*exit_status = KILN_EXIT_DISCONNECTED;
	}
	rc = 0;
out:
	if (ev) {
		if (c->session)
			ssh_event_remove_session(ev, c->session);
		ssh_event_free(ev);
	}
	if (ch) {
		if (sshc_alive(c))
			ssh_channel_close(ch);
		ssh_channel_free(ch);
	}
	if (dropped || !sshc_alive(c))
		sshc_disconnect(c);
	free(st.signal);
	buf_free(&st.pending[0]);
	buf_free(&st.pending[1]);
	return rc;
}

int ssh_comm_clear_authorized_key(struct kiln_comm *comm, const struct ssh_keypair *kp, struct kiln_error *err)
{
	if (!kp)
		return 0;
	/* "ssh-ed25519 AAAA... name": the base64 body identifies the key; it has no '#' */
	const char *body = strchr(kp->public_line, ' ');
	char *b64 = xstrdup(body ? body + 1 : kp->public_line);
	char *sp = strchr(b64, ' ');
	if (sp)
		*sp = '\0';
	char *script = xasprintf("\\#%s#d", b64);
	char *q = shell_quote(script);
	char *user_cmd = xasprintf("sed -i.bak %s ~/.ssh/authorized_keys && rm -f ~/.ssh/authorized_keys.bak", q);
	char *root_cmd = xasprintf("sudo -n sed -i.bak %s /root/.ssh/authorized_keys && sudo -n rm -f "
				   "/root/.ssh/authorized_keys.bak",
				   q);
	int status = 0, rc = comm->ops->exec(comm, user_cmd, NULL, NULL, &status, err);
	if (rc == 0 && status != 0)
		rc = err_set(err, "removing the temporary key from ~/.ssh/authorized_keys failed (exit status %d)", status);
	if (rc == 0) {
		struct kiln_error ignored = ERR_INIT;   /* root's copy is best effort, as in Packer */
		comm->ops->exec(comm, root_cmd, NULL, NULL, &status, &ignored);
		err_clear(&ignored);
	}
	free(root_cmd);
	free(user_cmd);
	free(q);
	free(script);
	free(b64);
	return rc;
}
