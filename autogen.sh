#!/bin/sh
# autogen.sh — generate ./configure from configure.ac and Makefile.am.
set -e
cd "$(dirname "$0")"
mkdir -p m4 build-aux
autoreconf --install --force
# automake installs tap-driver.sh only on request; every kiln test speaks TAP.
cp -f "$(automake --print-libdir)/tap-driver.sh" build-aux/tap-driver.sh
