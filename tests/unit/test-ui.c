/* test-ui.c — unit tests of src/ui: Packer's layout, machine-readable escaping, secret masking on every
 * path, colour only on a terminal, progress without a terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui/ui.h"
#include "util/mem.h"

struct capture {
	char *out_data, *err_data;
	size_t out_len, err_len;
	FILE *out, *err;
};

static void cap_open(struct capture *c, bool machine, enum ui_color_mode color, bool timestamps)
{
	memset(c, 0, sizeof *c);
	c->out = open_memstream(&c->out_data, &c->out_len);
	c->err = open_memstream(&c->err_data, &c->err_len);
	struct ui_settings s = {.color = color, .machine_readable = machine, .timestamps = timestamps,
				.out = c->out, .err = c->err, .progress_tty = false, .progress_tty_set = true};
	ui_configure(&s);
}

static void cap_close(struct capture *c)
{
	fclose(c->out);
	fclose(c->err);
	struct ui_settings s = {0};
	ui_configure(&s);
}

static void cap_free(struct capture *c)
{
	free(c->out_data);
	free(c->err_data);
}

static void test_packer_layout(void **state)
{
	(void)state;
	struct capture c;
	cap_open(&c, false, UI_COLOR_NEVER, false);
	struct ui *ui = ui_for_target("qemu.debian");
	ui_say(ui, "Waiting for SSH...");
	ui_message(ui, "guest says %d", 42);
	ui_say(ui, "two\nlines");
	ui_error(ui, "Build failed");
	ui_say(ui_global(), "Builds finished.");
	ui_free(ui);
	cap_close(&c);
	assert_string_equal(c.out_data,
			    "==> qemu.debian: Waiting for SSH...\n"
			    "    qemu.debian: guest says 42\n"
			    "==> qemu.debian: two\n"
			    "    qemu.debian: lines\n"
			    "==> Builds finished.\n");
	assert_string_equal(c.err_data, "==> qemu.debian: Build failed\n");
	cap_free(&c);
}

static void test_machine_escape(void **state)
{
	(void)state;
	char *s = ui_machine_escape("a,b\nc\rd");
	assert_string_equal(s, "a%!(PACKER_COMMA)b\\nc\\rd");
	free(s);
}

static void test_machine_readable(void **state)
{
	(void)state;
	struct capture c;
	cap_open(&c, true, UI_COLOR_ALWAYS, false);
	struct ui *ui = ui_for_target("qemu.x");
	ui_say(ui, "Hello, world");
	ui_message(ui, "out");
	ui_machine(ui, "artifact", "0", "files-count", "1", NULL);
	ui_free(ui);
	cap_close(&c);
	/* "<unix time>,<target>,<type>,<data...>" with no colour even when forced */
	char *line1 = strtok(c.out_data, "\n");
	char *line2 = strtok(NULL, "\n");
	char *line3 = strtok(NULL, "\n");
	assert_non_null(line3);
	assert_non_null(strstr(line1, ",,ui,say,==> qemu.x: Hello%!(PACKER_COMMA) world"));
	assert_non_null(strstr(line2, ",,ui,message,    qemu.x: out"));
	assert_non_null(strstr(line3, ",qemu.x,artifact,0,files-count,1"));
	assert_true(line1[0] >= '1' && line1[0] <= '9');
	assert_null(strchr(line1, '\033'));
	cap_free(&c);
}

static void test_machine_event_hidden_without_flag(void **state)
{
	(void)state;
	struct capture c;
	cap_open(&c, false, UI_COLOR_NEVER, false);
	ui_machine(ui_global(), "version", "1", NULL);
	cap_close(&c);
	assert_string_equal(c.out_data, "");
	cap_free(&c);
}

static void test_secrets_masked_everywhere(void **state)
{
	(void)state;
	ui_secrets_clear();
	ui_secret_add("hunter2");
	ui_secret_add("hunter2-long"); /* longer secrets win over their prefixes */
	char *m = ui_mask("pw=hunter2 and hunter2-long!");
	assert_string_equal(m, "pw=<sensitive> and <sensitive>!");
	free(m);
	struct capture c;
	cap_open(&c, false, UI_COLOR_NEVER, false);
	struct ui *ui = ui_for_target("null.x");
	ui_say(ui, "say hunter2");
	ui_message(ui, "message hunter2");
	ui_error(ui, "error hunter2");
	ui_free(ui);
	cap_close(&c);
	assert_null(strstr(c.out_data, "hunter2"));
	assert_null(strstr(c.err_data, "hunter2"));
	assert_non_null(strstr(c.out_data, "say <sensitive>"));
	cap_free(&c);
	cap_open(&c, true, UI_COLOR_NEVER, false);
	ui_machine(ui_global(), "secret", "x,hunter2", NULL);
	ui_say(ui_global(), "hunter2");
	cap_close(&c);
	assert_null(strstr(c.out_data, "hunter2"));
	cap_free(&c);
	ui_secrets_clear();
}

/* A value too short to be a secret is not filtered: "a" would garble every "argument". */
static void test_short_secrets_not_filtered(void **state)
{
	(void)state;
	ui_secrets_clear();
	ui_secret_add("a");
	ui_secret_add("1");
	ui_secret_add("abc");
	ui_secret_add("abcd");
	char *m = ui_mask("an argument on line 1, abc abcd");
	assert_string_equal(m, "an argument on line 1, abc <sensitive>");
	free(m);
	ui_secrets_clear();
}

/* kiln's own names are never cut by a secret inside them; a secret that runs past one still is. */
static void test_public_names_not_masked(void **state)
{
	(void)state;
	ui_secrets_clear();
	ui_secret_add("ubuntu");
	ui_secret_add("pkr-secret");
	ui_public_add("ubuntu-cloudimg.pkr.hcl");
	ui_public_add("null.ubuntu");
	ui_public_add("build.pkr");
	char *m = ui_mask("read ubuntu-cloudimg.pkr.hcl for null.ubuntu: password ubuntu; build.pkr-secret");
	assert_string_equal(m, "read ubuntu-cloudimg.pkr.hcl for null.ubuntu: password <sensitive>; build.<sensitive>");
	free(m);
	/* a name that is the secret itself protects nothing */
	ui_secret_add("vagrant");
	ui_public_add("vagrant");
	m = ui_mask("login vagrant with vagrant");
	assert_string_equal(m, "login <sensitive> with <sensitive>");
	free(m);
	ui_secrets_clear();
}

static void test_secrets_masked_in_log(void **state)
{
	(void)state;
	char path[] = "/tmp/kiln-ui-log-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	setenv("KILN_LOG_PATH", path, 1);
	log_init_from_env();
	ui_secret_add("s3cret");
	assert_true(log_enabled());
	log_debug("token is s3cret");
	log_close();
	unsetenv("KILN_LOG_PATH");
	FILE *f = fopen(path, "r");
	char line[256] = "";
	assert_non_null(fgets(line, sizeof line, f));
	fclose(f);
	unlink(path);
	assert_non_null(strstr(line, "[DEBUG] token is <sensitive>"));
	ui_secrets_clear();
}

static void test_colour_only_on_tty(void **state)
{
	(void)state;
	struct capture c;
	/* AUTO on a memstream (not a TTY): no escape codes */
	cap_open(&c, false, UI_COLOR_AUTO, false);
	struct ui *ui = ui_for_target("qemu.a");
	ui_say(ui, "plain");
	cap_close(&c);
	assert_null(strchr(c.out_data, '\033'));
	cap_free(&c);
	/* forced on (-color on a terminal): bold colour say, plain-weight colour message */
	cap_open(&c, false, UI_COLOR_ALWAYS, false);
	ui_say(ui, "coloured");
	ui_message(ui, "detail");
	cap_close(&c);
	assert_non_null(strstr(c.out_data, "\033[1;"));
	assert_non_null(strstr(c.out_data, "\033[0;"));
	assert_non_null(strstr(c.out_data, "\033[0m\n"));
	cap_free(&c);
	/* NO_COLOR wins over AUTO even where a TTY would allow it */
	setenv("NO_COLOR", "1", 1);
	cap_open(&c, false, UI_COLOR_AUTO, false);
	ui_say(ui, "no colour");
	cap_close(&c);
	assert_null(strchr(c.out_data, '\033'));
	unsetenv("NO_COLOR");
	cap_free(&c);
	ui_free(ui);
}

static void test_timestamps(void **state)
{
	(void)state;
	struct capture c;
	cap_open(&c, false, UI_COLOR_NEVER, true);
	ui_say(ui_global(), "stamped");
	cap_close(&c);
	/* 2026-11-25T15:10:29Z: ==> stamped */
	assert_int_equal(strlen(c.out_data), strlen("2026-11-25T15:10:29Z: ==> stamped\n"));
	assert_int_equal(c.out_data[4], '-');
	assert_int_equal(c.out_data[10], 'T');
	assert_non_null(strstr(c.out_data, "Z: ==> stamped"));
	cap_free(&c);
}

static void test_progress_without_tty(void **state)
{
	(void)state;
	struct capture c;
	cap_open(&c, false, UI_COLOR_NEVER, false);
	struct ui *ui = ui_for_target("qemu.p");
	struct ui_progress *p = ui_progress_start(ui, "Downloading base.qcow2", 1000);
	for (uint64_t i = 0; i <= 1000; i += 10)
		ui_progress_update(p, i);
	ui_progress_finish(p);
	ui_free(ui);
	cap_close(&c);
	/* plain lines at the quarters, never a carriage return */
	assert_null(strchr(c.out_data, '\r'));
	assert_null(strchr(c.err_data, '\r'));
	assert_non_null(strstr(c.out_data, "    qemu.p: Downloading base.qcow2:  25%"));
	assert_non_null(strstr(c.out_data, "    qemu.p: Downloading base.qcow2: 100%"));
	cap_free(&c);
}

static void test_format_bytes(void **state)
{
	(void)state;
	char *s = ui_format_bytes(512);
	assert_string_equal(s, "512 B");
	free(s);
	s = ui_format_bytes(3 * 1024 * 1024 + 512 * 1024);
	assert_string_equal(s, "3.5 MiB");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packer_layout),
		cmocka_unit_test(test_machine_escape),
		cmocka_unit_test(test_machine_readable),
		cmocka_unit_test(test_machine_event_hidden_without_flag),
		cmocka_unit_test(test_secrets_masked_everywhere),
		cmocka_unit_test(test_secrets_masked_in_log),
		cmocka_unit_test(test_short_secrets_not_filtered),
		cmocka_unit_test(test_public_names_not_masked),
		cmocka_unit_test(test_colour_only_on_tty),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_progress_without_tty),
		cmocka_unit_test(test_format_bytes),
	};
	return cmocka_run_group_tests_name("ui", tests, NULL, NULL);
}
