# Shared by run.sh and test.sh: install missing Debian packages, configure, build.
# shellcheck shell=bash

DS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DS_BUILD="${DS_BUILD:-$DS_ROOT/build}"

# What building and running dropscope needs on Debian 12.
DS_PACKAGES=(gcc pkg-config meson ninja-build libsdl2-dev libsdl2-ttf-dev libsdl2-image-dev
    libcmocka-dev zlib1g-dev libopenblas-dev libhdf5-dev fonts-dejavu-core dataset-fashion-mnist
    libgif-dev scdoc desktop-file-utils appstream)

ds_missing_packages() {
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
    done
}

ds_install() {
    local missing
    missing=$(ds_missing_packages "$@")
    [ -z "$missing" ] && return 0
    echo "dropscope: installing missing Debian packages:" $missing >&2
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo="sudo"
        else
            echo "dropscope: run as root (or install sudo) to install:" $missing >&2
            return 1
        fi
    fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 &&
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >&2
}

ds_build() {
    local dir="${1:-$DS_BUILD}"
    shift || true
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$DS_ROOT" "$@" >&2 || return 1
    fi
    ninja -C "$dir" >&2
}
