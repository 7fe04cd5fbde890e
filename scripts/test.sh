#!/usr/bin/env bash
# Installs what is missing, builds from nothing if needed, runs every test (meson test).
# Extra arguments go to meson test (e.g. scripts/test.sh --suite engine).
set -euo pipefail
. "$(dirname "$0")/common.sh"
ds_install "${DS_PACKAGES[@]}"
ds_build "$DS_BUILD"
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
meson test -C "$DS_BUILD" --print-errorlogs --num-processes 2 "$@"
