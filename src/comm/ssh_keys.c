/* ssh_keys.c — the build's temporary key pair (libssh generates it): the public line the machine must
 * list in authorized_keys, and the private key in a 0600 file in a kiln temp dir that is deleted when
 * the build ends, however it ends. Also the build.* values templates read about the connection. */
#include "comm/ssh_internal.h"
#include "ui/ui.h"
#include "util/file.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Check a key type and size and pick what to generate. *bad names the key at fault. */
static int key_params(const char *type, int bits, enum ssh_keytypes_e *kt, int *gen_bits, const char **bad,
		      struct kiln_error *err)
{
	*bad = "temporary_key_pair_type";
	if (!type || !*type || strcmp(type, "ed25519") == 0) {
		*kt = SSH_KEYTYPE_ED25519;
		*gen_bits = 0;
		return 0;
	}
	if (strcmp(type, "dsa") == 0)
		return err_set_kind(err, ERR_INVALID, "temporary_key_pair_type \"dsa\" is not supported: OpenSSH "
						      "refuses DSA keys; use ed25519, ecdsa or rsa");
	if (strcmp(type, "rsa") != 0 && strcmp(type, "ecdsa") != 0)
		return err_set_kind(err, ERR_INVALID,
				    "temporary_key_pair_type \"%s\" is not one of ed25519, ecdsa, rsa", type);
	*bad = "temporary_key_pair_bits";
	if (strcmp(type, "rsa") == 0) {
		*kt = SSH_KEYTYPE_RSA;
		*gen_bits = bits ? bits : 4096;
		if (*gen_bits < 1024 || *gen_bits > 16384)
			return err_set_kind(err, ERR_INVALID,
					    "temporary_key_pair_bits %d is not an RSA size (1024 to 16384)", bits);
		return 0;
	}
	*gen_bits = bits ? bits : 256;
	switch (*gen_bits) {
	case 256:
		*kt = SSH_KEYTYPE_ECDSA_P256;
		return 0;
	case 384:
		*kt = SSH_KEYTYPE_ECDSA_P384;
		return 0;
	case 521:
		*kt = SSH_KEYTYPE_ECDSA_P521;
		return 0;
	default:
		return err_set_kind(err, ERR_INVALID,
				    "temporary_key_pair_bits %d is not an ECDSA size: use 256, 384 or 521", bits);
	}
}

int ssh_keypair_check(const char *type, int bits, const char **bad_key, struct kiln_error *err)
{
	enum ssh_keytypes_e kt;
	int gen_bits;
	return key_params(type, bits, &kt, &gen_bits, bad_key, err);
}

/* Keep the private key's text (a secret) and write it, mode 0600, to a fresh temporary directory. */
static int keypair_store_private(struct ssh_keypair *kp, const char *private_text, struct kiln_error *err)
{
	kp->private_text = xstrdup(private_text);
	ui_secret_add(kp->private_text);
	kp->dir = tmpdir_make("kiln-ssh-key", err);
	if (!kp->dir)
		return -1;
	kp->private_path = path_join(kp->dir, "id_kiln");
	return file_write(kp->private_path, private_text, strlen(private_text), 0600, err);
}

int ssh_keypair_generate(const char *type, int bits, const char *name, struct ssh_keypair **out,
			 struct kiln_error *err)
{
	*out = NULL;
	enum ssh_keytypes_e kt;
	const char *bad;
	if (key_params(type, bits, &kt, &bits, &bad, err) < 0)
		return -1;
	if (!type || !*type)
		type = "ed25519";
	struct ssh_keypair *kp = xcalloc(1, sizeof *kp);
	kp->type = xstrdup(type);
	char *b64 = NULL, *priv = NULL;
	ssh_key key = NULL;
	if (ssh_pki_generate(kt, bits, &key) != SSH_OK) {
		err_set(err, "cannot generate a temporary %s key", type);
		goto fail;
	}
	kp->key = key;
	if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK ||
	    ssh_pki_export_privkey_base64(key, NULL, NULL, NULL, &priv) != SSH_OK) {
		err_set(err, "cannot export the temporary %s key", type);
		goto fail;
	}
	const char *algo = kt == SSH_KEYTYPE_ED25519 ? "ssh-ed25519"
			   : kt == SSH_KEYTYPE_RSA   ? "ssh-rsa"
						     : ssh_pki_key_ecdsa_name(key);
	kp->public_line = xasprintf("%s %s %s", algo, b64, name && *name ? name : "kiln");
	if (keypair_store_private(kp, priv, err) < 0)
		goto fail;
	ssh_string_free_char(b64);
	ssh_string_free_char(priv);
	*out = kp;
	return 0;
fail:
	if (b64)
		ssh_string_free_char(b64);
	if (priv)
		ssh_string_free_char(priv);
	ssh_keypair_free(kp);
	return err_wrap(err, "creating the temporary SSH key");
}

int ssh_keypair_import(const char *private_text, const char *public_line, struct ssh_keypair **out,
		       struct kiln_error *err)
{
	*out = NULL;
	struct ssh_keypair *kp = xcalloc(1, sizeof *kp);
	ssh_key key = NULL;
	if (ssh_pki_import_privkey_base64(private_text, NULL, NULL, NULL, &key) != SSH_OK) {
		err_set(err, "the saved private key cannot be read");
		goto fail;
	}
	kp->key = key;
	const char *sp = strchr(public_line, ' ');
	kp->type = xstrdup(ssh_key_type(key) == SSH_KEYTYPE_ED25519 ? "ed25519"
			   : ssh_key_type(key) == SSH_KEYTYPE_RSA   ? "rsa"
								    : "ecdsa");
	if (!sp) {
		err_set(err, "the saved public key is not an OpenSSH public key line");
		goto fail;
	}
	kp->public_line = xstrdup(public_line);
	if (keypair_store_private(kp, private_text, err) < 0)
		goto fail;
	*out = kp;
	return 0;
fail:
	ssh_keypair_free(kp);
	return err_wrap(err, "loading the checkpoint's SSH key");
}

void ssh_keypair_free(struct ssh_keypair *kp)
{
	if (!kp)
		return;
	if (kp->dir)
		tmpdir_release(kp->dir);
	free(kp->dir);
	free(kp->private_path);
	free(kp->public_line);
	free(kp->private_text);
	free(kp->type);
	ssh_key_free(kp->key);
	free(kp);
}

void ssh_export_build_data(struct kiln_ctx *ctx, const struct ssh_config *sc, const struct ssh_keypair *kp,
			   const char *host, int port)
{
	char portstr[16];
	snprintf(portstr, sizeof portstr, "%d", sc->host || port <= 0 ? sc->port : port);
	kiln_ctx_set(ctx, "Host", sc->host ? sc->host : host ? host : "");
	kiln_ctx_set(ctx, "Port", portstr);
	kiln_ctx_set(ctx, "User", sc->username ? sc->username : "");
	kiln_ctx_set(ctx, "Password", sc->password ? sc->password : "");
	kiln_ctx_set(ctx, "ConnType", sc->communicator ? sc->communicator : "ssh");
	kiln_ctx_set(ctx, "SSHPublicKey", kp ? kp->public_line : "");
	if (kp) {
		kiln_ctx_set(ctx, "SSHPrivateKey", kp->private_text);
	} else if (sc->private_key_file) {
		struct buf text = BUF_INIT;
		struct kiln_error ignored = ERR_INIT;
		if (file_read_all(sc->private_key_file, &text, &ignored) == 0)
			kiln_ctx_set(ctx, "SSHPrivateKey", buf_cstr(&text));
		err_clear(&ignored);
		buf_free(&text);
	} else {
		kiln_ctx_set(ctx, "SSHPrivateKey", "");
	}
	/* For tools that connect to the machine themselves (a plugin running Ansible): the key as a file,
	 * and the jump host when there is one. */
	kiln_ctx_set(ctx, "SSHPrivateKeyFile", kp ? kp->private_path : sc->private_key_file ? sc->private_key_file : "");
	const struct ssh_bastion_config *b = &sc->bastion;
	char bport[16];
	snprintf(bport, sizeof bport, "%d", b->port > 0 ? b->port : 22);
	kiln_ctx_set(ctx, "SSHBastionHost", b->host ? b->host : "");
	kiln_ctx_set(ctx, "SSHBastionPort", b->host ? bport : "");
	kiln_ctx_set(ctx, "SSHBastionUser", b->host && b->username ? b->username : "");
	kiln_ctx_set(ctx, "SSHBastionPassword", b->host && b->password ? b->password : "");
	kiln_ctx_set(ctx, "SSHBastionPrivateKeyFile", b->host && b->private_key_file ? b->private_key_file : "");
}
