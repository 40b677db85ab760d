#!/bin/sh
# Build and run every test stage: both Linux backends, plain, under
# ASan+UBSan, under TSan, with injected spurious wake-ups, with clang; then
# every extra stage in scripts/stages/ (Windows under wine, other
# architectures under qemu, models, consumers, FFI).  Installs the Debian
# packages each stage needs.
#
#   scripts/test.sh            all stages
#   scripts/test.sh futex asan-futex stage:lot    only those
set -eu
cd "$(dirname "$0")/.."
. scripts/lib.sh

need_packages cmake gcc g++ clang make libcmocka-dev

CORE_PRESETS="futex posix asan-futex asan-posix tsan-futex tsan-posix spurious-futex spurious-posix clang-futex"

# Checks that the machine cannot run (scripts/lib.sh machine_skip, skipped
# cmocka cases) are collected here and listed after the summary: skipped,
# never passed.
PARKER_SKIP_LOG=$(mktemp)
export PARKER_SKIP_LOG
trap 'rm -f "$PARKER_SKIP_LOG"' EXIT

failed=""
summary=""
run_one() {
  t0=$(date +%s)
  ok=passed
  case "$1" in
    stage:*) script="scripts/stages/${1#stage:}.sh"
             echo "== stage ${1#stage:}"
             sh "$script" || ok=FAILED ;;
    *) run_preset "$1" || ok=FAILED ;;
  esac
  [ "$ok" = passed ] || failed="$failed $1"
  summary="$summary$(printf '%-18s %-7s %5s s' "$1" "$ok" "$(($(date +%s) - t0))")
"
}
t_all=$(date +%s)

if [ $# -gt 0 ]; then
  for s in "$@"; do run_one "$s"; done
else
  for p in $CORE_PRESETS; do run_one "$p"; done
  for f in scripts/stages/*.sh; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .sh)
    run_one "stage:$name"
  done
fi

echo "== summary (wall-clock time of each part)"
printf '%s' "$summary"
echo "total: $(($(date +%s) - t_all)) s"
if [ -s "$PARKER_SKIP_LOG" ]; then
  echo "== skipped, not passed (what this machine cannot run; each part printed why):"
  sed 's/^/   /' "$PARKER_SKIP_LOG"
fi
if [ -n "$failed" ]; then
  echo "FAILED:$failed" >&2
  exit 1
fi
echo "ALL TEST STAGES PASSED"
