#!/bin/sh
# Build and run the benchmark: libparker (futex and posix backends, the lot,
# the example lock) against raw futex, pthread_cond, sem_t, C++20 atomic
# wait / binary_semaphore, Rust std park and parking_lot_core, all in one
# process (bench/bench.c).  Installs the Debian packages it needs.
#
#   scripts/bench.sh          full run (about a minute); writes bench/results/
#                             (table.txt, results.csv, syscalls.csv, plot.svg,
#                             machine.txt)
#   scripts/bench.sh --quick  seconds, for CI: proves the benchmark builds and
#                             runs; results go to build/bench/results-quick/.
#                             Never fails on a timing.
set -eu
cd "$(dirname "$0")/.."
. scripts/lib.sh

quick=0
case "${1:-}" in
  --quick) quick=1 ;;
  "") ;;
  *) echo "usage: scripts/bench.sh [--quick]" >&2; exit 2 ;;
esac

need_packages cmake gcc make
# Optional contenders and tools: a missing one is skipped with a reason.
need_packages g++ || echo "note: no g++: the C++20 contenders will be skipped"
command -v gnuplot >/dev/null 2>&1 || need_packages gnuplot-nox \
  || echo "note: no gnuplot: no plot"
command -v perf >/dev/null 2>&1 || need_packages linux-perf \
  || echo "note: no perf: system calls counted with strace if present"
need_packages librust-parking-lot-core-dev \
  || echo "note: no parking_lot_core sources: that contender will be skipped"
if ! command -v rustc >/dev/null 2>&1 || ! command -v cargo >/dev/null 2>&1; then
  need_packages rustc cargo || echo "note: no Rust toolchain: the Rust contenders will be skipped"
fi

build=build/bench
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DPARKER_BUILD_TESTS=OFF \
  -DPARKER_BUILD_EXAMPLES=OFF -DPARKER_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j "$JOBS" --target parker_bench
bin="$build/bench/parker_bench"

if [ "$quick" -eq 1 ]; then
  out="$build/results-quick"
  args="--quick"
  n_fast=20000; n_pp=200
else
  out=bench/results
  args="--reps 7"
  n_fast=200000; n_pp=3000
fi
mkdir -p "$out"

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "kernel: $(uname -srm)"
  if command -v lscpu >/dev/null 2>&1; then
    lscpu | grep -E '^(Model name|CPU\(s\)|Thread\(s\) per core|Hypervisor vendor|Virtualization type|CPU max MHz|L2 cache|L3 cache):' \
      | sed 's/  */ /g'
  fi
  echo "compilers: $(gcc --version | head -n1); $(rustc --version 2>/dev/null || echo 'no rustc')"
} > "$out/machine.txt"

# shellcheck disable=SC2086
"$bin" $args --csv "$out/results.csv" --dat "$out/summary.dat" | tee "$out/table.txt"

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

if command -v gnuplot >/dev/null 2>&1; then
  gnuplot -e "datafile='$out/summary.dat'; outfile='$out/plot.svg'" bench/plot.gp \
    && echo "plot: $out/plot.svg"
else
  echo "no gnuplot: plot skipped"
fi
echo "results: $out/ (table.txt, results.csv, syscalls.csv, machine.txt)"
