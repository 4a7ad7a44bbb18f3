/* ssh_internal.h — what the files of the SSH communicator share: the communicator's state and the
 * helpers that hand out a live session. Not for use outside src/comm/. */
#ifndef KILN_COMM_SSH_INTERNAL_H
#define KILN_COMM_SSH_INTERNAL_H

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include "comm/ssh.h"

struct ssh_jump;   /* the bastion session and the thread that forwards through it (ssh_connect.c) */

struct ssh_comm {
	struct kiln_comm base;         /* first, so a struct kiln_comm * is a struct ssh_comm * */
	const struct ssh_config *sc;   /* borrowed */
	char *host;
	int port;
	struct ui *ui;
	ssh_status_fn status;
	void *status_arg;
	int64_t status_interval_ms;
	int (*machine_check)(void *arg, struct kiln_error *err);
	void *machine_arg;
	const struct ssh_keypair *kp;  /* borrowed */
	ssh_key file_key;              /* ssh_private_key_file, loaded at the first connect */
	ssh_key pinned;                /* the host key seen first */
	char *pinned_fp;
	char *pinned_line;             /* "TYPE BASE64" of the pinned key, made on first ask */
	ssh_session session;           /* NULL while disconnected */
	int fd;                        /* the session's socket: ours to close (libssh >= 0.10 leaves it) */
	struct ssh_jump *jump;
	sftp_session sftp;             /* opened on first use */
	struct ssh_counter_struct rx;  /* bytes received: any traffic proves the link alive */
	int64_t banner_wait_ms;        /* how long the next attempt waits for the server's first bytes */
};

/* What one attempt to connect came to. */
enum sshc_attempt {
	SSHC_OK,
	SSHC_RETRY,        /* not up yet: refused, closed, timed out */
	SSHC_AUTH,         /* the server answered but refused our credentials */
	SSHC_FATAL,        /* retrying cannot help (changed host key, unreadable key file, jump host login) */
};

/* Connect to host:port before deadline: a blocking socket with TCP_NODELAY, or -1 with *reason. */
int sshc_tcp_connect(const char *host, int port, int64_t deadline, char **reason);
/* A session over fd with kiln's options (no ~/.ssh/config, no known_hosts, handshake timeout). */
ssh_session sshc_session_new(const struct ssh_config *sc, const char *host, int port, const char *user, int fd,
			     int64_t deadline);
/* Pin the first host key in *pinned; later keys must match it (SSHC_FATAL with err otherwise). */
enum sshc_attempt sshc_check_host_key(ssh_session s, ssh_key *pinned, char **pinned_fp, const char *where,
				      char **reason, struct kiln_error *err);

struct sshc_credentials {
	const char *user;
	const char *password;          /* also answers keyboard-interactive prompts */
	bool agent;
	ssh_key keys[2];
	const char *key_names[2];
};
/* Log in with whatever cr holds; SSHC_AUTH with *reason naming what was tried when all is refused. */
enum sshc_attempt sshc_authenticate(ssh_session s, const struct sshc_credentials *cr, char **reason);
/* libssh's message with a lower-case first letter, for the middle of a sentence. Caller frees. */
char *sshc_lower_first(const char *s);

/* ssh_jump.c */
struct ssh_jump *sshc_jump_new(void);
/* A socket reaching c->host:c->port through the jump host (logging in to it first if needed). */
enum sshc_attempt sshc_jump_forward(struct ssh_comm *c, int64_t deadline, int *fd_out, char **reason,
				    struct kiln_error *err);
void sshc_jump_stop_forward(struct ssh_jump *j);
void sshc_jump_free(struct ssh_jump *j);

/* A connected session, reconnecting first (within ssh_timeout) when the link dropped. */
int sshc_session(struct ssh_comm *c, struct kiln_error *err);
/* Is the session still up? */
bool sshc_alive(struct ssh_comm *c);
/* Drop the connection (keeping the pinned host key). */
void sshc_disconnect(struct ssh_comm *c);
/* "<libssh's message>" for the session, or the SFTP status when there is one. */
const char *sshc_error(struct ssh_comm *c);

/* ssh_keys.c: is this temporary_key_pair_type/_bits pair valid? *bad_key names the key at fault. */
int ssh_keypair_check(const char *type, int bits, const char **bad_key, struct kiln_error *err);

/* ssh_exec.c */
int sshc_exec(struct kiln_comm *comm, const char *command, kiln_line_fn on_line, void *arg, int *exit_status,
	      struct kiln_error *err);

/* ssh_sftp.c */
int sshc_upload_file(struct kiln_comm *comm, const char *local, const char *remote, struct kiln_error *err);
int sshc_upload_data(struct kiln_comm *comm, const void *data, size_t len, const char *remote, unsigned mode,
		     struct kiln_error *err);
int sshc_upload_dir(struct kiln_comm *comm, const char *local_dir, const char *remote_dir, struct kiln_error *err);
int sshc_download_file(struct kiln_comm *comm, const char *remote, const char *local, struct kiln_error *err);
int sshc_download_dir(struct kiln_comm *comm, const char *remote_dir, const char *local_dir,
		      struct kiln_error *err);
int sshc_is_dir(struct kiln_comm *comm, const char *remote, bool *is_dir, struct kiln_error *err);

#endif
