#!/bin/sh
# Print the path of an unpacked cmocka source tree from Debian's cmocka
# source package, downloading it once into build/cmocka-src.  Used to build
# cmocka for targets Debian ships no binary for (mingw, static cross builds).
# Uses a private apt configuration: the system's sources stay untouched.
set -eu
cd "$(dirname "$0")/.."
. scripts/lib.sh
need_packages dpkg-dev xz-utils >&2

root="$PWD/build/cmocka-src"
if [ -f "$root/ok" ]; then
  cat "$root/ok"
  exit 0
fi
mkdir -p "$root/lists/partial" "$root/archives/partial"

# The machine's own Debian archive and suite (scripts/lib.sh), so that the
# source matches the binary packages and no other mirror is needed.
# shellcheck disable=SC2046 # two words: URI SUITE
set -- $(debian_archive)
uri=$1 suite=$2
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
if [ -f "$keyring" ]; then opt="signed-by=$keyring"; else opt="trusted=yes"; fi
echo "deb-src [$opt] $uri $suite main" > "$root/sources.list"
apt_opts="-o Dir::Etc::SourceList=$root/sources.list -o Dir::Etc::SourceParts=/dev/null
  -o Dir::State::Lists=$root/lists -o Dir::Cache::Archives=$root/archives
  -o APT::Sandbox::User=root"
# shellcheck disable=SC2086
apt-get $apt_opts update -qq >&2
# shellcheck disable=SC2086
(cd "$root" && apt-get $apt_opts source --download-only cmocka >&2)
tarball=$(ls "$root"/cmocka_*.orig.tar.* | head -n 1)
tar -xf "$tarball" -C "$root"
src=$(find "$root" -mindepth 1 -maxdepth 1 -type d -name 'cmocka-*' | head -n 1)
[ -f "$src/CMakeLists.txt" ] || { echo "error: no cmocka source in $tarball" >&2; exit 1; }
echo "$src" > "$root/ok"
echo "$src"
