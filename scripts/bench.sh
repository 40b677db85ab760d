#!/bin/sh
# Build and run the demonstration (placeholder until bench/ lands: the
# ping-pong example).
set -eu
cd "$(dirname "$0")/.."
. scripts/lib.sh
need_packages cmake gcc make
cmake --preset futex -DPARKER_BUILD_TESTS=OFF >/dev/null
cmake --build build/futex -j "$JOBS" --target example_pingpong
build/futex/examples/example_pingpong
