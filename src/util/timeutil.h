/* timeutil.h — monotonic time, Go-style durations ("1m30s", "500ms", "1.5h"), timestamps. */
#ifndef KILN_UTIL_TIMEUTIL_H
#define KILN_UTIL_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

long time_mono_ms(void);
int64_t time_mono_ns(void);
/* Parse a Go time.ParseDuration string into milliseconds (sub-millisecond parts truncate). */
int duration_parse(const char *s, int64_t *ms, struct kiln_error *err);
/* Parse into nanoseconds, exactly as Go does. */
int duration_parse_ns(const char *s, int64_t *ns, struct kiln_error *err);
/* Go's Duration.String() of ns: "1m10s", "1.5s", "250ms", "0s". Caller frees. */
char *duration_format_ns(int64_t ns);
/* Packer's build-time wording (durafmt, first two units): "1 minute 2 seconds",
 * "16 milliseconds 13 microseconds". Caller frees. */
char *duration_words_ns(int64_t ns);
/* Short human form for the UI: "7s", "1m10s", "2h03m". Caller frees. */
char *duration_human_ms(int64_t ms);
/* Sleep up to ms, returning early (-1) when the build is cancelled. */
int sleep_cancellable_ms(long ms);
/* RFC 3339 UTC timestamp of now ("2006-01-02T15:04:05Z"). Caller frees. */
char *time_now_rfc3339(void);

#endif
