/* test-checkpoint.c — checkpoints without a VM: the hash chain (what changes a key and what does not),
 * the store (commit, checksums, corrupt and half-written entries, chains, LRU eviction under a size
 * limit, locks of entries in use, leftovers of dead writers), and the engine's decisions with a fake
 * builder (which checkpoint a build starts from, what is skipped, -resume and -cache bookkeeping,
 * steps that cannot be cached, no memory after a sensitive step). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "component.h"
#include "engine/checkpoint_key.h"
#include "engine/checkpoint_store.h"
#include "engine/engine.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/strv.h"
#include "util/units.h"

static char *tmp;

static int setup(void **state)
{
	(void)state;
	struct kiln_error e = ERR_INIT;
	tmp = tmpdir_make("kiln-ckpt-test", &e);
	return tmp ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	tmpdir_release(tmp);
	free(tmp);
	tmp = NULL;
	return 0;
}

static char *at(const char *name)
{
	return path_join(tmp, name);
}

static void write_text(const char *path, const char *text)
{
	struct kiln_error e = ERR_INIT;
	assert_int_equal(file_write(path, text, strlen(text), 0644, &e), 0);
}

/* ------------------------------------------------------------------------------------------------
 * Keys */

static void test_keys_deterministic_and_sensitive_to_every_field(void **state)
{
	(void)state;
	char *a = ckkey_root("qemu", "cfg", "id", "sha256:aa", "in");
	char *b = ckkey_root("qemu", "cfg", "id", "sha256:aa", "in");
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), 64);
	const char *variants[][5] = {
		{"null", "cfg", "id", "sha256:aa", "in"}, {"qemu", "cfg2", "id", "sha256:aa", "in"},
		{"qemu", "cfg", "id2", "sha256:aa", "in"}, {"qemu", "cfg", "id", "sha256:ab", "in"},
		{"qemu", "cfg", "id", "sha256:aa", "in2"}, {"qemu", "cf", "gid", "sha256:aa", "in"},
	};
	for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
		char *k = ckkey_root(variants[i][0], variants[i][1], variants[i][2], variants[i][3], variants[i][4]);
		assert_string_not_equal(k, a);
		free(k);
	}
	char *boot = ckkey_boot(a);
	char *s1 = ckkey_step(boot, "shell", "inline=x", "d"), *s1b = ckkey_step(boot, "shell", "inline=x", "d");
	assert_string_equal(s1, s1b);
	char *s1c = ckkey_step(boot, "shell", "inline=y", "d"), *s1d = ckkey_step(boot, "file", "inline=x", "d");
	char *s1e = ckkey_step(boot, "shell", "inline=x", "e"), *s1f = ckkey_step(a, "shell", "inline=x", "d");
	assert_string_not_equal(s1, s1c);
	assert_string_not_equal(s1, s1d);
	assert_string_not_equal(s1, s1e);
	assert_string_not_equal(s1, s1f);   /* the chain: a step's key depends on everything before it */
	free(a), free(b), free(boot), free(s1), free(s1b), free(s1c), free(s1d), free(s1e), free(s1f);
}

static char *digest_of(const char *path)
{
	char *hex = NULL;
	struct kiln_error e = ERR_INIT;
	char *paths[] = {(char *)path};
	assert_int_equal(ckkey_inputs_digest(paths, 1, &hex, &e), 0);
	return hex;
}

static void test_inputs_digest_follows_content(void **state)
{
	(void)state;
	char *f = at("script.sh"), *d = at("dir"), *d2 = at("dir/sub"), *g = at("dir/sub/a.txt");
	write_text(f, "echo one\n");
	char *one = digest_of(f);
	write_text(f, "echo two\n");
	char *two = digest_of(f);
	assert_string_not_equal(one, two);
	chmod(f, 0755);
	char *exec = digest_of(f);
	assert_string_not_equal(two, exec);
	struct kiln_error e = ERR_INIT;
	assert_int_equal(mkdir_p(d2, 0755, &e), 0);
	write_text(g, "a");
	char *da = digest_of(d);
	write_text(g, "b");
	char *db = digest_of(d);
	assert_string_not_equal(da, db);
	char *db2 = digest_of(d);
	assert_string_equal(db, db2);
	char *missing = at("nope"), *hex = NULL;
	char *paths[] = {missing};
	assert_int_equal(ckkey_inputs_digest(paths, 1, &hex, &e), -1);
	assert_non_null(strstr(err_cause(&e), "nope"));
	err_clear(&e);
	free(one), free(two), free(exec), free(da), free(db), free(db2);
	free(f), free(d), free(d2), free(g), free(missing);
}

/* ------------------------------------------------------------------------------------------------
 * Store */

static char *fake_key(int n)
{
	char *k = xmalloc(65);
	for (int i = 0; i < 64; i++)
		k[i] = "0123456789abcdef"[(n + i) % 16];
	k[64] = 0;
	return k;
}

/* Commit an entry with one layer file holding `content`; returns its id (caller frees). */
static char *commit(struct ckstore *s, int keyn, const char *parent, const char *content, size_t after)
{
	char *key = fake_key(keyn);
	struct ckstore_pending p;
	struct kiln_error e = ERR_INIT;
	assert_int_equal(ckstore_begin(s, key, &p, &e), 0);
	char *layer = path_join(p.dir, "layer-disk0.qcow2"), *mem = path_join(p.dir, "memory");
	write_text(layer, content);
	write_text(mem, "memory state");
	struct ckstore_entry meta = {.key = key, .parent = (char *)parent, .build = "fake.a", .step = "step",
				     .after = after, .keep = "cache", .lock_fd = -1};
	struct ckstore_entry done;
	assert_int_equal(ckstore_commit(s, &p, &meta, &done, &e), 0);
	char *id = xstrdup(done.id);
	assert_true(done.lock_fd >= 0);
	assert_int_equal(done.nfiles, 2);
	ckstore_entry_free(&done);   /* lets the lock go */
	free(layer), free(mem), free(key);
	return id;
}

static struct ckstore *open_store(void)
{
	struct ckstore *s = NULL;
	struct kiln_error e = ERR_INIT;
	char *root = at("store");
	assert_int_equal(ckstore_open(root, &s, &e), 0);
	free(root);
	return s;
}

static size_t count_entries(struct ckstore *s)
{
	struct ckstore_entry *v = NULL;
	size_t n = 0;
	struct kiln_error e = ERR_INIT;
	assert_int_equal(ckstore_list(s, &v, &n, NULL, &e), 0);
	ckstore_entries_free(v, n);
	return n;
}

static void test_store_commit_list_find(void **state)
{
	(void)state;
	struct ckstore *s = open_store();
	char *salt = xstrdup(ckstore_salt(s));
	assert_true(strlen(salt) >= 32);
	char *id1 = commit(s, 1, NULL, "layer one", 0);
	char *id2 = commit(s, 2, id1, "layer two", 1);
	assert_int_equal(count_entries(s), 2);
	ckstore_close(s);
	s = open_store();
	assert_string_equal(ckstore_salt(s), salt);   /* the salt outlives a process */

	struct ckstore_chain c;
	bool found = false;
	struct strv w = STRV_INIT;
	struct kiln_error e = ERR_INIT;
	char *k2 = fake_key(2), *k9 = fake_key(9);
	assert_int_equal(ckstore_find(s, k2, &c, &found, &w, &e), 0);
	assert_true(found);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.v[0].id, id2);
	assert_string_equal(c.v[1].id, id1);
	assert_true(c.v[0].lock_fd >= 0 && c.v[1].lock_fd >= 0);
	assert_int_equal(w.n, 0);
	ckstore_chain_release(&c);
	assert_int_equal(ckstore_find(s, k9, &c, &found, &w, &e), 0);
	assert_false(found);
	free(k2), free(k9), free(id1), free(id2), free(salt);
	strv_free(&w);
	ckstore_close(s);
}

static void set_time(struct ckstore *s, const char *id, const char *field, long long when);

static void corrupt_file(const char *dir, const char *name)
{
	char *p = path_join(dir, name);
	int fd = open(p, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, 0), 1);
	close(fd);
	free(p);
}

static void test_store_corrupt_entries_are_skipped_and_removed(void **state)
{
	(void)state;
	struct ckstore *s = open_store();
	char *id1 = commit(s, 1, NULL, "base layer", 0);
	char *id2 = commit(s, 2, id1, "second layer", 1);
	char *id2b = commit(s, 2, id1, "second layer again", 1);   /* a duplicate, as parallel builds make */
	char *dir2 = path_join(ckstore_root(s), "entries"), *d2 = path_join(dir2, id2b), *d1 = path_join(dir2, id1);
	/* the newest candidate is corrupt: the other one with the same key is used */
	set_time(s, id2b, "created", (long long)time(NULL) + 60);
	corrupt_file(d2, "memory");
	struct ckstore_chain c;
	bool found = false;
	struct strv w = STRV_INIT;
	struct kiln_error e = ERR_INIT;
	char *k2 = fake_key(2);
	assert_int_equal(ckstore_find(s, k2, &c, &found, &w, &e), 0);
	assert_true(found);
	assert_string_equal(c.v[0].id, id2);
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(w.v[0], "does not match its checksum"));
	assert_false(file_exists(d2));
	ckstore_chain_release(&c);
	strv_free(&w);
	/* a corrupt layer of the parent makes the child unusable: both go */
	corrupt_file(d1, "layer-disk0.qcow2");
	assert_int_equal(ckstore_find(s, k2, &c, &found, &w, &e), 0);
	assert_false(found);
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(w.v[0], "in the checkpoint it builds on"));
	assert_int_equal(count_entries(s), 0);
	strv_free(&w);
	/* a half-written entry (no entry.json) is not an entry, and prune-style eviction removes it */
	char *half = path_join(dir2, "ffff-half");
	assert_int_equal(mkdir(half, 0700), 0);
	struct strv broken = STRV_INIT;
	struct ckstore_entry *v = NULL;
	size_t n = 0;
	assert_int_equal(ckstore_list(s, &v, &n, &broken, &e), 0);
	assert_int_equal(n, 0);
	assert_int_equal(broken.n, 1);
	assert_int_equal(ckstore_evict(s, 1ull << 40, NULL, &e), 0);
	assert_false(file_exists(half));
	strv_free(&broken);
	ckstore_entries_free(v, n);
	free(k2), free(id1), free(id2), free(id2b), free(dir2), free(d2), free(d1), free(half);
	ckstore_close(s);
}

/* Set an entry's time stamps (LRU order, newest first) without waiting for the clock. */
static void set_time(struct ckstore *s, const char *id, const char *field, long long when)
{
	char *dir = path_join(ckstore_root(s), "entries"), *e = path_join(dir, id), *j = path_join(e, "entry.json");
	json_error_t je;
	json_t *o = json_load_file(j, 0, &je);
	assert_non_null(o);
	json_object_set_new(o, field, json_integer(when));
	assert_int_equal(json_dump_file(o, j, 0), 0);
	json_decref(o);
	free(dir), free(e), free(j);
}

static bool entry_exists(struct ckstore *s, const char *id)
{
	char *dir = path_join(ckstore_root(s), "entries"), *e = path_join(dir, id);
	bool r = file_exists(e);
	free(dir), free(e);
	return r;
}

static void test_store_lru_eviction_and_locks(void **state)
{
	(void)state;
	struct ckstore *s = open_store();
	char *old = commit(s, 1, NULL, "old", 0);
	char *mid = commit(s, 2, NULL, "mid", 0);
	char *mid_child = commit(s, 3, mid, "mid child", 1);
	char *newest = commit(s, 4, NULL, "newest", 0);
	set_time(s, old, "last_used", 1000);
	set_time(s, mid, "last_used", 2000);
	set_time(s, mid_child, "last_used", 2000);
	set_time(s, newest, "last_used", 3000);
	uint64_t total = ckstore_total_bytes(s);
	assert_true(total > 0);
	uint64_t each = total / 4;
	/* room for about two: the least recently used go first */
	struct strv removed = STRV_INIT;
	struct kiln_error e = ERR_INIT;
	assert_int_equal(ckstore_evict(s, each * 2 + each / 2, &removed, &e), 0);
	assert_false(entry_exists(s, old));
	assert_true(entry_exists(s, newest));
	assert_int_equal(removed.n, 2);   /* old, then mid's child (a chain is trimmed from its end) */
	assert_true(entry_exists(s, mid));
	assert_false(entry_exists(s, mid_child));
	strv_free(&removed);

	/* an entry in use (its chain locked by a build) is never evicted, nor what it builds on */
	char *child2 = commit(s, 5, mid, "mid child 2", 1);
	struct ckstore_chain c;
	bool found = false;
	char *k5 = fake_key(5);
	assert_int_equal(ckstore_find(s, k5, &c, &found, NULL, &e), 0);
	assert_true(found);
	assert_int_equal(ckstore_evict(s, 0, &removed, &e), 0);
	assert_true(entry_exists(s, mid));
	assert_true(entry_exists(s, child2));
	assert_false(entry_exists(s, newest));
	bool busy = false;
	assert_int_equal(ckstore_remove(s, mid, &busy, NULL, &e), 0);
	assert_true(busy);
	ckstore_chain_release(&c);
	/* once released, removing the parent removes what builds on it */
	size_t gone = 0;
	assert_int_equal(ckstore_remove(s, mid, &busy, &gone, &e), 0);
	assert_false(busy);
	assert_int_equal(gone, 2);
	assert_false(entry_exists(s, child2));
	assert_int_equal(count_entries(s), 0);
	strv_free(&removed);
	/* a checkpoint used long ago whose successor was used recently is recent: the chain goes last */
	char *parent = commit(s, 6, NULL, "parent", 0);
	char *child = commit(s, 7, parent, "child", 1);
	char *alone = commit(s, 8, NULL, "alone", 0);
	set_time(s, parent, "last_used", 1000);
	set_time(s, child, "last_used", 3000);
	set_time(s, alone, "last_used", 2000);
	uint64_t three = ckstore_total_bytes(s);
	assert_int_equal(ckstore_evict(s, three - three / 6, &removed, &e), 0);
	assert_int_equal(removed.n, 1);
	assert_string_equal(removed.v[0], alone);
	assert_true(entry_exists(s, parent) && entry_exists(s, child));
	strv_free(&removed);
	free(old), free(mid), free(mid_child), free(newest), free(child2), free(k5), free(parent), free(child), free(alone);
	ckstore_close(s);
}

static void test_store_cleans_what_dead_writers_left(void **state)
{
	(void)state;
	struct ckstore *s = open_store();
	struct ckstore_pending live;
	struct kiln_error e = ERR_INIT;
	char *key = fake_key(7);
	assert_int_equal(ckstore_begin(s, key, &live, &e), 0);
	char *dead = path_join(ckstore_root(s), "tmp/dead-writer");
	assert_int_equal(mkdir(dead, 0700), 0);
	char *deadfile = path_join(dead, "layer-disk0.qcow2");
	write_text(deadfile, "half");
	/* both look old; only the dead one's lock is free */
	struct timespec old[2] = {{time(NULL) - 3600, 0}, {time(NULL) - 3600, 0}};
	utimensat(AT_FDCWD, dead, old, 0);
	utimensat(AT_FDCWD, live.dir, old, 0);
	char *livedir = xstrdup(live.dir);
	ckstore_close(s);
	s = open_store();
	assert_false(file_exists(dead));
	assert_true(file_exists(livedir));
	/* an aborted write leaves nothing */
	ckstore_abort(s, &live);
	assert_false(file_exists(livedir));
	assert_int_equal(count_entries(s), 0);
	free(key), free(dead), free(deadfile), free(livedir);
	ckstore_close(s);
}

static void test_parse_size(void **state)
{
	(void)state;
	uint64_t v = 0;
	struct kiln_error e = ERR_INIT;
	assert_int_equal(size_parse("20G", 'B', &v, &e), 0);
	assert_true(v == 20ull << 30);
	assert_int_equal(size_parse("512MiB", 'B', &v, &e), 0);
	assert_true(v == 512ull << 20);
	assert_int_equal(size_parse("1234", 'B', &v, &e), 0);
	assert_true(v == 1234);
	assert_int_equal(size_parse("12X", 'B', &v, &e), -1);
	err_clear(&e);
	assert_int_equal(size_parse("", 'B', &v, &e), -1);
	err_clear(&e);
}

/* ------------------------------------------------------------------------------------------------
 * The engine with a fake builder */

struct kiln_config {
	const char *behaviour;
};

static struct strv journal;

static int fake_eval(struct tmpl *t, const struct plan_build *b, const struct plan_step *s,
		     const struct strv *build_data, struct kiln_config **cfg, struct kiln_error *err)
{
	(void)t, (void)b, (void)build_data, (void)err;
	*cfg = xcalloc(1, sizeof **cfg);
	(*cfg)->behaviour = s->name;
	return 0;
}

static void fake_free(struct kiln_config *c)
{
	free(c);
}

static int fake_fingerprint(const struct kiln_config *c, unsigned skip, const char *salt, struct buf *out,
			    bool *sensitive, char **why_not)
{
	(void)skip, (void)salt;
	*why_not = NULL;
	const char *b = c && c->behaviour ? c->behaviour : "builder";
	if (strncmp(b, "volatile", 8) == 0) {
		*why_not = xstrdup("it uses timestamp()");
		return -1;
	}
	if (strncmp(b, "secret", 6) == 0 && sensitive)
		*sensitive = true;
	buf_puts(out, b);
	return 0;
}

static const struct engine_tmpl_ops fake_ops = {fake_eval, fake_free, fake_fingerprint};

static int fp_prepare(const struct kiln_config *cfg, void **inst, struct strv *warnings, struct kiln_error *err)
{
	(void)warnings, (void)err;
	*inst = (void *)cfg->behaviour;
	return 0;
}

static int fp_provision(void *inst, struct kiln_ctx *ctx, struct kiln_comm *comm, struct kiln_error *err)
{
	(void)ctx, (void)comm;
	const char *b = inst;
	strv_pushf(&journal, "run %s", b);
	if (strstr(b, "fail"))
		return err_set(err, "exit status 1");
	return 0;
}

static int fp_inputs(void *inst, struct strv *inputs, const char **why_not)
{
	const char *b = inst;
	(void)inputs;
	if (strstr(b, "local"))
		*why_not = "it runs on this machine";
	return 0;
}

static const struct kiln_provisioner fake_prov = {
	.type = "fakeprov", .prepare = fp_prepare, .provision = fp_provision,
	.checkpoint_inputs = fp_inputs,
};

/* The fake builder keeps a "disk" file whose content lists what ran; a checkpoint copies it. With
 * fake_offline it also saves once its machine is off (offline_identity = fake_shutdown). */
struct fake_vm {
	struct buf disk;
	bool off;
	char *final_layer;   /* where the layer the finishing steps stand on lives once committed: the final
	                        disk's (saved with the machine off) or, when forced off, the last one saved */
};

static bool fake_offline;
static const char *fake_shutdown = "poweroff";
/* Final disks saved with the machine off, and how many of them were not in entries/ yet when
 * checkpoint_machine_off returned (a real builder's sanitize and export open them there right away). */
static int fake_finals, fake_finals_missing;
/* The machine is forced off instead of powering off (no final-disk checkpoint then). */
static bool fake_forced;

static int fb_save(void *arg, const char *dir, const char *final_dir, bool with_memory, bool *memory_saved,
		   struct kiln_error *err)
{
	struct fake_vm *vm = arg;
	char *p = path_join(dir, "layer-disk0.qcow2");
	int rc = file_write(p, buf_cstr(&vm->disk), vm->disk.len, 0600, err);
	if (rc == 0 && (vm->off || fake_forced)) {
		/* a layer of some size: hashing it takes a while (16 MiB, tens of ms) */
		rc = truncate(p, 16 << 20) < 0 ? err_set_errno(err, errno, "truncate") : 0;
		free(vm->final_layer);
		vm->final_layer = path_join(final_dir, "layer-disk0.qcow2");
	}
	free(p);
	if (rc == 0 && with_memory) {
		p = path_join(dir, "memory");
		rc = file_write(p, "ram", 3, 0600, err);
		free(p);
	}
	*memory_saved = with_memory;
	strv_pushf(&journal, "save%s%s", with_memory ? "+memory" : "", vm->off ? " (off)" : "");
	return rc;
}

static int fb_prepare(const struct kiln_config *cfg, void **inst, struct strv *warnings, struct kiln_error *err)
{
	(void)cfg, (void)warnings, (void)err;
	*inst = NULL;
	return 0;
}

static int fb_run(void *inst, struct kiln_ctx *ctx, struct kiln_artifact **artifact, struct kiln_error *err)
{
	(void)inst;
	struct fake_vm vm = {BUF_INIT, false, NULL};
	struct kiln_checkpoint_start st = {.base_digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000",
					   .save = fb_save, .save_arg = &vm,
					   .offline_identity = fake_offline ? fake_shutdown : NULL};
	const struct kiln_checkpoint *restore = NULL;
	const char *link = NULL, *work = NULL;
	if (ctx->checkpoints && ctx->ops->checkpoint_begin(ctx, &st, &restore, &link, &work, err) < 0)
		return -1;
	if (restore) {
		char *p = path_join(restore->dir, "layer-disk0.qcow2");
		struct kiln_error e = ERR_INIT;
		file_read_all(p, &vm.disk, &e);
		free(p);
		strv_pushf(&journal, "restore after %zu%s%s", restore->after, restore->memory ? " with memory" : "",
			   restore->whole ? " (final disk)" : "");
	} else {
		strv_push(&journal, "boot");
	}
	int rc = ctx->ops->provision(ctx, NULL, err);
	if (rc == 0 && ctx->checkpoints && !(restore && restore->whole)) {
		vm.off = true;
		ctx->ops->checkpoint_machine_off(ctx, !fake_forced);
		if (vm.final_layer) {
			fake_finals++;
			if (!file_exists(vm.final_layer))
				fake_finals_missing++;
		}
	}
	free(vm.final_layer);
	buf_free(&vm.disk);
	if (rc < 0)
		return -1;
	*artifact = kiln_artifact_new("fake.builder", "a", "fake");
	return 0;
}

static const struct kiln_builder fake_builder = {
	.type = "fake", .builder_id = "fake.builder", .prepare = fb_prepare, .run = fb_run,
};

static char *out_data;
static size_t out_len;

/* Run one build whose provisioners are named by `steps`; the journal says what happened. */
static int run_build(enum engine_checkpoints mode, const char *const *steps)
{
	struct plan_step provs[8];
	size_t n = 0;
	for (; steps[n]; n++)
		provs[n] = (struct plan_step){.type = "fakeprov", .name = steps[n], .provisioner = &fake_prov,
					      .location = "t.pkr.hcl:3"};
	static struct kiln_config bcfg = {"builder"};
	struct plan_build b = {.name = "fake.a", .builder_type = "fake", .source_name = "a", .builder = &fake_builder,
			       .builder_config = &bcfg, .provisioners = provs, .nprovisioners = n};
	struct plan plan = {.builds = &b, .nbuilds = 1, .template_dir = "."};
	char *root = at("engine-store");
	struct engine_opts opts = {.tmpl_ops = &fake_ops, .checkpoints = mode, .checkpoint_dir = root};
	strv_free(&journal);
	free(out_data);
	out_data = NULL;
	FILE *out = open_memstream(&out_data, &out_len), *errf = fopen("/dev/null", "w");
	struct ui_settings s = {.color = UI_COLOR_NEVER, .machine_readable = true, .out = out, .err = errf,
				.progress_tty_set = true};
	ui_configure(&s);
	struct engine_result res;
	int rc = engine_run(&plan, &opts, &res);
	fclose(out);
	fclose(errf);
	struct ui_settings plain = {.color = UI_COLOR_NEVER};
	ui_configure(&plain);
	free(root);
	return rc;
}

static char *journal_text(void)
{
	return strv_join(&journal, ", ");
}

#define assert_journal(want)                         \
	do {                                         \
		char *j_ = journal_text();           \
		assert_string_equal(j_, want);       \
		free(j_);                            \
	} while (0)

static void test_engine_cache_reuses_the_longest_prefix(void **state)
{
	(void)state;
	const char *v1[] = {"one", "two", "three", NULL};
	assert_int_equal(run_build(ENGINE_CHECKPOINTS_CACHE, v1), 0);
	assert_journal("boot, save+memory, run one, save+memory, run two, save+memory, run three, save+memory");
	/* unchanged: everything comes from the last checkpoint */
	assert_int_equal(run_build(ENGINE_CHECKPOINTS_CACHE, v1), 0);
	assert_journal("restore after 3 with memory");
	assert_non_null(strstr(out_data, "checkpoint,reused,3,"));
	assert_non_null(strstr(out_data, "checkpoint,skipped,1,provisioner 1"));
	assert_non_null(strstr(out_data, "checkpoint,time-saved,"));
	/* the last one changed: only it runs */
	const char *v2[] = {"one", "two", "three-b", NULL};
	assert_int_equal(run_build(ENGINE_CHECKPOINTS_CACHE, v2), 0);
	assert_journal("restore after 2 with memory, run three-b, save+memory");
	/* the first one changed: all run again, from the checkpoint after boot */
	const char *v3[] = {"one-b", "two", "three", NULL};
	assert_int_equal(run_build(ENGINE_CHECKPOINTS_CACHE, v3), 0);
	assert_journal("restore after 0 with memory, run one-b, save+memory, run two, save+memory, run three, save+memory");
	/* without a flag nothing is saved or restored */
	assert_int_equal(run_build(ENGINE_CHECKPOINTS_OFF, v1), 0);
	assert_journal("boot, run one, run two, run three");
}

static void test_engine_resume_after_a_failure(void **state)
{
	(void)state;
	const char *bad[] = {"r1", "r2", "r3-fail", NULL};
	assert_int_not_equal(run_build(ENGINE_CHECKPOINTS_RESUME, bad), 0);
	assert_journal("boot, save+memory, run r1, save+memory, run r2, save+memory, run r3-fail");
	assert_non_null(strstr(out_data, "-resume"));
	const char *fixed[] = {"r1", "r2", "r3", NULL};
	assert_int_equal(run_build(ENGINE_CHECKPOINTS_RESUME, fixed), 0);
	assert_journal("restore after 2 with memory, run r3, save+memory");
	/* the build succeeded: what -resume kept is gone */
	assert_int_equal(run_build(ENGINE_CHECKPOINTS_RESUME, fixed), 0);
	assert_journal("boot, save+memory, run r1, save+memory, run r2, save+memory, run r3, save+memory");
	/* -cache keeps them after success */
	assert_int_equal(run_build(ENGINE_CHECKPOINTS_CACHE, fixed), 0);
	assert_journal("boot, save+memory, run r1, save+memory, run r2, save+memory, run r3, save+memory");
	assert_int_equal(run_build(ENGINE_CHECKPOINTS_RESUME, fixed), 0);
	assert_journal("restore after 3 with memory");
}

static void test_engine_uncacheable_step_ends_the_prefix(void **state)
{
	(void)state;
	const char *v[] = {"u1", "u2-local", "u3", NULL};
	assert_int_equal(run_build(ENGINE_CHECKPOINTS_CACHE, v), 0);
	assert_journal("boot, save+memory, run u1, save+memory, run u2-local, run u3");
	assert_non_null(strstr(out_data, "checkpoint,uncacheable,2,it runs on this machine"));
	assert_int_equal(run_build(ENGINE_CHECKPOINTS_CACHE, v), 0);
	assert_journal("restore after 1 with memory, run u2-local, run u3");
	const char *w[] = {"w1", "volatile-w2", "w3", NULL};
	assert_int_equal(run_build(ENGINE_CHECKPOINTS_CACHE, w), 0);
	assert_journal("restore after 0 with memory, run w1, save+memory, run volatile-w2, run w3");
	assert_non_null(strstr(out_data, "checkpoint,uncacheable,2,it uses timestamp()"));
}

static void test_engine_no_memory_after_a_sensitive_step(void **state)
{
	(void)state;
	const char *v[] = {"s1", "secret-s2", "s3", NULL};
	assert_int_equal(run_build(ENGINE_CHECKPOINTS_CACHE, v), 0);
	assert_journal("boot, save+memory, run s1, save+memory, run secret-s2, save, run s3, save");
	assert_int_equal(run_build(ENGINE_CHECKPOINTS_CACHE, v), 0);
	assert_journal("restore after 3");
}

static void test_engine_final_disk_after_the_machine_is_off(void **state)
{
	(void)state;
	fake_offline = true;
	const char *v[] = {"f1", "f2", "f3", NULL};
	/* the last provisioner's checkpoint waits for the machine to be off, and keeps no memory */
	assert_int_equal(run_build(ENGINE_CHECKPOINTS_CACHE, v), 0);
	assert_journal("boot, save+memory, run f1, save+memory, run f2, save+memory, run f3, save (off)");
	assert_non_null(strstr(out_data, "checkpoint,saved,3,"));
	/* unchanged: the final disk, no machine, nothing runs */
	assert_int_equal(run_build(ENGINE_CHECKPOINTS_CACHE, v), 0);
	assert_journal("restore after 3 (final disk)");
	assert_non_null(strstr(out_data, "checkpoint,reused,3,"));
	assert_non_null(strstr(out_data, "checkpoint,skipped,3,provisioner 3"));
	/* the last provisioner changed: from the memory after the second, then the new final disk */
	const char *w[] = {"f1", "f2", "f3-b", NULL};
	assert_int_equal(run_build(ENGINE_CHECKPOINTS_CACHE, w), 0);
	assert_journal("restore after 2 with memory, run f3-b, save (off)");
	assert_non_null(strstr(out_data, "provisioner 3"));
	/* a provisioner added: the final disk of three is not a machine to go on with; the second's memory is */
	const char *x[] = {"f1", "f2", "f3", "f4", NULL};
	assert_int_equal(run_build(ENGINE_CHECKPOINTS_CACHE, x), 0);
	assert_journal("restore after 2 with memory, run f3, save+memory, run f4, save (off)");
	/* another shutdown makes another final disk */
	fake_shutdown = "sysprep /generalize";
	assert_int_equal(run_build(ENGINE_CHECKPOINTS_CACHE, v), 0);
	assert_journal("restore after 3 with memory, save (off)");
	assert_int_equal(run_build(ENGINE_CHECKPOINTS_CACHE, v), 0);
	assert_journal("restore after 3 (final disk)");
	/* -resume: a build that fails in its last provisioner keeps what it has, the fix runs only that one */
	fake_shutdown = "poweroff";
	const char *bad[] = {"g1", "g2", "g3-fail", NULL}, *good[] = {"g1", "g2", "g3", NULL};
	assert_int_not_equal(run_build(ENGINE_CHECKPOINTS_RESUME, bad), 0);
	assert_journal("restore after 0 with memory, run g1, save+memory, run g2, save+memory, run g3-fail");
	assert_int_equal(run_build(ENGINE_CHECKPOINTS_RESUME, good), 0);
	assert_journal("restore after 2 with memory, run g3, save (off)");
	/* every final disk was in place when checkpoint_machine_off returned */
	assert_int_equal(fake_finals, 5);
	assert_int_equal(fake_finals_missing, 0);
	fake_offline = false;
}

static void test_engine_forced_off_commits_first(void **state)
{
	(void)state;
	fake_offline = true;
	fake_forced = true;
	fake_finals = fake_finals_missing = 0;
	/* forced off: no final disk, but the last provisioner's layer is committed before the builder goes on */
	const char *v[] = {"f1", "f2", NULL};
	assert_int_equal(run_build(ENGINE_CHECKPOINTS_CACHE, v), 0);
	assert_journal("boot, save+memory, run f1, save+memory, run f2");
	assert_int_equal(fake_finals, 1);
	assert_int_equal(fake_finals_missing, 0);
	fake_forced = false;
	fake_offline = false;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keys_deterministic_and_sensitive_to_every_field, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inputs_digest_follows_content, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_commit_list_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_corrupt_entries_are_skipped_and_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_lru_eviction_and_locks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_cleans_what_dead_writers_left, setup, teardown),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test_setup_teardown(test_engine_cache_reuses_the_longest_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_resume_after_a_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_uncacheable_step_ends_the_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_no_memory_after_a_sensitive_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_final_disk_after_the_machine_is_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_forced_off_commits_first, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	strv_free(&journal);
	free(out_data);
	return rc;
}
