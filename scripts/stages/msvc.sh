#!/bin/sh
# Stage "msvc": compile-only check of the MSVC branch of src/atomics.h and of
# every source a Windows build compiles, with clang in MSVC mode
# (--target=x86_64-pc-windows-msvc -fms-compatibility -fms-extensions, so
# _MSC_VER is defined and the _Interlocked* intrinsics are MSVC's) and
# mingw-w64's headers standing in for the Windows SDK and the MSVC C runtime,
# which Debian does not ship.  Nothing is linked or run (no MSVC import
# libraries either); the mingw+wine stage runs the same branch's logic
# (PARKER__ATOMICS_INTERLOCKED with its mingw shims).
#
# mingw-w64's headers assume GCC unless _MSC_VER says MSVC, and then they
# misfire under clang.  Each flag below works around one such clash, not a
# problem of ours:
#   -DPARKER__ATOMICS_INTERLOCKED  clang defines __clang__, which atomics.h
#                                  would otherwise send to the __atomic branch
#   -fms-compatibility-version=11.0  _MSC_VER 1100: below 1200 _mingw.h puts
#                                  no __declspec(deprecated) after declarators
#                                  (which clang rejects in stdlib.h)
#   -idirafter (not -isystem)      clang's own intrin.h and <x86intrin.h>
#                                  come before mingw's
#   -include intrin.h, -D__MM_MALLOC_H  clang's intrinsic headers are parsed
#                                  before _mingw.h, which (without __GNUC__)
#                                  defines __attribute__(x) to nothing and so
#                                  breaks their vector types; mm_malloc.h
#                                  would pull mingw's stdlib.h in too early
#   -ffreestanding                 clang's intrin.h then skips its _setjmp
#                                  prototype, which conflicts with mingw's
# Only x86_64: the i686 headers lack CONTEXT and _ALLOCA_S_MARKER_SIZE in
# this mode, and mingw-w64's vadefs.h has no arm64 MSVC branch.
set -u
cd "$(dirname "$0")/../.." || exit 1
. scripts/lib.sh

need_packages clang mingw-w64-x86-64-dev || exit 1
inc=/usr/x86_64-w64-mingw32/include
[ -f "$inc/windows.h" ] || { echo "error: $inc/windows.h missing" >&2; exit 1; }

flags="--target=x86_64-pc-windows-msvc -fms-compatibility -fms-extensions
  -fms-compatibility-version=11.0 -ffreestanding -idirafter $inc
  -include intrin.h -D__MM_MALLOC_H -DPARKER__ATOMICS_INTERLOCKED
  -std=c11 -Wall -Wextra -Werror -Iinclude -Isrc"

# The sources of a Windows build (the backend's list in src/windows/sources.cmake,
# the core, the lot, the sync layer), each in the configurations it is built in.
sources="src/*.c src/windows/*.c src/sync/*.c"
n=0
failed=0
for variant in "" "-DPARKER_WINDOWS_FORCE_KEYED_EVENTS" "-DPARKER_BUILDING_SHARED"; do
  # shellcheck disable=SC2086 # word splitting of the globs and flags is wanted
  for f in $sources; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    # shellcheck disable=SC2086
    if ! out=$(clang $flags $variant -c -o /dev/null "$f" 2>&1); then
      echo "FAILED: $f ${variant:-(default)}"
      echo "$out" | head -n 20
      failed=$((failed + 1))
    fi
  done
done
# The MSVC branch really was the one compiled: it defines this helper.
# shellcheck disable=SC2086
if ! printf '#include "atomics.h"\nint f(unsigned *a) { return (int)parker__msvc_xchg_u32(a, 1u); }\n' |
    clang $flags -x c -c -o /dev/null - 2>/dev/null; then
  echo "FAILED: atomics.h did not select its MSVC branch under clang's MSVC mode"
  failed=$((failed + 1))
fi
echo "msvc: $((n - failed + 1)) of $((n + 1)) compiles passed (clang $(clang -dumpversion), MSVC mode, mingw-w64 headers)"
[ "$failed" -eq 0 ] || exit 1
