/* fuzz-plugin-rpc.c — libFuzzer target for kiln's reading of the plugin protocol (src/plugin/rpc.c):
 * the input is what a plugin could write to its socket. It is read as a stream (lines, blank lines,
 * the end of the stream in the middle of a message) with a few descriptors queued as if they had
 * arrived with it, and each line is also parsed alone; every message is freed with the descriptors
 * it claimed. Any crash, sanitizer report, leak or leaked descriptor is a bug. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin/rpc.h"
#include "util/buf.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* every line alone */
	for (size_t start = 0; start < size;) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t len = nl ? (size_t)(nl - data) - start : size - start;
		struct rpc_msg m;
		char *why = NULL;
		if (rpc_msg_parse((const char *)data + start, len, &m, &why) == 0)
			rpc_msg_free(&m);
		free(why);
		start += len + 1;
	}

	/* the whole input as a stream, with three descriptors that "came with it" */
	struct rpc_conn c;
	rpc_conn_init(&c, -1);
	for (int i = 0; i < 3; i++) {
		int fd = dup(STDERR_FILENO);
		if (fd < 0)
			break;
		c.queued_fds = xgrow(c.queued_fds, &c.capqueued_fds, c.nqueued_fds + 1, sizeof(int));
		c.queued_fds[c.nqueued_fds++] = fd;
	}
	buf_append(&c.in, data, size);
	c.eof = true;
	for (;;) {
		struct rpc_msg m;
		struct kiln_error err = ERR_INIT;
		int r = rpc_next(&c, &m, &err);
		err_clear(&err);
		if (r <= 0)
			break;
		rpc_msg_free(&m);
	}
	rpc_conn_close(&c);
	return 0;
}
