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
	char *temp_key_type;           /* temporary_key_pair_type */
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

/* ssh_timeout's default (also when it is set to 0s or less, as in Packer). */
#define SSH_DEFAULT_TIMEOUT "5m"

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
/* The key pair a checkpoint kept (docs/checkpoints.md): private_text as ssh_keypair_generate made it,
 * public_line its build.SSHPublicKey. The private key is registered as a secret and written to a
 * 0600 file in a kiln temp dir, as a generated one is. */
int ssh_keypair_import(const char *private_text, const char *public_line, struct ssh_keypair **out,
		       struct kiln_error *err);
/* Deletes the private key file and its directory. NULL is fine. */
void ssh_keypair_free(struct ssh_keypair *kp);

/* build.Host, build.Port, build.User, build.Password, build.ConnType, build.SSHPublicKey,
 * build.SSHPrivateKey (from kp, or from ssh_private_key_file when kp is NULL), build.SSHPrivateKeyFile
 * (its path), and the jump host: build.SSHBastionHost, SSHBastionPort, SSHBastionUser,
 * SSHBastionPassword, SSHBastionPrivateKeyFile ("" without one). */
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
	{.name = "communicator", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .def = "\"ssh\"", .allowed = KILN_VALUES("ssh", "none", "winrm"), \
	 .doc = "How to reach the machine (winrm is not supported by kiln)."},                              \
	{.name = "pause_before_connecting", .flags = KILN_ATTR_HOST_SIDE, .type = "duration", .def = "\"0s\"",                            \
	 .doc = "Wait this long after SSH first answers, then connect again."},                             \
	{.name = "ssh_host", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .default_doc = "the address the builder knows", .doc = "Address to connect to."}, \
	{.name = "ssh_port", .flags = KILN_ATTR_HOST_SIDE, .type = "number", .def = "22", .range = KILN_RANGE(1, 65535), .doc = "Port to connect to."}, \
	{.name = "ssh_username", .type = "string", .doc = "User to log in as (required for ssh)."},                \
	{.name = "ssh_password", .type = "string", .flags = KILN_ATTR_SENSITIVE | KILN_ATTR_HOST_SIDE, .doc = "Password for password or keyboard-interactive login."}, \
	{.name = "ssh_private_key_file", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .doc = "Private key file to log in with (~ expands)."}, \
	{.name = "ssh_certificate_file", .type = "string", .flags = KILN_ATTR_UNSUPPORTED | KILN_ATTR_HOST_SIDE,                   \
	 .doc = "SSH certificates are not supported yet; log in with the key alone."},                       \
	{.name = "ssh_agent_auth", .flags = KILN_ATTR_HOST_SIDE, .type = "bool", .def = "false", .doc = "Log in with the keys of the local ssh-agent (SSH_AUTH_SOCK)."}, \
	{.name = "ssh_keypair_name", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .doc = "Name of a key already on the machine; no temporary key is made."}, \
	{.name = "temporary_key_pair_name", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .default_doc = "kiln_<random>", .doc = "Comment of the temporary key."}, \
	{.name = "temporary_key_pair_type", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .def = "\"ed25519\"",                         \
	 .allowed = KILN_VALUES("ed25519", "ecdsa", "rsa"), .doc = "Temporary key type."},                  \
	{.name = "temporary_key_pair_bits", .flags = KILN_ATTR_HOST_SIDE, .type = "number", .default_doc = "rsa 4096, ecdsa 256",           \
	 .doc = "Temporary key size: rsa 1024 to 16384, ecdsa 256, 384 or 521."},                           \
	{.name = "ssh_ciphers", .flags = KILN_ATTR_HOST_SIDE, .type = "list(string)", .doc = "Ciphers to offer instead of libssh's defaults."},   \
	{.name = "ssh_key_exchange_algorithms", .flags = KILN_ATTR_HOST_SIDE, .type = "list(string)", .doc = "Key exchange algorithms to offer."}, \
	{.name = "ssh_clear_authorized_keys", .flags = KILN_ATTR_HOST_SIDE, .type = "bool", .def = "false", .doc = "Remove the temporary key from authorized_keys at the end."}, \
	{.name = "ssh_pty", .flags = KILN_ATTR_HOST_SIDE, .type = "bool", .def = "false", .doc = "Request a PTY for commands."},          \
	{.name = "ssh_timeout", .flags = KILN_ATTR_HOST_SIDE, .type = "duration", .def = "\"" SSH_DEFAULT_TIMEOUT "\"",                  \
	 .doc = "How long to wait for SSH to become available."},                                           \
	{.name = "ssh_wait_timeout", .type = "duration", .flags = KILN_ATTR_DEPRECATED | KILN_ATTR_HOST_SIDE,                      \
	 .doc = "Old name of ssh_timeout (wins over it, as in Packer)."},                                   \
	{.name = "ssh_disable_agent_forwarding", .type = "bool", .flags = KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .def = "false", .doc = "Accepted; kiln never forwards the agent."}, \
	{.name = "ssh_handshake_attempts", .flags = KILN_ATTR_HOST_SIDE, .type = "number", .def = "10", .range = KILN_RANGE(0, 2147483647), \
	 .doc = "Authentication failures tolerated while waiting."},                                        \
	{.name = "ssh_bastion_host", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .doc = "Jump host to connect through."},                    \
	{.name = "ssh_bastion_port", .flags = KILN_ATTR_HOST_SIDE, .type = "number", .def = "22", .range = KILN_RANGE(1, 65535), .doc = "Port of the jump host."}, \
	{.name = "ssh_bastion_agent_auth", .flags = KILN_ATTR_HOST_SIDE, .type = "bool", .def = "false", .doc = "Log in to the jump host with the local ssh-agent."}, \
	{.name = "ssh_bastion_username", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .doc = "User on the jump host."},                        \
	{.name = "ssh_bastion_password", .type = "string", .flags = KILN_ATTR_SENSITIVE | KILN_ATTR_HOST_SIDE, .doc = "Password on the jump host."},  \
	{.name = "ssh_bastion_interactive", .type = "bool", .flags = KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .def = "false", .doc = "Accepted; kiln offers the jump host password to keyboard-interactive logins anyway."}, \
	{.name = "ssh_bastion_private_key_file", .flags = KILN_ATTR_HOST_SIDE, .type = "string", .default_doc = "ssh_private_key_file", .doc = "Private key for the jump host."}, \
	{.name = "ssh_bastion_certificate_file", .type = "string", .flags = KILN_ATTR_UNSUPPORTED | KILN_ATTR_HOST_SIDE,           \
	 .doc = "SSH certificates are not supported yet; log in with the key alone."},                       \
	{.name = "ssh_file_transfer_method", .type = "string", .flags = KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .def = "\"scp\"",  \
	 .allowed = KILN_VALUES("scp", "sftp"), .doc = "Accepted; kiln always uses SFTP."},                 \
	{.name = "ssh_proxy_host", .type = "string", .flags = KILN_ATTR_UNSUPPORTED | KILN_ATTR_HOST_SIDE,                         \
	 .doc = "SOCKS proxies are not supported; use ssh_bastion_host."},                                  \
	{.name = "ssh_proxy_port", .type = "number", .flags = KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .def = "1080", .doc = "SOCKS proxy port (ssh_proxy_host is not supported)."}, \
	{.name = "ssh_proxy_username", .type = "string", .flags = KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .doc = "SOCKS proxy user (ssh_proxy_host is not supported)."}, \
	{.name = "ssh_proxy_password", .type = "string", .flags = KILN_ATTR_SENSITIVE | KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .doc = "SOCKS proxy password (ssh_proxy_host is not supported)."}, \
	{.name = "ssh_keep_alive_interval", .flags = KILN_ATTR_HOST_SIDE, .type = "duration", .def = "\"5s\"",                            \
	 .doc = "Keep-alive period; 0s or a negative value turns it off."},                                 \
	{.name = "ssh_read_write_timeout", .flags = KILN_ATTR_HOST_SIDE, .type = "duration", .def = "\"0s\"",                             \
	 .doc = "Silence after which a connection counts as dropped; 0s: never."},                          \
	{.name = "ssh_remote_tunnels", .type = "list(string)", .flags = KILN_ATTR_UNSUPPORTED | KILN_ATTR_HOST_SIDE, .doc = "SSH tunnels are not supported."}, \
	{.name = "ssh_local_tunnels", .type = "list(string)", .flags = KILN_ATTR_UNSUPPORTED | KILN_ATTR_HOST_SIDE, .doc = "SSH tunnels are not supported."}, \
	{.name = "winrm_username", .type = "string", .flags = KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .doc = "WinRM (not supported by kiln)."},                      \
	{.name = "winrm_password", .type = "string", .flags = KILN_ATTR_SENSITIVE | KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .doc = "WinRM (not supported by kiln)."},    \
	{.name = "winrm_host", .type = "string", .flags = KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .doc = "WinRM (not supported by kiln)."},                          \
	{.name = "winrm_no_proxy", .type = "bool", .flags = KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .doc = "WinRM (not supported by kiln)."},                        \
	{.name = "winrm_port", .type = "number", .flags = KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .doc = "WinRM (not supported by kiln)."},                          \
	{.name = "winrm_timeout", .type = "string", .flags = KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .doc = "WinRM (not supported by kiln)."},                       \
	{.name = "winrm_use_ssl", .type = "bool", .flags = KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .doc = "WinRM (not supported by kiln)."},                         \
	{.name = "winrm_insecure", .type = "bool", .flags = KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .doc = "WinRM (not supported by kiln)."},                        \
	{.name = "winrm_use_ntlm", .type = "bool", .flags = KILN_ATTR_IGNORED | KILN_ATTR_HOST_SIDE, .doc = "WinRM (not supported by kiln)."}

#endif
