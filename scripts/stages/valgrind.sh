#!/bin/sh
# Run every test program of the suite under valgrind memcheck, for both
# Linux backends: no invalid access, no uninitialised use, no definite or
# indirect leak (--leak-check=full; "possibly lost" blocks are glibc's
# thread stacks and TLS in the death-test children that abort on purpose).
#
# Only memcheck: helgrind and drd do not understand C11/__atomic
# synchronisation (the parker's fast paths and the lot's word lock are
# lock-free), so they report every hand-off through the state word as a
# race.  Silencing that would take annotations in the library or blanket
# suppressions; data races are checked by the TSan presets instead.
# See docs/verification.md.
set -eu
cd "$(dirname "$0")/../.."
. scripts/lib.sh

need_packages cmake gcc make libcmocka-dev valgrind

failed=""
for backend in futex posix; do
  dir="build/vg-$backend"
  echo "== valgrind: $backend backend ($dir)"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARKER_BACKEND=$backend \
        -DPARKER_BUILD_BENCH=OFF >/dev/null
  cmake --build "$dir" -j "$JOBS" >/dev/null
  # The test commands exactly as ctest knows them.
  cmds=$(cd "$dir" && ctest -N -V | sed -n 's/^[0-9]*: Test command: //p')
  [ -n "$cmds" ] || { echo "no tests found in $dir" >&2; exit 1; }
  n=0
  while IFS= read -r cmd; do
    n=$((n + 1))
    name=$(basename "$cmd")
    log="$dir/valgrind-$name.log"
    # timeout: a hang under valgrind fails instead of stalling CI.
    if PARKER_TEST_VALGRIND=1 timeout 600 valgrind -q --tool=memcheck --error-exitcode=99 \
         --leak-check=full --errors-for-leak-kinds=definite,indirect \
         --track-origins=yes --child-silent-after-fork=no \
         "$cmd" </dev/null >"$log" 2>&1; then
      echo "ok   $backend $name"
    else
      echo "FAIL $backend $name (log: $log)"
      grep -E "^==[0-9]+==|FAILED|ERROR" "$log" | head -30
      failed="$failed $backend/$name"
    fi
  done <<EOF_CMDS
$cmds
EOF_CMDS
  echo "   ($n test programs)"
done

if [ -n "$failed" ]; then
  echo "valgrind: FAILED:$failed" >&2
  exit 1
fi
echo "valgrind: all test programs clean under memcheck"
