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

# wine: the launcher (/usr/bin/wine, wineserver); wine64 alone, which is all
# need_packages would get without recommends, has neither, and ctest would
# hand each .exe to /bin/sh.
need_packages cmake make gcc-mingw-w64-x86-64 wine wine64 xz-utils dpkg-dev

ROOT=$(pwd)
TOOLCHAIN="$ROOT/cmake/toolchains/mingw-w64-x86_64.cmake"
JOBS=${JOBS:-2}
export WINEDEBUG=-all
# A private wine prefix: CI machines are fresh, and we never touch the user's
# ~/.wine.  Created on first use (a few seconds).
export WINEPREFIX="$ROOT/build/win-wineprefix"

die() {
  echo "windows: FAIL: $*" >&2
  # A failed run must not leave the wine server holding the prefix (or, in
  # scripts/fresh-debian.sh's chroot, its mounts).
  wineserver -k >/dev/null 2>&1 || true
  exit 1
}

# check_toolchain: before anything else, prove mingw and wine end to end: a
# static .exe built with x86_64-w64-mingw32-gcc must print under wine.  The
# first wine run also creates the prefix, so the timed tests do not pay for
# it.  On failure print one line naming what is missing.
check_toolchain() {
  hc="$ROOT/build/win-toolchain-check"
  mkdir -p "$(dirname "$hc")"
  command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 \
    || die "no x86_64-w64-mingw32-gcc: install gcc-mingw-w64-x86-64"
  printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' >"$hc.c"
  x86_64-w64-mingw32-gcc -static -o "$hc.exe" "$hc.c" >"$hc.log" 2>&1 \
    || die "a trivial .exe does not link with x86_64-w64-mingw32-gcc: install mingw-w64-x86-64-dev (log: $hc.log)"
  { command -v wine >/dev/null 2>&1 && command -v wineserver >/dev/null 2>&1; } \
    || die "no wine launcher (wine, wineserver): install wine (wine64 alone has no 'wine' command)"
  out=$(timeout 300 wine "$hc.exe" 2>>"$hc.log" | tr -d '\r') || true
  [ "$out" = hello ] || die "a trivial .exe does not run under wine (log: $hc.log)"
}
check_toolchain

# cmocka 1.1.5 for x86_64-w64-mingw32, built once.
CMOCKA="$ROOT/build/win-cmocka"
build_cmocka "$CMOCKA" "$TOOLCHAIN" || die "could not build cmocka for mingw"

# build_path NAME CMAKE-ARGS...: configure and build one code path.
build_path() {
  name=$1
  shift
  dir="$ROOT/build/win-$name"
  echo "== windows: $name: build"
  cmake -S . -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMOCKA_INCLUDE_DIR="$CMOCKA/include" -DCMOCKA_LIBRARY="$CMOCKA/lib/libcmocka-static.a" \
    -DPARKER_BUILD_BENCH=OFF -DPARKER_BUILD_EXAMPLES=OFF "$@" >/dev/null \
    || die "$name: configure"
  cmake --build "$dir" -j "$JOBS" >"$dir.build.log" 2>&1 \
    || { cat "$dir.build.log"; die "$name: build"; }
}

build_path wait
build_path keyed -DPARKER_WINDOWS_FORCE_KEYED_EVENTS=ON

# The two suites run side by side, each program alone in its own suite
# (ctest -j 1): a wine process spends much of its time starting up and
# waiting on wineserver, so two suites at once nearly halve the stage's time
# on two cores.  The tests' time checks are lower bounds only, so a loaded
# machine can make them slower, never wrong.
for name in wait keyed; do
  ( cd "$ROOT/build/win-$name" && ctest --output-on-failure -j 1 >"$ROOT/build/win-$name.ctest.log" 2>&1
    echo $? >"$ROOT/build/win-$name.ctest.rc" ) &
done
wait
failed=""
for name in wait keyed; do
  echo "== windows: $name: tests"
  cat "$ROOT/build/win-$name.ctest.log"
  [ "$(cat "$ROOT/build/win-$name.ctest.rc")" = 0 ] || failed="$failed $name"
  record_case_skips "windows $name" "$ROOT/build/win-$name/Testing/Temporary/LastTest.log"
done
[ -z "$failed" ] || die "tests failed:$failed"

wineserver -k >/dev/null 2>&1 || true
echo "windows: both paths passed"
