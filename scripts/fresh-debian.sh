#!/bin/sh
# The README's Quick start on a bare Debian 12, as a new user would run it:
# build a minimal bookworm chroot (debootstrap --variant=minbase, plus only
# cmake gcc g++ make git python3 sudo), clone this checkout's committed HEAD
# into it, and run the README's test command there as root, as written
# (scripts/test.sh).  Every other package must then come from the scripts'
# own need_packages, so a stage that forgets one fails here.  Afterwards
# everything is unmounted and removed, on success, failure or interrupt.
#
#   scripts/fresh-debian.sh                    scripts/test.sh (every stage)
#   scripts/fresh-debian.sh stage:cross futex  scripts/test.sh stage:cross futex
#   scripts/fresh-debian.sh --bench ...        then also scripts/bench.sh --quick there
#   scripts/fresh-debian.sh --forced-paths ... then, in the same chroot, the
#                                              machine-dependent checks once more
#                                              with their "missing" path forced:
#                                              PARKER_TEST_ASSUME_NO_IA32=1 and
#                                              PARKER_TEST_ASSUME_NO_SECCOMP=1 on
#                                              build/futex's test_enosys and
#                                              test_posix, and stage:cross
#                                              (i686-time64 only)
#   scripts/fresh-debian.sh --keep ...         keep the unmounted chroot and print its path
#   scripts/fresh-debian.sh --mirror URL ...   another Debian archive (default: this
#                                              machine's, from its apt sources)
#
# Needs root (it runs itself through sudo otherwise) and Debian's archive.
# Works in build/fresh-debian.XXXXXX; the chroot's build logs are copied to
# build/fresh-debian-logs/ before the chroot is removed.  Only the committed
# HEAD is tested: uncommitted changes are not in the clone.  The variables
# PARKER_TEST_ASSUME_* and PARKER_CROSS_ARCHS are passed into the chroot's
# otherwise clean environment.  Exit status:
# that of scripts/test.sh in the chroot, or 1 if the chroot could not be made.
set -eu

SUITE=bookworm
INCLUDE=cmake,gcc,g++,make,git,python3,sudo

self_dir=$(cd "$(dirname "$0")" && pwd)
self="$self_dir/$(basename "$0")"

# ------------------------------------------------------------------ inside
# "--inside ROOT ARGS...": run by the outer part in a mount namespace of its
# own (unshare -m, private propagation).  Mounts what a Debian system expects,
# runs scripts/test.sh ARGS in the chroot, unmounts.  The namespace is the
# real guarantee: none of these mounts is visible to the host, and they all
# vanish with the namespace's last process, even after a SIGKILL.
inside() {
  root=$1
  shift
  mounted=""
  undo() {
    for m in $mounted; do
      umount "$root$m" 2>/dev/null || umount -l "$root$m" \
        || echo "fresh-debian: could not unmount $root$m" >&2
    done
    mounted=""
  }
  trap undo EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  mnt() {
    _t=$1
    shift
    mount "$@" "$root$_t" || { echo "fresh-debian: cannot mount $root$_t" >&2; exit 1; }
    mounted="$_t $mounted"
  }
  mnt /proc -t proc proc
  mnt /sys -t sysfs sysfs
  # /dev alone (not recursive): the chroot gets its own /dev/pts and /dev/shm.
  mnt /dev --bind /dev
  mnt /dev/pts --bind /dev/pts
  mnt /dev/shm -t tmpfs -o mode=1777,nosuid,nodev shm
  # Name resolution for apt-get inside (debootstrap copied it once already;
  # the host's may have changed since).
  cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  # in_chroot CMD...: CMD in the clone, with a clean environment, as root.
  in_chroot() {
    chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root LANG=C.UTF-8 \
      TERM="${TERM:-dumb}" ${CI:+CI="$CI"} \
      ${PARKER_TEST_ASSUME_NO_IA32:+PARKER_TEST_ASSUME_NO_IA32="$PARKER_TEST_ASSUME_NO_IA32"} \
      ${PARKER_TEST_ASSUME_NO_SECCOMP:+PARKER_TEST_ASSUME_NO_SECCOMP="$PARKER_TEST_ASSUME_NO_SECCOMP"} \
      ${PARKER_CROSS_ARCHS:+PARKER_CROSS_ARCHS="$PARKER_CROSS_ARCHS"} \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      sh -c 'cd /root/libparker && exec "$@"' sh "$@"
  }
  rc=0
  in_chroot scripts/test.sh "$@" || rc=$?
  if [ "${FRESH_DEBIAN_FORCED:-0}" = 1 ]; then
    # The same checks with the machine's answer forced to "missing": the skip
    # path must print its reason and the stage must still pass.  Builds are
    # reused from the run above.
    # The seccomp probe lives in two test programs of the futex preset; the
    # 32-bit one in the cross stage, for one i686 target (the time_t subset,
    # whose test_enosys is the program the native run would start).
    echo "== fresh-debian: forced paths: PARKER_TEST_ASSUME_NO_IA32=1 PARKER_TEST_ASSUME_NO_SECCOMP=1: test_enosys and test_posix of build/futex; scripts/test.sh stage:cross (i686-time64)"
    t0=$(date +%s)
    frc=0
    PARKER_TEST_ASSUME_NO_IA32=1 PARKER_TEST_ASSUME_NO_SECCOMP=1 PARKER_CROSS_ARCHS="i686-time64"
    export PARKER_TEST_ASSUME_NO_IA32 PARKER_TEST_ASSUME_NO_SECCOMP PARKER_CROSS_ARCHS
    { in_chroot sh -c 'cd build/futex && ctest -V --no-tests=error -R "^(test_enosys|test_posix)\$"' &&
      in_chroot scripts/test.sh stage:cross; } >"$root/forced.log" 2>&1 || frc=$?
    tail -n 30 "$root/forced.log"
    for want in "PARKER_TEST_ASSUME_NO_IA32=1 forces" "forced by PARKER_TEST_ASSUME_NO_SECCOMP=1"; do
      grep -q "$want" "$root/forced.log" \
        || { echo "fresh-debian: forced paths: no line saying '$want'" >&2; [ $frc -ne 0 ] || frc=1; }
    done
    unset PARKER_TEST_ASSUME_NO_IA32 PARKER_TEST_ASSUME_NO_SECCOMP PARKER_CROSS_ARCHS
    echo "== fresh-debian: forced paths: exit $frc, $(($(date +%s) - t0)) s"
    [ $frc -eq 0 ] || [ $rc -ne 0 ] || rc=$frc
  fi
  if [ "${FRESH_DEBIAN_BENCH:-0}" = 1 ]; then
    echo "== fresh-debian: scripts/bench.sh --quick in the chroot"
    t0=$(date +%s)
    in_chroot scripts/bench.sh --quick || { [ $rc -ne 0 ] || rc=1; }
    echo "== fresh-debian: scripts/bench.sh --quick: $(($(date +%s) - t0)) s"
  fi
  undo
  exit $rc
}

# ------------------------------------------------------------------ outside
main() {
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "fresh-debian.sh: needs root (debootstrap, chroot, mount)" >&2; exit 1; }
    exec sudo -- "$self" "$@"
  fi
  cd "$self_dir/.."
  . scripts/lib.sh

  keep=0
  mirror=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --keep) keep=1; shift ;;
      --bench) FRESH_DEBIAN_BENCH=1; export FRESH_DEBIAN_BENCH; shift ;;
      --forced-paths) FRESH_DEBIAN_FORCED=1; export FRESH_DEBIAN_FORCED; shift ;;
      --mirror) mirror=$2; shift 2 ;;
      --) shift; break ;;
      -h|--help) sed -n '2,31p' "$self"; exit 0 ;;
      -*) echo "fresh-debian.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
      *) break ;;
    esac
  done

  t_start=$(date +%s)
  need_packages debootstrap debian-archive-keyring git
  unshare -m --propagation private true 2>/dev/null \
    || { echo "fresh-debian.sh: cannot make a mount namespace (unshare -m): not root, or in a restricted container" >&2; exit 1; }

  if [ -z "$mirror" ]; then
    # shellcheck disable=SC2046 # two words: URI SUITE (the suite is ours: bookworm)
    set -- $(debian_archive) "$@"
    mirror=$1
    shift 2
  fi

  head=$(git rev-parse HEAD)
  if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
    echo "note: uncommitted changes here are not tested: the chroot gets the committed HEAD"
  fi

  mkdir -p build
  work=$(mktemp -d "$PWD/build/fresh-debian.XXXXXX")
  case "$work" in
    *[[:space:]]*) rmdir "$work"; echo "fresh-debian.sh: the checkout's path has a space; mounts there cannot be checked" >&2; exit 1 ;;
  esac
  root="$work/root"
  child=""

  # Mount points at or below the work dir, deepest first (mountinfo field 5).
  mounts_under() {
    awk -v p="$work" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
  }

  # Processes whose root is the chroot (tests, wineserver, apt...): ours.
  chroot_pids() {
    for d in /proc/[0-9]*; do
      r=$(readlink "$d/root" 2>/dev/null) || continue
      case "$r" in "$root"|"$root"/*) echo "${d#/proc/}" ;; esac
    done
  }

  stop_everything() {
    if [ -n "$child" ]; then
      # The child leads its own process group (setsid below).
      kill -TERM -- "-$child" 2>/dev/null || kill -TERM "$child" 2>/dev/null || true
    fi
    pids=$(chroot_pids)
    if [ -n "$pids" ]; then
      # shellcheck disable=SC2086
      kill -TERM $pids 2>/dev/null || true
      n=0
      while [ -n "$(chroot_pids)" ] && [ $n -lt 20 ]; do sleep 0.5; n=$((n + 1)); done
      pids=$(chroot_pids)
      # shellcheck disable=SC2086
      [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
    fi
    if [ -n "$child" ]; then
      wait "$child" 2>/dev/null || true
      child=""
    fi
  }

  cleanup() {
    [ -n "$work" ] || return 0
    trap '' INT TERM
    stop_everything
    logs="$PWD/build/fresh-debian-logs"
    if [ -d "$root/root/libparker/build" ]; then
      rm -rf "$logs"
      mkdir -p "$logs"
      (cd "$root/root/libparker/build" &&
        find . -type f \( -name '*.log' -o -name 'LastTest*.log' \) -size -20M \
          -exec cp --parents {} "$logs/" \;) 2>/dev/null || true
      [ -f "$work/debootstrap.log" ] && cp "$work/debootstrap.log" "$logs/"
      echo "fresh-debian: chroot build logs copied to build/fresh-debian-logs/"
    fi
    # The mounts live in namespaces that are gone by now; anything still
    # mounted here would be a bug, and rm -rf must never walk into it.
    for m in $(mounts_under); do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
    if [ -n "$(mounts_under)" ]; then
      echo "fresh-debian: still mounted, NOT removing $work:" >&2
      mounts_under >&2
      work=""
      return 1
    fi
    if [ "$keep" -eq 1 ]; then
      echo "fresh-debian: kept $root (unmounted)"
    else
      # --one-file-system: a last guard against a mount we failed to see.
      rm -rf --one-file-system "$work"
    fi
    work=""
  }
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  # run_bg CMD...: run CMD in its own process group, in the background, and
  # wait for it, so that a signal to this script runs the trap at once
  # instead of after CMD ends.
  run_bg() {
    setsid "$@" &
    child=$!
    _rc=0
    wait "$child" || _rc=$?
    child=""
    return $_rc
  }

  elapsed() { echo $(($(date +%s) - $1)); }

  echo "== fresh-debian: HEAD $head, debootstrap --variant=minbase $SUITE from $mirror"
  echo "   in $root"
  t0=$(date +%s)
  if ! run_bg unshare -m --propagation private \
         debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$root" "$mirror" \
         >"$work/debootstrap.log" 2>&1; then
    tail -n 30 "$work/debootstrap.log" >&2
    [ -f "$root/debootstrap/debootstrap.log" ] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2
    echo "fresh-debian: debootstrap failed" >&2
    exit 1
  fi
  t_debootstrap=$(elapsed "$t0")
  echo "   debootstrap: $t_debootstrap s, $(du -sm "$root" | cut -f1) MB"

  t0=$(date +%s)
  git clone -q --no-hardlinks "$PWD" "$root/root/libparker"
  git -C "$root/root/libparker" checkout -q --detach "$head"
  t_clone=$(elapsed "$t0")

  echo "== fresh-debian: scripts/test.sh${*:+ $*} in the chroot"
  t0=$(date +%s)
  rc=0
  run_bg unshare -m --propagation private sh "$self" --inside "$root" "$@" || rc=$?
  t_test=$(elapsed "$t0")
  size=$(du -sm "$root" | cut -f1)

  t0=$(date +%s)
  cleanup || rc=1
  t_cleanup=$(elapsed "$t0")

  echo "== fresh-debian: debootstrap $t_debootstrap s, clone $t_clone s," \
    "scripts/test.sh $t_test s (exit $rc), cleanup $t_cleanup s; total $(elapsed "$t_start") s;" \
    "chroot size at the end $size MB"
  if [ $rc -eq 0 ]; then
    echo "fresh-debian: scripts/test.sh${*:+ $*} passed on a bare Debian $SUITE"
  else
    echo "fresh-debian: scripts/test.sh${*:+ $*} FAILED on a bare Debian $SUITE (exit $rc)" >&2
  fi
  exit $rc
}

# The whole file is read before anything runs (both parts are functions), so
# editing it during a long run cannot derail that run.
if [ "${1:-}" = --inside ]; then
  shift
  inside "$@"
else
  main "$@"
fi
