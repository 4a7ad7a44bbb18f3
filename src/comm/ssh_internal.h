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
	const struct ssh_keypair *kp;  /* borrowed */
	ssh_key file_key;              /* ssh_private_key_file, loaded at the first connect */
	ssh_key pinned;                /* the host key seen first */
	char *pinned_fp;
	ssh_session session;           /* NULL while disconnected */
	int fd;                        /* the session's socket: ours to close (libssh >= 0.10 leaves it) */
	struct ssh_jump *jump;
	sftp_session sftp;             /* opened on first use */
	struct ssh_counter_struct rx;  /* bytes received: any traffic proves the link alive */
};

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
