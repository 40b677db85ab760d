#!/bin/sh
# Run every test program of the suite under valgrind memcheck, for both
# Linux backends: no invalid access, no uninitialised use, no definite or
# indirect leak (--leak-check=full; "possibly lost" blocks are glibc's
# thread stacks and TLS in the death-test children that abort on purpose).
#
# Only memcheck: helgrind and drd do not understand C11/__atomic
# synchronisation (the parker's fast paths and the lot's word lock are
# lock-free), so the library's own state words look racy to them.  They
# run in the annotate stage instead, on user programs, with the library's
# client-request annotations and valgrind/libparker.supp.
# See docs/verification.md.
set -eu
cd "$(dirname "$0")/../.."
. scripts/lib.sh

need_packages cmake gcc make libcmocka-dev valgrind

# run_backend BACKEND: build and run every program under memcheck; prints
# one line a program; exits non-zero if any failed.  The two backends run
# side by side (one valgrind process each, two cores): valgrind serialises
# a program's threads onto one core, so this halves the stage's time.
run_backend() {
  backend=$1
  dir="build/vg-$backend"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARKER_BACKEND=$backend \
        -DPARKER_BUILD_BENCH=OFF >/dev/null
  cmake --build "$dir" -j "$JOBS" >/dev/null
  # The test commands exactly as ctest knows them.
  cmds=$(cd "$dir" && ctest -N -V | sed -n 's/^[0-9]*: Test command: //p')
  [ -n "$cmds" ] || { echo "no tests found in $dir" >&2; return 1; }
  n=0 bad=0
  while IFS= read -r cmd; do
    n=$((n + 1))
    name=$(basename "$cmd")
    log="$dir/valgrind-$name.log"
    t0=$(date +%s)
    # timeout: a hang under valgrind fails instead of stalling CI.
    if PARKER_TEST_VALGRIND=1 timeout 900 valgrind -q --tool=memcheck --error-exitcode=99 \
         --leak-check=full --errors-for-leak-kinds=definite,indirect \
         --track-origins=yes --child-silent-after-fork=no \
         --suppressions="$PWD/valgrind/memcheck.supp" \
         "$cmd" </dev/null >"$log" 2>&1; then
      echo "ok   $backend $name ($(($(date +%s) - t0)) s)"
    else
      echo "FAIL $backend $name ($(($(date +%s) - t0)) s, log: $log)"
      grep -E "^==[0-9]+==|FAILED|ERROR" "$log" | head -30
      bad=1
    fi
  done <<EOF_CMDS
$cmds
EOF_CMDS
  echo "   ($backend: $n test programs)"
  return $bad
}

mkdir -p build
failed=""
for backend in futex posix; do
  echo "== valgrind: $backend backend (build/vg-$backend), in parallel"
  ( if run_backend $backend >"build/vg-$backend.out" 2>&1; then rc=0; else rc=1; fi
    echo $rc >"build/vg-$backend.rc" ) &
done
wait
for backend in futex posix; do
  cat "build/vg-$backend.out"
  [ "$(cat "build/vg-$backend.rc")" = 0 ] || failed="$failed $backend"
done

if [ -n "$failed" ]; then
  echo "valgrind: FAILED:$failed" >&2
  exit 1
fi
echo "valgrind: all test programs clean under memcheck"
