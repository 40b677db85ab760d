# Shared helpers for scripts/*.sh (sourced, not run).
# shellcheck shell=sh

# Run a command as root: directly when we are root, else through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "error: need root (or sudo) to run: $*" >&2; return 1
  fi
}

APT_UPDATED=0
# need_packages PKG...: install the Debian packages that are not installed.
need_packages() {
  missing=""
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing="$missing $pkg"
  done
  [ -z "$missing" ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: missing packages:$missing (and no apt-get here to install them)" >&2
    return 1
  fi
  echo "== installing:$missing"
  if [ "$APT_UPDATED" -eq 0 ]; then
    as_root apt-get update -qq || { echo "error: apt-get update failed" >&2; return 1; }
    APT_UPDATED=1
  fi
  # shellcheck disable=SC2086
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing \
    >/dev/null || { echo "error: could not install:$missing" >&2; return 1; }
}

JOBS=$(nproc 2>/dev/null || echo 2)

# machine_skip CHECK REASON: CHECK depends on what this machine offers (a
# kernel feature, a setting, a counter), not on the code, and the probe
# before it found it missing.  Prints one line and records it in
# $PARKER_SKIP_LOG, which scripts/test.sh lists in its summary as skipped:
# a skip is never silent and never counted as a pass.
machine_skip() {
  echo "SKIPPED (machine, not code): $1: $2"
  if [ -n "${PARKER_SKIP_LOG:-}" ]; then
    printf '%s: %s\n' "$1" "$2" >>"$PARKER_SKIP_LOG"
  fi
}

# ia32_exec_probe STATIC_I386_PROGRAM: whether this machine's kernel runs
# 32-bit x86 programs natively (an x86_64 kernel may be built or booted
# without IA-32 emulation; many VM and container hosts are).  The program
# must print "hello".  Returns 0 if it runs; otherwise sets probe_reason.
# PARKER_TEST_ASSUME_NO_IA32=1 forces the "cannot run" answer, to test that
# path on a machine that can.
ia32_exec_probe() {
  if [ "${PARKER_TEST_ASSUME_NO_IA32:-0}" = 1 ]; then
    probe_reason="PARKER_TEST_ASSUME_NO_IA32=1 forces 'the kernel cannot run 32-bit x86 programs'"
    return 1
  fi
  if [ "$(uname -m)" != x86_64 ]; then
    probe_reason="the host is $(uname -m), not x86_64"
    return 1
  fi
  _p_out=$("$1" 2>&1) || true
  if [ "$_p_out" != hello ]; then
    probe_reason="this x86_64 kernel cannot run a static 32-bit x86 hello world ($(printf '%s' "$_p_out" | head -n 1 | sed 's/^.*: //'))"
    return 1
  fi
}

# run_preset NAME: configure, build and test one CMake preset.
run_preset() {
  echo "== preset $1"
  cmake --preset "$1" --fresh >/dev/null || return 1
  cmake --build "build/$1" -j "$JOBS" || return 1
  (cd "build/$1" && ctest --output-on-failure -j 1) || return 1
  record_case_skips "preset $1" "build/$1/Testing/Temporary/LastTest.log"
}

# record_case_skips WHERE LOG: print, and add to $PARKER_SKIP_LOG, every
# cmocka case that LOG (ctest's output) says was skipped, with the reason the
# test printed ("SKIPPED...: reason"), so scripts/test.sh's summary lists it.
record_case_skips() {
  [ -f "$2" ] || return 0
  _n=$(grep -c '^\[  SKIPPED \] test_' "$2" || true)
  [ "$_n" -gt 0 ] || return 0
  echo "-- $1: $_n cmocka case(s) skipped; the reasons they printed:"
  grep -h 'SKIPPED' "$2" | grep -v -e '^\[  SKIPPED \]' -e 'SKIPPED TEST(S)' | sed 's/^[0-9]*: //; s/^[[:space:]]*//' \
    | sort -u | sed "s/^/   /"
  if [ -n "${PARKER_SKIP_LOG:-}" ]; then
    echo "$1: $_n cmocka case(s) skipped (reasons printed above)" >>"$PARKER_SKIP_LOG"
  fi
}

# build_cmocka PREFIX TOOLCHAIN [CMAKE_ARGS...]: build cmocka as a static
# library for a toolchain Debian ships no cmocka for (mingw, static cross
# builds), from Debian's source package, and install it into PREFIX
# (PREFIX/include, PREFIX/lib/libcmocka-static.a).  Does nothing when it is
# already there; the build log is PREFIX.log.
build_cmocka() {
  _cm_prefix=$1 _cm_toolchain=$2
  shift 2
  [ -f "$_cm_prefix/lib/libcmocka-static.a" ] && return 0
  _cm_src=$(sh scripts/cmocka-source.sh) || return 1
  mkdir -p "$(dirname "$_cm_prefix")"
  if ! { cmake -S "$_cm_src" -B "$_cm_prefix-build" -DCMAKE_TOOLCHAIN_FILE="$_cm_toolchain" "$@" \
           -DCMAKE_BUILD_TYPE=Release -DWITH_STATIC_LIB=ON -DUNIT_TESTING=OFF -DWITH_EXAMPLES=OFF \
           -DCMAKE_INSTALL_PREFIX="$_cm_prefix" -DCMAKE_INSTALL_LIBDIR=lib &&
         cmake --build "$_cm_prefix-build" -j "$JOBS" &&
         cmake --install "$_cm_prefix-build"; } >"$_cm_prefix.log" 2>&1; then
    cat "$_cm_prefix.log" >&2
    return 1
  fi
}

# debian_archive: print "URI SUITE" of this machine's main Debian archive:
# the first "deb" entry of /etc/apt/sources.list.d/*.sources (deb822) or of
# the one-line sources.list files whose suite has no "-updates"/"-security"
# part; http://deb.debian.org/debian bookworm when there is none.
debian_archive() {
  _da=$(
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      # One record per stanza: types, first URI, suites.
      awk 'BEGIN { RS = ""; FS = "\n" }
           { t = u = s = ""
             for (i = 1; i <= NF; i++) {
               if ($i ~ /^Types:/)  t = substr($i, 7)
               if ($i ~ /^URIs:/)   { split(substr($i, 6), a, " "); u = a[1] }
               if ($i ~ /^Suites:/) s = substr($i, 8)
             }
             if (t !~ /(^|[ \t])deb([ \t]|$)/ || u == "") next
             n = split(s, ss, " ")
             for (j = 1; j <= n; j++) if (ss[j] !~ /-/) { print u, ss[j]; exit }
           }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -f "$f" ] || continue
      # deb [options] URI SUITE COMPONENTS...
      sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && $3 !~ /-/ { print $2, $3; exit }'
    done
  )
  _da=$(printf '%s\n' "$_da" | sed -n '/./{p;q;}')
  echo "${_da:-http://deb.debian.org/debian bookworm}"
}
