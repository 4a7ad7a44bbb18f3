/* ssh_config.c — the communicator keys every builder shares (communicator, ssh_*, temporary_key_pair_*):
 * one schema fragment, one decoder with Packer's defaults and checks, and the build.* values that
 * templates read (build.Host, build.SSHPublicKey, ...). */
#include "comm/ssh_internal.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/strv.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

const struct kiln_attr ssh_config_attrs[] = {
	SSH_CONFIG_ATTRS,
	{.name = NULL},
};

static char *opt_string(const struct kiln_config *c, const char *name)
{
	const char *s = kiln_config_string(c, name);
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

/* The defaults that depend on other keys or on chance: the temporary key's name, ssh_timeout from its old
 * name, a timeout of 0s or less, the jump host's key. */
static void derive_defaults(const struct kiln_config *c, struct ssh_config *sc)
{
	sc->wants_temp_key = !sc->private_key_file && !sc->agent_auth;
	if (!sc->temp_key_name)
		sc->temp_key_name = random_key_name();
	if (kiln_config_has(c, "ssh_wait_timeout"))
		sc->timeout_ms = kiln_config_duration_ms(c, "ssh_wait_timeout");
	if (sc->timeout_ms <= 0) {
		struct kiln_error e = ERR_INIT;
		duration_parse(SSH_DEFAULT_TIMEOUT, &sc->timeout_ms, &e);
		err_clear(&e);
	}
	if (sc->keep_alive_ms < 0)
		sc->keep_alive_ms = 0;
	if (sc->read_write_timeout_ms < 0)
		sc->read_write_timeout_ms = 0;
	if (sc->bastion.host && !sc->bastion.private_key_file && sc->private_key_file)
		sc->bastion.private_key_file = xstrdup(sc->private_key_file);
}

static int decode_ssh(const struct kiln_config *c, struct ssh_config *sc, struct kiln_error *err)
{
	if (!kiln_config_has(c, "ssh_username"))
		return kiln_config_error(c, "ssh_username", err, "an ssh_username must be specified");
	sc->host = opt_string(c, "ssh_host");
	sc->port = (int)kiln_config_int(c, "ssh_port");
	sc->username = opt_string(c, "ssh_username");
	sc->password = opt_string(c, "ssh_password");
	sc->private_key_file = expand_home(opt_string(c, "ssh_private_key_file"));
	sc->agent_auth = kiln_config_bool(c, "ssh_agent_auth");
	sc->keypair_name = opt_string(c, "ssh_keypair_name");
	sc->temp_key_name = opt_string(c, "temporary_key_pair_name");
	sc->temp_key_type = xstrdup(kiln_config_string(c, "temporary_key_pair_type"));
	sc->temp_key_bits = (int)kiln_config_int(c, "temporary_key_pair_bits");
	sc->pty = kiln_config_bool(c, "ssh_pty");
	sc->clear_authorized_keys = kiln_config_bool(c, "ssh_clear_authorized_keys");
	sc->timeout_ms = kiln_config_duration_ms(c, "ssh_timeout");
	sc->handshake_attempts = (int)kiln_config_int(c, "ssh_handshake_attempts");
	sc->keep_alive_ms = kiln_config_duration_ms(c, "ssh_keep_alive_interval");
	sc->read_write_timeout_ms = kiln_config_duration_ms(c, "ssh_read_write_timeout");
	sc->ciphers = joined_list(c, "ssh_ciphers");
	sc->kex = joined_list(c, "ssh_key_exchange_algorithms");
	struct ssh_bastion_config *b = &sc->bastion;
	b->host = opt_string(c, "ssh_bastion_host");
	if (b->host) {
		b->port = (int)kiln_config_int(c, "ssh_bastion_port");
		b->username = opt_string(c, "ssh_bastion_username");
		b->password = opt_string(c, "ssh_bastion_password");
		b->agent_auth = kiln_config_bool(c, "ssh_bastion_agent_auth");
		b->private_key_file = expand_home(opt_string(c, "ssh_bastion_private_key_file"));
	}
	derive_defaults(c, sc);

	/* what involves several keys or the machine kiln runs on */
	if (check_key_file(c, "ssh_private_key_file", sc->private_key_file, err) < 0)
		return -1;
	if (sc->keypair_name && !sc->private_key_file && !sc->agent_auth)
		return kiln_config_error(c, "ssh_keypair_name", err,
					 "ssh_private_key_file or ssh_agent_auth must be set with ssh_keypair_name");
	const char *bad_key = NULL;
	if (ssh_keypair_check(sc->temp_key_type, sc->temp_key_bits, &bad_key, err) < 0) {
		struct kiln_error inner = ERR_INIT;
		err_move(&inner, err);
		kiln_config_error(c, bad_key, err, "%s", err_cause(&inner));
		err_clear(&inner);
		return -1;
	}
	if (b->host) {
		if (check_key_file(c, "ssh_bastion_private_key_file", b->private_key_file, err) < 0)
			return -1;
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
	const char *type = kiln_config_string(c, "communicator");
	if (strcmp(type, "winrm") == 0)
		return kiln_config_error(c, "communicator", err,
					 "the winrm communicator is not supported by kiln; use ssh (Windows ships OpenSSH)");
	sc->communicator = xstrdup(type);
	sc->pause_before_connecting_ms = kiln_config_duration_ms(c, "pause_before_connecting");
	if (strcmp(type, "ssh") == 0 && decode_ssh(c, sc, err) < 0) {
		ssh_config_free(sc);
		return -1;
	}
	return 0;
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
