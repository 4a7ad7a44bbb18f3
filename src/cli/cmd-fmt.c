/* cmd-fmt.c — `kiln fmt`: rewrite templates and variable files in the canonical layout, byte for byte
 * what `packer fmt` (1.6.6) writes. */
#include "cli/cli.h"
#include "cli/diagout.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hcl/format.h"
#include "hcl/parser.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/proc.h"
#include "util/strv.h"

struct fmt_opts {
	bool check, diff, write, recursive;
};

struct fmt_result {
	bool failed;        /* a file could not be read, parsed or written */
	bool unformatted;   /* some input was not in canonical form */
};

static void print_error(const char *title, const char *detail)
{
	fprintf(stderr, "Error: %s\n\n%s\n\n", title, detail);
}

/* print_error with err as the detail under the title that fmt formats; clears err. */
static void __attribute__((format(printf, 2, 3))) print_err(struct kiln_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *title = xvasprintf(fmt, ap);
	va_end(ap);
	char *msg = err_text(err);
	print_error(title, msg);
	free(title);
	free(msg);
	err_clear(err);
}

/* Unified diff of old and new as `diff -u` prints it, labelled old/NAME and new/NAME (Packer's
 * layout). */
static int print_diff(const char *name, const struct buf *oldb, const struct buf *newb)
{
	struct kiln_error err = ERR_INIT;
	char *dir = tmpdir_make("kiln-fmt", &err);
	if (!dir) {
		print_err(&err, "cannot show the difference");
		return -1;
	}
	char *a = path_join(dir, "old"), *b = path_join(dir, "new");
	char *la = xasprintf("--label=old/%s", name), *lb = xasprintf("--label=new/%s", name);
	int rc = -1;
	if (file_write(a, buf_cstr(oldb), oldb->len, 0600, &err) < 0 ||
	    file_write(b, buf_cstr(newb), newb->len, 0600, &err) < 0)
		goto out;
	char *argv[] = {"diff", la, lb, "-u", a, b, NULL};
	struct buf out = BUF_INIT;
	struct proc_opts po = {0};
	po.out = &out;
	int status;
	if (proc_run(argv, &po, &status, &err) < 0) {
		buf_free(&out);
		goto out;
	}
	fwrite(buf_cstr(&out), 1, out.len, stdout);
	buf_free(&out);
	rc = 0;
out:
	if (err_isset(&err))
		print_err(&err, "cannot show the difference");
	tmpdir_release(dir);
	free(dir);
	free(a);
	free(b);
	free(la);
	free(lb);
	return rc;
}

/* Format one input. name is what is printed; path is NULL for stdin. */
static void fmt_source(const char *name, const char *path, const struct buf *src, const struct fmt_opts *o,
		       struct fmt_result *res)
{
	struct hcl_diags d = HCL_DIAGS_INIT;
	struct hcl_fileset fs = HCL_FILESET_INIT;
	struct buf formatted = BUF_INIT;
	struct hcl_file *f = hcl_parse_and_format(buf_cstr(src), src->len, name, &d, &formatted);
	if (f)
		hcl_fileset_add(&fs, f);
	if (hcl_diags_has_errors(&d)) {
		/* like Packer, never reformat a file that does not parse */
		cli_print_diags(stderr, &d, &fs);
		res->failed = true;
		goto out;
	}
	bool changed = formatted.len != src->len || memcmp(buf_cstr(&formatted), buf_cstr(src), src->len) != 0;
	if (!path) {
		/* stdin: the result goes to stdout unless only checking or diffing */
		if (changed)
			res->unformatted = true;
		if (o->diff) {
			if (changed)
				print_diff(name, src, &formatted);
		} else if (!o->check) {
			fwrite(buf_cstr(&formatted), 1, formatted.len, stdout);
		}
		goto out;
	}
	if (changed) {
		res->unformatted = true;
		printf("%s\n", name);
		if (o->diff)
			print_diff(name, src, &formatted);
		if (o->write) {
			struct stat st;
			mode_t mode = stat(path, &st) == 0 ? (st.st_mode & 07777) : 0644;
			struct kiln_error err = ERR_INIT;
			if (file_write_atomic(path, buf_cstr(&formatted), formatted.len, mode, &err) < 0) {
				print_err(&err, "cannot write %s", path);
				res->failed = true;
			}
		}
	}
	fflush(stdout);
out:
	buf_free(&formatted);
	hcl_diags_free(&d);
	hcl_fileset_free(&fs);
}

static void fmt_file(const char *path, const struct fmt_opts *o, struct fmt_result *res)
{
	struct buf src = BUF_INIT;
	struct kiln_error err = ERR_INIT;
	if (file_read_regular(path, HCL_MAX_SOURCE_SIZE, &src, &err) < 0) {
		print_err(&err, "cannot read %s", path);
		res->failed = true;
		return;
	}
	fmt_source(path, path, &src, o, res);
	buf_free(&src);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory: its *.pkr.hcl files, then its *.pkrvars.hcl files (Packer's order), each group in
 * lexical order; with recursive, then its subdirectories (symbolic links to directories are not
 * followed). */
static void fmt_dir(const char *dir, const struct fmt_opts *o, struct fmt_result *res)
{
	DIR *dh = opendir(dir);
	if (!dh) {
		char *title = xasprintf("cannot read directory %s", dir);
		print_error(title, strerror(errno));
		free(title);
		res->failed = true;
		return;
	}
	struct strv names = STRV_INIT;
	struct dirent *de;
	while ((de = readdir(dh)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			strv_push(&names, de->d_name);
	closedir(dh);
	if (names.n)
		qsort(names.v, names.n, sizeof *names.v, cmp_str);
	for (int pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < names.n; i++) {
			const char *n = names.v[i];
			char *joined = path_join(dir, n);
			char *p = path_clean(joined); /* Go's filepath.Join: "./x" prints as "x" */
			free(joined);
			struct stat st;
			if (lstat(p, &st) == 0) {
				if (pass == 2 && S_ISDIR(st.st_mode) && o->recursive)
					fmt_dir(p, o, res);
				else if (pass == 0 && S_ISREG(st.st_mode) && path_has_suffix(n, ".pkr.hcl"))
					fmt_file(p, o, res);
				else if (pass == 1 && S_ISREG(st.st_mode) && path_has_suffix(n, ".pkrvars.hcl"))
					fmt_file(p, o, res);
			}
			free(p);
		}
	}
	strv_free(&names);
}

static int run_fmt(struct cli_args *a)
{
	struct fmt_opts o;
	o.check = cli_bool(a, "check");
	o.diff = cli_bool(a, "diff");
	o.write = cli_bool(a, "write") && !o.check;
	o.recursive = cli_bool(a, "recursive");
	struct fmt_result res = {false, false};
	const char *path = a->argv[0];

	if (strcmp(path, "-") == 0) {
		struct buf src = BUF_INIT;
		struct kiln_error err = ERR_INIT;
		if (file_read_stream(STDIN_FILENO, "standard input", HCL_MAX_SOURCE_SIZE, &src, &err) < 0) {
			print_err(&err, "cannot read standard input");
			buf_free(&src);
			return 1;
		}
		fmt_source("<stdin>", NULL, &src, &o, &res);
		buf_free(&src);
	} else {
		struct stat st;
		if (stat(path, &st) < 0) {
			char *title = xasprintf("cannot format %s", path);
			char *detail = xasprintf("%s: %s", path, strerror(errno));
			print_error(title, detail);
			free(title);
			free(detail);
			return 1;
		}
		if (S_ISDIR(st.st_mode))
			fmt_dir(path, &o, &res);
		else
			fmt_file(path, &o, &res);
	}
	if (res.failed)
		return 1;
	if (o.check && res.unformatted)
		return 3;
	return 0;
}

const struct cli_command cmd_fmt = {
	.name = "fmt",
	.synopsis = "Rewrites HCL2 templates and variable files to the canonical format",
	.usage = "kiln fmt [options] PATH",
	.help = "  Rewrites the template files (*.pkr.hcl) and variable files (*.pkrvars.hcl) in PATH to the\n"
		"  canonical layout: the same bytes `packer fmt` writes. PATH is a file, a directory (its\n"
		"  *.pkr.hcl and *.pkrvars.hcl files), or \"-\" to format standard input to standard output.\n"
		"  The name of every file that changes is printed. A file that does not parse is reported\n"
		"  with its diagnostics and left untouched.\n"
		"\n"
		"  Exit status: 0 when everything is (now) formatted, 1 on errors, 3 with -check when some\n"
		"  input is not formatted.\n",
	.flags = (const struct cli_flag[]){
		{"check", CLI_BOOL, NULL, NULL,
		 "Check whether the input is formatted; exit status 3 if not. Writes nothing."},
		{"diff", CLI_BOOL, NULL, NULL, "Show the changes as a unified diff."},
		{"write", CLI_BOOL, NULL, "true",
		 "Write the result back to the files (-write=false only lists them; always off with -check)."},
		{"recursive", CLI_BOOL, NULL, NULL, "Also process the files in subdirectories."},
		{NULL},
	},
	.min_args = 1,
	.max_args = 1,
	.run = run_fmt,
};
