#!/bin/sh
# Manual pages (docs/man/*.3, mdoc, section 3):
#   - each page lints clean with mandoc -Tlint (warnings and style included);
#   - every PARKER_API function declared in include/*.h is named in the NAME
#     section of some page (a page may document several calls);
#   - a name on a page that no header declares is reported as a warning (the
#     sync pages are written from their contract before the header lands);
#   - each page's SYNOPSIS shows exactly the header's prototype (parameter
#     names included) and includes the header that declares it
#     (tools/man_synopsis_check.py);
#   - cmake --install puts every page and one alias per documented name into
#     share/man/man3, and the installed alias stubs resolve.
# Build directory: build/man.  Exits non-zero on the first failure.
set -eu
cd "$(dirname "$0")/../.."
. scripts/lib.sh

need_packages mandoc cmake gcc make python3

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
die() {
  echo "man: FAIL: $*" >&2
  exit 1
}

pages=$(ls docs/man/*.3 2>/dev/null) || die "no pages in docs/man"

echo "-- mandoc -Tlint"
# Everything -Tlint reports fails the stage (style included) except that a
# page's .Xr references are not in this machine's mandoc.db (ours are not
# installed; they are checked below against the pages instead).
lint_failed=0
for p in $pages; do
  out=$(mandoc -Tlint "$p" 2>&1 | grep -v -e 'referenced manual not found' -e 'mandoc.db' || true)
  if [ -n "$out" ]; then
    echo "$out" >&2
    lint_failed=1
  fi
done
[ "$lint_failed" -eq 0 ] || die "mandoc -Tlint reported the problems above"

# Names documented: the .Nm lines of each page's NAME section.
for p in $pages; do
  awk '/^\.Sh /{n=($0==".Sh NAME")} n && /^\.Nm /{print $2}' "$p"
done | sort -u >"$TMP/documented"

# Functions declared: "PARKER_API <type> <name>(" (the declaration may
# continue on later lines; the name is on the PARKER_API line).
sed -n 's/^[[:space:]]*PARKER_API[^(]*[ *]\([A-Za-z_][A-Za-z0-9_]*\)(.*/\1/p' include/*.h \
  | sort -u >"$TMP/declared"
[ -s "$TMP/declared" ] || die "no PARKER_API declarations found in include/*.h"

missing=$(comm -23 "$TMP/declared" "$TMP/documented")
if [ -n "$missing" ]; then
  echo "$missing" | sed 's/^/   no page: /' >&2
  die "the PARKER_API functions above have no manual page"
fi
extra=$(comm -13 "$TMP/declared" "$TMP/documented" | grep -vx libparker || true)
if [ -n "$extra" ]; then
  echo "man: warning: pages document $(echo "$extra" | wc -l) names that include/*.h does not declare (yet):"
  echo "$extra" | tr '\n' ' ' | fold -s -w 76 | sed 's/^/   /'
  echo
fi
echo "   $(wc -l <"$TMP/declared") functions declared, all documented; $(echo "$pages" | wc -w) pages, $(wc -l <"$TMP/documented") names"

# Every cross-reference to a libparker page names a documented call or a page.
for p in $pages; do basename "$p" .3; done >>"$TMP/documented"
sort -u -o "$TMP/documented" "$TMP/documented"
for p in $pages; do
  sed -n 's/^\.Xr \(\(lib\)\{0,1\}parker[A-Za-z0-9_]*\) 3.*/\1/p' "$p" | sort -u | while read -r ref; do
    grep -qx "$ref" "$TMP/documented" || { echo "   $p: .Xr $ref 3 has no page" >&2; echo x; }
  done
done >"$TMP/badref"
[ ! -s "$TMP/badref" ] || die "cross-references above point to no page"

echo "-- SYNOPSIS prototypes against include/*.h"
python3 tools/man_synopsis_check.py include docs/man \
  || die "the pages above show prototypes that differ from the headers"

echo "-- cmake --install puts the pages into share/man/man3"
log="$TMP/build.log"
if ! { cmake -S . -B build/man -DCMAKE_BUILD_TYPE=Release -DPARKER_BUILD_TESTS=OFF \
         -DPARKER_BUILD_BENCH=OFF -DPARKER_BUILD_EXAMPLES=OFF -DCMAKE_INSTALL_MANDIR=share/man &&
       cmake --build build/man -j "$JOBS" &&
       cmake --install build/man --prefix "$TMP/prefix"; } >"$log" 2>&1; then
  cat "$log" >&2
  die "configure, build or install failed"
fi
man3="$TMP/prefix/share/man/man3"
while read -r name; do
  [ -f "$man3/$name.3" ] || die "installed tree has no $name.3"
  # Render through the .so link as man(1) would (mandoc resolves .so
  # relative to the manual root).
  (cd "$TMP/prefix/share/man" && mandoc -Tascii "man3/$name.3" 2>&1 | sed 's/.\x08//g' | grep -q "$name") \
    || die "installed $name.3 does not render a page that names $name"
done <"$TMP/documented"
echo "   $(ls "$man3" | wc -l) files in man3"
echo "man: all checks passed"
