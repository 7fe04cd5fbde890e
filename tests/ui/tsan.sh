#!/bin/sh
# Builds tests/ui with ThreadSanitizer and runs it.
#
#   tests/ui/tsan.sh [BUILD_DIR]     (default: build; must be configured and built)
#
# Only src/ui and the tests are instrumented; the engine, data and lesson libraries come
# uninstrumented from BUILD_DIR. (A whole-project -Db_sanitize=thread build crashes at
# load time: the engine's target_clones ifunc resolvers run before the TSan runtime is
# initialised.) What TSan checks here is what src/ui owns: the worker thread, the
# snapshot ring and the command queue against the drawing thread.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-$src/build}
case $build in /*) ;; *) build=$src/$build ;; esac
ninja -C "$build" src/lesson/libdslesson.a src/data/libdsdata.a src/engine/libdsengine.a >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
hdf5=$(pkg-config --libs hdf5 2>/dev/null || echo -lhdf5_serial)
blas=$(pkg-config --libs openblas 2>/dev/null || pkg-config --libs cblas)
# shellcheck disable=SC2046,SC2086
cc -std=c11 -O1 -g -fsanitize=thread -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
   -ffp-contract=off -I"$build" -I"$src/src" -I"$here" \
   $(pkg-config --cflags sdl2 SDL2_ttf SDL2_image cmocka) \
   "$src"/src/ui/*.c "$here/test_ui.c" "$here/fake_trace.c" \
   "$build/src/lesson/libdslesson.a" "$build/src/data/libdsdata.a" "$build/src/engine/libdsengine.a" \
   $(pkg-config --libs sdl2 SDL2_ttf SDL2_image cmocka zlib) $blas $hdf5 -lm -lpthread \
   -o "$out/test_ui_tsan"
DROPSCOPE_SOURCE_DIR=$src SDL_VIDEODRIVER=dummy OPENBLAS_NUM_THREADS=1 \
TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$out/test_ui_tsan"
