/* test-util.c — unit tests of src/util: buffers, string vectors, errors, paths, durations, hashing,
 * subprocesses, temp dirs, directory locks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <errno.h>

#include "util/buf.h"
#include "util/dirlock.h"
#include "util/error.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/proc.h"
#include "util/strmap.h"
#include "util/strv.h"
#include "util/timeutil.h"

static void test_buf_grows_and_stays_terminated(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	assert_string_equal(buf_cstr(&b), "");
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	assert_true(b.len > 3000);
	assert_int_equal(b.data[b.len], '\0');
	assert_true(strncmp(b.data, "0,1,2,", 6) == 0);
	assert_true(buf_ends_with(&b, "999,"));
	buf_truncate(&b, 4);
	assert_string_equal(buf_cstr(&b), "0,1,");
	buf_remove_prefix(&b, 2);
	assert_string_equal(buf_cstr(&b), "1,");
	buf_append(&b, "a\0b", 3);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "1,a\0b", 5);
	char *s = buf_detach(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(s);
	buf_repeat(&b, '-', 3);
	assert_string_equal(buf_cstr(&b), "---");
	buf_reset(&b);
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
	buf_put_xml(&b, "a&b<c>\"d'e");
	assert_string_equal(buf_cstr(&b), "a&amp;b&lt;c&gt;&quot;d&apos;e");
	buf_free(&b);
	/* reserving space in an empty buffer still leaves a C string (buf_detach hands it out) */
	buf_reserve(&b, 64);
	assert_string_equal(buf_cstr(&b), "");
	s = buf_detach(&b);
	assert_string_equal(s, "");
	free(s);
	buf_free(&b); /* twice is fine */
}

static void test_strv(void **state)
{
	(void)state;
	struct strv sv = STRV_INIT;
	assert_null(strv_argv(&sv)[0]);
	strv_push(&sv, "b");
	strv_pushf(&sv, "%s", "a");
	strv_push(&sv, "c");
	assert_int_equal(sv.n, 3);
	assert_null(sv.v[3]);
	assert_true(strv_contains(&sv, "a"));
	assert_false(strv_contains(&sv, "d"));
	strv_sort(&sv);
	char *j = strv_join(&sv, ", ");
	assert_string_equal(j, "a, b, c");
	free(j);
	strv_free(&sv);
	assert_int_equal(sv.n, 0);
}

static void test_error_chain(void **state)
{
	(void)state;
	struct kiln_error e = ERR_INIT;
	assert_false(err_isset(&e));
	assert_int_equal(err_wrap(&e, "ignored"), -1); /* no-op while unset */
	assert_false(err_isset(&e));
	assert_int_equal(err_set(&e, "connection refused"), -1);
	err_set(&e, "second cause is ignored");
	err_wrap(&e, "waiting for SSH on %s", "127.0.0.1:2222");
	err_wrap(&e, "step \"connect\"");
	err_hint(&e, "check the serial log");
	char *t = err_text(&e);
	assert_string_equal(t, "step \"connect\": waiting for SSH on 127.0.0.1:2222: connection refused");
	free(t);
	assert_string_equal(err_cause(&e), "connection refused");
	assert_string_equal(e.hint, "check the serial log");
	struct kiln_error moved = ERR_INIT;
	err_move(&moved, &e);
	assert_false(err_isset(&e));
	assert_true(err_isset(&moved));
	err_clear(&moved);
	assert_false(err_isset(&moved));

	err_set_errno(&e, ENOENT, "cannot open %s", "/nope");
	assert_true(err_is(&e, ERR_NOT_FOUND));
	t = err_text(&e);
	assert_string_equal(t, "cannot open /nope: No such file or directory");
	free(t);
	err_location(&e, "a.pkr.hcl", 3, 7);
	t = err_text(&e);
	assert_string_equal(t, "a.pkr.hcl:3:7: cannot open /nope: No such file or directory");
	free(t);
	err_clear(&e);

	/* a file named in an error moved after the error was made */
	err_set(&e, "see /o/x.log and /o/x.log");
	err_wrap(&e, "step (/o/x.log)");
	err_hint(&e, "read /o/x.log");
	err_replace(&e, "/o/x.log", "/kept/x-serial.log");
	t = err_text(&e);
	assert_string_equal(t, "step (/kept/x-serial.log): see /kept/x-serial.log and /kept/x-serial.log");
	free(t);
	assert_string_equal(e.hint, "read /kept/x-serial.log");
	err_replace(&e, "absent", "x");
	assert_string_equal(e.hint, "read /kept/x-serial.log");
	err_clear(&e);
}

static void test_paths(void **state)
{
	(void)state;
	static const char *cases[][2] = {
		{"", "."}, {"/", "/"}, {"a//b/./c/", "a/b/c"}, {"a/../..", ".."}, {"/../a", "/a"},
		{"./", "."}, {"a/b/../../c", "c"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *c = path_clean(cases[i][0]);
		assert_string_equal(c, cases[i][1]);
		free(c);
	}
	char *s = path_basename("/x/y.qcow2/");
	assert_string_equal(s, "y.qcow2");
	free(s);
	s = path_dirname("/x/y");
	assert_string_equal(s, "/x");
	free(s);
	s = path_dirname("y");
	assert_string_equal(s, ".");
	free(s);
	s = path_join("a/", "b");
	assert_string_equal(s, "a/b");
	free(s);
	s = path_join("a", "/abs");
	assert_string_equal(s, "/abs");
	free(s);
	s = path_abs("/a/./b/..");
	assert_string_equal(s, "/a");
	free(s);
	/* a path moved with its directory; not a path inside it: NULL */
	s = path_rebase("/o/out.kiln-new.ab/disk", "/o/out.kiln-new.ab", "/o/out");
	assert_string_equal(s, "/o/out/disk");
	free(s);
	s = path_rebase("/o/out.kiln-new.ab", "/o/out.kiln-new.ab/", "/o/out");
	assert_string_equal(s, "/o/out");
	free(s);
	assert_null(path_rebase("/o/out.kiln-new.abc/disk", "/o/out.kiln-new.ab", "/o/out"));
	assert_null(path_rebase("/elsewhere", "/o/out", "/x"));
}

static void test_durations(void **state)
{
	(void)state;
	struct kiln_error e = ERR_INIT;
	int64_t ms = 0;
	assert_int_equal(duration_parse("1m30s", &ms, &e), 0);
	assert_int_equal(ms, 90000);
	assert_int_equal(duration_parse("1.5h", &ms, &e), 0);
	assert_int_equal(ms, 5400000);
	assert_int_equal(duration_parse("250ms", &ms, &e), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(duration_parse("0", &ms, &e), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(duration_parse("10", &ms, &e), -1);
	assert_true(err_is(&e, ERR_INVALID));
	err_clear(&e);
	assert_int_equal(duration_parse("5x", &ms, &e), -1);
	err_clear(&e);
	assert_int_equal(duration_parse("", &ms, &e), -1);
	err_clear(&e);
	static const struct { int64_t ns; const char *s; } fmts[] = {
		{0, "0s"}, {1500000000LL, "1.5s"}, {70000000000LL, "1m10s"}, {3600000000000LL, "1h0m0s"},
		{250000000LL, "250ms"}, {-2000000000LL, "-2s"}, {1500, "1.5\xc2\xb5s"},
	};
	for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
		char *f = duration_format_ns(fmts[i].ns);
		assert_string_equal(f, fmts[i].s);
		free(f);
	}
}

static void test_hash(void **state)
{
	(void)state;
	char *h = hash_hex("sha256", "abc", 3);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	free(h);
	h = hash_hex("MD5", "", 0);
	assert_string_equal(h, "d41d8cd98f00b204e9800998ecf8427e");
	free(h);
	assert_null(hash_hex("crc32", "", 0));
	assert_int_equal(hash_hex_len("sha512"), 128);
	const char *digits = "0123456789abcdefABCDEF";
	for (int c = 0; c < 256; c++) {
		const char *at = c ? strchr(digits, c) : NULL;
		int want = !at ? -1 : at - digits < 16 ? (int)(at - digits) : (int)(at - digits) - 6;
		assert_int_equal(hex_digit(c), want);
	}
}

static void test_files_and_tmpdir(void **state)
{
	(void)state;
	struct kiln_error e = ERR_INIT;
	char *d = tmpdir_make("kiln-unit", &e);
	assert_non_null(d);
	char *sub = path_join(d, "a/b/c");
	assert_int_equal(mkdir_p(sub, 0755, &e), 0);
	assert_true(file_is_dir(sub));
	char *f = path_join(sub, "f.txt");
	assert_int_equal(file_write_atomic(f, "hello", 5, 0600, &e), 0);
	struct stat st;
	assert_int_equal(stat(f, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	struct buf b = BUF_INIT;
	assert_int_equal(file_read_all(f, &b, &e), 0);
	assert_string_equal(buf_cstr(&b), "hello");
	buf_free(&b);
	char *link = path_join(sub, "escape");
	assert_int_equal(symlink("/etc", link), 0);
	tmpdir_release(d);
	assert_false(file_exists(d));
	assert_true(file_is_dir("/etc")); /* the symlink was removed, not followed */
	assert_int_equal(file_read_all("/nonexistent/x", &b, &e), -1);
	assert_true(err_is(&e, ERR_NOT_FOUND));
	err_clear(&e);
	buf_free(&b);
	free(link);
	free(f);
	free(sub);
	free(d);
}

/* Every temporary directory lives in the process's root; the roots of dead processes go, live ones stay. */
static void test_tmpdir_root_and_sweep(void **state)
{
	(void)state;
	struct kiln_error e = ERR_INIT;
	char *base = tmpdir_make("kiln-unit-base", &e);
	assert_non_null(base);
	char *root = tmpdir_root(&e);
	assert_non_null(root);
	char *d = tmpdir_make("kiln-unit", &e);
	char *inside = path_rebase(d, root, "");
	assert_non_null(inside);
	free(inside);
	struct stat st;
	assert_int_equal(stat(root, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	/* in base: a dead process's root (lock free), a live one (lock held), a directory that only has a
	 * root's name (no lock file: still being made, or not kiln's at all), and another directory */
	char *dead = path_join(base, "kiln-run.dead01"), *live = path_join(base, "kiln-run.live01");
	char *young = path_join(base, "kiln-run.young1"), *other = path_join(base, "other");
	char *deadlock = path_join(dead, ".kiln-run-lock"), *livelock = path_join(live, ".kiln-run-lock");
	char *deadfile = path_join(dead, "kiln-ssh-key-x");
	assert_int_equal(mkdir_p(deadfile, 0700, &e), 0);
	assert_int_equal(file_write(deadlock, "", 0, 0600, &e), 0);
	assert_int_equal(mkdir_p(live, 0700, &e), 0);
	assert_int_equal(mkdir_p(young, 0700, &e), 0);
	assert_int_equal(mkdir_p(other, 0700, &e), 0);
	assert_int_equal(file_write(livelock, "", 0, 0600, &e), 0);
	int fd = open(livelock, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	assert_int_equal(tmpdir_sweep_stale(base), 1);
	assert_false(file_exists(dead));
	assert_true(file_is_dir(live));
	assert_true(file_is_dir(young));
	assert_true(file_is_dir(other));
	close(fd);
	assert_int_equal(tmpdir_sweep_stale(base), 1);
	assert_false(file_exists(live));

	tmpdir_release(d);
	tmpdir_release(base);
	free(deadfile);
	free(deadlock);
	free(livelock);
	free(dead);
	free(live);
	free(young);
	free(other);
	free(d);
	free(base);
	free(root);
}

/* A lock held by a live process is HELD; once its owner is gone, the next prober takes it over. */
static void test_dirlock(void **state)
{
	(void)state;
	struct kiln_error e = ERR_INIT;
	char *base = tmpdir_make("kiln-unit-lock", &e);
	char *dir = path_join(base, "out");
	enum dirlock_status st;
	struct dirlock_owner o = {0};
	struct dirlock *l = NULL, *taken = NULL;

	assert_int_equal(dirlock_probe(dir, &st, &o, &taken, &e), 0);
	assert_int_equal(st, DIRLOCK_NONE);
	assert_null(taken);
	assert_int_equal(dirlock_create_dir(dir, 0755, "build qemu.x", &l, &e), 0);
	assert_non_null(l);
	/* a second creator loses */
	struct dirlock *l2 = NULL;
	assert_int_equal(dirlock_create_dir(dir, 0755, "build qemu.y", &l2, &e), -1);
	assert_int_equal(e.errnum, EEXIST);
	assert_null(l2);
	err_clear(&e);

	/* held by us (another open file: flock does not share) */
	assert_int_equal(dirlock_probe(dir, &st, &o, &taken, &e), 0);
	assert_int_equal(st, DIRLOCK_HELD);
	assert_null(taken);
	assert_int_equal(o.pid, (long)getpid());
	assert_string_equal(o.what, "build qemu.x");
	char *who = dirlock_owner_describe(&o);
	assert_non_null(strstr(who, "kiln pid "));
	assert_non_null(strstr(who, "(build qemu.x, since "));
	free(who);
	dirlock_owner_free(&o);

	/* the owner dies without a word (a child that takes a lock and _exits) */
	dirlock_drop(l);
	char *dir2 = path_join(base, "out2");
	pid_t pid = fork();
	if (pid == 0) {
		struct kiln_error ce = ERR_INIT;
		struct dirlock *cl = NULL;
		_exit(dirlock_create_dir(dir2, 0755, "build qemu.child", &cl, &ce) == 0 ? 0 : 1);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(dirlock_probe(dir2, &st, &o, &taken, &e), 0);
	assert_int_equal(st, DIRLOCK_STALE);
	assert_non_null(taken);
	assert_int_equal(o.pid, (long)pid);
	dirlock_owner_free(&o);
	/* while we hold it, it is HELD to everyone else */
	assert_int_equal(dirlock_probe(dir2, &st, NULL, NULL, &e), 0);
	assert_int_equal(st, DIRLOCK_HELD);
	/* released: the file goes, the directory is not kiln's any more */
	dirlock_release(taken);
	assert_int_equal(dirlock_probe(dir2, &st, NULL, NULL, &e), 0);
	assert_int_equal(st, DIRLOCK_NONE);

	/* a lock taken on another host cannot be judged from here */
	char *lf = path_join(dir, DIRLOCK_FILE);
	const char *text = "pid=1\nhost=elsewhere.example\nstarted=2026-01-01T00:00:00Z\nwhat=build qemu.z\n";
	assert_int_equal(file_write(lf, text, strlen(text), 0644, &e), 0);
	assert_int_equal(dirlock_probe(dir, &st, &o, &taken, &e), 0);
	assert_int_equal(st, DIRLOCK_ELSEWHERE);
	assert_null(taken);
	assert_string_equal(o.host, "elsewhere.example");
	dirlock_owner_free(&o);

	free(lf);
	free(dir2);
	free(dir);
	tmpdir_release(base);
	free(base);
}

/* file_read_regular: only regular files up to a limit, never blocking on a FIFO; file_read_all keeps
 * reading anything (a provisioner's script may be /dev/null); file_read_stream bounds a pipe. */
static void test_file_read_limits(void **state)
{
	(void)state;
	struct kiln_error e = ERR_INIT;
	char *d = tmpdir_make("kiln-unit", &e);
	assert_non_null(d);
	char *f = path_join(d, "f.txt");
	assert_int_equal(file_write_atomic(f, "0123456789", 10, 0600, &e), 0);
	struct buf b = BUF_INIT;
	assert_int_equal(file_read_regular(f, 10, &b, &e), 0);
	assert_string_equal(buf_cstr(&b), "0123456789");
	buf_reset(&b);
	assert_int_equal(file_read_regular(f, 9, &b, &e), -1);
	assert_true(err_is(&e, ERR_INVALID));
	char *t = err_text(&e);
	assert_non_null(strstr(t, "larger than the 9 bytes limit"));
	free(t);
	err_clear(&e);

	char *empty = path_join(d, "empty");
	assert_int_equal(file_write_atomic(empty, "", 0, 0600, &e), 0);
	buf_free(&b);
	assert_int_equal(file_read_regular(empty, 10, &b, &e), 0);
	assert_non_null(b.data);
	assert_string_equal(buf_cstr(&b), "");

	/* a FIFO nobody writes to: refused at once, not waited on */
	char *fifo = path_join(d, "fifo");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	buf_reset(&b);
	assert_int_equal(file_read_regular(fifo, 10, &b, &e), -1);
	assert_true(err_is(&e, ERR_INVALID));
	t = err_text(&e);
	assert_non_null(strstr(t, "is a FIFO (named pipe), not a regular file"));
	free(t);
	err_clear(&e);

	assert_int_equal(file_read_regular("/dev/zero", 10, &b, &e), -1);
	assert_true(err_is(&e, ERR_INVALID));
	t = err_text(&e);
	assert_non_null(strstr(t, "/dev/zero is a character device"));
	free(t);
	err_clear(&e);
	assert_int_equal(file_read_regular(d, 10, &b, &e), -1);
	assert_true(err_is(&e, ERR_INVALID));
	err_clear(&e);
	char *missing = path_join(d, "missing");
	assert_int_equal(file_read_regular(missing, 10, &b, &e), -1);
	assert_true(err_is(&e, ERR_NOT_FOUND));
	err_clear(&e);

	/* file_read_all still reads a character device to its end */
	buf_free(&b);
	assert_int_equal(file_read_all("/dev/null", &b, &e), 0);
	assert_non_null(b.data);
	assert_int_equal(b.len, 0);

	/* a stream: up to max bytes, more is an error naming it */
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "abcdef", 6), 6);
	close(p[1]);
	buf_free(&b);
	assert_int_equal(file_read_stream(p[0], "the pipe", 6, &b, &e), 0);
	assert_string_equal(buf_cstr(&b), "abcdef");
	close(p[0]);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "abcdefg", 7), 7);
	close(p[1]);
	buf_free(&b);
	assert_int_equal(file_read_stream(p[0], "the pipe", 6, &b, &e), -1);
	t = err_text(&e);
	assert_non_null(strstr(t, "the pipe is larger than the 6 bytes limit"));
	free(t);
	err_clear(&e);
	close(p[0]);
	int z = open("/dev/zero", O_RDONLY);
	assert_true(z >= 0);
	buf_free(&b);
	assert_int_equal(file_read_stream(z, "/dev/zero", 1 << 20, &b, &e), -1);
	assert_true(b.len <= (1 << 20) + 65536 + 1);
	err_clear(&e);
	close(z);

	buf_free(&b);
	assert_string_equal(file_kind_name(S_IFSOCK), "a socket");
	assert_string_equal(file_kind_name(S_IFREG | 0644), "a regular file");
	assert_string_equal(file_kind_name(S_IFLNK | 0777), "a symbolic link");
	assert_string_equal(file_kind_name(0), "not a regular file");
	tmpdir_release(d);
	free(missing);
	free(fifo);
	free(empty);
	free(f);
	free(d);
}

static void on_line(void *arg, bool is_stderr, const char *line)
{
	struct strv *sv = arg;
	strv_pushf(sv, "%s:%s", is_stderr ? "err" : "out", line);
}

static void test_proc(void **state)
{
	(void)state;
	struct kiln_error e = ERR_INIT;
	struct buf out = BUF_INIT;
	struct strv lines = STRV_INIT;
	char *const argv[] = {"sh", "-c", "echo one; echo two >&2; printf three; exit 3", NULL};
	struct proc_opts o = {.out = &out, .on_line = on_line, .line_arg = &lines};
	int status = -1;
	assert_int_equal(proc_run(argv, &o, &status, &e), 0);
	assert_int_equal(status, 3);
	assert_string_equal(buf_cstr(&out), "one\nthree");
	assert_true(strv_contains(&lines, "out:one"));
	assert_true(strv_contains(&lines, "err:two"));
	assert_true(strv_contains(&lines, "out:three"));
	strv_free(&lines);
	buf_free(&out);

	/* split_cr: progress redrawn with '\r' arrives line by line; "\r\n" is still one line end. */
	char *const prog[] = {"sh", "-c", "printf '  (1.00/100%%)\\r  (50.00/100%%)\\r  (100.00/100%%)\\r\\ndone\\r\\n'", NULL};
	struct proc_opts op = {.on_line = on_line, .line_arg = &lines, .split_cr = true};
	assert_int_equal(proc_run(prog, &op, &status, &e), 0);
	assert_int_equal(lines.n, 4);
	assert_string_equal(lines.v[0], "out:  (1.00/100%)");
	assert_string_equal(lines.v[1], "out:  (50.00/100%)");
	assert_string_equal(lines.v[2], "out:  (100.00/100%)");
	assert_string_equal(lines.v[3], "out:done");
	strv_free(&lines);

	char *const cat[] = {"cat", NULL};
	struct proc_opts o2 = {.out = &out, .stdin_data = "piped", .stdin_len = 5};
	assert_int_equal(proc_run_checked(cat, &o2, &e), 0);
	assert_string_equal(buf_cstr(&out), "piped");
	buf_free(&out);

	char *const missing[] = {"kiln-no-such-program", NULL};
	assert_int_equal(proc_run(missing, NULL, &status, &e), -1);
	assert_non_null(strstr(err_cause(&e), "cannot run kiln-no-such-program"));
	err_clear(&e);

	char *const fails[] = {"sh", "-c", "echo bad thing >&2; exit 1", NULL};
	assert_int_equal(proc_run_checked(fails, NULL, &e), -1);
	assert_string_equal(err_cause(&e), "sh exited with status 1: bad thing");
	assert_string_equal(e.detail, "sh's standard error:\nbad thing\n");
	err_clear(&e);

	/* a dozen lines that differ only in their numbers are one line in the error, all of them in the
	 * detail; "No space left on device" is ENOSPC; a killed program says by what */
	char *const spray[] = {"sh", "-c",
			       "for b in 15728640 7340032 0 33226752; do echo \"qemu-img: error while writing at byte $b: "
			       "No space left on device\" >&2; done; echo \"qemu-img: offset 0x1a0000 is bad\" >&2; "
			       "echo \"qemu-img: offset 0x50000 is bad\" >&2; echo other >&2; echo last >&2; exit 1", NULL};
	assert_int_equal(proc_run_checked(spray, NULL, &e), -1);
	assert_string_equal(err_cause(&e), "sh exited with status 1: qemu-img: error while writing at byte 15728640: "
					   "No space left on device; qemu-img: offset 0x1a0000 is bad; other "
					   "(and 5 more lines)");
	assert_int_equal(e.errnum, ENOSPC);
	assert_non_null(strstr(e.detail, "byte 33226752"));
	err_clear(&e);
	char *const killed[] = {"sh", "-c", "kill -9 $$", NULL};
	assert_int_equal(proc_run_checked(killed, NULL, &e), -1);
	assert_string_equal(err_cause(&e), "sh was killed by SIGKILL");
	err_clear(&e);

	char *const slow[] = {"sleep", "5", NULL};
	struct proc_opts o3 = {.timeout_ms = 200};
	long t0 = time_mono_ms();
	assert_int_equal(proc_run(slow, &o3, &status, &e), -1);
	assert_true(err_is(&e, ERR_TIMEOUT));
	assert_true(time_mono_ms() - t0 < 3000);
	err_clear(&e);
}

static void test_xgrow(void **state)
{
	(void)state;
	int *a = NULL;
	size_t cap = 0;
	a = xgrow(a, &cap, 100, sizeof *a);
	assert_true(cap >= 100);
	a[99] = 1;
	free(a);
	char *s = xstrndup("abcdef", 3);
	assert_string_equal(s, "abc");
	free(s);
}

/* xmap_zeroed: whole 2 MiB, aligned to 2 MiB (where a huge page can go), zeroed and writable. */
static void test_xmap_zeroed(void **state)
{
	(void)state;
	const size_t mib2 = (size_t)2 << 20;
	size_t sizes[] = {1, mib2, mib2 + 1};
	size_t want[] = {mib2, mib2, 2 * mib2};
	for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
		size_t n = sizes[k];
		unsigned char *p = xmap_zeroed(&n);
		assert_int_equal(n, want[k]);
		assert_int_equal((uintptr_t)p % mib2, 0);
		for (size_t i = 0; i < n; i += 4096)
			assert_int_equal(p[i] | p[i + 4095], 0);
		memset(p, 0xa5, n);
		assert_int_equal(p[n - 1], 0xa5);
		xunmap(p, n);
	}
	xunmap(NULL, 0);
}

static void test_strmap(void **state)
{
	(void)state;
	struct strmap m = STRMAP_INIT;
	size_t v = 99;
	assert_false(strmap_get(&m, "x", &v));
	struct strv keys = STRV_INIT;
	for (size_t i = 0; i < 10000; i++)
		strv_pushf(&keys, "name%zu", i);
	for (size_t i = 0; i < keys.n; i++)
		strmap_put(&m, keys.v[i], i);
	assert_int_equal(m.n, 10000);
	for (size_t i = 0; i < keys.n; i++) {
		assert_true(strmap_get(&m, keys.v[i], &v));
		assert_int_equal(v, i);
	}
	assert_false(strmap_get(&m, "name10000", &v));
	strmap_put(&m, keys.v[7], 70);
	assert_true(strmap_get(&m, "name7", &v));
	assert_int_equal(v, 70);
	assert_int_equal(m.n, 10000);
	strmap_free(&m);
	strv_free(&keys);
}

/* The write-back follower asks the kernel to write out what a writer has put in the file, but not the
 * last 8 MiB it may still be writing; nothing for a file it cannot open. file_sync_parent fsyncs the
 * directory a file is in. */
static void test_file_writeback(void **state)
{
	(void)state;
	struct kiln_error e = ERR_INIT;
	char *dir = tmpdir_make("kiln-test-wb", &e);
	assert_non_null(dir);
	char *path = path_join(dir, "grows");
	assert_int_equal(file_write(path, "", 0, 0644, &e), 0);
	struct file_writeback *w = file_writeback_start(path);
	assert_non_null(w);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	char *chunk = xmalloc(1 << 20);
	for (int i = 0; i < 48; i++) {
		memset(chunk, 'a' + i % 26, 1 << 20);
		assert_int_equal(fd_write_all(fd, chunk, 1 << 20), 0);
		usleep(2000);
	}
	close(fd);
	usleep(500 * 1000);   /* the thread looks every 10 ms */
	/* all but the last 8 MiB, asked for 8 MiB or more at a time: the last ask may leave up to 8 more */
	uint64_t asked = file_writeback_stop(w);
	assert_true(asked >= 32u << 20);
	assert_true(asked <= 40u << 20);
	off_t size = 0;
	assert_int_equal(file_size(path, &size, &e), 0);
	assert_int_equal(size, 48 << 20);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_int_equal(pread(fd, chunk, 1, (47 << 20) + 5), 1);
	assert_int_equal(chunk[0], 'a' + 47 % 26);
	close(fd);

	char *missing = path_join(dir, "missing");
	assert_null(file_writeback_start(missing));
	assert_int_equal(file_writeback_stop(NULL), 0);
	assert_int_equal(file_sync_parent(path, &e), 0);
	char *nodir = path_join(missing, "x");
	assert_int_equal(file_sync_parent(nodir, &e), -1);
	assert_non_null(strstr(err_cause(&e), "cannot write the directory"));
	err_clear(&e);

	tmpdir_release(dir);
	free(nodir);
	free(missing);
	free(chunk);
	free(path);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_grows_and_stays_terminated),
		cmocka_unit_test(test_strv),
		cmocka_unit_test(test_error_chain),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_files_and_tmpdir),
		cmocka_unit_test(test_tmpdir_root_and_sweep),
		cmocka_unit_test(test_dirlock),
		cmocka_unit_test(test_file_read_limits),
		cmocka_unit_test(test_file_writeback),
		cmocka_unit_test(test_proc),
		cmocka_unit_test(test_xgrow),
		cmocka_unit_test(test_xmap_zeroed),
		cmocka_unit_test(test_strmap),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
