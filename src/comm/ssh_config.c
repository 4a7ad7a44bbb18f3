/* ssh_config.c — the communicator keys every builder shares (communicator, ssh_*, temporary_key_pair_*):
 * one schema fragment, one decoder with Packer's defaults and checks, and the build.* values that
 * templates read (build.Host, build.SSHPublicKey, ...). */
#include "comm/ssh_internal.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/strv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

const struct kiln_attr ssh_config_attrs[] = {
	SSH_CONFIG_ATTRS,
	{.name = NULL},
};

/* Keys kiln accepts (so templates validate) but cannot honour; setting one is an error. */
static const struct {
	const char *key;
	const char *why;
} unsupported[] = {
	{"ssh_certificate_file", "SSH certificates are not supported yet; log in with the key alone"},
	{"ssh_bastion_certificate_file", "SSH certificates are not supported yet; log in with the key alone"},
	{"ssh_proxy_host", "SOCKS proxies are not supported; use ssh_bastion_host"},
	{"ssh_local_tunnels", "SSH tunnels are not supported"},
	{"ssh_remote_tunnels", "SSH tunnels are not supported"},
};

static char *opt_string(const struct kiln_config *c, const char *name)
{
	const char *s = kiln_config_string_or(c, name, NULL);
	return s && *s ? xstrdup(s) : NULL;
}

/* ~ and ~/ expand to $HOME, as Packer does for key files. */
static char *expand_home(char *path)
{
	if (!path || path[0] != '~' || (path[1] != '\0' && path[1] != '/'))
		return path;
	const char *home = getenv("HOME");
	char *r = xasprintf("%s%s", home ? home : "", path + 1);
	free(path);
	return r;
}

static int duration_key(const struct kiln_config *c, const char *name, const char *def, int64_t *ms,
			struct kiln_error *err)
{
	return kiln_config_duration_or(c, name, def, ms, err);
}

static int port_key(const struct kiln_config *c, const char *name, int *port, struct kiln_error *err)
{
	int64_t p = kiln_config_int_or(c, name, 22);
	if (p == 0)
		p = 22;
	if (p < 1 || p > 65535)
		return kiln_config_error(c, name, err, "%s must be a TCP port (1 to 65535), not %lld", name, (long long)p);
	*port = (int)p;
	return 0;
}

static char *joined_list(const struct kiln_config *c, const char *name)
{
	struct strv v = STRV_INIT;
	kiln_config_list_strv(c, name, &v);
	char *r = v.n ? strv_join(&v, ",") : NULL;
	strv_free(&v);
	return r;
}

static int check_key_file(const struct kiln_config *c, const char *name, const char *path, struct kiln_error *err)
{
	if (!path || !kiln_config_is_known(c, name))
		return 0;
	ssh_key key = NULL;
	if (!file_exists(path))
		return kiln_config_error(c, name, err, "%s %s does not exist", name, path);
	if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key) != SSH_OK)
		return kiln_config_error(c, name, err, "%s %s is not an unencrypted OpenSSH or PEM private key", name,
					 path);
	ssh_key_free(key);
	return 0;
}

static char *random_key_name(void)
{
	unsigned char r[8] = {0};
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		return xstrdup("kiln");
	return xasprintf("kiln_%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
}

static int decode_ssh(const struct kiln_config *c, struct ssh_config *sc, struct kiln_error *err)
{
	for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++) {
		bool set = kiln_config_has(c, unsupported[i].key) &&
			   (kiln_config_list_len(c, unsupported[i].key) > 0 ||
			    (kiln_config_string_or(c, unsupported[i].key, NULL) && *kiln_config_string_or(c, unsupported[i].key, NULL)));
		if (set)
			return kiln_config_error(c, unsupported[i].key, err, "%s: %s", unsupported[i].key, unsupported[i].why);
	}
	if (!kiln_config_has(c, "ssh_username"))
		return kiln_config_error(c, "ssh_username", err, "an ssh_username must be specified");
	sc->host = opt_string(c, "ssh_host");
	if (port_key(c, "ssh_port", &sc->port, err) < 0)
		return -1;
	sc->username = opt_string(c, "ssh_username");
	sc->password = opt_string(c, "ssh_password");
	sc->private_key_file = expand_home(opt_string(c, "ssh_private_key_file"));
	if (check_key_file(c, "ssh_private_key_file", sc->private_key_file, err) < 0)
		return -1;
	sc->agent_auth = kiln_config_bool_or(c, "ssh_agent_auth", false);
	sc->keypair_name = opt_string(c, "ssh_keypair_name");
	if (sc->keypair_name && !sc->private_key_file && !sc->agent_auth)
		return kiln_config_error(c, "ssh_keypair_name", err,
					 "ssh_private_key_file or ssh_agent_auth must be set with ssh_keypair_name");
	sc->wants_temp_key = !sc->private_key_file && !sc->agent_auth;
	sc->temp_key_name = opt_string(c, "temporary_key_pair_name");
	if (!sc->temp_key_name)
		sc->temp_key_name = random_key_name();
	sc->temp_key_type = opt_string(c, "temporary_key_pair_type");
	if (!sc->temp_key_type)
		sc->temp_key_type = xstrdup("ed25519");
	sc->temp_key_bits = (int)kiln_config_int_or(c, "temporary_key_pair_bits", 0);
	const char *bad_key = NULL;
	if (ssh_keypair_check(sc->temp_key_type, sc->temp_key_bits, &bad_key, err) < 0) {
		struct kiln_error inner = ERR_INIT;
		err_move(&inner, err);
		kiln_config_error(c, bad_key, err, "%s", err_cause(&inner));
		err_clear(&inner);
		return -1;
	}
	sc->pty = kiln_config_bool_or(c, "ssh_pty", false);
	sc->clear_authorized_keys = kiln_config_bool_or(c, "ssh_clear_authorized_keys", false);

	const char *timeout_key = kiln_config_has(c, "ssh_wait_timeout") ? "ssh_wait_timeout" : "ssh_timeout";
	if (duration_key(c, timeout_key, "5m", &sc->timeout_ms, err) < 0)
		return -1;
	if (sc->timeout_ms <= 0)
		sc->timeout_ms = 5 * 60 * 1000;
	int64_t attempts = kiln_config_int_or(c, "ssh_handshake_attempts", 10);
	if (attempts < 0)
		return kiln_config_error(c, "ssh_handshake_attempts", err, "ssh_handshake_attempts cannot be negative");
	sc->handshake_attempts = attempts == 0 ? 10 : (int)attempts;
	if (duration_key(c, "ssh_keep_alive_interval", "5s", &sc->keep_alive_ms, err) < 0)
		return -1;
	if (sc->keep_alive_ms == 0 && !kiln_config_has(c, "ssh_keep_alive_interval"))
		sc->keep_alive_ms = 5000;
	if (sc->keep_alive_ms < 0)
		sc->keep_alive_ms = 0;
	if (duration_key(c, "ssh_read_write_timeout", "0s", &sc->read_write_timeout_ms, err) < 0)
		return -1;
	if (sc->read_write_timeout_ms < 0)
		sc->read_write_timeout_ms = 0;
	sc->ciphers = joined_list(c, "ssh_ciphers");
	sc->kex = joined_list(c, "ssh_key_exchange_algorithms");

	const char *method = kiln_config_string_or(c, "ssh_file_transfer_method", "scp");
	if (*method && strcmp(method, "scp") != 0 && strcmp(method, "sftp") != 0)
		return kiln_config_error(c, "ssh_file_transfer_method", err,
					 "ssh_file_transfer_method (\"%s\") is invalid, valid methods: sftp, scp", method);

	struct ssh_bastion_config *b = &sc->bastion;
	b->host = opt_string(c, "ssh_bastion_host");
	if (b->host) {
		if (port_key(c, "ssh_bastion_port", &b->port, err) < 0)
			return -1;
		b->username = opt_string(c, "ssh_bastion_username");
		b->password = opt_string(c, "ssh_bastion_password");
		b->agent_auth = kiln_config_bool_or(c, "ssh_bastion_agent_auth", false);
		b->private_key_file = expand_home(opt_string(c, "ssh_bastion_private_key_file"));
		if (check_key_file(c, "ssh_bastion_private_key_file", b->private_key_file, err) < 0)
			return -1;
		if (!b->private_key_file && sc->private_key_file)
			b->private_key_file = xstrdup(sc->private_key_file);
		if (!b->password && !b->private_key_file && !b->agent_auth && kiln_config_is_known(c, "ssh_bastion_host"))
			return kiln_config_error(c, "ssh_bastion_host", err,
						 "ssh_bastion_password, ssh_bastion_private_key_file or "
						 "ssh_bastion_agent_auth must be specified");
	}
	return 0;
}

int ssh_config_decode(const struct kiln_config *c, struct ssh_config *sc, struct kiln_error *err)
{
	memset(sc, 0, sizeof *sc);
	sc->port = 22;
	sc->handshake_attempts = 10;
	sc->timeout_ms = 5 * 60 * 1000;
	sc->keep_alive_ms = 5000;
	const char *type = kiln_config_string_or(c, "communicator", "ssh");
	if (!*type)
		type = "ssh";
	if (strcmp(type, "winrm") == 0)
		return kiln_config_error(c, "communicator", err,
					 "the winrm communicator is not supported by kiln; use ssh (Windows ships OpenSSH)");
	if (strcmp(type, "ssh") != 0 && strcmp(type, "none") != 0)
		return kiln_config_error(c, "communicator", err, "communicator \"%s\" is not one of ssh, none", type);
	sc->communicator = xstrdup(type);
	if (kiln_config_duration_or(c, "pause_before_connecting", "0s", &sc->pause_before_connecting_ms, err) < 0)
		goto fail;
	if (strcmp(type, "ssh") == 0 && decode_ssh(c, sc, err) < 0)
		goto fail;
	return 0;
fail:
	ssh_config_free(sc);
	return -1;
}

bool ssh_config_enabled(const struct ssh_config *sc)
{
	return sc->communicator && strcmp(sc->communicator, "ssh") == 0;
}

void ssh_config_free(struct ssh_config *sc)
{
	if (!sc)
		return;
	free(sc->communicator);
	free(sc->host);
	free(sc->username);
	free(sc->password);
	free(sc->private_key_file);
	free(sc->keypair_name);
	free(sc->temp_key_name);
	free(sc->temp_key_type);
	free(sc->ciphers);
	free(sc->kex);
	free(sc->bastion.host);
	free(sc->bastion.username);
	free(sc->bastion.password);
	free(sc->bastion.private_key_file);
	memset(sc, 0, sizeof *sc);
}
