# src/plugin: plugins as child processes (protocol, host services, components), their installation,
# the lock file (docs/plugins.md)
src_libkiln_a_SOURCES += \
	src/plugin/protocol.h \
	src/plugin/rpc.c src/plugin/rpc.h \
	src/plugin/process.c src/plugin/process.h \
	src/plugin/host.c src/plugin/host.h \
	src/plugin/services.c \
	src/plugin/adapter.c src/plugin/adapter.h \
	src/plugin/installed.c src/plugin/installed.h \
	src/plugin/lock.c src/plugin/lock.h \
	src/plugin/catalog.c src/plugin/catalog.h \
	src/plugin/install.c src/plugin/install.h

# The C SDK: a static library, its header and kiln-plugin.pc, installed for plugin authors. It is
# built with the C library only and none of kiln's include paths, so it cannot use anything private
# to kiln (tests/integration/t0800-plugin-sdk.sh builds a plugin against the installed copy).
lib_LIBRARIES = src/plugin/sdk/libkiln-plugin.a
src_plugin_sdk_libkiln_plugin_a_SOURCES = src/plugin/sdk/json.c src/plugin/sdk/serve.c src/plugin/sdk/services.c \
	src/plugin/sdk/sdk-internal.h src/plugin/sdk/sdk-ctx.h
src_plugin_sdk_libkiln_plugin_a_CPPFLAGS = -I$(top_srcdir)/src/plugin/sdk
src_plugin_sdk_libkiln_plugin_a_CFLAGS = $(KILN_SDK_CFLAGS) -O2 -fPIC
include_HEADERS = src/plugin/sdk/kiln-plugin.h
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = src/plugin/sdk/kiln-plugin.pc
EXTRA_DIST += src/plugin/sdk/kiln-plugin.pc.in
DISTCLEANFILES = src/plugin/sdk/kiln-plugin.pc

# The SDK's own tests link only the SDK (and cmocka); the fixture plugin is built on it too.
check_PROGRAMS += tests/unit/test-plugin-sdk tests/helpers/kiln-plugin-fixture
TESTS += tests/unit/test-plugin-sdk
tests_unit_test_plugin_sdk_SOURCES = tests/unit/test-plugin-sdk.c
tests_unit_test_plugin_sdk_CPPFLAGS = -I$(top_srcdir)/src/plugin/sdk
tests_unit_test_plugin_sdk_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_plugin_sdk_LDADD = src/plugin/sdk/libkiln-plugin.a $(CMOCKA_LIBS) -lm
tests_helpers_kiln_plugin_fixture_SOURCES = tests/helpers/kiln-plugin-fixture.c
tests_helpers_kiln_plugin_fixture_CPPFLAGS = -I$(top_srcdir)/src/plugin/sdk
tests_helpers_kiln_plugin_fixture_LDADD = src/plugin/sdk/libkiln-plugin.a -lm

# kiln's side: the wire format, the layout, the lock file, schemas, calls against the fixture
check_PROGRAMS += tests/unit/test-plugin tests/helpers/plugin-handshake
TESTS += tests/unit/test-plugin
tests_unit_test_plugin_SOURCES = tests/unit/test-plugin.c
tests_unit_test_plugin_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_plugin_LDADD = $(UNIT_LDADD)
# bench/plugin.sh: how long starting a plugin and shaking hands takes
tests_helpers_plugin_handshake_SOURCES = tests/helpers/plugin-handshake.c
tests_helpers_plugin_handshake_LDADD = $(UNIT_LDADD)
EXTRA_DIST += src/plugin/python/kiln_plugin.py tests/lib/plugins.sh

# Plugins end to end without a VM: built against the installed SDKs, a loopback mirror, init, builds
TESTS += tests/integration/t0800-plugins.sh tests/integration/t0801-plugin-failures.sh
EXTRA_DIST += tests/integration/t0800-plugins.sh tests/integration/t0801-plugin-failures.sh
# ... and in a VM build of the tiny image (make check-e2e); the benchmark (bench/README.md)
E2E_TESTS += tests/e2e/t0480-plugins-tiny.sh
EXTRA_DIST += tests/e2e/t0480-plugins-tiny.sh
EXTRA_DIST += bench/plugin.sh

# The Python SDK (one module, standard library only), installed where plugin builds can find it.
pluginpythondir = $(pkgdatadir)/python
pluginpython_DATA = src/plugin/python/kiln_plugin.py
# The example plugins, to copy from (docs/plugins.md).
pluginexamplescdir = $(docdir)/examples/plugins/c
pluginexamplesc_DATA = docs/examples/plugins/c/hello.c docs/examples/plugins/c/Makefile
pluginexamplespydir = $(docdir)/examples/plugins/python
pluginexamplespy_DATA = docs/examples/plugins/python/Makefile
pluginexamplespyhellodir = $(docdir)/examples/plugins/python/pyhello
pluginexamplespyhello_DATA = docs/examples/plugins/python/pyhello/__main__.py
