#!/usr/bin/env bash
# Builds the Debian package from a copy of the tree, checks it with lintian, installs it
# with apt-get and runs the installed dropscope from /tmp: check on every installed lesson.
#   scripts/deb.sh [--no-install]
# The .deb is left in build-deb/. Needs root (apt-get) on Debian 12.
set -euo pipefail
. "$(dirname "$0")/common.sh"
ds_install "${DS_PACKAGES[@]}" debhelper dpkg-dev fakeroot lintian scdoc
out="$DS_ROOT/build-deb"
rm -rf "$out" && mkdir -p "$out/src"
(cd "$DS_ROOT" && tar --exclude='./build*' --exclude='./.git' -cf - .) | tar -xf - -C "$out/src"
(cd "$out/src" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1) ||
    { tail -40 "$out/build.log"; exit 1; }
deb="$(ls "$out"/dropscope_*_amd64.deb)"
echo "built $(basename "$deb")"
dpkg-deb -f "$deb" Depends
# lintian: errors fail the build; warnings are printed
lintian --fail-on error "$deb" || { echo "lintian reported errors" >&2; exit 1; }
[ "${1:-}" = --no-install ] && exit 0
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall "$deb" >/dev/null
cd /tmp
export OPENBLAS_NUM_THREADS=1
n=0
for lesson in /usr/share/dropscope/lessons/*.lesson; do
    /usr/bin/dropscope check "$lesson" >/dev/null || { echo "FAIL: check $lesson" >&2; exit 1; }
    n=$((n + 1))
done
man -w dropscope >/dev/null
echo "deb: installed $(basename "$deb"); $n installed lessons pass check from /tmp: 1 passed, 0 failed"
