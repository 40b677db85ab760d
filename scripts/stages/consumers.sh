#!/bin/sh
# Consumer tests: libparker used the ways downstream projects use it.
#   - install into a prefix, move the prefix elsewhere (relocatable), check
#     the tree is complete and names no absolute path, then build against it
#     with find_package (CMake) and with pkg-config + plain cc;
#   - find_package against the build tree; find_package(parker <major+1>.0) must fail;
#   - add_subdirectory (vendoring), with PARKER_INSTALL on and off;
#   - every README.md snippet (a fenced block after "<!-- snippet: FILE -->"):
#     the example program and the add_subdirectory, FetchContent (from a
#     local git repository: offline), find_package, pkg-config and Meson
#     recipes, extracted and built as written, and run;
#   - the public headers compiled as C99, C11 and C++ with gcc and clang,
#     -Wall -Wextra -Wpedantic -Werror, linked and run;
#   - a C++ consumer (tests/consumers/app.cpp, parker.hpp) through every
#     path: find_package (installed and build tree), add_subdirectory,
#     FetchContent (local git repository) and pkg-config + plain c++, and
#     parker.hpp alone as C++11, 14, 17 and 20 with g++ and clang++;
#   - BUILD_SHARED_LIBS=ON: SONAME libparker.so.<major>, exactly the PARKER_API
#     functions exported, the cmocka suite and the consumers against the .so.
# Build directories: build/pkg-*.  Exits non-zero on the first failure.
set -eu
cd "$(dirname "$0")/../.."
. scripts/lib.sh
# The version the checkout builds (project() in CMakeLists.txt): the
# install names and the package versions below must carry it.
VERSION=$(sed -n 's/^project(parker VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$VERSION" ] || { echo "consumers: no version in CMakeLists.txt" >&2; exit 1; }
# The SONAME follows the major version (libparker.so.2 since the 2.0.0 ABI
# break), and the next major must be refused by SameMajorVersion.
MAJOR=${VERSION%%.*}
NEXT_MAJOR=$((MAJOR + 1))

need_packages cmake gcc g++ clang make pkg-config binutils libcmocka-dev

ROOT=$(pwd)
CONSUMERS="$ROOT/tests/consumers"
TMP=$(mktemp -d)
# An interrupt must end the stage, not just remove the files it still uses.
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die() {
  echo "consumers: FAIL: $*" >&2
  exit 1
}
step() { echo "-- $*"; }

# Quiet configure/build: show the log only when a step fails.
quiet() {
  log="$TMP/last.log"
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    die "command failed: $*"
  fi
}

LOT_DEF=""
[ -f include/parker_lot.h ] && LOT_DEF="-DCONSUMER_HAVE_LOT"
[ -f include/parker_sync.h ] && LOT_DEF="$LOT_DEF -DCONSUMER_HAVE_SYNC"

# ---------------------------------------------------------------- static
step "static library: configure, build, install"
quiet cmake -S . -B build/pkg-static -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=OFF -DPARKER_BUILD_TESTS=OFF -DPARKER_BUILD_BENCH=OFF \
  -DPARKER_BUILD_EXAMPLES=OFF
quiet cmake --build build/pkg-static -j "$JOBS"
rm -rf build/pkg-prefix
quiet cmake --install build/pkg-static --prefix build/pkg-prefix

# ---------------------------------------------------------------- no cmocka
# A plain top-level configure + build on a machine without cmocka (hidden
# here with CMAKE_DISABLE_FIND_PACKAGE_cmocka) builds libparker.a and the
# examples, warns once that the tests are off, and builds no test; asking
# for the tests explicitly is still an error.
step "no cmocka: plain configure and build succeed, warn once, build no test"
rm -rf build/pkg-nocmocka
cmake -S . -B build/pkg-nocmocka -DCMAKE_DISABLE_FIND_PACKAGE_cmocka=ON >"$TMP/nocm.log" 2>&1 \
  || { cat "$TMP/nocm.log" >&2; die "no cmocka: configure failed"; }
nwarn=$(grep -c 'cmocka not found: the tests are off' "$TMP/nocm.log" || true)
[ "$nwarn" -eq 1 ] || { cat "$TMP/nocm.log" >&2; die "no cmocka: expected one warning, saw $nwarn"; }
quiet cmake --build build/pkg-nocmocka -j "$JOBS"
[ -f build/pkg-nocmocka/libparker.a ] || die "no cmocka: no libparker.a"
[ -n "$(find build/pkg-nocmocka/examples -maxdepth 1 -type f -perm -u+x 2>/dev/null)" ] \
  || die "no cmocka: the examples were not built"
if [ -d build/pkg-nocmocka/tests ] || find build/pkg-nocmocka -name 'test_*' -type f | grep -q .; then
  die "no cmocka: a test was built"
fi
quiet cmake --install build/pkg-nocmocka --prefix "$TMP/nocm-prefix"
[ -f "$TMP/nocm-prefix/include/parker.h" ] || die "no cmocka: cmake --install installed no header"
if cmake -S . -B build/pkg-nocmocka-on -DCMAKE_DISABLE_FIND_PACKAGE_cmocka=ON \
     -DPARKER_BUILD_TESTS=ON >"$TMP/nocm-on.log" 2>&1; then
  die "no cmocka: -DPARKER_BUILD_TESTS=ON configured without cmocka"
fi
grep -q 'cmocka not found (needed for the tests)' "$TMP/nocm-on.log" \
  || { cat "$TMP/nocm-on.log" >&2; die "no cmocka: -DPARKER_BUILD_TESTS=ON failed without the cmocka message"; }
rm -rf build/pkg-nocmocka build/pkg-nocmocka-on

# check_tree PREFIX KIND: every file a consumer needs is there, under
# GNUInstallDirs names, and no text file names an absolute path of this
# machine (source, build or original prefix, or the default prefix).
check_tree() {
  p=$1
  pc=$(find "$p" -name parker.pc -path '*/pkgconfig/*')
  [ -n "$pc" ] || die "$2 install: no parker.pc"
  libdir=$(dirname "$(dirname "$pc")")
  cmakedir="$libdir/cmake/parker"
  for f in parkerConfig.cmake parkerConfigVersion.cmake parkerTargets.cmake; do
    [ -f "$cmakedir/$f" ] || die "$2 install: missing ${cmakedir#"$p"/}/$f"
  done
  ls "$cmakedir"/parkerTargets-*.cmake >/dev/null 2>&1 \
    || die "$2 install: no per-configuration targets file"
  for h in include/*.h include/*.hpp; do
    [ -f "$h" ] || continue
    [ -f "$p/$h" ] || die "$2 install: header $h not installed"
  done
  [ -f "$p/share/doc/parker/LICENSE" ] || die "$2 install: LICENSE not installed"
  for fn in $(sed -n 's/^[[:space:]]*PARKER_API[^(]*[ *]\([A-Za-z_][A-Za-z0-9_]*\)(.*/\1/p' include/*.h); do
    [ -f "$p/share/man/man3/$fn.3" ] || die "$2 install: no man page share/man/man3/$fn.3"
  done
  if [ "$2" = static ]; then
    [ -f "$libdir/libparker.a" ] || die "static install: no libparker.a"
  else
    [ -f "$libdir/libparker.so.$VERSION" ] && [ -L "$libdir/libparker.so.$MAJOR" ] \
      && [ -L "$libdir/libparker.so" ] \
      || die "shared install: libparker.so, .so.$MAJOR -> .so.$VERSION chain incomplete"
  fi
  if grep -rIl -e "$ROOT" -e "/usr/local" "$p"; then
    die "$2 install: the files above name an absolute path (not relocatable)"
  fi
}

# consume PREFIX KIND: find_package and pkg-config consumers against PREFIX.
consume() {
  p=$1
  b="build/pkg-consumer-$2"
  rm -rf "$b"
  step "$2: find_package(parker $MAJOR.0 CONFIG REQUIRED) against $p"
  quiet cmake -S "$CONSUMERS/find_package" -B "$b-cmake" -DCMAKE_PREFIX_PATH="$p" \
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCONSUMER_REQUIRE_VERSION=$MAJOR.0
  quiet cmake --build "$b-cmake" -j "$JOBS"
  "$b-cmake/app" || die "$2: find_package consumer failed"
  "$b-cmake/app_cxx" || die "$2: find_package C++ consumer failed"

  step "$2: pkg-config + plain cc (C99) against $p"
  pcdir=$(dirname "$(find "$p" -name parker.pc -path '*/pkgconfig/*')")
  export PKG_CONFIG_PATH="$pcdir"
  [ "$(pkg-config --modversion parker)" = "$VERSION" ] || die "$2: pkg-config version"
  pkg-config --libs --static parker | grep -q -- '-pthread' \
    || die "$2: parker.pc lacks -pthread in Libs.private"
  mkdir -p "$b-pc"
  # shellcheck disable=SC2046
  cc -std=c99 -Wall -Wextra -Wpedantic -Werror $(pkg-config --cflags parker) \
    "$CONSUMERS/app.c" -o "$b-pc/app" $(pkg-config --libs --static parker) \
    || die "$2: pkg-config consumer does not build"
  step "$2: pkg-config + plain c++ (C++11, parker.hpp) against $p"
  # shellcheck disable=SC2046
  c++ -std=c++11 -Wall -Wextra -Wpedantic -Werror $(pkg-config --cflags parker) \
    "$CONSUMERS/app.cpp" -o "$b-pc/app_cxx" $(pkg-config --libs --static parker) \
    || die "$2: pkg-config C++ consumer does not build"
  unset PKG_CONFIG_PATH
  if [ "$2" = shared ]; then
    LD_LIBRARY_PATH="$(dirname "$pcdir")" "$b-pc/app_cxx" || die "$2: pkg-config C++ consumer failed"
  else
    "$b-pc/app_cxx" || die "$2: pkg-config C++ consumer failed"
  fi
  if [ "$2" = shared ]; then
    readelf -d "$b-pc/app" | grep -q "NEEDED.*\[libparker\.so\.$MAJOR\]" \
      || die "shared: the consumer does not record the SONAME libparker.so.$MAJOR"
    LD_LIBRARY_PATH="$(dirname "$pcdir")" "$b-pc/app" || die "$2: pkg-config consumer failed"
  else
    "$b-pc/app" || die "$2: pkg-config consumer failed"
  fi
}

# The install is checked after moving it: a file that still pointed at the
# original prefix would break here rather than pass by accident.
mv build/pkg-prefix "$TMP/moved-static"
check_tree "$TMP/moved-static" static
consume "$TMP/moved-static" static

# ---------------------------------------------------------------- README snippets
# The README's recipes, built exactly as the README shows them.  The only
# edit: FetchContent's placeholder URL becomes a local git repository made
# from this tree, tagged with the snippet's GIT_TAG.
step "README snippets: extract"
SNIP="$TMP/snippets"
mkdir -p "$SNIP"
awk -v out="$SNIP" '
  /^<!-- snippet: [^ ]+ -->$/ { name = $3; next }
  /^```/ {
    if (inblock) { inblock = 0; close(file); next }
    lang = substr($0, 4)
    if (name != "") { inblock = 1; file = out "/" name; n++; print file > (out "/.list") }
    else if (lang == "c" || lang == "cmake" || lang == "meson") {
      printf "README.md:%d: a %s block without a <!-- snippet: FILE --> marker\n", NR, lang > "/dev/stderr"
      bad = 1
    }
    name = ""
    next
  }
  inblock { d = file; sub(/\/[^\/]*$/, "", d); system("mkdir -p \"" d "\""); print > file; next }
  { name = "" }
  END { exit bad }
' README.md || die "README.md has code blocks that the consumers stage does not build"
for f in hello.c add_subdirectory/CMakeLists.txt fetchcontent/CMakeLists.txt \
         find_package/CMakeLists.txt pkg-config.sh meson/meson.build; do
  [ -s "$SNIP/$f" ] || die "README.md has no snippet $f"
done
echo "   $(wc -l <"$SNIP/.list") snippets"

# check_hello BINARY WHAT: the README example runs and prints its answer.
check_hello() {
  out=$("$1") || die "README $2: the example program failed"
  [ "$out" = "answer = 42" ] || die "README $2: the example printed '$out'"
}
SNIPFLAGS="-Wall -Wextra -Wpedantic -Werror"

step "README snippet: the example with plain cc (C99 and C11, gcc and clang)"
for cc in gcc clang; do
  for std in c99 c11; do
    $cc -std=$std $SNIPFLAGS -Iinclude "$SNIP/hello.c" -o "$TMP/hello-$cc-$std" \
      "$ROOT/build/pkg-static/libparker.a" -pthread || die "README example does not build ($cc, $std)"
    check_hello "$TMP/hello-$cc-$std" "example ($cc, $std)"
  done
done

step "README snippet: add_subdirectory"
d="$TMP/readme-subdir"
mkdir -p "$d/third_party"
cp "$SNIP/add_subdirectory/CMakeLists.txt" "$SNIP/hello.c" "$d/"
ln -s "$ROOT" "$d/third_party/libparker"
quiet cmake -S "$d" -B "$d/build" -DCMAKE_C_FLAGS="$SNIPFLAGS"
quiet cmake --build "$d/build" -j "$JOBS"
check_hello "$d/build/hello" add_subdirectory

step "README snippet: FetchContent from a local git repository"
d="$TMP/readme-fetch"
mkdir -p "$d/repo" "$d/app"
# The files of this tree as they are now (tracked and new, not ignored), or
# everything but build/ when this is not a git checkout.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$d/repo"
else
  tar --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$d/repo"
fi
[ -f "$d/repo/CMakeLists.txt" ] || die "README FetchContent: could not copy the source tree"
tag=$(sed -n 's/.*GIT_TAG \([^ )]*\).*/\1/p' "$SNIP/fetchcontent/CMakeLists.txt")
[ -n "$tag" ] || die "README FetchContent snippet names no GIT_TAG"
quiet git -C "$d/repo" init -q
quiet git -C "$d/repo" add -A
quiet git -C "$d/repo" -c user.name=consumers -c user.email=consumers@localhost commit -qm snapshot
quiet git -C "$d/repo" tag "$tag"
sed "s|https://example.invalid/libparker.git|file://$d/repo|" "$SNIP/fetchcontent/CMakeLists.txt" \
  >"$d/app/CMakeLists.txt"
grep -q "file://$d/repo" "$d/app/CMakeLists.txt" || die "README FetchContent snippet: placeholder URL changed"
cp "$SNIP/hello.c" "$d/app/"
quiet cmake -S "$d/app" -B "$d/build" -DCMAKE_C_FLAGS="$SNIPFLAGS"
quiet cmake --build "$d/build" -j "$JOBS"
check_hello "$d/build/hello" FetchContent

step "FetchContent: the C++ consumer from the same local git repository"
rm -rf build/pkg-consumer-fetch
quiet cmake -S "$CONSUMERS/fetchcontent" -B build/pkg-consumer-fetch \
  -DPARKER_GIT_URL="file://$d/repo" -DPARKER_GIT_TAG="$tag"
quiet cmake --build build/pkg-consumer-fetch -j "$JOBS"
build/pkg-consumer-fetch/app_cxx || die "FetchContent C++ consumer failed"

step "README snippet: find_package against the moved install"
d="$TMP/readme-find"
mkdir -p "$d"
cp "$SNIP/find_package/CMakeLists.txt" "$SNIP/hello.c" "$d/"
quiet cmake -S "$d" -B "$d/build" -DCMAKE_PREFIX_PATH="$TMP/moved-static" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_C_FLAGS="$SNIPFLAGS"
quiet cmake --build "$d/build" -j "$JOBS"
check_hello "$d/build/hello" find_package

step "README snippet: pkg-config against the moved install"
d="$TMP/readme-pc"
mkdir -p "$d"
cp "$SNIP/pkg-config.sh" "$SNIP/hello.c" "$d/"
(cd "$d" && PKG_CONFIG_PATH="$(dirname "$(find "$TMP/moved-static" -name parker.pc)")" \
   sh ./pkg-config.sh) || die "README pkg-config snippet does not build"
check_hello "$d/hello" pkg-config

step "README snippet: Meson through the CMake package"
need_packages meson ninja-build
d="$TMP/readme-meson"
mkdir -p "$d"
cp "$SNIP/meson/meson.build" "$SNIP/hello.c" "$d/"
quiet meson setup "$d/build" "$d" -Dcmake_prefix_path="$TMP/moved-static" -Dwerror=true
quiet meson compile -C "$d/build"
check_hello "$d/build/hello" Meson

step "SameMajorVersion: find_package(parker $NEXT_MAJOR.0) must fail"
rm -rf build/pkg-consumer-major
if cmake -S "$CONSUMERS/find_package" -B build/pkg-consumer-major \
     -DCMAKE_PREFIX_PATH="$TMP/moved-static" -DCONSUMER_REQUIRE_VERSION=$NEXT_MAJOR.0 \
     >"$TMP/major.log" 2>&1; then
  die "find_package(parker $NEXT_MAJOR.0) accepted version $VERSION"
fi
grep -q "version: $VERSION" "$TMP/major.log" \
  || { cat "$TMP/major.log" >&2; die "find_package(parker $NEXT_MAJOR.0) failed for another reason"; }

step "build tree: find_package with parker_DIR=build/pkg-static"
rm -rf build/pkg-consumer-buildtree
quiet cmake -S "$CONSUMERS/find_package" -B build/pkg-consumer-buildtree \
  -Dparker_DIR="$ROOT/build/pkg-static" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
quiet cmake --build build/pkg-consumer-buildtree -j "$JOBS"
build/pkg-consumer-buildtree/app || die "build-tree consumer failed"
build/pkg-consumer-buildtree/app_cxx || die "build-tree C++ consumer failed"

# ---------------------------------------------------------------- vendoring
step "add_subdirectory consumer"
rm -rf build/pkg-consumer-subdir
quiet cmake -S "$CONSUMERS/add_subdirectory" -B build/pkg-consumer-subdir \
  -DPARKER_SOURCE_DIR="$ROOT"
quiet cmake --build build/pkg-consumer-subdir -j "$JOBS"
build/pkg-consumer-subdir/app || die "add_subdirectory consumer failed"
build/pkg-consumer-subdir/app_cxx || die "add_subdirectory C++ consumer failed"
quiet cmake --install build/pkg-consumer-subdir --prefix "$TMP/subdir-on"
[ -f "$TMP/subdir-on/include/parker.h" ] \
  || die "vendored with PARKER_INSTALL=ON (default): parker.h not installed"
quiet cmake -S "$CONSUMERS/add_subdirectory" -B build/pkg-consumer-subdir -DPARKER_INSTALL=OFF
quiet cmake --install build/pkg-consumer-subdir --prefix "$TMP/subdir-off"
if [ -n "$(find "$TMP/subdir-off" -type f 2>/dev/null)" ]; then
  find "$TMP/subdir-off" -type f >&2
  die "vendored with PARKER_INSTALL=OFF: libparker files were installed"
fi

# ---------------------------------------------------------------- headers
LIBA="$ROOT/build/pkg-static/libparker.a"
WFLAGS="-Wall -Wextra -Wpedantic -Werror"
mkdir -p build/pkg-headers
for cc in gcc clang; do
  for std in c99 c11; do
    step "header as $std with $cc"
    out="build/pkg-headers/check-$cc-$std"
    # shellcheck disable=SC2086
    $cc -std=$std $WFLAGS $LOT_DEF -Iinclude "$CONSUMERS/header/check.c" -o "$out" \
      "$LIBA" -pthread || die "header does not compile as $std with $cc"
    "$out" || die "header check $std/$cc failed at run time"
  done
done
for cxx in g++ clang++; do
  for std in c++11 c++17; do
    step "header in a C++ TU ($std) with $cxx"
    out="build/pkg-headers/check-$cxx-$std"
    # shellcheck disable=SC2086
    $cxx -std=$std $WFLAGS $LOT_DEF -Iinclude "$CONSUMERS/header/check.cpp" -o "$out" \
      "$LIBA" -pthread || die "header does not compile/link as $std with $cxx"
    "$out" || die "C++ header check $std/$cxx failed at run time"
  done
done

for cxx in g++ clang++; do
  for std in c++11 c++14 c++17 c++20; do
    step "parker.hpp as $std with $cxx"
    out="build/pkg-headers/hpp-$cxx-$std"
    $cxx -std=$std $WFLAGS -Iinclude "$CONSUMERS/app.cpp" -o "$out" "$LIBA" -pthread \
      || die "parker.hpp does not compile/link as $std with $cxx"
    "$out" >/dev/null || die "parker.hpp consumer $std/$cxx failed at run time"
  done
done

# ---------------------------------------------------------------- shared
step "shared library: configure, build (with the cmocka suite)"
quiet cmake -S . -B build/pkg-shared -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
  -DPARKER_BUILD_TESTS=ON -DPARKER_BUILD_BENCH=OFF -DPARKER_BUILD_EXAMPLES=OFF
quiet cmake --build build/pkg-shared -j "$JOBS"
SO=build/pkg-shared/libparker.so
[ "$(readlink "$SO")" = libparker.so.$MAJOR ] && [ "$(readlink "$SO.$MAJOR")" = libparker.so.$VERSION ] \
  || die "shared: expected libparker.so -> libparker.so.$MAJOR -> libparker.so.$VERSION"
soname=$(readelf -d "$SO" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libparker.so.$MAJOR ] || die "shared: SONAME is '$soname', want libparker.so.$MAJOR"

step "shared: exported symbols are exactly the PARKER_API functions"
nm -D --defined-only "$SO" | awk '{print $NF}' | sort >"$TMP/exported"
# Every declaration reads "PARKER_API <type> <name>(...);" on one line.
sed -n 's/^PARKER_API[^(]*[ *]\([A-Za-z_][A-Za-z0-9_]*\)(.*/\1/p' include/*.h | sort >"$TMP/declared"
[ -s "$TMP/declared" ] || die "shared: no PARKER_API declarations found in include/*.h"
if ! diff -u "$TMP/declared" "$TMP/exported"; then
  die "shared: exported symbols differ from the header's PARKER_API functions (-declared +exported)"
fi
if grep -v '^parker_[a-z]' "$TMP/exported"; then
  die "shared: symbols above are exported but are not public parker_ names"
fi
echo "   $(wc -l <"$TMP/exported") symbols, all parker_*"

step "shared: cmocka suite against libparker.so"
(cd build/pkg-shared && ctest --output-on-failure -j 1 >"$TMP/ctest.log" 2>&1) \
  || { cat "$TMP/ctest.log" >&2; die "shared: test suite failed"; }
grep -E 'tests passed' "$TMP/ctest.log"
# The tests must really have run against the shared object.
ldd build/pkg-shared/tests/test_parker | grep -q "libparker\.so\.$MAJOR " \
  || die "shared: test_parker is not linked against libparker.so.$MAJOR"

rm -rf build/pkg-prefix-shared
quiet cmake --install build/pkg-shared --prefix build/pkg-prefix-shared
mv build/pkg-prefix-shared "$TMP/moved-shared"
check_tree "$TMP/moved-shared" shared
if readelf -d "$TMP/moved-shared/lib/libparker.so.$VERSION" | grep -E 'RPATH|RUNPATH'; then
  die "shared install: the installed library carries a build-tree run path"
fi
consume "$TMP/moved-shared" shared

# ---------------------------------------------------------------- Windows DLL
# The same export rule for the DLL: PARKER_API is dllexport while building,
# and the installed CMake target hands PARKER_SHARED (dllimport) to users.
step "Windows DLL (mingw-w64): exports and install tree"
need_packages gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64
quiet cmake -S . -B build/pkg-mingw-shared \
  -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/toolchains/mingw-w64-x86_64.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DPARKER_BUILD_TESTS=OFF \
  -DPARKER_BUILD_BENCH=OFF -DPARKER_BUILD_EXAMPLES=OFF
quiet cmake --build build/pkg-mingw-shared -j "$JOBS"
x86_64-w64-mingw32-objdump -p build/pkg-mingw-shared/libparker.dll \
  | sed -n '/Ordinal\/Name Pointer/,/^$/s/^[[:space:]]*\[ *[0-9]*\] //p' | sort >"$TMP/dll-exported"
if ! diff -u "$TMP/declared" "$TMP/dll-exported"; then
  die "DLL: exported symbols differ from the header's PARKER_API functions (-declared +exported)"
fi
quiet cmake --install build/pkg-mingw-shared --prefix "$TMP/mingw"
[ -f "$TMP/mingw/bin/libparker.dll" ] && [ -f "$TMP/mingw/lib/libparker.dll.a" ] \
  || die "DLL install: libparker.dll in bin/ and libparker.dll.a in lib/ expected"
grep -q 'INTERFACE_COMPILE_DEFINITIONS "PARKER_SHARED"' "$TMP/mingw/lib/cmake/parker/parkerTargets.cmake" \
  || die "DLL install: the CMake target does not define PARKER_SHARED for users"
grep -q '^Cflags:.*-DPARKER_SHARED' "$TMP/mingw/lib/pkgconfig/parker.pc" \
  || die "DLL install: parker.pc does not define PARKER_SHARED"
if grep -rIl -e "$ROOT" -e "/usr/local" "$TMP/mingw"; then
  die "DLL install: the files above name an absolute path"
fi
echo "   $(wc -l <"$TMP/dll-exported") symbols exported from libparker.dll"

echo "consumers: all checks passed"
