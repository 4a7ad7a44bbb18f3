# libvirtd.sh — private libvirt daemons for tests that must stop, kill or restart libvirt, or need several
# hypervisors (POSIX sh; source after test-lib.sh). The system libvirtd is shared by every test on the
# machine and must never be stopped: a test that needs to break libvirt starts its own.
#
# Each daemon NAME is a privileged libvirtd (the test runs as root) in a mount namespace of its own,
# where /etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/cache/libvirt and /var/log/libvirt are bind
# mounts of directories under $TEST_DIR/libvirtd-NAME/ (etc run lib cache log). So it shares no socket,
# no domain state, no network and no configuration with the system daemon; QEMU runs as root (kiln's
# domains carry their own DAC label anyway), without cgroups and without virtlogd (stdio_handler="file":
# QEMU's log is log/qemu/DOMAIN.log). Domains, volumes and pools are the daemon's own. Reached as:
#
#   libvirtd_uri NAME       qemu+unix:///system?socket=…/run/libvirt-sock — a local hypervisor to kiln
#                           (it shares our file system: disks by path, like qemu:///system)
#   libvirtd_tcp_uri NAME   qemu+tcp://127.0.0.1:PORT/system — a remote one to kiln (volumes and
#                           streams), listening on loopback only, auth none
#
#   libvirtd_start NAME     start it (again: same directories, same port) and wait until it answers
#   libvirtd_stop NAME      SIGTERM, wait until it is gone: a graceful stop (libvirt destroys the
#                           domains started with VIR_DOMAIN_START_AUTODESTROY, keeps the others). As
#                           systemd does after its stop timeout, a daemon still there after
#                           $LIBVIRTD_STOP_TIMEOUT s (10) gets SIGKILL: libvirt 9.0 can hang in its
#                           shutdown after destroying an autodestroy domain (qemuProcessStop, from the
#                           main loop), with the domain already killed
#   libvirtd_kill NAME      SIGKILL, wait until it is gone: a crash (every guest keeps running)
#   libvirtd_restart NAME   libvirtd_stop + libvirtd_start
#   libvirtd_pid NAME       the daemon's pid (empty when it is not running)
#   libvirtd_running NAME   is it running?
#   libvirtd_domains NAME   names of its running domains (empty when the daemon is down)
#   libvirtd_qemu_pids NAME pids of QEMU processes of its domains, from its state (works while it is down)
#   test_pid_alive PID      is PID running (not gone, not a zombie waiting for init)?
#   libvirtd_dir NAME       its directory
#   libvirtd_teardown NAME  destroy its domains (also the QEMU processes of a daemon that is down), stop it
#                           (and any libvirtd started with its configuration that its pid file misses);
#                           registered with test_atexit by the first libvirtd_start, so a test file that
#                           ends however it ends leaves no daemon, no guest and no mount behind
#   libvirtd_names          the names of this test's daemons (for tests/lib/audit.sh)
#
#   libvirtd_start_user NAME
#                           start NAME as an unprivileged session daemon instead: libvirtd --listen as
#                           the system user $LIBVIRTD_USER (kiln-session, created when missing), with
#                           HOME and XDG_* directories under libvirtd-NAME/ (run is its
#                           XDG_RUNTIME_DIR; config links to a short directory in /tmp, for the
#                           length of socket paths); its URIs end in /session (qemu+tcp://127.0.0.1:PORT/session
#                           is the remote one) and its QEMU runs as that user. Later libvirtd_start,
#                           _stop, _kill, _restart and _teardown of NAME treat it as such.
#
# Several daemons may run at once (a pool of hosts): each has its own directories and TCP port.
# Start-up takes about 1.5 s: QEMU's capabilities are seeded from the system daemon's cache when it
# has them (libvirt checks they still match the binaries and probes again if not).

LIBVIRTD_BIN=${LIBVIRTD_BIN:-/usr/sbin/libvirtd}
LIBVIRTD_USER=${LIBVIRTD_USER:-kiln-session}

libvirtd_dir() { printf '%s/libvirtd-%s' "${TEST_DIR:?}" "$1"; }
_lv_session() { [ -f "$(libvirtd_dir "$1")/session" ]; }
libvirtd_uri() {
	if _lv_session "$1"; then
		printf 'qemu+unix:///session?socket=%s/run/libvirt/libvirt-sock' "$(libvirtd_dir "$1")"
	else
		printf 'qemu+unix:///system?socket=%s/run/libvirt-sock' "$(libvirtd_dir "$1")"
	fi
}
libvirtd_tcp_uri() {
	_lv_mode=system
	_lv_session "$1" && _lv_mode=session
	printf 'qemu+tcp://127.0.0.1:%s/%s' "$(cat "$(libvirtd_dir "$1")/port")" "$_lv_mode"
}
libvirtd_names() {
	for _lv_d in "${TEST_DIR:?}"/libvirtd-*; do
		[ -d "$_lv_d" ] && printf '%s\n' "${_lv_d##*/libvirtd-}"
	done
}

libvirtd_pid() {
	_lv_p=$(cat "$(libvirtd_dir "$1")/run/libvirtd.pid" 2>/dev/null)
	[ -n "$_lv_p" ] && test_pid_alive "$_lv_p" && [ "$(cat "/proc/$_lv_p/comm" 2>/dev/null)" = libvirtd ] &&
		printf '%s\n' "$_lv_p"
	return 0
}

libvirtd_running() { [ -n "$(libvirtd_pid "$1")" ]; }

_lv_virsh() {
	_lv_n=$1
	shift
	timeout 20 virsh -q -c "$(libvirtd_uri "$_lv_n")" "$@" 2>/dev/null
}

libvirtd_domains() {
	libvirtd_running "$1" || return 0
	_lv_virsh "$1" list --name | sed '/^$/d'
}

libvirtd_qemu_pids() {
	for _lv_f in "$(libvirtd_dir "$1")"/run/qemu/*.pid "$(libvirtd_dir "$1")"/run/libvirt/qemu/run/*.pid; do
		[ -f "$_lv_f" ] && [ "${_lv_f##*/}" != driver.pid ] || continue   # driver.pid is libvirtd's
		_lv_p=$(cat "$_lv_f" 2>/dev/null)
		[ -n "$_lv_p" ] && test_pid_alive "$_lv_p" && printf '%s\n' "$_lv_p"
	done
	return 0
}

# _lv_listen_conf DIR PORT: what every private daemon's libvirtd.conf says
_lv_listen_conf() {
	cat <<-EOF
	# private daemon of a kiln test: loopback only, no TLS, no authentication
	listen_tls = 0
	listen_tcp = 1
	listen_addr = "127.0.0.1"
	tcp_port = "$2"
	auth_tcp = "none"
	log_outputs = "3:file:$1/log/libvirtd.log"
	EOF
}

_lv_configure() {
	_lv_d=$1
	_lv_port=$2
	mkdir -p "$_lv_d/etc" "$_lv_d/run" "$_lv_d/lib" "$_lv_d/cache/qemu/capabilities" "$_lv_d/log" || return 1
	{
		_lv_listen_conf "$_lv_d" "$_lv_port"
		printf 'unix_sock_dir = "%s"\nunix_sock_group = "root"\nunix_sock_rw_perms = "0700"\n' "$_lv_d/run"
	} >"$_lv_d/etc/libvirtd.conf"
	cat >"$_lv_d/etc/qemu.conf" <<-EOF
	# private daemon of a kiln test: no virtlogd, no cgroups, QEMU as root
	stdio_handler = "file"
	cgroup_controllers = [ ]
	user = "root"
	group = "root"
	security_driver = "none"
	EOF
	cp /var/cache/libvirt/qemu/capabilities/*.xml "$_lv_d/cache/qemu/capabilities/" 2>/dev/null
	return 0
}

# _lv_configure_user DIR PORT: the session daemon's HOME and XDG directories, owned by its user
_lv_configure_user() {
	_lv_d=$1
	_lv_port=$2
	if ! id -u "$LIBVIRTD_USER" >/dev/null 2>&1; then
		useradd --system --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin "$LIBVIRTD_USER" ||
			return 1
	fi
	# the daemon's user must get through the test's directory to its own
	chmod 0711 "${TEST_DIR:?}" || return 1
	mkdir -p "$_lv_d/home" "$_lv_d/etc" "$_lv_d/run" "$_lv_d/cache/libvirt/qemu/capabilities" \
		"$_lv_d/data" "$_lv_d/log" "$_lv_d/pool" || return 1
	# A session daemon keeps its QEMU monitor sockets under XDG_CONFIG_HOME, and a socket path has
	# at most 107 bytes: the config directory lives in a short one of its own (config links to it).
	_lv_cfg=$(mktemp -d /tmp/kiln-lv.XXXXXX) || return 1
	test_atexit "rm -rf '$_lv_cfg'"
	ln -s "$_lv_cfg" "$_lv_d/config" && mkdir -p "$_lv_cfg/libvirt" || return 1
	# (etc/libvirtd.conf, given with -f, is where tests/lib/audit.sh recognises the test's daemons)
	_lv_listen_conf "$_lv_d" "$_lv_port" >"$_lv_d/etc/libvirtd.conf"
	cat >"$_lv_d/config/libvirt/qemu.conf" <<-EOF
	# private session daemon of a kiln test: no virtlogd
	stdio_handler = "file"
	EOF
	# a session daemon probes QEMU for itself (the system daemon's cache does not fit it): ~10 s on a
	# loaded machine, so what an earlier test's daemon found is kept with the fixtures (libvirt checks
	# that it still matches the binaries and the kernel, and probes again if not)
	cp "$_LV_CAPS"/*.xml "$_lv_d/cache/libvirt/qemu/capabilities/" 2>/dev/null
	chown -R "$LIBVIRTD_USER:" "$_lv_d" "$_lv_cfg" && chmod 0700 "$_lv_d/run"
}

_LV_CAPS=${KILN_FIXTURE_CACHE:-/var/tmp/kiln-fixtures}/libvirt-session-capabilities

# keep a session daemon's QEMU capabilities for the next test's (see _lv_configure_user)
_lv_keep_caps() {
	_lv_c=$(libvirtd_dir "$1")/cache/libvirt/qemu/capabilities
	ls "$_lv_c"/*.xml >/dev/null 2>&1 || return 0
	mkdir -p "$_LV_CAPS" && _lv_t=$(mktemp -d "$_LV_CAPS.XXXXXX") && cp "$_lv_c"/*.xml "$_lv_t/" &&
		rm -rf "$_LV_CAPS" && mv "$_lv_t" "$_LV_CAPS"
	return 0
}

libvirtd_start_user() {
	_lv_n=$1
	_lv_d=$(libvirtd_dir "$_lv_n")
	if [ ! -f "$_lv_d/port" ]; then
		mkdir -p "$_lv_d" && : >"$_lv_d/session" || return 1
	elif ! _lv_session "$_lv_n"; then
		echo "libvirtd_start_user: $_lv_n is a privileged daemon" >&2
		return 1
	fi
	libvirtd_start "$_lv_n"
}

_lv_start_session() {
	_lv_d=$1
	shift
	# shellcheck disable=SC2086 # the reaper is a word list
	setsid setpriv --reuid="$LIBVIRTD_USER" --regid="$(id -g "$LIBVIRTD_USER")" --clear-groups \
		env -i HOME="$_lv_d/home" XDG_CONFIG_HOME="$(readlink "$_lv_d/config")" XDG_RUNTIME_DIR="$_lv_d/run" \
		XDG_CACHE_HOME="$_lv_d/cache" XDG_DATA_HOME="$_lv_d/data" PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		"$@" "$LIBVIRTD_BIN" --listen -f "$_lv_d/etc/libvirtd.conf" -p "$_lv_d/run/libvirtd.pid" \
		</dev/null >>"$_lv_d/log/stderr" 2>&1 &
}

libvirtd_start() {
	_lv_n=$1
	_lv_d=$(libvirtd_dir "$_lv_n")
	if libvirtd_running "$_lv_n"; then
		echo "libvirtd_start: $_lv_n is already running" >&2
		return 1
	fi
	if [ ! -f "$_lv_d/port" ]; then
		test_atexit "libvirtd_teardown '$_lv_n'"
		_lv_port=$(test_free_port) || return 1
		if _lv_session "$_lv_n"; then
			_lv_configure_user "$_lv_d" "$_lv_port" || return 1
		else
			_lv_configure "$_lv_d" "$_lv_port" || return 1
		fi
		echo "$_lv_port" >"$_lv_d/port"
	fi
	rm -f "$_lv_d/run/libvirt-sock" "$_lv_d/run/libvirt/libvirt-sock" "$_lv_d/run/libvirtd.pid"
	# tini (when present) adopts and reaps the QEMU processes libvirtd double-forks at once, as
	# scripts/install-deps does for the system daemon: otherwise each guest's exit waits for init.
	_lv_reaper=
	command -v tini >/dev/null 2>&1 && _lv_reaper="tini -s --"
	_lv_sock=$_lv_d/run/libvirt-sock
	if _lv_session "$_lv_n"; then
		_lv_sock=$_lv_d/run/libvirt/libvirt-sock
		# shellcheck disable=SC2086
		_lv_start_session "$_lv_d" $_lv_reaper
	else
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m --propagation private sh -c '
		d=$1; shift
		mount --bind "$d/etc" /etc/libvirt &&
		mount --bind "$d/run" /run/libvirt &&
		mount --bind "$d/lib" /var/lib/libvirt &&
		mount --bind "$d/cache" /var/cache/libvirt &&
		mount --bind "$d/log" /var/log/libvirt &&
		exec setsid "$@"' sh "$_lv_d" $_lv_reaper "$LIBVIRTD_BIN" --listen -f "$_lv_d/etc/libvirtd.conf" \
		-p "$_lv_d/run/libvirtd.pid" </dev/null >>"$_lv_d/log/stderr" 2>&1 &
	fi
	_lv_i=0
	while [ $_lv_i -lt 300 ]; do
		if [ -S "$_lv_sock" ] && _lv_virsh "$_lv_n" version >/dev/null; then
			return 0
		fi
		sleep 0.1
		_lv_i=$((_lv_i + 1))
	done
	echo "libvirtd_start: $_lv_n did not answer within 30 s; its log:" >&2
	tail -n 20 "$_lv_d/log/stderr" "$_lv_d/log/libvirtd.log" >&2 2>/dev/null
	return 1
}

# _lv_signal NAME SIGNAL [SECONDS]: send it, wait (30 s) until the daemon (and its reaper) are gone
_lv_signal() {
	_lv_p=$(libvirtd_pid "$1")
	[ -n "$_lv_p" ] || return 0
	_lv_parent=$(awk '{print $4}' "/proc/$_lv_p/stat" 2>/dev/null)
	kill "-$2" "$_lv_p" 2>/dev/null
	_lv_i=0
	while test_pid_alive "$_lv_p" && [ $_lv_i -lt "$((${3:-30} * 10))" ]; do
		sleep 0.1
		_lv_i=$((_lv_i + 1))
	done
	if test_pid_alive "$_lv_p"; then
		echo "libvirtd_stop: $1 (pid $_lv_p) did not exit on SIG$2" >&2
		return 1
	fi
	# its reaper ends with it; wait so the next start does not race it
	if [ -n "$_lv_parent" ] && [ "$(cat "/proc/$_lv_parent/comm" 2>/dev/null)" = tini ]; then
		_lv_i=0
		while test_pid_alive "$_lv_parent" && [ $_lv_i -lt 50 ]; do
			sleep 0.1
			_lv_i=$((_lv_i + 1))
		done
	fi
	return 0
}

libvirtd_stop() { _lv_signal "$1" TERM "${LIBVIRTD_STOP_TIMEOUT:-10}" 2>/dev/null || _lv_signal "$1" KILL; }
libvirtd_kill() { _lv_signal "$1" KILL; }
libvirtd_restart() { libvirtd_stop "$1" && libvirtd_start "$1"; }

libvirtd_teardown() {
	_lv_n=$1
	_lv_d=$(libvirtd_dir "$_lv_n")
	[ -d "$_lv_d" ] || return 0
	_lv_session "$_lv_n" && _lv_keep_caps "$_lv_n"
	for _lv_dom in $(libvirtd_domains "$_lv_n"); do
		_lv_virsh "$_lv_n" destroy "$_lv_dom" >/dev/null
	done
	libvirtd_stop "$_lv_n"
	# a daemon the pid file does not name (still starting when its start gave up on a loaded machine, so
	# no pid file yet, or its pid file removed): found by its configuration file, which is this test's
	_lv_left=$(pgrep -f -- "-f $_lv_d/etc/libvirtd.conf")
	if [ -n "$_lv_left" ]; then
		kill -9 $_lv_left 2>/dev/null
		_lv_i=0
		while [ -n "$(pgrep -f -- "-f $_lv_d/etc/libvirtd.conf")" ] && [ $_lv_i -lt 50 ]; do
			sleep 0.1
			_lv_i=$((_lv_i + 1))
		done
	fi
	# guests of a daemon that was killed, or that outlived it
	_lv_pids=$(libvirtd_qemu_pids "$_lv_n")
	[ -z "$_lv_pids" ] && return 0
	kill -9 $_lv_pids 2>/dev/null
	_lv_i=0
	while [ -n "$(libvirtd_qemu_pids "$_lv_n")" ] && [ $_lv_i -lt 50 ]; do
		sleep 0.1
		_lv_i=$((_lv_i + 1))
	done
	return 0
}
