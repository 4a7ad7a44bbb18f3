/* checkpoint.c — the qemu builder's checkpoints (see checkpoint.h and docs/checkpoints.md).
 *
 * Disks. A checkpointed build keeps its working disks in the store's work directory, each a chain of
 * qcow2 layers: the first on the base image (through the store's bases/ link) or, for an installer
 * build, the empty disk itself. Saving a checkpoint makes a new overlay for each disk whose backing
 * file is the layer's final place in the store, snapshots the domain onto it (libvirt external
 * snapshot, REUSE_EXT: nothing is copied), and moves the now frozen layer into the checkpoint. The
 * guest runs on; its SSH session survives.
 *
 * Memory. The same snapshot writes the memory (libvirt's save-image format: a header, the domain XML,
 * QEMU's migration stream). libvirt restores an image only under the name and uuid it was saved with,
 * which would forbid two builds starting from one checkpoint at once and tie every restored domain to
 * the first build's name; so the image reaches libvirt through a pipe, its header rewritten to this
 * build's name and a fresh uuid, the rest streamed as it is (the format is libvirt's on-disk ABI,
 * "LibvirtQemudSave" version 2). The XML passed with it gives the new disks, ports and serial log.
 *
 * The guest's file systems are synced before each snapshot, so a checkpoint's disk alone is also a
 * consistent state: when the memory cannot be restored (another accelerator, a device that changed),
 * the disk is booted instead.
 *
 * The final disk. After the last provisioner nothing runs in the guest, so that checkpoint waits for
 * the shutdown (offline_identity: the shutdown command is in its key): the tops, which nothing writes
 * any more, move into it and new empty layers take their place for sanitize and export. A build that
 * starts from it (qemu_ckpt_final) runs no machine. */
#include "qemu/checkpoint.h"
#include "qemu/build.h"
#include "qemu/disk.h"
#include "qemu/download.h"
#include "qemu/libvirt.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/signals.h"
#include "util/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SAVE_MAGIC "LibvirtQemudSave"
#define SAVE_HEADER_LEN 92      /* magic[16] + version, data_len, was_running, format, cookieOffset, unused[14] */
#define SAVE_MAX_DATA (16u << 20)
#define META_FILE "builder.json"

struct qemu_ckpt {
	const struct kiln_checkpoint *restore;   /* engine-owned */
	const char *work_dir;                    /* engine-owned */
	const char *base_link;                   /* engine-owned; NULL without a base image */
	/* what the restored checkpoint holds (its builder.json) */
	struct strv r_layers, r_formats;
	bool r_kvm, r_memory, r_key, r_offline;
	char *r_nvram;
	/* the disks' current top images (main disk first) */
	struct strv cur, cur_formats;
	uint64_t *sizes;
	unsigned seq;
	char *uuid;
	bool restored_memory;
	bool broken;
	bool machine_off;     /* the guest powered off cleanly after the provisioners: save() keeps the disks */
};

/* ------------------------------------------------------------------------------------------------
 * What a checkpoint's builder.json says */

static int read_meta(struct qemu_ckpt *k, struct kiln_error *err)
{
	char *path = path_join(k->restore->dir, META_FILE);
	json_error_t je;
	json_t *o = json_load_file(path, 0, &je);
	int rc = -1;
	if (!o) {
		err_set(err, "%s: %s", path, je.text);
		goto out;
	}
	json_t *disks = json_object_get(o, "disks");
	if (json_integer_value(json_object_get(o, "version")) != 1 || !json_is_array(disks) || !json_array_size(disks)) {
		err_set(err, "%s is not a checkpoint of this kiln's qemu builder", path);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(disks); i++) {
		json_t *d = json_array_get(disks, i);
		const char *f = json_string_value(json_object_get(d, "file"));
		const char *fmt = json_string_value(json_object_get(d, "format"));
		if (!f || !fmt || strchr(f, '/') || strncmp(f, "layer", 5) != 0) {
			err_set(err, "%s lists a disk without a layer file", path);
			goto out;
		}
		strv_push_owned(&k->r_layers, path_join(k->restore->dir, f));
		strv_push(&k->r_formats, fmt);
	}
	k->r_kvm = json_is_true(json_object_get(o, "kvm"));
	k->r_memory = json_is_true(json_object_get(o, "memory"));
	k->r_key = json_is_true(json_object_get(o, "ssh_key"));
	k->r_offline = json_is_true(json_object_get(o, "offline"));
	const char *nv = json_string_value(json_object_get(o, "nvram"));
	k->r_nvram = nv ? path_join(k->restore->dir, nv) : NULL;
	rc = 0;
out:
	if (o)
		json_decref(o);
	free(path);
	return rc;
}

static int write_meta(struct qemu_build *b, const char *dir, const struct strv *layers, const struct strv *formats,
		      bool memory, bool nvram, bool offline, struct kiln_error *err)
{
	json_t *disks = json_array();
	for (size_t i = 0; i < layers->n; i++)
		json_array_append_new(disks, json_pack("{s:s, s:s}", "file", layers->v[i], "format", formats->v[i]));
	json_t *o = json_pack("{s:i, s:o, s:b, s:b, s:b, s:b, s:s, s:s?}", "version", 1, "disks", disks, "kvm",
			      b->accel.kvm, "memory", memory, "offline", offline, "ssh_key", b->keypair != NULL, "machine",
			      b->cfg->machine_type, "nvram", nvram ? "nvram.fd" : NULL);
	char *text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(o);
	char *path = path_join(dir, META_FILE);
	int rc = file_write(path, text, strlen(text), 0600, err);
	free(path);
	free(text);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * The step: what the engine needs to know */

static int save(void *arg, const char *dir, const char *final_dir, bool with_memory, bool *memory_saved,
		struct kiln_error *err);

static char *why_not(const struct qemu_build *b)
{
	const struct qemu_config *c = b->cfg;
	if (b->remote)
		return xstrdup("the hypervisor is remote, and checkpoints are kept on this machine");
	if (c->vtpm)
		return xstrdup("the emulated TPM's state cannot be kept (vtpm = true)");
	if (c->net_bridge || c->network)
		return xstrdup("only a guest on user-mode networking can be restored (net_bridge or network is set)");
	return NULL;
}

/* The base's content: the verified iso_checksum, else a SHA-256 of the file. */
static int base_digest(struct qemu_build *b, char **out, struct kiln_error *err)
{
	const char *sum = b->source.checksum;
	if (sum && strcmp(sum, "none") != 0 && strchr(sum, ':')) {
		*out = xstrdup(sum);
		return 0;
	}
	/* the download cache's content stamp (device, inode, size, mtime) spares hashing it every build */
	char *hex = NULL;
	if (qemu_file_sha256(b->source.path, b->ui, &hex, err) < 0)
		return -1;
	*out = xasprintf("sha256:%s", hex);
	free(hex);
	return 0;
}

/* Facts that shape the guest and are not in the configuration: what cloud-init installs. */
static char *identity(const struct qemu_build *b)
{
	const struct qemu_config *c = b->cfg;
	struct buf id = BUF_INIT;
	buf_printf(&id, "disk_image=%d\n", c->disk_image);
	if (c->cloud_init) {
		buf_printf(&id, "cloud-init hostname=%s\n", b->vm_name);
		/* the user's own key is installed as it is; a temporary key is the checkpoint's own */
		if (!b->cfg->ssh.wants_temp_key && b->public_key)
			buf_printf(&id, "cloud-init key=%s\n", b->public_key);
	}
	return buf_detach(&id);
}

/* What the power-off does to the disk, for the key of the final disk's checkpoint: the shutdown
 * command (host-side for the other keys) and whether the temporary key is removed before it. */
static char *offline_identity(const struct qemu_build *b)
{
	const struct qemu_config *c = b->cfg;
	return xasprintf("shutdown_command=%s\nclear_authorized_keys=%d\n", c->shutdown_command ? c->shutdown_command : "",
			 c->ssh.clear_authorized_keys && c->ssh.wants_temp_key);
}

int qemu_step_checkpoints(void *state, struct kiln_error *err)
{
	struct qemu_build *b = state;
	const struct qemu_config *c = b->cfg;
	if (!b->ctx->checkpoints || !b->ctx->ops || !b->ctx->ops->checkpoint_begin)
		return 0;
	struct kiln_checkpoint_start st = {0};
	struct strv inputs = STRV_INIT;
	char *digest = NULL, *id = NULL, *off_id = NULL;
	char *no = why_not(b);
	int rc = -1;
	if (!no && base_digest(b, &digest, err) < 0)
		goto out;
	if (c->http_directory)
		strv_push(&inputs, c->http_directory);
	for (size_t i = 0; i < c->cd_files.n; i++)
		strv_push(&inputs, c->cd_files.v[i]);
	const char *fw[] = {c->firmware, c->efi_firmware_code, c->efi_firmware_vars};
	for (size_t i = 0; i < 3; i++)
		if (fw[i] && strchr(fw[i], '/') && file_exists(fw[i]))
			strv_push(&inputs, fw[i]);
	if (c->cloud_init && !b->cfg->ssh.wants_temp_key && b->cfg->ssh.private_key_file) {
		char *pub = xasprintf("%s.pub", b->cfg->ssh.private_key_file);
		if (file_exists(pub))
			strv_push(&inputs, pub);
		free(pub);
	}
	id = identity(b);
	off_id = offline_identity(b);
	st.base_path = c->disk_image ? b->source.path : NULL;
	st.base_digest = digest;
	st.identity = id;
	st.inputs = (const char *const *)strv_argv(&inputs);
	st.why_not = no;
	st.save = save;
	st.save_arg = b;
	st.offline_identity = off_id;
	const struct kiln_checkpoint *restore = NULL;
	const char *link = NULL, *work = NULL;
	if (b->ctx->ops->checkpoint_begin(b->ctx, &st, &restore, &link, &work, err) < 0)
		goto out;
	rc = 0;
	if (!work)
		goto out;   /* the engine turned checkpoints off (and said why) */
	b->ck = xcalloc(1, sizeof *b->ck);
	b->ck->restore = restore;
	b->ck->work_dir = work;
	b->ck->base_link = link;
	if (restore && read_meta(b->ck, err) < 0) {
		err_wrap(err, "the checkpoint in %s cannot be used", restore->dir);
		err_hint(err, "remove it with `kiln cache clear` (it was made by another kiln version?)");
		rc = -1;
	}
out:
	free(no);
	free(digest);
	free(id);
	free(off_id);
	strv_free(&inputs);
	return rc;
}

void qemu_cleanup_checkpoints(void *state)
{
	struct qemu_build *b = state;
	struct qemu_ckpt *k = b->ck;
	if (!k)
		return;
	strv_free(&k->r_layers);
	strv_free(&k->r_formats);
	free(k->r_nvram);
	strv_free(&k->cur);
	strv_free(&k->cur_formats);
	free(k->sizes);
	free(k->uuid);
	free(k);
	b->ck = NULL;
}

bool qemu_ckpt_restoring(const struct qemu_build *b)
{
	return b->ck && b->ck->restore;
}

bool qemu_ckpt_final(const struct qemu_build *b)
{
	return qemu_ckpt_restoring(b) && b->ck->restore->whole && b->ck->r_offline && !b->ck->r_memory;
}

void qemu_ckpt_machine_off(struct qemu_build *b, bool clean)
{
	if (!b->ck || !b->ctx->ops || !b->ctx->ops->checkpoint_machine_off)
		return;
	b->ck->machine_off = true;
	b->ctx->ops->checkpoint_machine_off(b->ctx, clean);
}

const char *qemu_ckpt_work_dir(const struct qemu_build *b)
{
	return b->ck ? b->ck->work_dir : NULL;
}

const char *qemu_ckpt_base_link(const struct qemu_build *b)
{
	return b->ck ? b->ck->base_link : NULL;
}

/* ------------------------------------------------------------------------------------------------
 * Starting from a checkpoint: key, disks, memory */

int qemu_ckpt_load_key(struct qemu_build *b, struct kiln_error *err)
{
	struct qemu_ckpt *k = b->ck;
	if (!qemu_ckpt_restoring(b) || !k->r_key)
		return 0;
	char *priv = path_join(k->restore->dir, "ssh_key"), *pub = path_join(k->restore->dir, "ssh_key.pub");
	struct buf p = BUF_INIT, q = BUF_INIT;
	int rc = -1;
	if (file_read_all(priv, &p, err) < 0 || file_read_all(pub, &q, err) < 0)
		goto out;
	while (q.len && (q.data[q.len - 1] == '\n' || q.data[q.len - 1] == '\r'))
		buf_truncate(&q, q.len - 1);
	if (ssh_keypair_import(buf_cstr(&p), buf_cstr(&q), &b->keypair, err) < 0)
		goto out;
	rc = 1;
out:
	/* the private key text is a secret: leave no copy in freed memory */
	if (p.data)
		explicit_bzero(p.data, p.len);
	buf_free(&p);
	buf_free(&q);
	free(priv);
	free(pub);
	return rc;
}

static void track(struct qemu_ckpt *k, const char *path, const char *format)
{
	strv_push(&k->cur, path);
	strv_push(&k->cur_formats, format);
}

int qemu_ckpt_make_disks(struct qemu_build *b, struct kiln_error *err)
{
	struct qemu_ckpt *k = b->ck;
	if (!k->restore) {
		/* step_prepare made the first layers in the work directory */
		track(k, b->disk_path, b->disk_format);
		for (size_t i = 0; i < b->extra_disks.n; i++)
			track(k, b->extra_disks.v[i], b->extra_disk_formats.v[i]);
		return 0;
	}
	size_t want = 1 + b->cfg->disk_additional_size.n;
	if (k->r_layers.n != want)
		return err_set_kind(err, ERR_INVALID, "the checkpoint has %zu disk%s, the build %zu", k->r_layers.n,
				    k->r_layers.n == 1 ? "" : "s", want);
	for (size_t i = 0; i < k->r_layers.n; i++) {
		char *name = xasprintf("disk%zu-%u.qcow2", i, k->seq);
		char *path = path_join(k->work_dir, name);
		free(name);
		if (qemu_img_create(path, "qcow2", NULL, k->r_layers.v[i], k->r_formats.v[i], NULL, err) < 0) {
			free(path);
			return -1;
		}
		track(k, path, "qcow2");
		if (i == 0) {
			b->disk_path = path;
			b->disk_format = xstrdup("qcow2");
		} else {
			strv_push_owned(&b->extra_disks, path);
			strv_push(&b->extra_disk_formats, "qcow2");
		}
	}
	if (k->r_nvram && b->nvram_path && file_copy(k->r_nvram, b->nvram_path, 0600, err) < 0)
		return err_wrap(err, "copying the checkpoint's UEFI variables");
	ui_say(b->ui, "Using the checkpoint's disk%s (a new layer on it for this build)", k->r_layers.n == 1 ? "" : "s");
	return 0;
}

const char *qemu_ckpt_uuid(const struct qemu_build *b)
{
	struct qemu_ckpt *k = b->ck;
	if (!qemu_ckpt_restoring(b) || !k->r_memory)
		return NULL;
	if (!k->uuid) {
		unsigned char u[16];
		if (getrandom(u, sizeof u, 0) != (ssize_t)sizeof u)
			for (size_t i = 0; i < sizeof u; i++)
				u[i] = (unsigned char)(rand() & 0xff);
		u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
		u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
		k->uuid = xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2],
				    u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	}
	return k->uuid;
}

/* The saved image's XML with this build's name and uuid. NULL when it has no <name> or <uuid>. */
static char *retarget_xml(const char *xml, const char *name, const char *uuid)
{
	const char *n0 = strstr(xml, "<name>"), *n1 = n0 ? strstr(n0, "</name>") : NULL;
	const char *u0 = strstr(xml, "<uuid>"), *u1 = u0 ? strstr(u0, "</uuid>") : NULL;
	if (!n1 || !u1 || u0 < n1)
		return NULL;
	struct buf b = BUF_INIT;
	buf_append(&b, xml, (size_t)(n0 - xml));
	buf_printf(&b, "<name>%s</name>", name);
	buf_append(&b, n1 + 7, (size_t)(u0 - (n1 + 7)));
	buf_printf(&b, "<uuid>%s</uuid>", uuid);
	buf_puts(&b, u1 + 7);
	return buf_detach(&b);
}

struct feeder {
	char *image, *pipe, *name, *uuid;
	volatile int stop;
	char *error;            /* set by the thread on failure */
	pthread_t thread;
};

static void *feed(void *arg)
{
	struct feeder *f = arg;
	unsigned char *data = NULL, *chunk = NULL;
	int in = open(f->image, O_RDONLY | O_CLOEXEC), out = -1;
	unsigned char hdr[SAVE_HEADER_LEN];
	uint32_t version, data_len, cookie_off;
	if (in < 0) {
		f->error = xasprintf("cannot open %s: %s", f->image, strerror(errno));
		goto out;
	}
	if (fd_read_exact(in, hdr, sizeof hdr) < 0 || memcmp(hdr, SAVE_MAGIC, 16) != 0) {
		f->error = xasprintf("%s is not a libvirt save image", f->image);
		goto out;
	}
	memcpy(&version, hdr + 16, 4);
	memcpy(&data_len, hdr + 20, 4);
	memcpy(&cookie_off, hdr + 32, 4);
	if (version != 2 || data_len == 0 || data_len > SAVE_MAX_DATA || cookie_off >= data_len) {
		f->error = xasprintf("%s: unsupported save image (version %u)", f->image, version);
		goto out;
	}
	data = xmalloc(data_len + 1);
	if (fd_read_exact(in, data, data_len) < 0) {
		f->error = xasprintf("%s is truncated", f->image);
		goto out;
	}
	data[data_len] = 0;
	const char *cookie = cookie_off ? (const char *)data + cookie_off : NULL;
	char *xml = retarget_xml((const char *)data, f->name, f->uuid);
	size_t xl = xml ? strlen(xml) : 0, cl = cookie ? strnlen(cookie, data_len - cookie_off) : 0;
	if (!xml || xl + 1 + cl + 1 > data_len) {
		free(xml);
		f->error = xasprintf("%s: the domain XML cannot be renamed in place", f->image);
		goto out;
	}
	unsigned char *nd = xcalloc(1, data_len);
	memcpy(nd, xml, xl);
	if (cookie)
		memcpy(nd + xl + 1, cookie, cl);
	free(xml);
	uint32_t new_off = cookie ? (uint32_t)(xl + 1) : 0;
	memcpy(hdr + 32, &new_off, 4);
	free(data);
	data = nd;
	/* wait for libvirt to open the pipe (or for the restore to give up) */
	long deadline = time_mono_ms() + 120000;
	while ((out = open(f->pipe, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno != ENXIO || f->stop || time_mono_ms() > deadline) {
			f->error = f->stop ? NULL : xasprintf("nobody read the restore pipe: %s", strerror(errno));
			goto out;
		}
		usleep(5000);
	}
	fcntl(out, F_SETFL, fcntl(out, F_GETFL) & ~O_NONBLOCK);
	/* hundreds of MiB go through it: a pipe of 1 MiB (the default maximum) instead of 64 KiB spares
	 * most of the wake-ups between this thread and QEMU (a smaller size is kept when refused) */
	(void)fcntl(out, F_SETPIPE_SZ, 1 << 20);
	(void)posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (fd_write_all(out, hdr, sizeof hdr) < 0 || fd_write_all(out, data, data_len) < 0) {
		f->error = xasprintf("writing the restore pipe: %s", strerror(errno));
		goto out;
	}
	chunk = xmalloc(1 << 20);
	for (;;) {
		ssize_t n = read(in, chunk, 1 << 20);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			f->error = xasprintf("reading %s: %s", f->image, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (fd_write_all(out, chunk, (size_t)n) < 0) {
			f->error = xasprintf("writing the restore pipe: %s", strerror(errno));
			break;
		}
	}
out:
	free(chunk);
	free(data);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return NULL;
}

int qemu_ckpt_restore_vm(struct qemu_build *b, const char *xml, struct kiln_error *err)
{
	struct qemu_ckpt *k = b->ck;
	if (!qemu_ckpt_restoring(b) || !k->r_memory)
		return err_set(err, "the checkpoint holds no memory state");
	if (k->r_kvm != b->accel.kvm)
		return err_set(err, "its memory was saved under %s and this build runs under %s", k->r_kvm ? "KVM" : "TCG",
			       b->accel.kvm ? "KVM" : "TCG");
	struct feeder f = {0};
	f.image = path_join(k->restore->dir, "memory");
	f.pipe = path_join(k->work_dir, "restore.pipe");
	f.name = b->domain_name;
	f.uuid = (char *)qemu_ckpt_uuid(b);
	int rc = -1;
	unlink(f.pipe);
	if (mkfifo(f.pipe, 0600) < 0) {
		err_set_errno(err, errno, "creating %s", f.pipe);
		goto out;
	}
	if (pthread_create(&f.thread, NULL, feed, &f) != 0) {
		err_set(err, "cannot start the restore thread");
		goto out;
	}
	long t0 = time_mono_ms();
	rc = qemu_vm_restore(b->virt, f.pipe, xml, b->domain_name, &b->vm, err);
	f.stop = 1;
	pthread_join(f.thread, NULL);
	if (rc == 0 && f.error) {
		/* the stream broke: whatever QEMU loaded is not the checkpoint */
		struct kiln_error e = ERR_INIT;
		qemu_vm_destroy(b->vm, &e);
		err_clear(&e);
		qemu_vm_free(b->vm);
		b->vm = NULL;
		rc = err_set(err, "%s", f.error);
	} else if (rc < 0 && f.error) {
		err_wrap(err, "%s", f.error);
	}
	if (rc == 0) {
		k->restored_memory = true;
		log_debug("qemu: memory of checkpoint %s restored in %.3fs", k->restore->dir, (double)(time_mono_ms() - t0) / 1e3);
	}
out:
	unlink(f.pipe);
	free(f.error);
	free(f.image);
	free(f.pipe);
	return rc;
}

/* The guest's clock as its first output line says, and when (host realtime, ms) that line arrived. */
struct guest_clock {
	long long guest;
	long long arrived_ms;
};

static long long realtime_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void note_time(void *arg, bool is_stderr, const char *line)
{
	struct guest_clock *c = arg;
	if (!is_stderr && c->guest == 0 && (c->guest = atoll(line)) > 0)
		c->arrived_ms = realtime_ms();
}

/* Run `date -u -s @EXPR` in the guest as root (directly, or through sudo -n); EXPR is shell arithmetic
 * evaluated right before date runs, so the time sudo and the shells take to start is counted. */
static int guest_set_clock(struct qemu_build *b, const char *prefix, const char *expr, struct guest_clock *seen,
			   struct kiln_error *err)
{
	/* c is expanded here ($t, $s), its \$ parts by the shell that runs date: sudo keeps no variables */
	char *cmd = xasprintf("%sc=\"date -u -s @\\$(( %s ))\"; if [ \"$(id -u)\" = 0 ]; then sh -c \"$c\"; "
			      "else sudo -n sh -c \"$c\"; fi >/dev/null 2>&1",
			      prefix, expr);
	int status = -1;
	int rc = b->comm->ops->exec(b->comm, cmd, note_time, seen, &status, err);
	free(cmd);
	if (rc == 0 && status != 0)
		rc = err_set(err, "date -s failed (status %d)", status);
	return rc;
}

void qemu_ckpt_connected(struct qemu_build *b)
{
	struct qemu_ckpt *k = b->ck;
	if (!k || !k->restored_memory || !b->comm)
		return;
	/* The guest's clock stopped when its memory was saved. It is set to the host's time plus however
	 * long the guest took from printing its clock to setting it; what it cannot see — the time between
	 * kiln reading its own clock and the guest starting the command (seconds on a busy machine) — is
	 * measured from when the guest's first line arrives, and made up with a second, relative step. */
	long long sent_ms = realtime_ms();
	char *prefix = xasprintf("s=$(date +%%s); echo \"$s\"; t=%lld; ", sent_ms / 1000);
	struct guest_clock seen = {0, 0};
	struct kiln_error e = ERR_INIT;
	int rc = guest_set_clock(b, prefix, "$t + \\$(date +%s) - $s", &seen, &e);
	free(prefix);
	long long behind = seen.guest > 0 ? seen.arrived_ms / 1000 - seen.guest : 0;
	long long late = seen.guest > 0 ? (seen.arrived_ms - sent_ms) / 1000 : 0;
	if (rc == 0 && late >= 2) {
		char expr[64];
		snprintf(expr, sizeof expr, "\\$(date +%%s) + %lld", late);
		struct guest_clock again = {0, 0};
		rc = guest_set_clock(b, "", expr, &again, &e);
		log_debug("qemu: the restored guest's clock was set %llds late: moved on by that much", late);
	}
	if (rc == 0) {
		if (behind > 1)
			ui_message(b->ui, "Set the restored guest's clock forward by %llds", behind);
	} else {
		ui_warn(b->ui, "Cannot set the restored guest's clock (%s): it is %llds behind; a provisioner that needs the right "
			       "time should set it (the user needs root or passwordless sudo for kiln to do it)",
			err_cause(&e), behind);
	}
	err_clear(&e);
}

/* ------------------------------------------------------------------------------------------------
 * Saving */

static void ignore_line(void *arg, bool is_stderr, const char *line)
{
	(void)arg;
	(void)is_stderr;
	(void)line;
}

/* The guest's file systems written out: the checkpoint's disk must stand on its own. */
static void guest_sync(struct qemu_build *b)
{
	if (!b->comm)
		return;
	int status = 0;
	struct kiln_error e = ERR_INIT;
	if (b->comm->ops->exec(b->comm, "sync", ignore_line, NULL, &status, &e) < 0 || status != 0)
		log_debug("qemu: sync before the checkpoint: %s (status %d)", err_isset(&e) ? err_cause(&e) : "failed", status);
	err_clear(&e);
}

static const char *ext_of(const char *format)
{
	return strcmp(format, "qcow2") == 0 ? "qcow2" : "img";
}

/* A checkpoint's new top layers (paths[i] on finals[i]), made on a thread of their own while the guest
 * syncs its file systems: two qemu-img runs less on the build's path. */
struct overlay_job {
	struct qemu_ckpt *k;
	const struct strv *paths, *finals;
	struct kiln_error err;
	int rc;
};

static void *make_overlays(void *arg)
{
	struct overlay_job *j = arg;
	struct qemu_ckpt *k = j->k;
	size_t n = k->cur.n;
	j->rc = -1;
	if (!k->sizes) {
		uint64_t *sizes = xcalloc(n, sizeof *sizes);
		for (size_t i = 0; i < n; i++) {
			struct qemu_img_info info;
			if (qemu_img_info(k->cur.v[i], &info, &j->err) < 0) {
				free(sizes);
				return NULL;
			}
			sizes[i] = info.virtual_size;
			qemu_img_info_free(&info);
		}
		k->sizes = sizes;
	}
	for (size_t i = 0; i < n; i++)
		if (qemu_img_create_overlay_unsafe(j->paths->v[i], j->finals->v[i], k->cur_formats.v[i], k->sizes[i],
						   &j->err) < 0)
			return NULL;
	j->rc = 0;
	return NULL;
}

static int save(void *arg, const char *dir, const char *final_dir, bool with_memory, bool *memory_saved,
		struct kiln_error *err)
{
	struct qemu_build *b = arg;
	struct qemu_ckpt *k = b->ck;
	*memory_saved = false;
	if (!k || k->broken)
		return err_set(err, "an earlier checkpoint of this build failed half way");
	if (!b->vm && !k->machine_off)
		return err_set(err, "the VM is not running");
	size_t n = k->cur.n;
	long t0 = time_mono_ms();
	struct strv layers = STRV_INIT, formats = STRV_INIT, next = STRV_INIT, finals = STRV_INIT, skip = STRV_INIT;
	char *memory = NULL;
	int rc = -1;
	bool moved = false;
	k->seq++;
	for (size_t i = 0; i < n; i++) {
		strv_push(&formats, k->cur_formats.v[i]);
		char *layer = xasprintf("layer-disk%zu.%s", i, ext_of(k->cur_formats.v[i]));
		char *name = xasprintf("disk%zu-%u.qcow2", i, k->seq);
		strv_push_owned(&finals, path_join(final_dir, layer));
		strv_push_owned(&next, path_join(k->work_dir, name));
		strv_push_owned(&layers, layer);
		free(name);
	}
	struct overlay_job job = {k, &next, &finals, ERR_INIT, -1};
	pthread_t maker;
	bool threaded = !k->machine_off && pthread_create(&maker, NULL, make_overlays, &job) == 0;
	if (!k->machine_off)
		guest_sync(b);
	long t_sync = time_mono_ms();
	if (threaded)
		pthread_join(maker, NULL);
	else
		make_overlays(&job);
	if (job.rc < 0) {
		err_move(err, &job.err);
		goto fail;
	}
	long t_create = time_mono_ms();
	if (k->machine_off) {
		/* nothing writes the disks: the new tops are simply the ones the finishing steps use */
	} else {
		const char *ro[] = {b->cd_iso, b->seed_iso, b->cfg->disk_image ? NULL : b->source.path};
		for (size_t i = 0; i < 3; i++)
			if (ro[i])
				strv_push(&skip, ro[i]);
		memory = with_memory ? path_join(dir, "memory") : NULL;
		if (qemu_vm_snapshot(b->vm, memory, k->cur.v, next.v, n, skip.v, skip.n, err) < 0) {
			if (!memory)
				goto fail;
			/* a device that cannot migrate refuses the memory: a disk-only checkpoint still helps */
			log_debug("qemu: snapshot with memory failed (%s); trying the disk alone", err_cause(err));
			err_clear(err);
			unlink(memory);
			free(memory);
			memory = NULL;
			if (qemu_vm_snapshot(b->vm, NULL, k->cur.v, next.v, n, skip.v, skip.n, err) < 0)
				goto fail;
		}
	}
	log_debug("qemu: checkpoint%s: sync %.3fs, overlays %.3fs more, snapshot %.3fs", k->machine_off ? " (machine off)" : "",
		  (double)(t_sync - t0) / 1e3, (double)(t_create - t_sync) / 1e3, (double)(time_mono_ms() - t_create) / 1e3);
	/* the old tops are frozen backing files now: they become the checkpoint's layers */
	for (size_t i = 0; i < n; i++) {
		char *to = path_join(dir, layers.v[i]);
		int r = rename(k->cur.v[i], to);
		if (r < 0) {
			err_set_errno(err, errno, "moving %s into the checkpoint", k->cur.v[i]);
			free(to);
			if (i == 0 && k->machine_off)
				goto fail;   /* nothing moved yet, and no machine runs on the new tops */
			k->broken = true;   /* the running disks name a layer that will not be there */
			goto out;
		}
		free(to);
		moved = true;
		free(k->cur.v[i]);
		k->cur.v[i] = xstrdup(next.v[i]);
		free(k->cur_formats.v[i]);
		k->cur_formats.v[i] = xstrdup("qcow2");
	}
	free(b->disk_path);
	b->disk_path = xstrdup(k->cur.v[0]);
	free(b->disk_format);
	b->disk_format = xstrdup("qcow2");
	for (size_t i = 1; i < n; i++) {
		free(b->extra_disks.v[i - 1]);
		b->extra_disks.v[i - 1] = xstrdup(k->cur.v[i]);
		free(b->extra_disk_formats.v[i - 1]);
		b->extra_disk_formats.v[i - 1] = xstrdup("qcow2");
	}
	bool nvram = b->nvram_path && file_exists(b->nvram_path);
	if (nvram) {
		char *to = path_join(dir, "nvram.fd");
		int r = file_copy(b->nvram_path, to, 0600, err);
		free(to);
		if (r < 0)
			goto out;
	}
	if (b->keypair) {
		char *priv = path_join(dir, "ssh_key"), *pub = path_join(dir, "ssh_key.pub");
		char *line = xasprintf("%s\n", b->keypair->public_line);
		int r = file_write(priv, b->keypair->private_text, strlen(b->keypair->private_text), 0600, err);
		if (r == 0)
			r = file_write(pub, line, strlen(line), 0600, err);
		free(line);
		free(priv);
		free(pub);
		if (r < 0)
			goto out;
	}
	if (write_meta(b, dir, &layers, &formats, memory != NULL, nvram, k->machine_off, err) < 0)
		goto out;
	*memory_saved = memory != NULL;
	rc = 0;
	goto out;
fail:
	for (size_t i = 0; i < next.n; i++)
		unlink(next.v[i]);
out:
	if (rc < 0 && moved)
		k->broken = true;   /* the layers the disks stand on go with the aborted checkpoint */
	free(memory);
	strv_free(&layers);
	strv_free(&formats);
	strv_free(&next);
	strv_free(&finals);
	strv_free(&skip);
	return rc;
}

/* ------------------------------------------------------------------------------------------------
 * Finishing */

int qemu_ckpt_finish_disks(struct qemu_build *b, struct kiln_error *err)
{
	struct qemu_ckpt *k = b->ck;
	const struct qemu_config *c = b->cfg;
	if (!k)
		return 0;
	if (k->broken)
		return err_set(err, "a checkpoint of this build failed half way: its disks cannot be finished");
	char *out = path_join(b->output_dir, b->vm_name);
	int rc = -1;
	if (c->disk_image && c->use_backing_file) {
		/* Packer's use_backing_file: an overlay on the base image, not on the store */
		ui_say(b->ui, "Making the disk an overlay on %s again...", b->source.path);
		if (qemu_img_rebase(b->disk_path, b->source.path, b->source_format, err) < 0)
			goto out;
		if (rename(b->disk_path, out) < 0 && (errno != EXDEV || file_copy(b->disk_path, out, 0644, err) < 0)) {
			if (!err_isset(err))
				err_set_errno(err, errno, "moving the disk to %s", out);
			goto out;
		}
		unlink(b->disk_path);
		free(b->disk_path);
		b->disk_path = out;
		out = NULL;
	} else if (c->skip_compaction && b->inst->export.nformats <= 1) {
		/* the disk is the output as it is: one standalone image, without the store's layers */
		ui_say(b->ui, "Flattening the disk out of the checkpoint layers...");
		if (qemu_img_convert(b->disk_path, "qcow2", out, c->format, false, &c->qemu_img_convert, err) < 0)
			goto out;
		unlink(b->disk_path);
		free(b->disk_path);
		b->disk_path = out;
		out = NULL;
		free(b->disk_format);
		b->disk_format = xstrdup(c->format);
	}
	/* otherwise export converts the layered disk into the output formats itself */
	for (size_t i = 0; i < b->extra_disks.n; i++) {
		char *path = qemu_build_extra_disk_path(b, i);
		int r = qemu_img_convert(b->extra_disks.v[i], "qcow2", path, c->format, false, NULL, err);
		if (r < 0) {
			free(path);
			goto out;
		}
		unlink(b->extra_disks.v[i]);
		free(b->extra_disks.v[i]);
		b->extra_disks.v[i] = path;
	}
	rc = 0;
out:
	free(out);
	return rc;
}
