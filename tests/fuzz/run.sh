#!/bin/sh
# run.sh BUILDDIR — build the libFuzzer targets (clang, -fsanitize=fuzzer,address,undefined) from the
# HCL and util sources (seeded from the test suite's and the shared corpus' HCL) and from the plugin
# protocol's readers (seeded from docs/plugins.md's messages), run each for a
# bounded time (KILN_FUZZ_SECONDS, default 45; the plugin ones KILN_FUZZ_PLUGIN_SECONDS, default 20) and
# report in TAP. Results go to
# BUILDDIR/tests/fuzz/fuzz.log and fuzz.trs (automake's format), which tests/lib/summarize.sh counts.
#
#   tests/fuzz/run.sh build-fuzz        (what scripts/test runs)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
bdir=${1:-build-fuzz}
secs=${KILN_FUZZ_SECONDS:-45}
# the plugin protocol's readers are small: less time finds as much (KILN_FUZZ_PLUGIN_SECONDS)
psecs=${KILN_FUZZ_PLUGIN_SECONDS:-20}
mkdir -p "$bdir/tests/fuzz"
bdir=$(cd "$bdir" && pwd)
out="$bdir/tests/fuzz"
log="$out/fuzz.log"
trs="$out/fuzz.trs"
: >"$log"
: >"$trs"
n=0
failed=0
result() { # result ok|not-ok description
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n - $2" | tee -a "$log"
		echo ":test-result: PASS $2" >>"$trs"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2" | tee -a "$log"
		echo ":test-result: FAIL $2" >>"$trs"
	fi
}

CC=${FUZZ_CC:-clang}
if ! command -v "$CC" >/dev/null 2>&1; then
	result not-ok "clang is installed (scripts/install-deps installs clang and libclang-rt-14-dev)"
	echo "1..$n" >>"$log"
	exit 1
fi

# config.h and the dependencies' flags
cfg="$out/cfg"
mkdir -p "$cfg"
printf '#define PACKAGE_VERSION "fuzz"\n#define _GNU_SOURCE 1\n' >"$cfg/config.h"
pkgs="libcrypto jansson yaml-0.1 libpcre2-8 libarchive"
cflags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE -I$top/src -I$top -I$cfg $(pkg-config --cflags $pkgs)"
libs="$(pkg-config --libs $pkgs) -lunistring -lcrypt -lm -lpthread"
srcs="$top/src/hcl/*.c $top/src/util/*.c"
for target in parser eval; do
	bin="$out/fuzz-hcl-$target"
	# shellcheck disable=SC2086
	if ! $CC $cflags -o "$bin" "$top/tests/fuzz/fuzz-hcl-$target.c" $srcs $libs >"$out/build-$target.log" 2>&1; then
		cat "$out/build-$target.log" >>"$log"
		result not-ok "fuzz-hcl-$target builds"
		continue
	fi
	result ok "fuzz-hcl-$target builds"

	# seed corpus: the console cases (one expression each), HCL from tests/ and ../shared/corpus
	seeds="$out/seeds-$target"
	rm -rf "$seeds" "$out/work-$target"
	mkdir -p "$seeds" "$out/work-$target"
	i=0
	grep -v '^#' "$top/tests/console/cases.txt" | while IFS= read -r line; do
		i=$((i + 1))
		printf '%s' "$line" >"$seeds/case-$i"
	done
	find "$top/tests" "$top/../shared/corpus" -name '*.pkr.hcl' -size -64k 2>/dev/null | head -400 |
		while IFS= read -r f; do cp "$f" "$seeds/$(echo "$f" | cksum | cut -d' ' -f1).hcl"; done

	# ASAN/UBSAN options: leaks are errors; the fuzzer stops at the first finding
	if ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
		"$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
		-artifact_prefix="$out/crash-$target-" "$out/work-$target" "$seeds" >"$out/run-$target.log" 2>&1; then
		result ok "fuzz-hcl-$target: ${secs}s without a crash, sanitizer report or leak"
	else
		tail -n 60 "$out/run-$target.log" | sed 's/^/# /' >>"$log"
		result not-ok "fuzz-hcl-$target: ${secs}s without a crash, sanitizer report or leak (see $out/run-$target.log and crash-$target-*)"
	fi
done

# The plugin protocol's readers: kiln's (src/plugin/rpc.c, with jansson) and the C SDK's (libc only),
# seeded with every message docs/plugins.md shows and the SDK's JSON test cases.
for target in rpc sdk; do
	bin="$out/fuzz-plugin-$target"
	case $target in
	rpc) tsrcs="$top/src/plugin/rpc.c $top/src/util/*.c" tinc="" ;;
	sdk) tsrcs="$top/src/plugin/sdk/json.c $top/src/plugin/sdk/serve.c $top/src/plugin/sdk/services.c" tinc="-I$top/src/plugin/sdk" ;;
	esac
	# shellcheck disable=SC2086
	if ! $CC $cflags $tinc -o "$bin" "$top/tests/fuzz/fuzz-plugin-$target.c" $tsrcs $libs >"$out/build-plugin-$target.log" 2>&1; then
		cat "$out/build-plugin-$target.log" >>"$log"
		result not-ok "fuzz-plugin-$target builds"
		continue
	fi
	result ok "fuzz-plugin-$target builds"
	seeds="$out/seeds-plugin-$target"
	rm -rf "$seeds" "$out/work-plugin-$target"
	mkdir -p "$seeds" "$out/work-plugin-$target"
	sed -n 's/^[-<][->] //p' "$top/docs/plugins.md" | while IFS= read -r line; do
		printf '%s\n' "$line" >"$seeds/$(printf '%s' "$line" | cksum | cut -d' ' -f1)"
	done
	sed -n 's/^[-<][->] //p' "$top/docs/plugins.md" >"$seeds/session"
	if ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
		"$bin" -max_total_time="$psecs" -timeout=20 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
		-artifact_prefix="$out/crash-plugin-$target-" "$out/work-plugin-$target" "$seeds" >"$out/run-plugin-$target.log" 2>&1; then
		result ok "fuzz-plugin-$target: ${psecs}s without a crash, sanitizer report or leak"
	else
		tail -n 60 "$out/run-plugin-$target.log" | sed 's/^/# /' >>"$log"
		result not-ok "fuzz-plugin-$target: ${psecs}s without a crash, sanitizer report or leak (see $out/run-plugin-$target.log and crash-plugin-$target-*)"
	fi
done
echo "1..$n" >>"$log"
[ "$failed" -eq 0 ]
