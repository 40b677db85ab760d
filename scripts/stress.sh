#!/bin/sh
# The long stress run (tools/stress.c), outside the default test run:
# many threads parking, timing out and unparking at random on parkers and
# on the parking lot, invariants checked, a watchdog that turns a hang into
# a failure with a report of who was parked where.
#
#   scripts/stress.sh                      3 minutes per backend (futex, posix)
#   scripts/stress.sh --seconds 600        longer
#   scripts/stress.sh --backend posix      one backend (futex, posix or both)
#   scripts/stress.sh --sanitize thread    under TSan (or: address)
#   scripts/stress.sh --deadlock-detection a library with PARKER_DEADLOCK_DETECTION:
#                                          the watchdog also checks for cycles
#   scripts/stress.sh -- --owners 32 --seed 7   anything after -- goes to the program
#
# Exit status: 0 passed, 1 an invariant was violated, 2 a hang.
set -eu
cd "$(dirname "$0")/.."
. scripts/lib.sh

seconds=180
backends="futex posix"
sanitize=""
deadlock=OFF
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --backend) [ "$2" = both ] && backends="futex posix" || backends=$2; shift 2 ;;
    --sanitize) sanitize=$2; shift 2 ;;
    --deadlock-detection) deadlock=ON; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "stress.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
done

need_packages cmake gcc make

flags=""
suffix=""
if [ -n "$sanitize" ]; then
  flags="-fsanitize=$sanitize -fno-omit-frame-pointer -g"
  suffix="-$sanitize"
fi

status=0
for b in $backends; do
  dir="build/vf-stress-$b$suffix"
  [ "$deadlock" = OFF ] || dir="$dir-deadlock"
  echo "== stress: $b backend${sanitize:+ under $sanitize sanitizer}, $seconds s ($dir)"
  cmake -S tools -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARKER_BACKEND="$b" \
        -DCMAKE_C_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" \
        -DPARKER_DEADLOCK_DETECTION="$deadlock" >/dev/null
  cmake --build "$dir" -j "$JOBS" >/dev/null
  rc=0
  TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" \
    "$dir/stress" --seconds "$seconds" "$@" || rc=$?
  if [ $rc -ne 0 ]; then
    echo "== stress: $b FAILED (exit $rc)" >&2
    status=1
  fi
done
exit $status
