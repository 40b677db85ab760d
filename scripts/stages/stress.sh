#!/bin/sh
# CI's short stress run (scripts/stress.sh is the long one): 8 s per
# backend, 5 s under TSan, and a check that the watchdog does turn a hang
# into a failure.  About a minute with the builds.
set -eu
cd "$(dirname "$0")/../.."
. scripts/lib.sh

need_packages cmake gcc make

sh scripts/stress.sh --seconds 8 --backend both
sh scripts/stress.sh --seconds 5 --backend futex --sanitize thread
# With deadlock detection on: the stress threads never deadlock, so the
# watchdog's checks must run and find no lasting cycle.
sh scripts/stress.sh --seconds 5 --backend futex --deadlock-detection \
  | tee build/stress-deadlock.log
grep -q "deadlock detection: [1-9][0-9]* checks" build/stress-deadlock.log \
  || { echo "stress: the deadlock checks did not run" >&2; exit 1; }

# The watchdog itself: with the unparkers deserting, the run must end with a
# hang report and exit status 2, not hang and not pass.
dir=build/vf-stress-futex
rc=0
timeout 60 "$dir/stress" --seconds 30 --hang-seconds 2 --selftest-hang >"$dir/selftest.log" 2>&1 || rc=$?
if [ $rc -ne 2 ] || ! grep -q "STRESS HANG" "$dir/selftest.log"; then
  cat "$dir/selftest.log"
  echo "stress: the watchdog did not report the provoked hang (exit $rc)" >&2
  exit 1
fi
echo "ok   watchdog reported the provoked hang"
echo "stress: passed"
