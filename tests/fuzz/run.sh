#!/bin/sh
# run.sh BUILDDIR — build the libFuzzer targets (clang, -fsanitize=fuzzer,address,undefined): the HCL
# parser and evaluator (from the HCL and util sources, seeded from the test suite's and the shared
# corpus' HCL and tests/fuzz/seeds, with the dictionary tests/fuzz/hcl.dict: operator chains, deep
# nesting, BOMs, huge numbers, durations), the plugin protocol's readers (seeded from docs/plugins.md's
# messages) and the AWS client's readers of outside input (fuzz-aws: XML answers, shared config files,
# credential JSON, command lines, URIs; seeded from tests/fuzz/seeds-aws) and the seed server's
# readers of HTTP requests (fuzz-http), run each for a bounded time
# (KILN_FUZZ_SECONDS, default 45; the plugin and HTTP ones KILN_FUZZ_PLUGIN_SECONDS, default 20) and report in
# TAP. Results go to
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
# the sonames src/util/lazylib.c loads on first use, found as configure finds them: what the linker
# records for a program linked with the libraries
printf 'int main(void) { return 0; }\n' >"$cfg/soname.c"
# shellcheck disable=SC2086
$CC -o "$cfg/soname" "$cfg/soname.c" -Wl,--no-as-needed $libs >/dev/null 2>&1
objdump -p "$cfg/soname" 2>/dev/null | sed -n 's/^ *NEEDED *//p' >"$cfg/needed"
for pair in CRYPTO:libcrypto.so JANSSON:libjansson.so PCRE2:libpcre2-8.so UNISTRING:libunistring.so \
	YAML:libyaml CRYPT:libcrypt.so M:libm.so; do
	printf '#define KILN_SONAME_%s "%s"\n' "${pair%%:*}" "$(grep -m1 "^${pair#*:}" "$cfg/needed")" >>"$cfg/config.h"
done
# run_fuzzer NAME SEEDDIR [SECONDS [MAX_LEN [DICT]]]: run $out/NAME over SEEDDIR for the time allowed
# ("" for SECONDS or MAX_LEN keeps the default), with libFuzzer's dictionary DICT if given
run_fuzzer() {
	_secs=${3:-$secs}
	_dict=
	[ -n "${5:-}" ] && _dict="-dict=$5"
	# ASAN/UBSAN options: leaks are errors; the fuzzer stops at the first finding
	if ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
		"$out/$1" -max_total_time="$_secs" -timeout=20 -rss_limit_mb=2048 -max_len="${4:-8192}" -print_final_stats=1 $_dict \
		-artifact_prefix="$out/crash-$1-" "$out/work-$1" "$2" >"$out/run-$1.log" 2>&1; then
		result ok "$1: ${_secs}s without a crash, sanitizer report or leak"
	else
		tail -n 60 "$out/run-$1.log" | sed 's/^/# /' >>"$log"
		result not-ok "$1: ${_secs}s without a crash, sanitizer report or leak (see $out/run-$1.log and crash-$1-*)"
	fi
}

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
	rm -rf "$seeds" "$out/work-fuzz-hcl-$target"
	mkdir -p "$seeds" "$out/work-fuzz-hcl-$target"
	i=0
	grep -v '^#' "$top/tests/console/cases.txt" | while IFS= read -r line; do
		i=$((i + 1))
		printf '%s' "$line" >"$seeds/case-$i"
	done
	find "$top/tests" "$top/../shared/corpus" -name '*.pkr.hcl' -size -64k 2>/dev/null | head -400 |
		while IFS= read -r f; do cp "$f" "$seeds/$(echo "$f" | cksum | cut -d' ' -f1).hcl"; done
	# the limits' own seeds: long operator chains, deep nesting, BOMs, huge numbers, durations
	cp "$top/tests/fuzz/seeds/"* "$seeds/"

	run_fuzzer "fuzz-hcl-$target" "$seeds" "" "" "$top/tests/fuzz/hcl.dict"
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
	rm -rf "$seeds" "$out/work-fuzz-plugin-$target"
	mkdir -p "$seeds" "$out/work-fuzz-plugin-$target"
	sed -n 's/^[-<][->] //p' "$top/docs/plugins.md" | while IFS= read -r line; do
		printf '%s\n' "$line" >"$seeds/$(printf '%s' "$line" | cksum | cut -d' ' -f1)"
	done
	sed -n 's/^[-<][->] //p' "$top/docs/plugins.md" >"$seeds/session"
	run_fuzzer "fuzz-plugin-$target" "$seeds" "$psecs" 16384
done

# The seed server's readers of a client's request (http-seed/http_parse.c: target, Range, the file's
# type), seeded from tests/fuzz/seeds-http.
rm -rf "$out/work-fuzz-http"
mkdir -p "$out/work-fuzz-http"
# shellcheck disable=SC2086
if $CC $cflags -o "$out/fuzz-http" "$top/tests/fuzz/fuzz-http.c" "$top/http-seed/http_parse.c" "$top"/src/util/*.c \
	$libs >"$out/build-http.log" 2>&1; then
	result ok "fuzz-http builds"
	run_fuzzer fuzz-http "$top/tests/fuzz/seeds-http" "$psecs" 4096
else
	cat "$out/build-http.log" >>"$log"
	result not-ok "fuzz-http builds"
fi

# The AWS client's readers: its sources, util and ui (secret masking), libcurl and libxml2.
aws_pkgs="libcrypto jansson libcurl libxml-2.0"
aws_cflags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE -I$top/src -I$top -I$cfg $(pkg-config --cflags $aws_pkgs)"
rm -rf "$out/work-fuzz-aws"
mkdir -p "$out/work-fuzz-aws"
# shellcheck disable=SC2086
if $CC $aws_cflags -o "$out/fuzz-aws" "$top/tests/fuzz/fuzz-aws.c" "$top"/src/cloud/aws/*.c "$top"/src/util/*.c \
	"$top"/src/ui/*.c $(pkg-config --libs $aws_pkgs) -lm -lpthread >"$out/build-aws.log" 2>&1; then
	result ok "fuzz-aws builds"
	run_fuzzer fuzz-aws "$top/tests/fuzz/seeds-aws"
else
	cat "$out/build-aws.log" >>"$log"
	result not-ok "fuzz-aws builds"
fi
echo "1..$n" >>"$log"
[ "$failed" -eq 0 ]
