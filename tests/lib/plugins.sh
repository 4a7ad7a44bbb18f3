# plugins.sh — what the plugin tests and the plugin benchmark share: the example plugins built out of
# tree against an installed kiln (only pkg-config), a plugin mirror, served on a loopback port.
#
#   . "$KILN_SRCDIR/tests/lib/plugins.sh"
#   plugins_install_kiln DIR      # `make install DESTDIR=DIR` of the build under test; sets KILN_DESTDIR,
#                                 # KILN_PREFIX_DIR (DIR/usr/local), PLUGIN_PKG_CONFIG (a pkg-config for it)
#   plugins_use_installed_kiln DIR  # plugins_install_kiln DIR, then kiln runs as installed: its bundled
#                                 # plugins from DIR (KILN_BUNDLED_PLUGINS), none of the user's
#                                 # (KILN_PLUGIN_PATH=$TEST_DIR/user-plugins)
#   plugins_build_c OUT           # docs/examples/plugins/c built out of tree into OUT (kiln-plugin-hello)
#   plugins_build_python OUT      # docs/examples/plugins/python packed into OUT (kiln-plugin-pyhello)
#   mirror_add MIRROR SOURCE FILE VERSION [PROTOCOL]   # a release in a mirror directory (SHA256SUMS updated)
#   mirror_serve MIRROR           # serves MIRROR on 127.0.0.1; sets MIRROR_URL; stopped at exit
#
# Works with test-lib.sh (test_atexit, test_free_port) and, for benchmarks, with PLUGINS_ATEXIT set to
# a file of cleanup commands.

_plugins_atexit() {
	if command -v test_atexit >/dev/null 2>&1; then
		test_atexit "$1"
	else
		echo "$1" >>"$PLUGINS_ATEXIT"
	fi
}

plugins_install_kiln() {
	KILN_DESTDIR=$1
	# a make of its own: not the test run's jobserver
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$KILN_BUILDDIR" install DESTDIR="$KILN_DESTDIR" \
		>"$KILN_DESTDIR.log" 2>&1 || { cat "$KILN_DESTDIR.log"; return 1; }
	KILN_PREFIX_DIR=$(find "$KILN_DESTDIR" -name kiln-plugin.pc -path '*/pkgconfig/*' | sed 's|/lib[^/]*/pkgconfig/kiln-plugin.pc$||')
	[ -n "$KILN_PREFIX_DIR" ] || { echo "plugins_install_kiln: no kiln-plugin.pc under $KILN_DESTDIR"; return 1; }
	# pkg-config for the installed copy: the .pc file names the prefix, DESTDIR moves it
	PLUGIN_PKG_CONFIG="env PKG_CONFIG_PATH=$(dirname "$(find "$KILN_DESTDIR" -name kiln-plugin.pc)") PKG_CONFIG_SYSROOT_DIR=$KILN_DESTDIR pkg-config"
	export KILN_DESTDIR KILN_PREFIX_DIR PLUGIN_PKG_CONFIG
}

plugins_use_installed_kiln() {
	plugins_install_kiln "$1" || return 1
	KILN_BUNDLED_PLUGINS=$(find "$1" -type d -path '*/lib/kiln/plugins' | head -n 1)
	KILN_PLUGIN_PATH=$TEST_DIR/user-plugins
	export KILN_BUNDLED_PLUGINS KILN_PLUGIN_PATH
}

plugins_build_c() {
	_out=$1
	rm -rf "$_out.src" && cp -r "$KILN_SRCDIR/docs/examples/plugins/c" "$_out.src" &&
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$_out.src" PKG_CONFIG="$PLUGIN_PKG_CONFIG" \
		CFLAGS="-O2 -Wall -Wextra -Werror" >"$_out.log" 2>&1 || { cat "$_out.log"; return 1; }
	mv "$_out.src/kiln-plugin-hello" "$_out"
}

plugins_build_python() {
	_out=$1
	_py=$(find "$KILN_DESTDIR" -name kiln_plugin.py | head -n 1)
	[ -n "$_py" ] || { echo "plugins_build_python: kiln_plugin.py was not installed"; return 1; }
	rm -rf "$_out.src" && cp -r "$KILN_SRCDIR/docs/examples/plugins/python" "$_out.src" &&
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$_out.src" KILN_PLUGIN_PY="$_py" PYTHON=/usr/bin/python3 INTERPRETER=/usr/bin/python3 \
		>"$_out.log" 2>&1 || { cat "$_out.log"; return 1; }
	mv "$_out.src/kiln-plugin-pyhello" "$_out"
}

mirror_add() {
	_m=$1 _src=$2 _file=$3 _ver=$4 _proto=${5:-1.0}
	_name=${_src##*/}
	_dir=$_m/$_src
	_f=kiln-plugin-${_name}_v${_ver}_x${_proto}_linux_amd64
	mkdir -p "$_dir" && cp "$_file" "$_dir/$_f" && chmod 0755 "$_dir/$_f" &&
	(cd "$_dir" && sha256sum kiln-plugin-*_linux_* kiln-plugin-*_linux_arm64 2>/dev/null | sort -u -k2 >SHA256SUMS)
}

mirror_serve() {
	_port=$(test_free_port)
	/usr/bin/python3 -m http.server --bind 127.0.0.1 --directory "$1" "$_port" >"$1.http.log" 2>&1 &
	_pid=$!
	_plugins_atexit "kill $_pid 2>/dev/null; wait $_pid 2>/dev/null"
	# started on purpose, stopped at exit: not a leftover for audit_test (tests/lib/audit.sh)
	if command -v audit_ignore_pid >/dev/null 2>&1; then audit_ignore_pid "$_pid"; fi
	MIRROR_URL=http://127.0.0.1:$_port
	_i=0
	until curl -sf -o /dev/null "$MIRROR_URL/"; do
		_i=$((_i + 1))
		[ $_i -lt 100 ] || { echo "mirror_serve: the server did not start"; cat "$1.http.log"; return 1; }
		sleep 0.1
	done
	export MIRROR_URL
}
