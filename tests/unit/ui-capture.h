/* ui-capture.h — unit tests that check what kiln prints: capture_start() points the UI at two memory
 * streams, capture_stop() closes them (out_data / err_data then hold stdout's and stderr's text),
 * capture_free() releases the text. Header-only: each unit test is a program of its own. */
#ifndef KILN_TESTS_UI_CAPTURE_H
#define KILN_TESTS_UI_CAPTURE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "ui/ui.h"

static char *out_data, *err_data;
static size_t out_len, err_len;
static FILE *out_f, *err_f;

static void capture_start(bool machine)
{
	out_f = open_memstream(&out_data, &out_len);
	err_f = open_memstream(&err_data, &err_len);
	struct ui_settings s = {.color = UI_COLOR_NEVER, .machine_readable = machine, .out = out_f, .err = err_f,
				.progress_tty_set = true};
	ui_configure(&s);
}

static void capture_stop(void)
{
	fclose(out_f);
	fclose(err_f);
	struct ui_settings s = {.color = UI_COLOR_NEVER};
	ui_configure(&s);
}

static void capture_free(void)
{
	free(out_data);
	free(err_data);
	out_data = err_data = NULL;
}

#endif
