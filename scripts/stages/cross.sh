#!/bin/sh
# Stage "cross": build the library and the whole cmocka suite with Debian's
# cross compilers, statically linked, and run it under qemu-user, one build
# directory per architecture (build/xa-<arch>).  cmocka is built per target
# from Debian's source package (scripts/cmocka-source.sh).
#
#   scripts/stages/cross.sh                  every architecture below
#   scripts/stages/cross.sh armhf s390x      only those
#
# On the 32-bit targets it also checks, from qemu's -strace log of
# test_parker, which futex call the parker's timed waits use: futex_time64
# (syscall 422) with a 64-bit time_t, the old futex with a 32-bit timespec
# otherwise.  Prints a summary table; exits non-zero if anything failed.
#
# Each 32-bit architecture runs twice, once per time_t width.  Only the
# backend's futex calls and the tests' own timespecs differ between the
# two (src/linux/futex.c is the only library file that uses time_t; every
# layer above it counts nanoseconds in 64-bit integers), so one width runs
# the whole suite and the other only the programs that use time_t
# ($TIME_TESTS): armhf (time64) and i686 (time32) in full, armhf-time32 and
# i686-time64 for the time_t subset.  PARKER_CROSS_FULL=1 runs every
# program everywhere.
set -u
cd "$(dirname "$0")/../.." || exit 1
. scripts/lib.sh

ALL_ARCHS="aarch64 armhf armhf-time32 i686 i686-time64 riscv64 s390x ppc64le"
# The programs whose code uses time_t or struct timespec (grep -l in tests/)
# and the lot's timed parks, which reach the futex wait with a deadline.
TIME_TESTS="test_parker test_deadline test_enosys test_initializer test_sync_once test_lot"

# variant NAME: set triple, flags, the time_t width expected on the target,
# Debian's architecture name (for libc6-dev-<debarch>-cross, the C library
# that gcc-<triple> only recommends) and the qemu-user program that runs it.
variant() {
  flags=""
  subset=""
  case "$1" in
    aarch64)      triple=aarch64-linux-gnu;     timet=64;     debarch=arm64;   qemu="qemu-aarch64" ;;
    armhf)        triple=arm-linux-gnueabihf;   timet=time64; debarch=armhf;   qemu="qemu-arm"
                  flags="-D_TIME_BITS=64 -D_FILE_OFFSET_BITS=64" ;;
    armhf-time32) triple=arm-linux-gnueabihf;   timet=time32; debarch=armhf;   qemu="qemu-arm"
                  subset=$TIME_TESTS ;;
    i686)         triple=i686-linux-gnu;        timet=time32; debarch=i386;    qemu="qemu-i386" ;;
    i686-time64)  triple=i686-linux-gnu;        timet=time64; debarch=i386;    qemu="qemu-i386"
                  flags="-D_TIME_BITS=64 -D_FILE_OFFSET_BITS=64"; subset=$TIME_TESTS ;;
    riscv64)      triple=riscv64-linux-gnu;     timet=64;     debarch=riscv64; qemu="qemu-riscv64" ;;
    s390x)        triple=s390x-linux-gnu;       timet=64;     debarch=s390x;   qemu="qemu-s390x" ;;
    ppc64le)      triple=powerpc64le-linux-gnu; timet=64;     debarch=ppc64el; qemu="qemu-ppc64le" ;;
    *) echo "error: unknown architecture '$1' (known: $ALL_ARCHS)" >&2; return 1 ;;
  esac
  [ "${PARKER_CROSS_FULL:-0}" != 1 ] || subset=""
}

# PARKER_CROSS_ARCHS: the targets when none is named (scripts/test.sh runs
# stages without arguments).
archs=${*:-${PARKER_CROSS_ARCHS:-$ALL_ARCHS}}
pkgs="cmake make qemu-user"
for a in $archs; do
  variant "$a" || exit 2
  # need_packages installs without recommends: the C library is named.
  case " $pkgs " in
    *" gcc-$triple "*) ;;
    *) pkgs="$pkgs gcc-$triple libc6-dev-$debarch-cross" ;;
  esac
done
# shellcheck disable=SC2086
need_packages $pkgs || exit 1

toolchain="$PWD/cmake/toolchains/linux-cross.cmake"
cmake_jobs=2
rows=""
failed=""

# futex_check DIR KIND: count, in qemu's -strace of test_parker, calls of
# futex_time64 (422 on every 32-bit Linux ABI; qemu 7.2 prints it as
# "Unknown syscall 422") and the parker's timed waits on the old futex
# (FUTEX_WAIT_BITSET on PARKED = -1 with a timespec that qemu decodes).
futex_check() {
  counts=$("$PARKER_QEMU_BIN" -strace "$1/tests/test_parker" 2>&1 >/dev/null | awk '
    /Unknown syscall 422|futex_time64\(/ { t64++ }
    /futex\(0x[0-9a-f]+,FUTEX_PRIVATE_FLAG\|FUTEX_WAIT_BITSET,-1,\{/ { old++ }
    END { print t64 + 0, old + 0 }')
  # shellcheck disable=SC2086 # split the two counts
  set -- "$2" $counts
  echo "   futex calls under qemu -strace: futex_time64=$2, old futex with 32-bit timespec=$3"
  case "$1" in
    time64) [ "$2" -gt 0 ] && [ "$3" -eq 0 ] && futex="time64:ok" && return 0 ;;
    time32) [ "$2" -eq 0 ] && [ "$3" -gt 0 ] && futex="futex32:ok" && return 0 ;;
  esac
  futex="WRONG"
  return 1
}

# check_toolchain: before anything else, prove the toolchain end to end on
# what the suite needs: a static program that starts a thread, linked with
# <triple>-gcc and run under qemu-user.  On failure print one line naming
# what is missing.  Uses name, triple, flags, debarch, qemu and dir.
check_toolchain() {
  hc="$dir/toolchain-check"
  if ! command -v "$triple-gcc" >/dev/null 2>&1; then
    echo "cross $name: no $triple-gcc: install gcc-$triple"
    return 1
  fi
  cat >"$hc.c" <<'EOF_HELLO'
#include <pthread.h>
#include <stdio.h>
static void *run(void *arg) { return arg; }
int main(void) {
  pthread_t t;
  void *r = NULL;
  if (pthread_create(&t, NULL, run, (void *)"hello") != 0 || pthread_join(t, &r) != 0) return 1;
  puts((const char *)r);
  return 0;
}
EOF_HELLO
  # shellcheck disable=SC2086 # flags is a list
  if ! "$triple-gcc" $flags -static -pthread -o "$hc" "$hc.c" >"$hc.log" 2>&1; then
    echo "cross $name: static hello world does not build with $triple-gcc: install libc6-dev-$debarch-cross (log: $hc.log)"
    return 1
  fi
  if ! command -v "$qemu" >/dev/null 2>&1; then
    echo "cross $name: no $qemu to run the tests: install qemu-user"
    return 1
  fi
  out=$(timeout 60 "$qemu" "$hc" 2>>"$hc.log") || true
  if [ "$out" != hello ]; then
    echo "cross $name: static hello world with a thread does not run under $qemu (log: $hc.log)"
    return 1
  fi
}

# build_arch NAME: toolchain check, cmocka, configure and build of one
# target; writes its outcome ("ok" or the step that failed) to
# build/xa-NAME/build.result, since it runs in the background while the
# previous target's tests run under qemu.
build_arch() {
  name=$1
  variant "$name"
  dir="$PWD/build/xa-$name"
  mkdir -p "$dir"
  result="?"
  build_arch_steps >"$dir/build-all.log" 2>&1 || true
  echo "$result" >"$dir/build.result"
}

build_arch_steps() {
  cm="$dir/cmocka"
  check_toolchain || { result="toolchain"; return 1; }
  build_cmocka "$cm" "$toolchain" -DPARKER_CROSS_TRIPLE="$triple" -DPARKER_CROSS_FLAGS="$flags" ||
    { result="cmocka-build"; return 1; }

  # Tests, not benchmarks or examples: the suite is the contract here.
  cmake -S . -B "$dir/parker" \
      -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DPARKER_CROSS_TRIPLE="$triple" \
      -DPARKER_CROSS_FLAGS="$flags" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DPARKER_BUILD_TESTS=ON -DPARKER_BUILD_BENCH=OFF -DPARKER_BUILD_EXAMPLES=OFF \
      -DCMOCKA_INCLUDE_DIR="$cm/include" -DCMOCKA_LIBRARY="$cm/lib/libcmocka-static.a" \
      >"$dir/configure.log" 2>&1 || { cat "$dir/configure.log"; result="configure"; return 1; }
  # shellcheck disable=SC2086 # subset is a list of targets
  cmake --build "$dir/parker" -j "$cmake_jobs" ${subset:+--target $subset} >"$dir/build.log" 2>&1 ||
    { cat "$dir/build.log"; result="build"; return 1; }
  if "$triple-readelf" -l "$dir/parker/tests/test_parker" | grep -q INTERP; then
    echo "error: test_parker is dynamically linked (qemu-user hangs on those)" >&2
    result="not-static"; return 1
  fi
  result="ok"
}

# test_arch NAME: once build_arch NAME has finished, run the suite under
# qemu and the checks after it.
test_arch() {
  name=$1
  variant "$name"
  dir="$PWD/build/xa-$name"
  echo "== cross $name ($triple${flags:+ $flags})${subset:+: the time_t programs only: $subset}"
  result=$(cat "$dir/build.result" 2>/dev/null || echo "?")
  if [ "$result" != ok ]; then
    cat "$dir/build-all.log"
    return 1
  fi

  PARKER_QEMU_BIN=$(sed -n 's/^PARKER_QEMU_PROGRAM:FILEPATH=//p' "$dir/parker/CMakeCache.txt")
  ctest_filter=""
  [ -z "$subset" ] || ctest_filter="^($(echo $subset | tr ' ' '|'))\$"
  (cd "$dir/parker" && ctest -V -j 1 --no-tests=error ${ctest_filter:+-R "$ctest_filter"}) >"$dir/ctest.log" 2>&1
  rc=$?
  summary=$(grep -E "tests passed, [0-9]+ tests? failed out of" "$dir/ctest.log" | tail -n 1)
  total=$(echo "$summary" | sed -n 's/.*out of \([0-9]*\).*/\1/p')
  nfail=$(echo "$summary" | sed -n 's/.*passed, \([0-9]*\) tests\{0,1\} failed.*/\1/p')
  tests="${total:-?}"
  [ -n "$total" ] && [ -n "$nfail" ] && tests="$((total - nfail))/$total"
  skipped=$(grep -oE '\[  SKIPPED \] test_[A-Za-z0-9_]+' "$dir/ctest.log" | sort -u | wc -l)
  cases=$(awk '/\[==========\] [0-9]+ test\(s\) run/ { run += $3 }
               /\[  PASSED  \] [0-9]+ test\(s\)/ { ok += $5 }
               END { print ok + 0 "/" run + 0 }' "$dir/ctest.log")
  grep -E "^[0-9]+: SKIPPED|^ *[0-9]+/[0-9]+ Test" "$dir/ctest.log"
  [ "$skipped" -eq 0 ] || [ -z "${PARKER_SKIP_LOG:-}" ] \
    || echo "cross $name: $skipped cmocka case(s) skipped under qemu (reasons printed above)" >>"$PARKER_SKIP_LOG"
  if [ "$rc" -ne 0 ]; then
    grep -E "FAILED|ERROR|Failure|Timeout|\*\*\*" "$dir/ctest.log" | head -n 60
    echo "   full log: $dir/ctest.log"
    result="tests"; return 1
  fi

  futex="-"
  case "$timet" in
    time32|time64) futex_check "$dir/parker" "$timet" || { result="futex-call"; return 1; } ;;
  esac

  # qemu-user refuses seccomp filters, so test_enosys skips its cases there.
  # Where the kernel runs static i386 programs natively, run it once more
  # without qemu: the filters make futex_time64 (time64) or every futex wait
  # (both) fail with ENOSYS and the parks must still sleep.  Whether an
  # x86_64 kernel runs 32-bit programs depends on the machine (IA-32
  # emulation can be built or booted off), so probe with the static hello
  # world first; if it cannot run, the native run is a skip with its reason,
  # never a pass.
  case "$name" in
    i686*)
      if ! ia32_exec_probe "$dir/toolchain-check"; then
        machine_skip "cross $name: test_enosys natively" "$probe_reason (the qemu run of it passed)"
        native="skipped"
      elif ! "$dir/parker/tests/test_enosys" >"$dir/enosys-native.log" 2>&1; then
        cat "$dir/enosys-native.log"
        result="enosys-native"; return 1
      elif grep -q 'SKIPPED (machine, not code)' "$dir/enosys-native.log"; then
        machine_skip "cross $name: test_enosys natively" \
          "$(grep -m1 'SKIPPED (machine, not code)' "$dir/enosys-native.log" | sed 's/^.*not code): //')"
        native="skipped"
      elif grep -q SKIPPED "$dir/enosys-native.log"; then
        cat "$dir/enosys-native.log"
        echo "error: test_enosys skipped cases natively for a reason that is not the machine's" >&2
        result="enosys-native"; return 1
      else
        native="$(grep -c '\[       OK \]' "$dir/enosys-native.log")/$(grep -c '\[ RUN      \]' "$dir/enosys-native.log")"
        echo "   test_enosys natively (x86_64 kernel, no qemu): $native cases passed"
      fi ;;
  esac
  result="ok"
}

# Build target i+1 while target i's tests run under qemu: the build is
# mostly the compiler on one core, the tests mostly qemu on the other.
start_all=$(date +%s)
set -- $archs
t0=$(date +%s)
build_arch "$1"
while [ $# -gt 0 ]; do
  a=$1
  shift
  bg=""
  if [ $# -gt 0 ]; then
    build_arch "$1" &
    bg=$!
  fi
  result="?"; tests="-"; cases="-"; skipped="-"; futex="-"; native="-"
  test_arch "$a" || failed="$failed $a"
  variant "$a"
  rows="$rows$(printf '%-13s %-22s %-7s %-11s %-6s %-7s %-8s %-11s %-8s %4ss' \
    "$a" "$triple" "$timet" "$result" "$tests" "$cases" "$skipped" "$futex" "$native" "$(($(date +%s) - t0))")
"
  [ -z "$bg" ] || wait "$bg"
  t0=$(date +%s)
done

echo
echo "== cross summary (qemu-user, static; tests = ctest programs passed/total,"
echo "   cases = cmocka cases passed/run, skipped = cases qemu cannot run, each printing why;"
echo "   native = test_enosys cases run natively, without qemu, or skipped for the reason above;"
echo "   time = the target's tests, and the next target's build beside them)"
printf '%-13s %-22s %-7s %-11s %-6s %-7s %-8s %-11s %-8s %5s\n' \
  arch triple time_t result tests cases skipped futex native time
printf '%s' "$rows"
echo "total: $(($(date +%s) - start_all)) s"
if [ -n "$failed" ]; then
  echo "cross: FAILED:$failed" >&2
  exit 1
fi
echo "cross: all passed"
