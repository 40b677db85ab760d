#!/bin/sh
# Windows: cross-build the library and the whole cmocka suite with mingw-w64
# and run it under wine, once per code path of the Windows backend:
#   build/win-wait   the default build (WaitOnAddress under wine 8)
#   build/win-keyed  -DPARKER_WINDOWS_FORCE_KEYED_EVENTS=ON (NT keyed events)
# cmocka is built for mingw from Debian's cmocka source package into
# build/win-cmocka by scripts/lib.sh's build_cmocka (static, so the tests
# need no DLLs beside them).
# Exits non-zero on the first failure.
set -eu
cd "$(dirname "$0")/../.."
. scripts/lib.sh

need_packages cmake make gcc-mingw-w64-x86-64 wine64 xz-utils dpkg-dev

ROOT=$(pwd)
TOOLCHAIN="$ROOT/cmake/toolchains/mingw-w64-x86_64.cmake"
JOBS=${JOBS:-2}
export WINEDEBUG=-all
# A private wine prefix: CI machines are fresh, and we never touch the user's
# ~/.wine.  Created on first use (a few seconds).
export WINEPREFIX="$ROOT/build/win-wineprefix"

die() {
  echo "windows: FAIL: $*" >&2
  exit 1
}

# cmocka 1.1.5 for x86_64-w64-mingw32, built once.
CMOCKA="$ROOT/build/win-cmocka"
build_cmocka "$CMOCKA" "$TOOLCHAIN" || die "could not build cmocka for mingw"

# Start the wine server and create the prefix before the timed tests run.
wine cmd /c exit >/dev/null 2>&1 || true

run_path() {
  name=$1
  shift
  dir="$ROOT/build/win-$name"
  echo "== windows: $name"
  cmake -S . -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMOCKA_INCLUDE_DIR="$CMOCKA/include" -DCMOCKA_LIBRARY="$CMOCKA/lib/libcmocka-static.a" \
    -DPARKER_BUILD_BENCH=OFF -DPARKER_BUILD_EXAMPLES=OFF "$@" >/dev/null \
    || die "$name: configure"
  cmake --build "$dir" -j "$JOBS" || die "$name: build"
  (cd "$dir" && ctest --output-on-failure -j 1) || die "$name: tests"
}

run_path wait
run_path keyed -DPARKER_WINDOWS_FORCE_KEYED_EVENTS=ON

wineserver -k >/dev/null 2>&1 || true
echo "windows: both paths passed"
