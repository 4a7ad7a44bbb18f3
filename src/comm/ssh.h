/* ssh.h — the SSH communicator (libssh): how a builder reaches the machine it builds, and how
 * provisioners run commands and move files on it through struct kiln_comm (component.h).
 *
 * What a builder does with it:
 *   1. prepare: ssh_config_decode(cfg, &sc, err); put SSH_CONFIG_ATTRS in the builder's schema.
 *   2. run: if (sc.wants_temp_key) ssh_keypair_generate(sc.temp_key_type, sc.temp_key_bits, name, &kp, err);
 *      ssh_export_build_data(ctx, &sc, kp, host, port) fills build.Host/Port/User/SSHPublicKey/...;
 *      (the qemu builder puts kp->public_line into cloud-init before booting)
 *   3. ssh_comm_connect(&sc, &opts, &comm, err) waits for SSH (retrying, with progress lines through
 *      opts.status), then ctx->ops->provision(ctx, comm, err);
 *   4. ssh_comm_close(comm); ssh_keypair_free(kp) (deletes the private key file).
 * The config and key pair must outlive the communicator. */
#ifndef KILN_COMM_SSH_H
#define KILN_COMM_SSH_H

#include <stdbool.h>
#include <stdint.h>

#include "component.h"
#include "util/error.h"

struct ui;
struct ssh_key_struct;   /* libssh's ssh_key */

/* ------------------------------------------------------------------------------------------------
 * Configuration: every communicator key a builder accepts (Packer's names and defaults) */

struct ssh_bastion_config {
	char *host;                    /* ssh_bastion_host; NULL: connect directly */
	int port;                      /* 22 */
	char *username;
	char *password;
	char *private_key_file;        /* ~ expanded; defaults to ssh_private_key_file */
	bool agent_auth;
};

struct ssh_config {
	char *communicator;            /* "ssh" or "none" */
	char *host;                    /* ssh_host; NULL: the address the builder knows */
	int port;                      /* ssh_port, 22 */
	char *username;                /* ssh_username (required for "ssh") */
	char *password;                /* ssh_password, or NULL */
	char *private_key_file;        /* ssh_private_key_file, ~ expanded, or NULL */
	bool agent_auth;               /* ssh_agent_auth: keys from $SSH_AUTH_SOCK */
	char *keypair_name;            /* ssh_keypair_name (a key already on the machine) */
	bool wants_temp_key;           /* no private key file and no agent: generate a key for the build */
	char *temp_key_name;           /* temporary_key_pair_name, default "kiln_<random>" */
	char *temp_key_type;           /* temporary_key_pair_type: "ed25519" (default), "ecdsa", "rsa" */
	int temp_key_bits;             /* temporary_key_pair_bits; 0: the type's default */
	bool pty;                      /* ssh_pty */
	bool clear_authorized_keys;    /* ssh_clear_authorized_keys */
	int64_t timeout_ms;            /* ssh_timeout (ssh_wait_timeout), 5m: how long to wait for SSH */
	int handshake_attempts;        /* ssh_handshake_attempts, 10: authentication failures tolerated */
	int64_t keep_alive_ms;         /* ssh_keep_alive_interval, 5s; 0: off */
	int64_t read_write_timeout_ms; /* ssh_read_write_timeout: silence that means a dead link; 0: off */
	int64_t pause_before_connecting_ms;
	char *ciphers;                 /* ssh_ciphers joined with ",", or NULL for libssh's defaults */
	char *kex;                     /* ssh_key_exchange_algorithms joined, or NULL */
	struct ssh_bastion_config bastion;
};

/* Schema fragment with every communicator key (communicator, pause_before_connecting, ssh_*,
 * temporary_key_pair_*, winrm_*), for a builder's own attribute table:
 *     static const struct kiln_attr qemu_attrs[] = { {"iso_url", ...}, SSH_CONFIG_ATTRS, {NULL} }; */
/* (SSH_CONFIG_ATTRS is defined at the end of this file.) The same keys as a NULL-terminated table
 * of their own (docs, tests, the null builder). */
extern const struct kiln_attr ssh_config_attrs[];

/* Read the communicator keys from any builder's block, apply Packer's defaults and check them
 * (errors point at the attribute). Values not known yet (validate) are left at their defaults. */
int ssh_config_decode(const struct kiln_config *c, struct ssh_config *out, struct kiln_error *err);
void ssh_config_free(struct ssh_config *sc);
bool ssh_config_enabled(const struct ssh_config *sc);   /* communicator == "ssh" */

/* ------------------------------------------------------------------------------------------------
 * The build's temporary key pair */

struct ssh_keypair {
	char *type;                    /* "ed25519", "ecdsa", "rsa" */
	char *private_text;            /* build.SSHPrivateKey (OpenSSH/PEM text; registered as a secret) */
	char *public_line;             /* build.SSHPublicKey: "ssh-ed25519 AAAA... name", no newline */
	char *private_path;            /* the private key, 0600, in a kiln temp dir */
	char *dir;
	struct ssh_key_struct *key;
};

/* type NULL or "" means ed25519; bits 0 means the type's default (ecdsa 256, rsa 4096). */
int ssh_keypair_generate(const char *type, int bits, const char *name, struct ssh_keypair **out,
			 struct kiln_error *err);
/* Deletes the private key file and its directory. NULL is fine. */
void ssh_keypair_free(struct ssh_keypair *kp);

/* build.Host, build.Port, build.User, build.Password, build.ConnType, build.SSHPublicKey,
 * build.SSHPrivateKey (from kp, or from ssh_private_key_file when kp is NULL). */
void ssh_export_build_data(struct kiln_ctx *ctx, const struct ssh_config *sc, const struct ssh_keypair *kp,
			   const char *host, int port);

/* ------------------------------------------------------------------------------------------------
 * Connecting */

/* Progress while waiting, e.g. "waiting for SSH on 127.0.0.1:2222: connection refused, 14 tries, 1m10s".
 * The qemu builder adds the guest's last serial-console line and prints it. */
typedef void (*ssh_status_fn)(void *arg, const char *line);

struct ssh_connect_opts {
	const char *host;              /* where the builder says the machine is (sc->host overrides) */
	int port;                      /* 0: sc->port */
	struct ui *ui;                 /* messages and upload progress; NULL: quiet */
	ssh_status_fn status;          /* NULL: progress lines go to ui_message(ui) */
	void *status_arg;
	int64_t status_interval_ms;    /* 0: 15 s between progress lines (the first comes at once) */
	const struct ssh_keypair *keypair;   /* the build's temporary key, or NULL */
	/* Optional: is the machine still there? Asked about once a second while a command runs; -1 (with
	 * err saying what became of it: powered off, paused with a full disk) ends the command with that
	 * error at once, instead of waiting for the link to time out. */
	int (*machine_check)(void *arg, struct kiln_error *err);
	void *machine_arg;
};

/* Wait for SSH and connect: retries with back-off until sc->timeout_ms, authentication failures
 * count against sc->handshake_attempts. The host key seen first is pinned for the communicator's
 * life: a different key on reconnect is an error. Fails with ERR_TIMEOUT, ERR_CANCELLED, or the
 * authentication error. On success *out implements component.h's kiln_comm ops. */
int ssh_comm_connect(const struct ssh_config *sc, const struct ssh_connect_opts *opts, struct kiln_comm **out,
		     struct kiln_error *err);
void ssh_comm_close(struct kiln_comm *comm);
/* SHA256 fingerprint of the pinned host key ("SHA256:..."), or NULL. */
const char *ssh_comm_host_fingerprint(const struct kiln_comm *comm);
/* ssh_clear_authorized_keys: remove kp's public key from ~/.ssh/authorized_keys (and root's, through
 * sudo, when allowed) on the machine. */
int ssh_comm_clear_authorized_key(struct kiln_comm *comm, const struct ssh_keypair *kp, struct kiln_error *err);

/* ------------------------------------------------------------------------------------------------ */

#define SSH_CONFIG_ATTRS                                                                                \
	{"communicator", "string", 0, "\"ssh\"", "How to reach the machine: \"ssh\" or \"none\".", NULL},   \
	{"pause_before_connecting", "string", 0, NULL, "Wait this long after SSH first answers, then connect again.", NULL}, \
	{"ssh_host", "string", 0, "computed", "Address to connect to (default: what the builder knows).", NULL}, \
	{"ssh_port", "number", 0, "22", "Port to connect to.", NULL},                                      \
	{"ssh_username", "string", 0, NULL, "User to log in as (required for ssh).", NULL},                \
	{"ssh_password", "string", KILN_ATTR_SENSITIVE, NULL, "Password for password or keyboard-interactive login.", NULL}, \
	{"ssh_private_key_file", "string", 0, NULL, "Private key file to log in with (~ expands).", NULL}, \
	{"ssh_certificate_file", "string", 0, NULL, "User certificate for the private key (not supported).", NULL}, \
	{"ssh_agent_auth", "bool", 0, "false", "Log in with the keys of the local ssh-agent (SSH_AUTH_SOCK).", NULL}, \
	{"ssh_keypair_name", "string", 0, NULL, "Name of a key already on the machine; no temporary key is made.", NULL}, \
	{"temporary_key_pair_name", "string", 0, "\"kiln_<random>\"", "Comment of the temporary key.", NULL}, \
	{"temporary_key_pair_type", "string", 0, "\"ed25519\"", "Temporary key type: ed25519, ecdsa or rsa.", NULL}, \
	{"temporary_key_pair_bits", "number", 0, "computed", "Temporary key size: rsa 4096, ecdsa 256/384/521.", NULL}, \
	{"ssh_ciphers", "list(string)", 0, NULL, "Ciphers to offer instead of libssh's defaults.", NULL},   \
	{"ssh_key_exchange_algorithms", "list(string)", 0, NULL, "Key exchange algorithms to offer.", NULL}, \
	{"ssh_clear_authorized_keys", "bool", 0, "false", "Remove the temporary key from authorized_keys at the end.", NULL}, \
	{"ssh_pty", "bool", 0, "false", "Request a PTY for commands.", NULL},                               \
	{"ssh_timeout", "string", 0, "\"5m\"", "How long to wait for SSH to become available.", NULL},      \
	{"ssh_wait_timeout", "string", KILN_ATTR_DEPRECATED, NULL, "Old name of ssh_timeout.", NULL},       \
	{"ssh_disable_agent_forwarding", "bool", 0, "false", "Accepted; kiln never forwards the agent.", NULL}, \
	{"ssh_handshake_attempts", "number", 0, "10", "Authentication failures tolerated while waiting.", NULL}, \
	{"ssh_bastion_host", "string", 0, NULL, "Jump host to connect through.", NULL},                    \
	{"ssh_bastion_port", "number", 0, "22", "Port of the jump host.", NULL},                            \
	{"ssh_bastion_agent_auth", "bool", 0, "false", "Log in to the jump host with the local ssh-agent.", NULL}, \
	{"ssh_bastion_username", "string", 0, NULL, "User on the jump host.", NULL},                        \
	{"ssh_bastion_password", "string", KILN_ATTR_SENSITIVE, NULL, "Password on the jump host.", NULL},  \
	{"ssh_bastion_interactive", "bool", 0, "false", "Use keyboard-interactive with the jump host password.", NULL}, \
	{"ssh_bastion_private_key_file", "string", 0, NULL, "Private key for the jump host.", NULL},        \
	{"ssh_bastion_certificate_file", "string", 0, NULL, "Certificate for the jump host key (not supported).", NULL}, \
	{"ssh_file_transfer_method", "string", 0, "\"scp\"", "Accepted (scp or sftp); kiln always uses SFTP.", NULL}, \
	{"ssh_proxy_host", "string", 0, NULL, "SOCKS proxy (not supported).", NULL},                        \
	{"ssh_proxy_port", "number", 0, "1080", "SOCKS proxy port (not supported).", NULL},                 \
	{"ssh_proxy_username", "string", 0, NULL, "SOCKS proxy user (not supported).", NULL},               \
	{"ssh_proxy_password", "string", KILN_ATTR_SENSITIVE, NULL, "SOCKS proxy password (not supported).", NULL}, \
	{"ssh_keep_alive_interval", "string", 0, "\"5s\"", "Keep-alive period; a negative value turns it off.", NULL}, \
	{"ssh_read_write_timeout", "string", 0, NULL, "Silence after which a connection counts as dropped.", NULL}, \
	{"ssh_remote_tunnels", "list(string)", 0, NULL, "Remote port forwards (not supported).", NULL},     \
	{"ssh_local_tunnels", "list(string)", 0, NULL, "Local port forwards (not supported).", NULL},       \
	{"winrm_username", "string", 0, NULL, "WinRM (not supported by kiln).", NULL},                      \
	{"winrm_password", "string", KILN_ATTR_SENSITIVE, NULL, "WinRM (not supported by kiln).", NULL},    \
	{"winrm_host", "string", 0, NULL, "WinRM (not supported by kiln).", NULL},                          \
	{"winrm_no_proxy", "bool", 0, NULL, "WinRM (not supported by kiln).", NULL},                        \
	{"winrm_port", "number", 0, NULL, "WinRM (not supported by kiln).", NULL},                          \
	{"winrm_timeout", "string", 0, NULL, "WinRM (not supported by kiln).", NULL},                       \
	{"winrm_use_ssl", "bool", 0, NULL, "WinRM (not supported by kiln).", NULL},                         \
	{"winrm_insecure", "bool", 0, NULL, "WinRM (not supported by kiln).", NULL},                        \
	{"winrm_use_ntlm", "bool", 0, NULL, "WinRM (not supported by kiln).", NULL}

#endif
