#!/bin/sh
# Build and run the benchmarks, every contender of each in one process:
#   parker_bench     the parkers: libparker (futex and posix backends, the lot)
#                    against raw futex, spin-then-futex, pthread_cond, sem_t,
#                    C++20 atomic wait / binary_semaphore, Rust std park and
#                    parking_lot_core (bench/bench.c)
#   parker_lotscale  the lot with 1k, 10k and 50k parked threads, beside
#                    parking_lot_core (bench/lotscale.c)
#   parker_locks     libparker's mutex, cond, once, rwlock, sem and barrier
#                    against pthreads, C++20, absl, nsync, Rust parking_lot
#                    and a TTAS spinlock (bench/locks.c)
# Installs the Debian packages it needs.
#
#   scripts/bench.sh           full run (about 10 minutes); results go to
#                              build/bench-results/ and the checkout stays clean
#   scripts/bench.sh --record  full run, then copy the results over the
#                              recorded ones in bench/results/ (for a commit)
#   scripts/bench.sh --quick   a couple of minutes, for CI: proves that every
#                              benchmark builds and runs; results go to
#                              build/bench-results/.  Never fails on a timing.
#
# Results: table.txt (parkers + system calls), lotscale.txt, locks.txt, the
# same as CSV (results.csv, lotscale.csv, locks.csv, syscalls.csv),
# machine.txt, plot.svg and data/ (the plot's input).
set -eu
cd "$(dirname "$0")/.."
. scripts/lib.sh

quick=0
record=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --record) record=1 ;;
    *) echo "usage: scripts/bench.sh [--quick | --record]" >&2; exit 2 ;;
  esac
done
if [ "$quick" -eq 1 ] && [ "$record" -eq 1 ]; then
  echo "scripts/bench.sh: --record needs a full run (quick numbers are indicative only)" >&2
  exit 2
fi

need_packages cmake gcc make
# Optional contenders and tools: a missing one is skipped with a reason.
need_packages g++ || echo "note: no g++: the C++ contenders and parker_locks will be skipped"
command -v gnuplot >/dev/null 2>&1 || need_packages gnuplot-nox \
  || echo "note: no gnuplot: no plot"
command -v perf >/dev/null 2>&1 || need_packages linux-perf \
  || echo "note: no perf: system calls counted with strace if present"
need_packages libabsl-dev || echo "note: no libabsl-dev: the absl contenders will be skipped"
need_packages libnsync-dev || echo "note: no libnsync-dev: the nsync contenders will be skipped"
need_packages librust-parking-lot-core-dev \
  || echo "note: no parking_lot_core sources: that contender will be skipped"
need_packages librust-parking-lot-dev \
  || echo "note: no parking_lot sources: the Rust lock contenders will be skipped"
if ! command -v rustc >/dev/null 2>&1 || ! command -v cargo >/dev/null 2>&1; then
  need_packages rustc cargo || echo "note: no Rust toolchain: the Rust contenders will be skipped"
fi

build=build/bench
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DPARKER_BUILD_TESTS=OFF \
  -DPARKER_BUILD_EXAMPLES=OFF -DPARKER_BUILD_BENCH=ON >/dev/null
targets="parker_bench parker_lotscale"
# parker_locks needs a C++20 compiler; without one CMake leaves it out.
if [ -d "$build/bench/CMakeFiles/parker_locks.dir" ]; then
  targets="$targets parker_locks"
else
  echo "note: parker_locks not configured (no C++20 compiler): no lock results"
fi
# shellcheck disable=SC2086
cmake --build "$build" -j "$JOBS" --target $targets
bin="$build/bench/parker_bench"

out=build/bench-results
rm -rf "$out"
mkdir -p "$out/data"
if [ "$quick" -eq 1 ]; then
  args="--quick"; lot_args="--quick"; lock_args="--quick"
  n_fast=20000; n_pp=200
else
  args="--reps 7"; lot_args="--reps 5"; lock_args="--reps 7"
  n_fast=200000; n_pp=3000
fi

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "mode: $([ "$quick" -eq 1 ] && echo 'quick (indicative only)' || echo full)"
  echo "kernel: $(uname -srm)"
  if command -v lscpu >/dev/null 2>&1; then
    lscpu | grep -E '^(Model name|CPU\(s\)|Thread\(s\) per core|Hypervisor vendor|Virtualization type|CPU max MHz|L2 cache|L3 cache):' \
      | sed 's/  */ /g'
  fi
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
  echo "compilers: $(gcc --version | head -n1); $(g++ --version 2>/dev/null | head -n1 || echo 'no g++'); $(rustc --version 2>/dev/null || echo 'no rustc')"
} > "$out/machine.txt"

# shellcheck disable=SC2086
"$bin" $args --csv "$out/results.csv" --datdir "$out/data" | tee "$out/table.txt"

# ---- system calls per operation -----------------------------------------
# Each contender runs exactly N operations in `--count` mode, and 0 for the
# baseline (start-up, thread creation): (count(N) - count(0)) / N.
counter=""
if command -v perf >/dev/null 2>&1 \
   && perf stat -x, -e syscalls:sys_enter_futex -- true >/dev/null 2>&1; then
  counter=perf
else
  command -v strace >/dev/null 2>&1 || need_packages strace || true
  if command -v strace >/dev/null 2>&1; then counter=strace; fi
fi

# count OP CONTENDER N -> "futex_calls all_calls"
count() {
  tmp=$(mktemp)
  if [ "$counter" = perf ]; then
    perf stat -x, -o "$tmp" -e syscalls:sys_enter_futex,raw_syscalls:sys_enter -- \
      "$bin" --count "$1" "$2" "$3" >/dev/null 2>&1 || { rm -f "$tmp"; echo "NaN NaN"; return; }
    awk -F, '/sys_enter_futex/ {f=$1} /raw_syscalls:sys_enter/ {a=$1} END {print f+0, a+0}' "$tmp"
  else
    strace -f -c -o "$tmp" "$bin" --count "$1" "$2" "$3" >/dev/null 2>&1 \
      || { rm -f "$tmp"; echo "NaN NaN"; return; }
    awk '$NF=="futex" {f=$4} $NF=="total" {a=$4} END {print f+0, a+0}' "$tmp"
  fi
  rm -f "$tmp"
}

{
  echo
  if [ -z "$counter" ]; then
    echo "System calls per operation: not measured (neither perf nor strace works here)"
  else
    echo "System calls per operation (counted with $counter; (count(N) - count(0)) / N):"
    echo
    printf '%-17s %14s %14s %14s %14s %14s %14s\n' contender pp-futex pp-all \
      fast-futex fast-all idle-futex idle-all
  fi
} | tee "$out/syscalls.txt"
if [ -n "$counter" ]; then
  echo "contender,operation,futex_per_op,syscalls_per_op,counter" > "$out/syscalls.csv"
  for c in $("$bin" --list); do
    line=$(printf '%-17s' "$c")
    for op in pingpong fast idle; do
      if [ "$op" = pingpong ]; then n=$n_pp; else n=$n_fast; fi
      set -- $(count "$op" "$c" 0)
      f1=$1 a1=$2
      set -- $(count "$op" "$c" "$n")
      per=$(awk -v f1="$f1" -v a1="$a1" -v f2="$1" -v a2="$2" -v n="$n" \
        'BEGIN { if (f1 == "NaN" || f2 == "NaN") print "NaN NaN";
                 else { f = (f2 - f1) / n; a = (a2 - a1) / n;
                        printf "%.3f %.3f\n", f < 0 ? 0 : f, a < 0 ? 0 : a } }')
      set -- $per
      echo "$c,$op,$1,$2,$counter" >> "$out/syscalls.csv"
      line="$line $(printf '%14s %14s' "$1" "$2")"
    done
    echo "$line" | tee -a "$out/syscalls.txt"
  done
  echo "(pp = per ping-pong round trip, both threads; fast = unpark(self)+park(self); idle = unpark of a non-parked owner)" \
    | tee -a "$out/syscalls.txt"
fi
cat "$out/syscalls.txt" >> "$out/table.txt"
rm -f "$out/syscalls.txt"

# ---- the lot at scale -------------------------------------------------------
echo
# shellcheck disable=SC2086
"$build/bench/parker_lotscale" $lot_args --csv "$out/lotscale.csv" --datdir "$out/data" \
  | tee "$out/lotscale.txt"

# ---- the sync objects ---------------------------------------------------------
if [ -x "$build/bench/parker_locks" ]; then
  echo
  # shellcheck disable=SC2086
  "$build/bench/parker_locks" $lock_args --csv "$out/locks.csv" --datdir "$out/data" \
    | tee "$out/locks.txt"
else
  echo "parker_locks not built (no C++20 compiler): no lock results" | tee "$out/locks.txt"
fi

if command -v gnuplot >/dev/null 2>&1; then
  gnuplot -e "datadir='$out/data'; outfile='$out/plot.svg'" bench/plot.gp \
    && echo "plot: $out/plot.svg"
else
  echo "no gnuplot: plot skipped"
fi

if [ "$record" -eq 1 ]; then
  # Replace the recorded set as a whole, so nothing stale survives.
  rm -rf bench/results
  mkdir -p bench/results
  cp -R "$out/." bench/results/
  echo "recorded: bench/results/ (commit it)"
fi
echo "results: $out/ (table.txt, lotscale.txt, locks.txt, *.csv, machine.txt, plot.svg)"
