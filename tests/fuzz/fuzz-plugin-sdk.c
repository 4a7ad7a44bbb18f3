/* fuzz-plugin-sdk.c — libFuzzer target for the C SDK's reading of the plugin protocol (what kiln
 * sends a plugin): its JSON parser (every value parsed is dumped, parsed again and must dump the same)
 * and its message reader, line by line. Any crash, sanitizer report or leak is a bug. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kiln-plugin.h"
#include "sdk-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *err = NULL;
	struct kp_json *v = kp_json_parse((const char *)data, size, &err);
	free(err);
	if (v) {
		char *a = kp_json_dump(v);
		struct kp_json *w = kp_json_parse(a, strlen(a), NULL);
		if (!w)
			abort(); /* the SDK cannot read what it wrote */
		char *b = kp_json_dump(w);
		if (strcmp(a, b) != 0)
			abort();
		free(a);
		free(b);
		kp_json_free(w);
		kp_json_free(v);
	}
	for (size_t start = 0; start < size;) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t len = nl ? (size_t)(nl - data) - start : size - start;
		struct kp_msg m;
		char *why = NULL;
		if (kp_msg_parse((const char *)data + start, len, &m, &why) == 0) {
			m.nfds = 0; /* none were received */
			kp_msg_free(&m);
		}
		free(why);
		start += len + 1;
	}
	return 0;
}
