#!/bin/sh
# Model-check the parking protocols in verify/ with spin: every good model
# must pass (no assertion violation, no invalid end state), every mutant
# must be rejected.  Exits non-zero otherwise.  About 30 s.
set -eu
cd "$(dirname "$0")/../.."
. scripts/lib.sh

need_packages spin gcc

work=$(mktemp -d)
# An interrupt must end the stage, not just remove the files it still uses.
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cp verify/*.pml "$work/"

failed=0
# check EXPECT MODEL [SPIN_FLAGS...]: EXPECT is pass or fail.
check() {
  expect=$1 model=$2
  shift 2
  label="$model $*"
  rc=0
  (
    cd "$work"
    rm -f pan pan.* ./*.trail
    spin -a "$@" "$model" >spin.log 2>&1 || { cat spin.log; exit 2; }
    # pan.c is generated: its warnings are not ours.
    cc -O2 -w -DSAFETY -o pan pan.c || exit 2
    ./pan -m1000000 >pan.log 2>&1 || true
    if grep -q "errors: 0" pan.log && ! grep -q "search not completed\|max search depth too small" pan.log; then
      exit 0
    fi
    grep -E "^pan:|errors:" pan.log | head -3
    exit 1
  ) || rc=$?
  if [ "$expect" = pass ] && [ $rc -eq 0 ]; then
    echo "ok   $label: verified"
  elif [ "$expect" = fail ] && [ $rc -eq 1 ]; then
    echo "ok   $label: rejected, as it must be"
  else
    echo "FAIL $label: expected $expect (status $rc)"
    failed=1
  fi
}

big="-DNPARKS=3 -DNUNPARKERS=3 -DMAXSPUR=2"
for m in futex keyed posix; do
  check pass $m.pml
  # shellcheck disable=SC2086
  check pass $m.pml $big
  check fail $m.pml -DMUTANT_UNPARK_LOADSTORE
  check fail $m.pml -DMUTANT_TIMEOUT_STORE
done
check fail keyed.pml -DMUTANT_NO_ABSORB
check fail keyed.pml -DMUTANT_ALWAYS_ABSORB
check fail posix.pml -DMUTANT_POSIX_TOUCH
check fail posix.pml -DMUTANT_POSIX_NO_LOCK
check pass lot.pml
check fail lot.pml -DMUTANT_LOT_LEAVE_EARLY
check fail lot.pml -DMUTANT_LOT_DEQUEUED_LATE
check fail lot.pml -DMUTANT_LOT_NEXT_AFTER_UNPARK
check fail lot.pml -DMUTANT_LOT_TOKEN_AFTER_UNPARK
check fail lot.pml -DMUTANT_LOT_TIMED_OUT_WHEN_CLAIMED
# The per-address queues' locking protocol (issue 18): a timed-out waiter
# must re-check its key under the lock, a requeue must rewrite the keys
# under both locks.
check fail lot.pml -DMUTANT_LOT_NO_RECHECK
check fail lot.pml -DMUTANT_LOT_KEY_AFTER_UNLOCK
# The sync layer (src/sync/): the mutex hand-off and the condvar requeue.
check pass mutex.pml
check fail mutex.pml -DMUTANT_MUTEX_HANDOFF_UNLOCKS
check fail mutex.pml -DMUTANT_MUTEX_CLEAR_OUTSIDE
check fail mutex.pml -DMUTANT_MUTEX_SCAN_RELEASES
check fail mutex.pml -DMUTANT_MUTEX_GONE_RELEASES
check pass cond.pml
check fail cond.pml -DMUTANT_COND_PARKED_IN_CALLBACK
# The rwlock (src/sync/rwlock.c): two readers + one writer, and one reader
# + two writers (both together take minutes; these two take ~20 s).
check pass rwlock.pml -DNR=2 -DNWR=1
check pass rwlock.pml -DNR=1 -DNWR=2
check fail rwlock.pml -DNR=2 -DNWR=1 -DMUTANT_ABANDON_NO_WAKE
check fail rwlock.pml -DNR=2 -DNWR=1 -DMUTANT_VALIDATE_NO_RECHECK
check fail rwlock.pml -DNR=1 -DNWR=2 -DMUTANT_FILTER_SKIPS_WRITER
# The wait group (src/sync/waitgroup.c): two waiters that may be stopped
# between their first load and their park while the count goes 1 -> 0 -> 1
# twice; the 1.x protocol (no generation, issue 23) must be rejected.
check pass waitgroup.pml
check pass waitgroup.pml -DNZ=3
check fail waitgroup.pml -DMUTANT_NO_GENERATION
# Upgradable reads (src/sync/uprwlock.c): the composition of the rwlock and
# the upgrade mutex, on their contracts.
check pass uprwlock.pml
check fail uprwlock.pml -DMUTANT_WRITER_SKIPS_UP
check fail uprwlock.pml -DMUTANT_UPGRADE_DROPS_UP
check fail uprwlock.pml -DMUTANT_TIMEOUT_NO_RELOCK

if [ $failed -ne 0 ]; then
  echo "models: FAILED" >&2
  exit 1
fi
echo "models: all good models verified, all mutants rejected"
