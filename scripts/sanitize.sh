#!/usr/bin/env bash
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer
# (any report fails the run), then every fuzz harness for FUZZ_SECONDS each.
set -euo pipefail
. "$(dirname "$0")/common.sh"
ds_install "${DS_PACKAGES[@]}" clang libclang-rt-14-dev
export OPENBLAS_NUM_THREADS=1
# memory bounds in tests (e.g. the image bombs) do not hold with ASan's shadow memory
export DS_SANITIZED=1
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
ds_build "$DS_ROOT/build-asan" -Db_sanitize=address,undefined -Dbuildtype=debugoptimized -Db_lundef=false
meson test -C "$DS_ROOT/build-asan" --print-errorlogs --num-processes 2 --timeout-multiplier 4 --no-suite slow

if [ -x "$DS_ROOT/scripts/fuzz.sh" ]; then
    bash "$DS_ROOT/scripts/fuzz.sh" "${FUZZ_SECONDS:-60}"
fi
