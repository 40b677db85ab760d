#!/bin/sh
# Race detectors in USER programs linked against a libparker built WITHOUT
# any sanitizer (as a distribution's or a vendored Release build is): the
# annotations of src/annotate.h must make TSan, Helgrind and DRD understand
# every object.  tests/annotate/user.c has one scenario a run.
#
#   TSan (gcc and clang; static and shared library):
#     every clean scenario: no report;
#     "race": a data race is reported;
#     "inversion", "inversion-rw": a lock-order-inversion is reported.
#   The same clean scenarios against a library built with
#   -DPARKER_NO_ANNOTATIONS must REPORT a race (gcc, static and shared):
#   that proves each scenario depends on its object's annotation.
#   Helgrind and DRD (shared library, valgrind/libparker.supp):
#     every clean scenario: no error; "race": an error; and again each
#     clean scenario reports against the unannotated library.
#     "inversion": Helgrind reports the lock order (DRD has no such check).
#   The deadlock detector (PARKER_DEADLOCK_DETECTION=ON build):
#     tests/annotate/deadlock.c finds the 2- and 3-thread cycles.
set -eu
cd "$(dirname "$0")/../.."
. scripts/lib.sh

need_packages cmake gcc clang make libtsan2 valgrind
# clang's TSan runtime lives in the package of its major version.
need_packages "libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"

B=build/annotate
mkdir -p "$B"

# lib NAME [CMAKE_ARGS...]: configure and build just the library.
lib() {
  name=$1
  shift
  cmake -S . -B "$B/$name" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARKER_BACKEND=futex \
        -DPARKER_BUILD_TESTS=OFF -DPARKER_BUILD_BENCH=OFF -DPARKER_BUILD_EXAMPLES=OFF \
        "$@" >"$B/$name.cmake.log" 2>&1 || { cat "$B/$name.cmake.log"; return 1; }
  cmake --build "$B/$name" -j "$JOBS" --target parker >"$B/$name.build.log" 2>&1 ||
    { cat "$B/$name.build.log"; return 1; }
}
echo "== annotate: building the libraries (futex backend, no sanitizer)"
lib ann-static
lib ann-shared -DBUILD_SHARED_LIBS=ON
lib noann-static -DCMAKE_C_FLAGS=-DPARKER_NO_ANNOTATIONS
lib noann-shared -DBUILD_SHARED_LIBS=ON -DCMAKE_C_FLAGS=-DPARKER_NO_ANNOTATIONS

# user OUT CC LIBDIR KIND [FLAGS...]: the user program against one library.
user() {
  out=$1 cc=$2 dir=$B/$3 kind=$4
  shift 4
  if [ "$kind" = static ]; then
    $cc -g -O1 "$@" -Iinclude tests/annotate/user.c "$dir/libparker.a" -lpthread -o "$out"
  else
    $cc -g -O1 "$@" -Iinclude tests/annotate/user.c -L"$dir" -lparker \
        -Wl,-rpath,"$PWD/$dir" -lpthread -o "$out"
  fi
}

fails=0
n=0
# check LABEL EXPECT LOG CMD...: EXPECT is "clean" or a pattern the log must
# contain.
check() {
  label=$1 expect=$2 log=$3
  shift 3
  n=$((n + 1))
  rc=0
  timeout 600 "$@" >"$log" 2>&1 || rc=$?
  if [ "$expect" = clean ]; then
    if [ $rc -eq 0 ] && ! grep -qE "ThreadSanitizer|^==[0-9]+== [A-Z]" "$log"; then
      echo "ok   $label: no report"
      return 0
    fi
  elif grep -q -- "$expect" "$log" && grep -q "done" "$log"; then
    echo "ok   $label: reported ($expect)"
    return 0
  fi
  echo "FAIL $label: expected $expect (exit $rc, log $log)"
  head -40 "$log"
  fails=$((fails + 1))
}

CLEAN="mutex rwlock cond once event sem waitgroup barrier parker lot"
# halt_on_error off: a report must not hide behind the exit code; we grep.
export TSAN_OPTIONS="halt_on_error=0 exitcode=66 second_deadlock_stack=1"

for cc in gcc clang; do
  for kind in static shared; do
    exe="$B/user-$cc-$kind"
    user "$exe" $cc ann-$kind $kind -fsanitize=thread
    for s in $CLEAN; do
      check "tsan $cc $kind $s" clean "$exe.$s.log" "$exe" "$s"
    done
    check "tsan $cc $kind race" "WARNING: ThreadSanitizer: data race" "$exe.race.log" "$exe" race
    for s in inversion inversion-rw; do
      check "tsan $cc $kind $s" "WARNING: ThreadSanitizer: lock-order-inversion" \
            "$exe.$s.log" "$exe" "$s"
    done
  done
done
# Each clean scenario fails without the annotations.
for kind in static shared; do
  exe="$B/user-gcc-noann-$kind"
  user "$exe" gcc noann-$kind $kind -fsanitize=thread
  for s in $CLEAN; do
    check "tsan gcc $kind UNANNOTATED $s" "WARNING: ThreadSanitizer: data race" \
          "$exe.$s.log" "$exe" "$s"
  done
done

# Helgrind and DRD: the shared library and its suppressions for the
# library's own atomic words (valgrind/libparker.supp).
user "$B/user-vg" gcc ann-shared shared
user "$B/user-vg-noann" gcc noann-shared shared
VG="valgrind -q --error-exitcode=9 --suppressions=valgrind/libparker.supp"
for tool in helgrind drd; do
  for s in $CLEAN; do
    check "$tool $s" clean "$B/vg-$tool.$s.log" $VG --tool=$tool "$B/user-vg" "$s"
  done
  check "$tool race" "Possible data race\|Conflicting" "$B/vg-$tool.race.log" \
        $VG --tool=$tool "$B/user-vg" race
  for s in $CLEAN; do
    check "$tool UNANNOTATED $s" "Possible data race\|Conflicting" \
          "$B/vg-$tool-noann.$s.log" $VG --tool=$tool "$B/user-vg-noann" "$s"
  done
done
check "helgrind inversion" "lock order" "$B/vg-helgrind.inversion.log" \
      $VG --tool=helgrind "$B/user-vg" inversion

# Deadlock detection: on, the cycles are found; off (the default, the
# libraries above), none of its record-keeping symbols is there.
lib deadlock -DPARKER_DEADLOCK_DETECTION=ON
gcc -g -O1 -Iinclude tests/annotate/deadlock.c "$B/deadlock/libparker.a" -lpthread \
    -o "$B/deadlock-test"
check "deadlock detection: 2- and 3-thread cycles" clean "$B/deadlock-test.log" "$B/deadlock-test"
cat "$B/deadlock-test.log"
for kind in static shared; do
  f=$B/ann-$kind/libparker.a
  [ "$kind" = shared ] && f=$(ls "$B"/ann-shared/libparker.so.*.*.* | head -1)
  n=$((n + 1))
  # Only the stub parker_deadlock_check may be there, no record-keeping.
  if nm -A "$f" | grep -E "parker__dd_|registry_lock|forget_thread"; then
    echo "FAIL deadlock detection off: symbols in $f"
    fails=$((fails + 1))
  else
    echo "ok   deadlock detection off: no symbol of it in $(basename "$f")"
  fi
done

echo "annotate: $n checks, $fails failed"
[ "$fails" -eq 0 ]
