#!/bin/sh
# Stage "wasm": build the library and the whole cmocka suite as threaded
# WebAssembly with Debian's Emscripten and run it under node (ctest runs each
# program through `node --no-experimental-fetch`, with the suite's timeouts).
# The backend is src/wasm (memory.atomic.wait32 / memory.atomic.notify).
# cmocka is built for wasm from Debian's source package, as for the other
# cross targets.  Build directory: build/wasm.
#
# The benchmark runs too, in quick mode, as a smoke test (ctest bench_quick).
#
# Tests that need what wasm lacks (fork, signals between threads) print
# "SKIPPED on wasm: <reason>"; the summary lists them.
set -u
cd "$(dirname "$0")/../.." || exit 1
. scripts/lib.sh

# Debian's emscripten depends on nodejs, but name it: node runs the tests.
need_packages cmake make emscripten nodejs || exit 1
command -v node >/dev/null 2>&1 || { echo "error: node not found" >&2; exit 1; }

toolchain="$PWD/cmake/toolchains/emscripten.cmake"
dir="$PWD/build/wasm"
mkdir -p "$dir"
echo "== wasm: emcc $(emcc --version 2>/dev/null | sed -n '1s/.*) \([0-9.]*\).*/\1/p'), node $(node --version)"

# cmocka.h needs _UINTPTR_T_DEFINED on wasm32 (see tests/CMakeLists.txt).
# The first build configures cmocka with Emscripten, which takes minutes
# (every check is a wasm link); it is kept in build/wasm/cmocka afterwards.
build_cmocka "$dir/cmocka" "$toolchain" "-DCMAKE_C_FLAGS=-pthread -D_UINTPTR_T_DEFINED" ||
  { echo "wasm: cmocka build failed" >&2; exit 1; }

cmake -S . -B "$dir/parker" -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPARKER_BUILD_TESTS=ON -DPARKER_BUILD_BENCH=ON -DPARKER_BUILD_EXAMPLES=OFF \
    -DCMOCKA_INCLUDE_DIR="$dir/cmocka/include" \
    -DCMOCKA_LIBRARY="$dir/cmocka/lib/libcmocka-static.a" \
    >"$dir/configure.log" 2>&1 || { cat "$dir/configure.log"; echo "wasm: configure failed" >&2; exit 1; }
cmake --build "$dir/parker" -j "$JOBS" >"$dir/build.log" 2>&1 ||
  { cat "$dir/build.log"; echo "wasm: build failed" >&2; exit 1; }

(cd "$dir/parker" && ctest -V -j 2 --no-tests=error) >"$dir/ctest.log" 2>&1
rc=$?
grep -E "^ *[0-9]+/[0-9]+ Test" "$dir/ctest.log"
echo "-- skipped cases (each with its reason):"
grep -E "SKIPPED( on wasm)?:|\[  SKIPPED \] test_" "$dir/ctest.log" | sed 's/^[0-9]*: /   /' | sort | uniq
cases=$(awk '/\[==========\] [0-9]+ test\(s\) run/ { run += $3 }
             /\[  PASSED  \] [0-9]+ test\(s\)/ { ok += $5 }
             /\[  SKIPPED \] [0-9]+ test\(s\)/ { sk += $5 }
             END { print ok + 0 " passed, " sk + 0 " skipped, of " run + 0 " run" }' "$dir/ctest.log")
summary=$(grep -E "tests passed, [0-9]+ tests? failed out of" "$dir/ctest.log" | tail -n 1)
echo "== wasm summary: ctest: $summary; cmocka cases: $cases"
if [ "$rc" -ne 0 ]; then
  grep -E "FAILED|ERROR|Failure|Timeout|\*\*\*" "$dir/ctest.log" | head -n 60
  echo "   full log: $dir/ctest.log"
  echo "wasm: FAILED" >&2
  exit 1
fi
[ -z "${PARKER_SKIP_LOG:-}" ] || echo "wasm: cmocka cases $cases (reasons printed above)" >>"$PARKER_SKIP_LOG"
echo "wasm: all passed"
