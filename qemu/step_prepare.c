/* step_prepare.c — the steps before the VM starts (the output directory is qemu/outdir.c): libvirt
 * connection and accelerator, download, the build's SSH key, the HTTP seed server, disks and CDs. */
#include "cloud-init/cd_iso.h"
#include "cloud-init/nocloud.h"
#include "http-seed/seed_server.h"
#include "qemu/build.h"
#include "qemu/checkpoint.h"
#include "qemu/disk.h"
#include "qemu/hosts.h"
#include "qemu/libvirt.h"
#include "qemu/volcache.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/mem.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------------
 * libvirt, strays, accelerator */

/* A domain name unique on the hypervisor: kiln-<vm_name>-<random>. */
static char *domain_name_for(const char *vm_name)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "kiln-");
	for (const char *p = vm_name; *p && b.len < 48; p++)
		buf_putc(&b, (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
				     *p == '_' || *p == '.' ? *p : '-');
	char *r = hex_random(4);
	buf_printf(&b, "-%s", r);
	free(r);
	return buf_detach(&b);
}

int qemu_step_connect(void *state, struct kiln_error *err)
{
	struct qemu_build *b = state;
	if (qemu_virt_open(b->uri, &b->virt, err) < 0)
		return -1;
	b->remote = qemu_virt_is_remote(b->virt);
	/* on a build pool the engine places a build whose host is lost elsewhere (ERR_HOST_LOST): no waiting */
	qemu_virt_set_reconnect(b->virt, b->ctx->host ? 0 : b->cfg->libvirt_reconnect_timeout_ms, b->ui);
	b->domain_name = domain_name_for(b->vm_name);
	/* qemu_binary: a path is used as it is; another name than libvirt's default is looked up here */
	const char *qb = b->cfg->qemu_binary;
	if (!b->remote && qb && !strchr(qb, '/') && strcmp(qb, "qemu-system-x86_64") != 0) {
		char *found = NULL;
		const char *path = getenv("PATH");
		char *copy = xstrdup(path ? path : "/usr/bin:/bin");
		for (char *save = NULL, *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
			char *cand = path_join(d, qb);
			if (access(cand, X_OK) == 0)
				found = cand;
			else
				free(cand);
		}
		free(copy);
		if (!found)
			return err_set_kind(err, ERR_NOT_FOUND, "qemu_binary \"%s\" is not in PATH", qb);
		free(b->cfg->qemu_binary);
		b->cfg->qemu_binary = found;
	}

	/* Strays: what a kiln of this machine started there and did not live to remove. */
	qemu_remove_strays(b->virt, b->ui, b->remote);

	if (b->attempt > 1) {
		b->accel.kvm = false;
		b->accel.automatic = true;
		b->accel.why = xstrdup("retry after a KVM internal error");
	} else if (qemu_accel_choose(b->cfg->accelerator, b->virt, &b->accel, err) < 0) {
		return -1;
	}
	log_debug("qemu: accelerator %s (%s)", qemu_accel_name(&b->accel), b->accel.why);
	if (!b->accel.kvm && b->accel.automatic && b->attempt == 1)
		ui_warn(b->ui, "KVM is not available (%s): the VM runs under TCG, software emulation, which is much "
			       "slower; an ssh_timeout you did not set is tripled", b->accel.why);
	if (!b->accel.kvm && !b->cfg->ssh_timeout_set && !b->inst->ssh_timeout_scaled) {
		b->cfg->ssh.timeout_ms *= 3;
		b->inst->ssh_timeout_scaled = true;
	}
	return 0;
}

void qemu_cleanup_connect(void *state)
{
	struct qemu_build *b = state;
	qemu_virt_close(b->virt);
	b->virt = NULL;
}

/* ------------------------------------------------------------------------------------------------
 * Download */

int qemu_step_fetch(void *state, struct kiln_error *err)
{
	struct qemu_build *b = state;
	const struct qemu_config *c = b->cfg;
	ui_say(b->ui, c->disk_image ? "Retrieving disk image..." : "Retrieving ISO...");
	struct qemu_fetch_req req = {
		.urls = c->iso_urls.v, .nurls = c->iso_urls.n, .checksum = c->iso_checksum,
		.target_path = c->iso_target_path, .extension = c->iso_target_extension, .ui = b->ui,
	};
	if (qemu_fetch(&req, &b->source, err) < 0)
		return -1;
	ui_message(b->ui, "%s %s", b->source.in_place ? "Using" : b->source.cached ? "Using cached" : "Downloaded",
		   b->source.path);
	if (b->output_staged && c->use_backing_file) {
		/* the new overlay would point into the directory its own success removes */
		char *abs = path_abs(b->source.path);
		char *rel = path_rebase(abs, b->final_output_dir, "");
		bool inside = rel != NULL;
		free(abs);
		free(rel);
		if (inside)
			return err_set_kind(err, ERR_INVALID, "the base image %s is inside the output directory that -force "
							     "replaces, and use_backing_file keeps the new image pointing at it",
					    b->source.path);
	}
	if (c->disk_image) {
		struct qemu_img_info info;
		if (qemu_img_info(b->source.path, &info, err) < 0)
			return -1;
		b->source_format = xstrdup(info.format);
		b->source_size = info.virtual_size;
		qemu_img_info_free(&info);
	}
	/* a truncated or corrupt download fails here, in a second, not after the whole ssh_timeout */
	if (qemu_base_check(b->source.path, c->disk_image ? b->source_format : NULL, err) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------------------------------------
 * SSH key */

int qemu_step_ssh_key(void *state, struct kiln_error *err)
{
	struct qemu_build *b = state;
	struct ssh_config *sc = &b->cfg->ssh;
	int loaded = ssh_config_enabled(sc) && sc->wants_temp_key ? qemu_ckpt_load_key(b, err) : 0;
	if (loaded < 0)
		return -1;
	if (loaded) {
		/* the checkpoint's guest authorizes the key of the build that made it */
		ui_say(b->ui, "Using the checkpoint's temporary SSH key...");
		b->public_key = xstrdup(b->keypair->public_line);
	} else if (ssh_config_enabled(sc) && sc->wants_temp_key) {
		ui_say(b->ui, "Creating temporary SSH key for instance...");
		if (ssh_keypair_generate(sc->temp_key_type, sc->temp_key_bits, sc->temp_key_name, &b->keypair, err) < 0)
			return -1;
		b->public_key = xstrdup(b->keypair->public_line);
	} else if (sc->private_key_file) {
		char *pub = xasprintf("%s.pub", sc->private_key_file);
		struct buf t = BUF_INIT;
		struct kiln_error e = ERR_INIT;
		if (file_read_all(pub, &t, &e) == 0) {
			while (t.len && (t.data[t.len - 1] == '\n' || t.data[t.len - 1] == '\r'))
				buf_truncate(&t, t.len - 1);
			b->public_key = buf_detach(&t);
		}
		err_clear(&e);
		buf_free(&t);
		free(pub);
	}
	qemu_build_set_var(b, "SSHPublicKey", b->public_key ? b->public_key : "");
	if (b->cfg->cloud_init && !b->public_key)
		return err_set_kind(err, ERR_INVALID,
				    "cloud_init needs a public key for %s: let kiln make a temporary key (no ssh_private_key_file), "
				    "or put the public key next to the private one as <file>.pub",
				    b->cfg->ssh.username ? b->cfg->ssh.username : "the SSH user");
	return 0;
}

void qemu_cleanup_ssh_key(void *state)
{
	struct qemu_build *b = state;
	ssh_keypair_free(b->keypair);
	b->keypair = NULL;
}

/* ------------------------------------------------------------------------------------------------
 * HTTP seed server */

static char *interface_ipv4(const char *ifname)
{
	struct ifaddrs *ifs = NULL;
	char *found = NULL;
	if (getifaddrs(&ifs) < 0)
		return NULL;
	for (struct ifaddrs *i = ifs; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		if (ifname ? strcmp(i->ifa_name, ifname) != 0 : strcmp(i->ifa_name, "lo") == 0)
			continue;
		char buf[INET_ADDRSTRLEN];
		if (inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, buf, sizeof buf))
			found = xstrdup(buf);
	}
	freeifaddrs(ifs);
	return found;
}

/* A VM on a remote host's bridge or network reaches this machine by an address of ours on its network:
 * http_bind_address when it names one, else the address this machine sends from towards the host. */
static char *remote_http_ip(struct qemu_build *b)
{
	const char *bind = b->cfg->http_bind_address;
	struct in_addr a;
	if (bind && inet_pton(AF_INET, bind, &a) == 1 && a.s_addr != htonl(INADDR_ANY) &&
	    (ntohl(a.s_addr) >> 24) != 127)
		return xstrdup(bind);
	char *ip = NULL;
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *ai = NULL;
	if (getaddrinfo(qemu_virt_host(b->virt), "9", &hints, &ai) == 0) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in me;
		socklen_t len = sizeof me;
		char buf[INET_ADDRSTRLEN];
		/* a UDP "connect" sends nothing: it only picks the route and our address on it */
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    getsockname(fd, (struct sockaddr *)&me, &len) == 0 &&
		    inet_ntop(AF_INET, &me.sin_addr, buf, sizeof buf))
			ip = xstrdup(buf);
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
	}
	if (bind && (!ip || strncmp(bind, "127.", 4) == 0))
		ui_warn(b->ui, "The VM runs on %s, on its %s, and the HTTP server listens on %s of this machine, which it "
			       "cannot reach: set http_bind_address to an address of this machine on that network",
			b->ctx->host ? b->ctx->host->name : qemu_virt_host(b->virt), b->cfg->net_bridge ? "bridge" : "network",
			bind);
	return ip;
}

static void on_first_fetch(void *arg, const char *path, const char *client)
{
	struct qemu_build *b = arg;
	ui_message(b->ui, "HTTP seed: %s fetched %s", client, path);
}

static int generate_seed(struct qemu_build *b, struct nocloud_seed *seed, struct kiln_error *err)
{
	struct nocloud_defaults d = {.vm_name = b->vm_name, .ssh_username = b->cfg->ssh.username,
				     .ssh_public_key = b->public_key};
	if (nocloud_seed_generate(&d, seed, err) < 0)
		return err_wrap(err, "generating the cloud-init seed");
	return 0;
}

int qemu_step_http(void *state, struct kiln_error *err)
{
	struct qemu_build *b = state;
	const struct qemu_config *c = b->cfg;
	bool net_seed = c->cloud_init && strcmp(c->cloud_init_seed, "net") == 0;
	if (b->remote && (c->net_bridge || c->network))
		b->http_ip = remote_http_ip(b);
	else if (c->net_bridge)
		b->http_ip = interface_ipv4(c->net_bridge);
	else if (c->network)
		b->http_ip = interface_ipv4(NULL);
	else
		b->http_ip = xstrdup("10.0.2.2");   /* the host, as QEMU's user-mode network shows it */
	if (!b->http_ip)
		b->http_ip = xstrdup("127.0.0.1");
	qemu_build_set_var(b, "HTTPIP", b->http_ip);
	if (!c->http_directory && c->nhttp_content == 0 && !net_seed) {
		qemu_build_set_var(b, "HTTPPort", "0");
		return 0;
	}
	if (b->remote && !c->net_bridge && !c->network) {
		/* 10.0.2.2 is the remote host there, not this machine: what the HTTP server would serve goes on CDs */
		b->seed_on_cd = true;
		qemu_build_set_var(b, "HTTPPort", "0");
		const char *where = b->ctx->host ? b->ctx->host->name : qemu_virt_host(b->virt);
		if (net_seed)
			ui_say(b->ui, "The VM runs on %s with user-mode networking, where it cannot reach this machine: "
				      "its cloud-init seed goes on a CD (label cidata) instead of the HTTP seed", where);
		if (c->http_directory || c->nhttp_content)
			ui_say(b->ui, "The VM runs on %s with user-mode networking, where it cannot reach this machine's HTTP "
				      "server: the files of http_directory/http_content go on a CD labelled \"%s\" instead "
				      "(or set net_bridge to a bridge of that host)", where, QEMU_HTTP_CD_LABEL);
		return 0;
	}

	struct nocloud_seed seed = {0};
	struct seed_content *content = NULL;
	size_t n = 0;
	int rc = -1;
	if (net_seed && generate_seed(b, &seed, err) < 0)
		goto out;
	struct nocloud_file files[NOCLOUD_MAX_FILES];
	size_t nfiles = net_seed ? nocloud_seed_files(&seed, NOCLOUD_NET, files) : 0;
	content = xcalloc(c->nhttp_content + nfiles + 1, sizeof *content);
	char **paths = xcalloc(c->nhttp_content + nfiles + 1, sizeof *paths);
	for (size_t i = 0; i < c->nhttp_content; i++) {
		const char *k = c->http_content[i].key;
		paths[n] = k[0] == '/' ? xstrdup(k) : xasprintf("/%s", k);
		content[n] = (struct seed_content){paths[n], c->http_content[i].value, strlen(c->http_content[i].value)};
		n++;
	}
	for (size_t i = 0; i < nfiles; i++) {
		paths[n] = xasprintf("/%s", files[i].name);
		content[n] = (struct seed_content){paths[n], files[i].data, files[i].len};
		n++;
	}
	struct seed_server_options o = {
		.directory = c->http_directory, .content = content, .n_content = n,
		.bind_address = c->http_bind_address, .port_min = c->http_port_min, .port_max = c->http_port_max,
		.on_first_fetch = on_first_fetch, .fetch_arg = b,
	};
	ui_say(b->ui, "Starting HTTP server on port %d-%d...", c->http_port_min, c->http_port_max);
	rc = seed_server_start(&o, &b->http, err);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	if (rc < 0) {
		err_wrap(err, "starting the HTTP seed server");
		goto out;
	}
	b->http_port = seed_server_port(b->http);
	char port[16];
	snprintf(port, sizeof port, "%d", b->http_port);
	qemu_build_set_var(b, "HTTPPort", port);
	qemu_build_set_var(b, "HTTPDir", c->http_directory ? c->http_directory : "");
	kiln_ctx_set(b->ctx, "PackerHTTPIP", b->http_ip);
	kiln_ctx_set(b->ctx, "PackerHTTPPort", port);
	char *addr = xasprintf("%s:%s", b->http_ip, port);
	kiln_ctx_set(b->ctx, "PackerHTTPAddr", addr);
	free(addr);
	if (net_seed)
		b->seed_serial = nocloud_net_serial(b->http_ip, b->http_port);
	ui_message(b->ui, "HTTP server: http://%s:%d/ (on this machine: %s)", b->http_ip, b->http_port,
		   seed_server_address(b->http));
	rc = 0;
out:
	free(content);
	nocloud_seed_free(&seed);
	return rc;
}

void qemu_cleanup_http(void *state)
{
	struct qemu_build *b = state;
	seed_server_stop(b->http);
	b->http = NULL;
}

/* ------------------------------------------------------------------------------------------------
 * Disks */

static int resize_if_needed(struct qemu_build *b, const char *path, const char *format, uint64_t current,
			    struct kiln_error *err)
{
	const struct qemu_config *c = b->cfg;
	if (c->skip_resize_disk)
		return 0;
	if (c->disk_size_bytes > current) {
		ui_say(b->ui, "Resizing hard drive to %s...", c->disk_size);
		return qemu_img_resize(path, format, c->disk_size_bytes, &c->qemu_img_resize, err);
	}
	if (c->disk_size_bytes < current && c->disk_size_set) {
		char *have = ui_format_bytes(current);
		ui_warn(b->ui, "disk_size %s is smaller than the image (%s): keeping the image's size", c->disk_size, have);
		free(have);
	}
	return 0;
}

/* A qcow2 working copy that compaction will rewrite anyway need not be a copy: an overlay on the base
 * gives the guest the same disk, and compaction's qemu-img convert flattens it into a standalone image
 * exactly as it would have compacted a copy. That saves copying the whole base before boot (and
 * freeing it after): on the 500 MiB Debian test image, 0.3-1.4 s of the build here. The full copy
 * stays when the working disk is the output (skip_compaction) or qemu_img_args.convert asks for
 * something of the copy. */
static bool overlay_suffices(const struct qemu_config *c)
{
	return !c->use_backing_file && !c->skip_compaction && strcmp(c->format, "qcow2") == 0 &&
	       c->qemu_img_convert.n == 0;
}

/* An overlay that would be grown right after it is created is created at its final size instead: the
 * guest sees the same disk, and a qemu-img process fewer (~30 ms of start-up on the bench host) is
 * spent before the boot. Not with checkpoints (their layers are checkpoint.c's) or when
 * qemu_img_args.resize asks something of the resize itself. */
static bool overlay_sized_at_create(const struct qemu_build *b)
{
	const struct qemu_config *c = b->cfg;
	return !b->ck && !c->skip_resize_disk && c->qemu_img_resize.n == 0 && c->disk_size_bytes > b->source_size;
}

/* With checkpoints the working disks are layers in the store's work directory (qemu/checkpoint.c): the
 * first one an overlay on the base image through the store's link to it, whatever the output format. */
static int disk_local(struct qemu_build *b, struct kiln_error *err)
{
	const struct qemu_config *c = b->cfg;
	if (qemu_ckpt_restoring(b))
		return qemu_ckpt_make_disks(b, err);
	const char *dir = b->ck ? qemu_ckpt_work_dir(b) : b->output_dir;
	b->disk_path = b->ck ? path_join(dir, "disk0-0") : path_join(b->output_dir, b->vm_name);
	if (c->disk_image) {
		bool sized = false;
		if (b->ck || c->use_backing_file || overlay_suffices(c)) {
			const char *base = b->ck && qemu_ckpt_base_link(b) ? qemu_ckpt_base_link(b) : b->source.path;
			ui_say(b->ui, b->ck ? "Creating a working layer on %s (checkpoints)..."
				      : c->use_backing_file ? "Creating overlay on %s..."
							    : "Creating a working overlay on %s (compaction flattens it)...",
			       b->source.path);
			char *size = NULL;
			if ((sized = overlay_sized_at_create(b))) {
				ui_say(b->ui, "Resizing hard drive to %s...", c->disk_size);
				size = xasprintf("%llu", (unsigned long long)c->disk_size_bytes);
			}
			int rc = qemu_img_create(b->disk_path, "qcow2", size, base, b->source_format, &c->qemu_img_create, err);
			free(size);
			if (rc < 0)
				return -1;
			b->disk_format = xstrdup("qcow2");
		} else {
			ui_say(b->ui, "Copying hard drive...");
			if (qemu_img_convert(b->source.path, b->source_format, b->disk_path, c->format, false,
					     &c->qemu_img_convert, err) < 0)
				return -1;
			b->disk_format = xstrdup(c->format);
		}
		if (!sized && resize_if_needed(b, b->disk_path, b->disk_format, b->source_size, err) < 0)
			return -1;
	} else {
		ui_say(b->ui, "Creating hard drive %s with size %s...", b->vm_name, c->disk_size);
		char *size = xasprintf("%llu", (unsigned long long)c->disk_size_bytes);
		int rc = qemu_img_create(b->disk_path, c->format, size, NULL, NULL, &c->qemu_img_create, err);
		free(size);
		if (rc < 0)
			return -1;
		b->disk_format = xstrdup(c->format);
	}
	for (size_t i = 0; i < c->disk_additional_size.n; i++) {
		char *name = b->ck ? xasprintf("disk%zu-0", i + 1) : xasprintf("%s-%zu", b->vm_name, i + 1);
		char *path = path_join(dir, name);
		free(name);
		uint64_t bytes = 0;
		qemu_parse_size(c->disk_additional_size.v[i], 'B', &bytes, err);
		char *size = xasprintf("%llu", (unsigned long long)bytes);
		int rc = qemu_img_create(path, c->format, size, NULL, NULL, &c->qemu_img_create, err);
		free(size);
		strv_push_owned(&b->extra_disks, path);
		strv_push(&b->extra_disk_formats, c->format);
		if (rc < 0)
			return -1;
	}
	return b->ck ? qemu_ckpt_make_disks(b, err) : 0;
}

/* The base image (or ISO) on a remote host: a content-addressed volume of the host's image cache
 * (qemu/volcache.h), uploaded only when the host does not have it yet. */
static int remote_source(struct qemu_build *b, const char *format, uint64_t capacity, char **volume,
			 struct kiln_error *err)
{
	const char *sum = b->source.checksum;
	if (sum && strncmp(sum, "sha256:", 7) == 0 && strlen(sum + 7) == 64)
		b->source_sha256 = xstrdup(sum + 7);
	else if (qemu_file_sha256(b->source.path, b->ui, &b->source_sha256, err) < 0)
		return err_wrap(err, "addressing %s by its content", b->source.path);
	struct qemu_volcache_req req = {
		.virt = b->virt, .pool = b->pool, .local_path = b->source.path, .sha256 = b->source_sha256,
		.format = format, .capacity = capacity, .limit = b->ctx->host ? b->ctx->host->cache_size : KILN_HOST_DEFAULT_CACHE_SIZE, .ui = b->ui,
		.where = b->ctx->host ? b->ctx->host->name : qemu_virt_host(b->virt),
	};
	bool uploaded = false;
	if (qemu_volcache_get(&req, volume, &uploaded, err) < 0)
		return -1;
	b->source_held = true;
	return 0;
}

/* A remote hypervisor cannot see our files: the base image (or ISO) is a volume there, the VM's disk
 * is a qcow2 overlay volume on it, and the finished disk comes back down after shutdown. */
static int disk_remote(struct qemu_build *b, struct kiln_error *err)
{
	const struct qemu_config *c = b->cfg;
	uint64_t cap = c->disk_size_bytes;
	b->disk_volume = qemu_temp_volume_name(b->domain_name, "disk");
	if (c->disk_image) {
		if (remote_source(b, b->source_format, b->source_size, &b->base_volume, err) < 0)
			return -1;
		if (c->skip_resize_disk || cap < b->source_size)
			cap = b->source_size;
		if (qemu_vol_create(b->virt, b->pool, b->disk_volume, "qcow2", cap, b->base_volume, b->source_format, err) < 0)
			return -1;
		b->disk_format = xstrdup("qcow2");
	} else {
		off_t size = 0;
		if (file_size(b->source.path, &size, err) < 0 || remote_source(b, "raw", (uint64_t)size, &b->iso_volume, err) < 0)
			return -1;
		if (qemu_vol_create(b->virt, b->pool, b->disk_volume, c->format, cap, NULL, NULL, err) < 0)
			return -1;
		b->disk_format = xstrdup(c->format);
	}
	for (size_t i = 0; i < c->disk_additional_size.n; i++) {
		uint64_t bytes = 0;
		qemu_parse_size(c->disk_additional_size.v[i], 'B', &bytes, err);
		char *role = xasprintf("disk-%zu", i + 1);
		char *name = qemu_temp_volume_name(b->domain_name, role);
		free(role);
		strv_push_owned(&b->extra_volumes, name);
		if (qemu_vol_create(b->virt, b->pool, name, c->format, bytes, NULL, NULL, err) < 0)
			return -1;
	}
	b->disk_path = path_join(b->output_dir, b->vm_name);
	return 0;
}

int qemu_step_disk(void *state, struct kiln_error *err)
{
	struct qemu_build *b = state;
	if (b->cfg->efi_boot) {
		char *name = xasprintf("%s_VARS.fd", b->vm_name);
		b->nvram_path = b->remote ? NULL : path_join(b->output_dir, name);
		free(name);
	}
	return b->remote ? disk_remote(b, err) : disk_local(b, err);
}

/* Delete a temporary volume; on a host that went away, it is removed once the host is back. */
static void delete_volume(struct qemu_build *b, char **name)
{
	if (!*name || !b->virt)
		return;
	struct kiln_error e = ERR_INIT;
	if (qemu_vol_delete(b->virt, b->pool, *name, &e) < 0) {
		if (err_is(&e, ERR_HOST_LOST))
			qemu_leftover_add(b->uri, b->pool, *name);
		else
			ui_warn(b->ui, "Cannot delete volume %s: %s", *name, err_cause(&e));
	}
	err_clear(&e);
	free(*name);
	*name = NULL;
}

void qemu_cleanup_disk(void *state)
{
	struct qemu_build *b = state;
	if (!b->remote)
		return;   /* local disks live in the output directory */
	for (size_t i = 0; i < b->extra_volumes.n; i++)
		delete_volume(b, &b->extra_volumes.v[i]);
	delete_volume(b, &b->disk_volume);
	/* the base image or ISO stays in the host's cache for the next build */
	free(b->base_volume);
	free(b->iso_volume);
	b->base_volume = b->iso_volume = NULL;
	if (b->source_held)
		qemu_volcache_release(b->virt, b->pool, b->source_sha256);
	b->source_held = false;
}

/* ------------------------------------------------------------------------------------------------
 * CDs: cd_files/cd_content, and the generated cloud-init seed */

/* The CDs are the build's, not the output's, and may hold secrets (cd_content, the seed's user-data):
 * they go in kiln's private temporary directory (mode 0700), as 0600 files. */
static char *cd_path(struct qemu_build *b, const char *suffix, struct kiln_error *err)
{
	if (!b->tmpdir && !(b->tmpdir = tmpdir_make("kiln-cd", err)))
		return NULL;
	char *name = xasprintf("%s-%s", b->vm_name, suffix);
	char *path = path_join(b->tmpdir, name);
	free(name);
	return path;
}

int qemu_step_cd(void *state, struct kiln_error *err)
{
	struct qemu_build *b = state;
	const struct qemu_config *c = b->cfg;
	if (c->cd_files.n || c->ncd_content) {
		ui_say(b->ui, "Creating CD%s...", c->cd_label ? "" : " (label \"packer\")");
		struct cd_iso_content *content = xcalloc(c->ncd_content + 1, sizeof *content);
		for (size_t i = 0; i < c->ncd_content; i++)
			content[i] = (struct cd_iso_content){c->cd_content[i].key, c->cd_content[i].value,
							     strlen(c->cd_content[i].value)};
		struct cd_iso_spec spec = {(const char *const *)c->cd_files.v, c->cd_files.n, content, c->ncd_content,
					   c->cd_label};
		b->cd_iso = cd_path(b, "cd.iso", err);
		int rc = b->cd_iso ? cd_iso_write(b->cd_iso, &spec, err) : -1;
		free(content);
		if (rc < 0)
			return err_wrap(err, "creating the CD from cd_files/cd_content");
	}
	if (b->seed_on_cd && (c->http_directory || c->nhttp_content)) {
		ui_say(b->ui, "Creating CD \"%s\" with the HTTP files...", QEMU_HTTP_CD_LABEL);
		struct cd_iso_content *content = xcalloc(c->nhttp_content + 1, sizeof *content);
		for (size_t i = 0; i < c->nhttp_content; i++)
			content[i] = (struct cd_iso_content){c->http_content[i].key, c->http_content[i].value,
							     strlen(c->http_content[i].value)};
		char *dir = c->http_directory ? xasprintf("%s/", c->http_directory) : NULL;
		const char *files[] = {dir};
		struct cd_iso_spec spec = {files, dir ? 1 : 0, content, c->nhttp_content, QEMU_HTTP_CD_LABEL};
		char *name = xasprintf("%s-http.iso", b->vm_name);
		b->http_iso = path_join(b->output_dir, name);
		free(name);
		int rc = cd_iso_write(b->http_iso, &spec, err);
		free(content);
		free(dir);
		if (rc < 0)
			return err_wrap(err, "putting http_directory/http_content on a CD");
	}
	if (c->cloud_init && (strcmp(c->cloud_init_seed, "cd") == 0 || b->seed_on_cd)) {
		ui_say(b->ui, "Creating cloud-init seed (user %s, temporary key)...", c->ssh.username);
		struct nocloud_seed seed = {0};
		if (generate_seed(b, &seed, err) < 0)
			return -1;
		b->seed_iso = cd_path(b, "cidata.iso", err);
		int rc = b->seed_iso ? nocloud_write_cidata_iso(b->seed_iso, &seed, err) : -1;
		nocloud_seed_free(&seed);
		if (rc < 0)
			return err_wrap(err, "writing the cloud-init seed");
	}
	if (b->remote) {
		off_t size = 0;
		if (b->cd_iso) {
			b->cd_volume = qemu_temp_volume_name(b->domain_name, "cd");
			if (file_size(b->cd_iso, &size, err) < 0 ||
			    qemu_vol_upload(b->virt, b->pool, b->cd_volume, b->cd_iso, "raw", (uint64_t)size, NULL, err) < 0)
				return -1;
		}
		if (b->http_iso) {
			b->http_volume = qemu_temp_volume_name(b->domain_name, "http");
			if (file_size(b->http_iso, &size, err) < 0 ||
			    qemu_vol_upload(b->virt, b->pool, b->http_volume, b->http_iso, "raw", (uint64_t)size, NULL, err) < 0)
				return -1;
		}
		if (b->seed_iso) {
			b->seed_volume = qemu_temp_volume_name(b->domain_name, "cidata");
			if (file_size(b->seed_iso, &size, err) < 0 ||
			    qemu_vol_upload(b->virt, b->pool, b->seed_volume, b->seed_iso, "raw", (uint64_t)size, NULL, err) < 0)
				return -1;
		}
	}
	return 0;
}

void qemu_cleanup_cd(void *state)
{
	struct qemu_build *b = state;
	delete_volume(b, &b->cd_volume);
	delete_volume(b, &b->seed_volume);
	delete_volume(b, &b->http_volume);
	char *isos[] = {b->cd_iso, b->seed_iso, b->http_iso};
	for (size_t i = 0; i < 3; i++)
		if (isos[i])
			unlink(isos[i]);
}
