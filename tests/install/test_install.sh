#!/usr/bin/env bash
# Install test (issue 13): build a copy of the source tree with a temporary prefix, install
# it, delete the copy and its build directory, and run the installed program from another
# directory: --version, help, check on every installed lesson, shot, import, summary, and
# the installed desktop files through their validators.
#   tests/install/test_install.sh [--quick]   (--quick: check only the first lesson)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
quick=0; [ "${1:-}" = --quick ] && quick=1
tmp="$(mktemp -d /tmp/dropscope-install.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir "$tmp/src"
(cd "$root" && tar --exclude='./build*' --exclude='./.git' --exclude='./debian/.debhelper' \
    -cf - .) | tar -xf - -C "$tmp/src"
meson setup "$tmp/build" "$tmp/src" --prefix "$tmp/prefix" -Dtests=false >/dev/null
ninja -C "$tmp/build" >/dev/null
meson install -C "$tmp/build" --quiet >/dev/null
rm -rf "$tmp/src" "$tmp/build"          # the source tree is now out of reach

bin="$tmp/prefix/bin/dropscope"
share="$tmp/prefix/share"
mkdir "$tmp/elsewhere" && cd "$tmp/elsewhere"
export OPENBLAS_NUM_THREADS=1 SDL_VIDEODRIVER=dummy

"$bin" --version | grep -Eq '^dropscope [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version"
"$bin" help | grep -q 'dropscope check' || fail "help lists the commands"
for f in "$share/applications/io.github.dropscope.Dropscope.desktop" \
         "$share/metainfo/io.github.dropscope.Dropscope.metainfo.xml" \
         "$share/mime/packages/dropscope-lesson.xml" \
         "$share/icons/hicolor/scalable/apps/io.github.dropscope.Dropscope.svg" \
         "$share/icons/hicolor/128x128/apps/io.github.dropscope.Dropscope.png" \
         "$share/bash-completion/completions/dropscope" \
         "$share/man/man1/dropscope.1" "$share/doc/dropscope/lesson-format.md"; do
    [ -s "$f" ] || fail "not installed: ${f#$tmp/prefix/}"
done
if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate "$share/applications/io.github.dropscope.Dropscope.desktop"
fi
if command -v appstreamcli >/dev/null; then
    appstreamcli validate --no-net "$share/metainfo/io.github.dropscope.Dropscope.metainfo.xml" >/dev/null
fi
man -l "$share/man/man1/dropscope.1" 2>/dev/null | grep -q 'EXIT STATUS' || fail "man page"
bash -n "$share/bash-completion/completions/dropscope" || fail "completion"

n=0
for lesson in "$share"/dropscope/lessons/*.lesson; do
    [ $quick = 1 ] && [ $n -ge 1 ] && break
    "$bin" check "$lesson" >"$tmp/check.out" 2>&1 || { cat "$tmp/check.out"; fail "check $lesson"; }
    n=$((n + 1))
done
[ $n -ge 1 ] || fail "no lessons installed"
# a course lesson by its name, from a directory that holds none
"$bin" summary 02-frozen-base | grep -q 'Trainable params' || fail "summary by lesson name"
"$bin" train --steps 3 >/dev/null || fail "train the default lesson"
"$bin" shot 01-which-neurons --steps 2 --out "$tmp/elsewhere/shot.png" >/dev/null
[ -s shot.png ] || fail "shot"
cat >model.py <<'PY'
from tensorflow.keras import layers, models
model = models.Sequential()
model.add(layers.Flatten(input_shape=(28, 28, 1)))
model.add(layers.Dense(64, activation='relu'))
model.add(layers.Dropout(0.5))
model.add(layers.Dense(1, activation='sigmoid'))
model.compile(optimizer='rmsprop', loss='binary_crossentropy', metrics=['accuracy'])
PY
"$bin" import model.py -o model.lesson 2>/dev/null
"$bin" check model.lesson >/dev/null || fail "check the imported lesson"
echo "install test: $n lessons checked, shot, import, summary from $PWD: 1 passed, 0 failed"
