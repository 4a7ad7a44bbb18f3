#!/bin/sh
# bench/seed.sh — the HTTP seed server against nginx (Debian's nginx-light), same machine, same run,
# loopback only. wrk loads each server with a 1 MiB file and with 1000 small files (one request per
# file in turn), and the script prints requests/s, average and p99 latency for both, then the ratios.
# Goal: kiln's requests/s >= 0.8x nginx's, latency within 2x. The server CPU time per request (from
# /proc, all of nginx's processes counted) is printed too: on a busy shared machine it varies far less
# than requests/s. The last lines, "RESULT bench=seed ...", are the same figures for bench/run-all
# (bench/README.md).
#
#   bench/seed.sh                    (builds tests/integration/seed-serve in ./build if needed)
#   BENCH_DURATION=10s BENCH_ROUNDS=5 BENCH_CONNECTIONS=64 bench/seed.sh
#
# Each figure is the median of BENCH_ROUNDS runs (default 7) of BENCH_DURATION (default 3s), the two
# servers taking turns, because this machine's two cores are shared and single runs are noisy.
#
# nginx runs BENCH_WORKERS worker processes (default 2: this machine's cores), with sendfile and
# tcp_nopush; the seed server runs as in a build: an epoll thread per core, files of 64 KiB-4 MiB kept
# in its memory (nginx reads them from the page cache: both serve from RAM). Both serve the same tree.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${KILN_BUILDDIR:-$top/build}
duration=${BENCH_DURATION:-3s}
rounds=${BENCH_ROUNDS:-7}
conns=${BENCH_CONNECTIONS:-32}
workers=${BENCH_WORKERS:-2}
driver=$build/tests/integration/seed-serve

for tool in wrk nginx python3; do
	command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
		{ echo "bench/seed.sh: $tool is missing (run scripts/install-deps)" >&2; exit 1; }
done
nginx_bin=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
[ -x "$driver" ] || make -C "$build" -s tests/integration/seed-serve >/dev/null ||
	{ echo "bench/seed.sh: cannot build $driver (configure ./build first)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kiln-bench-seed.XXXXXX")
seed_pid=
nginx_pid=
cleanup() {
	[ -n "$seed_pid" ] && kill "$seed_pid" 2>/dev/null && wait "$seed_pid" 2>/dev/null
	[ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 755 "$tmp"   # nginx's workers run as nobody when started by root

# The served tree: one 1 MiB file and 1000 files of 1-2 KiB.
mkdir -p "$tmp/www/small"
head -c 1048576 /dev/urandom >"$tmp/www/big.bin"
python3 - "$tmp/www/small" <<'EOF'
import os, sys
for i in range(1000):
    with open(os.path.join(sys.argv[1], "f%04d.txt" % i), "w") as f:
        f.write(("line %d of a small kickstart-sized file\n" % i) * (25 + i % 25))
EOF
chmod -R a+rX "$tmp/www"
cat >"$tmp/small.lua" <<'EOF'
local i = 0
request = function()
	i = (i + 1) % 1000
	return wrk.format("GET", string.format("/small/f%04d.txt", i))
end
EOF

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
wait_port() {
	i=0
	while ! python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 50 ] || { echo "bench/seed.sh: nothing listens on port $1" >&2; exit 1; }
		sleep 0.1
	done
}

# kiln's seed server
"$driver" -d "$tmp/www" -p 0-0 -c 1024 >"$tmp/seed.out" 2>"$tmp/seed.err" &
seed_pid=$!
i=0
until grep -q '^port ' "$tmp/seed.out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 50 ] || { cat "$tmp/seed.err" >&2; exit 1; }
	sleep 0.1
done
seed_port=$(awk '/^port /{print $2; exit}' "$tmp/seed.out")

# nginx with its own prefix, config and temp paths, in the foreground
nginx_port=$(free_port)
mkdir -p "$tmp/nginx/logs"
cat >"$tmp/nginx/nginx.conf" <<EOF
daemon off;
worker_processes $workers;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	types { application/octet-stream bin; text/plain txt; }
	default_type application/octet-stream;
	client_body_temp_path $tmp/nginx/body;
	proxy_temp_path $tmp/nginx/proxy;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	server {
		listen 127.0.0.1:$nginx_port;
		root $tmp/www;
	}
}
EOF
"$nginx_bin" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/logs/error.log" &
nginx_pid=$!
wait_port "$nginx_port"

# sanity: both serve the same bytes
for port in "$seed_port" "$nginx_port"; do
	python3 - "$port" "$tmp/www" <<'EOF' || { echo "bench/seed.sh: server on port $port serves wrong content" >&2; exit 1; }
import sys, urllib.request
port, root = sys.argv[1], sys.argv[2]
for p in ("/big.bin", "/small/f0007.txt"):
    got = urllib.request.urlopen("http://127.0.0.1:%s%s" % (port, p)).read()
    assert got == open(root + p, "rb").read(), p
EOF
done

# CPU time (clock ticks) used so far by a process and its children, e.g. nginx's workers
cpu_ticks() {
	t=0
	for p in $1 $(pgrep -P "$1"); do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	echo "$t"
}
hz=$(getconf CLK_TCK)

# run_wrk PORT PID PATH [wrk args...] → "reqs/s avg_ms p99_ms server_cpu_us_per_request"
run_wrk() {
	port=$1
	pid=$2
	path=$3
	shift 3
	before=$(cpu_ticks "$pid")
	wrk -t 2 -c "$conns" -d "$duration" --latency "$@" "http://127.0.0.1:$port$path" >"$tmp/wrk.out" 2>&1 ||
		{ cat "$tmp/wrk.out" >&2; exit 1; }
	after=$(cpu_ticks "$pid")
	if grep -q 'Non-2xx' "$tmp/wrk.out"; then
		echo "bench/seed.sh: non-2xx answers:" >&2
		cat "$tmp/wrk.out" >&2
		exit 1
	fi
	awk '
	function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
	/^ +Latency/ && !avg { avg = ms($2) }
	/^ +99%/ { p99 = ms($2) }
	/^Requests\/sec:/ { rps = $2 }
	/ requests in / { n = $1 }
	END { printf "%.0f %.3f %.3f %.1f\n", rps, avg, p99, (ticks * 1e6 / hz) / n }' \
		ticks=$((after - before)) hz="$hz" "$tmp/wrk.out"
}

# median of each column over the rounds in a file of "reqs avg p99" lines
median() {
	sort -n -k"$2" "$1" | awk -v k="$2" '{ v[NR] = $k } END { print v[int((NR + 1) / 2)] }'
}

# bench NAME PATH [wrk args...]: $rounds rounds, alternating which server goes first (the machine is
# shared, so a single run says little), then the median of each figure.
bench() {
	name=$1
	shift
	: >"$tmp/seed.runs"
	: >"$tmp/nginx.runs"
	r=0
	while [ $r -lt "$rounds" ]; do
		if [ $((r % 2)) -eq 0 ]; then
			run_wrk "$seed_port" "$seed_pid" "$@" >>"$tmp/seed.runs"
			run_wrk "$nginx_port" "$nginx_pid" "$@" >>"$tmp/nginx.runs"
		else
			run_wrk "$nginx_port" "$nginx_pid" "$@" >>"$tmp/nginx.runs"
			run_wrk "$seed_port" "$seed_pid" "$@" >>"$tmp/seed.runs"
		fi
		r=$((r + 1))
	done
	set -- "$(median "$tmp/seed.runs" 1)" "$(median "$tmp/seed.runs" 2)" "$(median "$tmp/seed.runs" 3)" \
		"$(median "$tmp/nginx.runs" 1)" "$(median "$tmp/nginx.runs" 2)" "$(median "$tmp/nginx.runs" 3)" \
		"$(median "$tmp/seed.runs" 4)" "$(median "$tmp/nginx.runs" 4)"
	printf '%-22s %12s %12s %12s\n' "$name" "kiln" "nginx" "kiln/nginx"
	printf '  %-20s %12s %12s %12s\n' "requests/s" "$1" "$4" "$(awk "BEGIN{printf \"%.2fx\", $1/$4}")"
	printf '  %-20s %12s %12s %12s\n' "latency avg (ms)" "$2" "$5" "$(awk "BEGIN{printf \"%.2fx\", $2/$5}")"
	printf '  %-20s %12s %12s %12s\n' "latency p99 (ms)" "$3" "$6" "$(awk "BEGIN{printf \"%.2fx\", $3/$6}")"
	printf '  %-20s %12s %12s %12s\n' "server CPU/req (us)" "$7" "$8" "$(awk "BEGIN{printf \"%.2fx\", $7/$8}")"
	awk "BEGIN{ok = $1 >= 0.8 * $4 && $2 <= 2 * $5; printf \"  goal (>=0.8x req/s, <=2x avg latency): %s\n\", ok ? \"met\" : \"NOT met\"}"
	# machine-readable (bench/README.md), printed last: one line per figure, kiln/nginx ratios
	awk -v what="$name" -v kr="$1" -v ka="$2" -v kp="$3" -v kc="$7" -v nr="$4" -v na="$5" -v np="$6" -v nc="$8" '
	function line(m, unit, k, n, goal, met) {
		printf "RESULT bench=seed measure=\"%s: %s\" unit=%s kiln=%s peer=nginx peer_value=%s ratio=%.2f goal=%s met=%s\n",
			what, m, unit, k, n, (n > 0) ? k / n : 0, goal, met
	}
	BEGIN {
		line("requests/s", "req/s", kr, nr, "\">=0.8x\"", (kr >= 0.8 * nr) ? "yes" : "no")
		line("average latency", "ms", ka, na, "\"<=2x\"", (ka <= 2 * na) ? "yes" : "no")
		line("p99 latency", "ms", kp, np, "-", "-")
		line("server CPU per request", "us", kc, nc, "-", "-")
	}' >>"$tmp/result-lines"
}

echo "seed server vs nginx $("$nginx_bin" -v 2>&1 | sed 's/.*nginx\///'): wrk -t 2 -c $conns -d $duration," \
	"median of $rounds rounds, nginx with $workers workers, loopback"
: >"$tmp/result-lines"
bench "1 MiB file" "/big.bin"
bench "1000 small files" / -s "$tmp/small.lua"
cat "$tmp/result-lines"
