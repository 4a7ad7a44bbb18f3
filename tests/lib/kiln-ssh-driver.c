/* kiln-ssh-driver.c — drives the SSH communicator (src/comm/) from the command line, for the
 * integration tests and bench/ssh.sh: options build a struct ssh_config, then the operations run in
 * order over one communicator.
 *
 *   kiln-ssh-driver --host 127.0.0.1 --port 2222 --user u --key id [options] OP [ARGS]... [OP ...]
 *
 * Options: --password PW, --key FILE, --agent, --temp-key TYPE[:BITS] (printed as "pubkey: ..." and
 * appended to --authorized-keys FILE before connecting), --timeout DUR, --attempts N, --pty,
 * --keep-alive DUR, --rw-timeout DUR, --status-interval DUR, --bastion HOST:PORT, --bastion-user U,
 * --bastion-password PW, --bastion-key FILE, --quiet (no ui messages).
 * Operations: exec CMD | upload LOCAL REMOTE | upload-data TEXT REMOTE MODE | upload-dir LOCAL REMOTE |
 * download REMOTE LOCAL | download-dir REMOTE LOCAL | is-dir REMOTE | reconnect DUR | fingerprint |
 * clear-key | time.
 * Output: "out: LINE", "err: LINE", "exit: N" (exec), "status: LINE", "is-dir: yes|no", "time: SECONDS"
 * (since the previous "time"); on failure "error: TEXT" and "hint: TEXT" on stderr, exit status 1. */
#include "comm/ssh.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_line(void *arg, bool is_stderr, const char *line)
{
	(void)arg;
	printf("%s: %s\n", is_stderr ? "err" : "out", line);
	fflush(stdout);
}

static void on_status(void *arg, const char *line)
{
	(void)arg;
	printf("status: %s\n", line);
	fflush(stdout);
}

static int64_t duration_arg(const char *s)
{
	int64_t ms = 0;
	struct kiln_error err = ERR_INIT;
	if (duration_parse(s, &ms, &err) < 0) {
		fprintf(stderr, "bad duration %s\n", s);
		exit(2);
	}
	return ms;
}

static int fail(struct kiln_error *err)
{
	char *text = err_text(err);
	fprintf(stderr, "error: %s\n", text);
	if (err->hint)
		fprintf(stderr, "hint: %s\n", err->hint);
	free(text);
	return 1;
}

static int need(int argc, int i, int n, const char *op)
{
	if (i + n >= argc) {
		fprintf(stderr, "%s needs %d argument(s)\n", op, n);
		exit(2);
	}
	return 1;
}

int main(int argc, char **argv)
{
	sig_setup();
	log_init_from_env();
	struct ssh_config sc = {
		.communicator = "ssh",
		.port = 22,
		.timeout_ms = 30000,
		.handshake_attempts = 10,
		.keep_alive_ms = 5000,
		.temp_key_type = "ed25519",
	};
	struct ssh_connect_opts o = {.ui = ui_global(), .status = on_status};
	const char *temp_key = NULL, *authorized_keys = NULL;
	char *bastion = NULL;
	int i = 1;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = true;
		if (!strcmp(a, "--host"))
			o.host = v;
		else if (!strcmp(a, "--port"))
			sc.port = atoi(v);
		else if (!strcmp(a, "--user"))
			sc.username = (char *)v;
		else if (!strcmp(a, "--password"))
			sc.password = (char *)v;
		else if (!strcmp(a, "--key"))
			sc.private_key_file = (char *)v;
		else if (!strcmp(a, "--temp-key"))
			temp_key = v;
		else if (!strcmp(a, "--authorized-keys"))
			authorized_keys = v;
		else if (!strcmp(a, "--timeout"))
			sc.timeout_ms = duration_arg(v);
		else if (!strcmp(a, "--attempts"))
			sc.handshake_attempts = atoi(v);
		else if (!strcmp(a, "--keep-alive"))
			sc.keep_alive_ms = duration_arg(v);
		else if (!strcmp(a, "--rw-timeout"))
			sc.read_write_timeout_ms = duration_arg(v);
		else if (!strcmp(a, "--status-interval"))
			o.status_interval_ms = duration_arg(v);
		else if (!strcmp(a, "--bastion"))
			bastion = xstrdup(v);
		else if (!strcmp(a, "--bastion-user"))
			sc.bastion.username = (char *)v;
		else if (!strcmp(a, "--bastion-password"))
			sc.bastion.password = (char *)v;
		else if (!strcmp(a, "--bastion-key"))
			sc.bastion.private_key_file = (char *)v;
		else {
			takes = false;
			if (!strcmp(a, "--agent"))
				sc.agent_auth = true;
			else if (!strcmp(a, "--pty"))
				sc.pty = true;
			else if (!strcmp(a, "--quiet"))
				o.ui = NULL;
			else {
				fprintf(stderr, "unknown option %s\n", a);
				return 2;
			}
		}
		if (takes) {
			if (!v) {
				fprintf(stderr, "%s needs a value\n", a);
				return 2;
			}
			i++;
		}
	}
	if (bastion) {
		char *colon = strrchr(bastion, ':');
		sc.bastion.port = 22;
		if (colon) {
			*colon = '\0';
			sc.bastion.port = atoi(colon + 1);
		}
		sc.bastion.host = bastion;
	}

	struct kiln_error err = ERR_INIT;
	struct ssh_keypair *kp = NULL;
	struct kiln_comm *comm = NULL;
	int rc = 1;
	if (temp_key) {
		char *type = xstrdup(temp_key);
		char *colon = strchr(type, ':');
		int bits = 0;
		if (colon) {
			*colon = '\0';
			bits = atoi(colon + 1);
		}
		int r = ssh_keypair_generate(type, bits, "kiln-test", &kp, &err);
		free(type);
		if (r < 0)
			goto out;
		printf("pubkey: %s\n", kp->public_line);
		printf("keyfile: %s\n", kp->private_path);
		fflush(stdout);
		if (authorized_keys) {
			struct buf line = BUF_INIT;
			struct buf old = BUF_INIT;
			if (file_exists(authorized_keys) && file_read_all(authorized_keys, &old, &err) < 0)
				goto out;
			buf_printf(&line, "%s%s\n", buf_cstr(&old), kp->public_line);
			int w = file_write(authorized_keys, line.data, line.len, 0644, &err);
			buf_free(&line);
			buf_free(&old);
			if (w < 0)
				goto out;
		}
		o.keypair = kp;
	}
	if (ssh_comm_connect(&sc, &o, &comm, &err) < 0)
		goto out;
	int64_t t0 = time_mono_ns();
	for (; i < argc; i++) {
		const char *op = argv[i];
		if (!strcmp(op, "exec") && need(argc, i, 1, op)) {
			int status = 0;
			if (comm->ops->exec(comm, argv[i + 1], on_line, NULL, &status, &err) < 0)
				goto out;
			printf("exit: %d\n", status);
			i += 1;
		} else if (!strcmp(op, "upload") && need(argc, i, 2, op)) {
			if (comm->ops->upload_file(comm, argv[i + 1], argv[i + 2], &err) < 0)
				goto out;
			i += 2;
		} else if (!strcmp(op, "upload-data") && need(argc, i, 3, op)) {
			const char *text = argv[i + 1];
			if (comm->ops->upload_data(comm, text, strlen(text), argv[i + 2],
						   (unsigned)strtoul(argv[i + 3], NULL, 8), &err) < 0)
				goto out;
			i += 3;
		} else if (!strcmp(op, "upload-dir") && need(argc, i, 2, op)) {
			if (comm->ops->upload_dir(comm, argv[i + 1], argv[i + 2], &err) < 0)
				goto out;
			i += 2;
		} else if (!strcmp(op, "download") && need(argc, i, 2, op)) {
			if (comm->ops->download_file(comm, argv[i + 1], argv[i + 2], &err) < 0)
				goto out;
			i += 2;
		} else if (!strcmp(op, "download-dir") && need(argc, i, 2, op)) {
			if (comm->ops->download_dir(comm, argv[i + 1], argv[i + 2], &err) < 0)
				goto out;
			i += 2;
		} else if (!strcmp(op, "is-dir") && need(argc, i, 1, op)) {
			bool d = false;
			if (comm->ops->is_dir(comm, argv[i + 1], &d, &err) < 0)
				goto out;
			printf("is-dir: %s\n", d ? "yes" : "no");
			i += 1;
		} else if (!strcmp(op, "reconnect") && need(argc, i, 1, op)) {
			if (comm->ops->reconnect(comm, duration_arg(argv[i + 1]), &err) < 0)
				goto out;
			printf("reconnected\n");
			i += 1;
		} else if (!strcmp(op, "fingerprint")) {
			printf("fingerprint: %s\n", ssh_comm_host_fingerprint(comm));
		} else if (!strcmp(op, "clear-key")) {
			if (ssh_comm_clear_authorized_key(comm, kp, &err) < 0)
				goto out;
		} else if (!strcmp(op, "time")) {
			int64_t t = time_mono_ns();
			printf("time: %.3f\n", (double)(t - t0) / 1e9);
			t0 = t;
		} else {
			fprintf(stderr, "unknown operation %s\n", op);
			goto out;
		}
		fflush(stdout);
	}
	rc = 0;
out:
	fflush(stdout);
	if (err_isset(&err))
		rc = fail(&err);
	ssh_comm_close(comm);
	ssh_keypair_free(kp);
	err_clear(&err);
	free(bastion);
	return rc;
}
