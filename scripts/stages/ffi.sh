#!/bin/sh
# FFI examples: Python (ctypes against libparker.so) and Rust (plain rustc,
# extern "C" against libparker.a).  Builds its own libraries in
# build/pkg-ffi-shared and build/pkg-ffi-static; exits non-zero on failure.
set -eu
cd "$(dirname "$0")/../.."
. scripts/lib.sh

need_packages cmake gcc make
# rustc and python3 may come from elsewhere (rustup, pyenv); Debian's
# packages are the fallback on a fresh machine.
command -v python3 >/dev/null 2>&1 || need_packages python3
command -v rustc >/dev/null 2>&1 || need_packages rustc

die() {
  echo "ffi: FAIL: $*" >&2
  exit 1
}

build() {
  dir=$1
  shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DPARKER_BUILD_TESTS=OFF \
    -DPARKER_BUILD_BENCH=OFF -DPARKER_BUILD_EXAMPLES=OFF -DPARKER_INSTALL=OFF "$@" \
    >/dev/null || die "configure $dir"
  cmake --build "$dir" -j "$JOBS" >/dev/null || die "build $dir"
}

echo "-- python (ctypes) against the shared library"
build build/pkg-ffi-shared -DBUILD_SHARED_LIBS=ON
# Loaded by its SONAME file, as an installed binding would.
MAJOR=$(sed -n 's/^project(parker VERSION \([0-9]*\)\..*/\1/p' CMakeLists.txt)
timeout 300 python3 examples/ffi/python/pingpong.py "$(pwd)/build/pkg-ffi-shared/libparker.so.$MAJOR" \
  || die "python example"

echo "-- rust (rustc, extern \"C\") against the static library"
build build/pkg-ffi-static -DBUILD_SHARED_LIBS=OFF
mkdir -p build/pkg-ffi
rustc --edition 2021 -O -D warnings examples/ffi/rust/pingpong.rs \
  -L native=build/pkg-ffi-static -o build/pkg-ffi/rust_pingpong || die "rustc"
timeout 300 build/pkg-ffi/rust_pingpong || die "rust example"

echo "ffi: all checks passed"
