#!/usr/bin/env bash
# Behaviour-preserving refactors: a seeded `train --record` of every shipped lesson (and
# the Keras fixture scripts) must give byte-identical records with two builds.
#   scripts/same-records.sh OLD_DROPSCOPE NEW_DROPSCOPE
# Prints one line per lesson and exits 1 at the first difference. One BLAS thread, so
# the bits do not depend on scheduling.
set -euo pipefail
old="$1"; new="$2"
root="$(cd "$(dirname "$0")/.." && pwd)"
export OPENBLAS_NUM_THREADS=1
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail=0
for lesson in "$root"/lessons/*.lesson "$root"/tests/fixtures/keras/*.py; do
    [ -f "$lesson" ] || continue
    name="$(basename "$lesson")"
    steps=25
    case "$name" in 08-*|*inception*) steps=2 ;; esac
    for which in old new; do
        bin="$old"; [ "$which" = new ] && bin="$new"
        rc=0
        "$bin" train "$lesson" --steps "$steps" --seed 5 --record "$work/$which-$name" \
            >"$work/$which-$name.out" 2>&1 || rc=$?
        echo "$rc" >"$work/$which-$name.rc"
        # the table's steps/s column is a timing, not a result
        sed -i -E 's/[0-9]+(\.[0-9]+)? *steps\/s//g; s/ +[0-9]+\.[0-9] *$//' "$work/$which-$name.out"
    done
    if ! cmp -s "$work/old-$name.rc" "$work/new-$name.rc"; then
        echo "DIFFER $name: exit status"; fail=1; continue
    fi
    if [ -d "$work/old-$name" ] && ! diff -r "$work/old-$name" "$work/new-$name" >/dev/null; then
        echo "DIFFER $name: record"; diff -rq "$work/old-$name" "$work/new-$name" | head -5; fail=1; continue
    fi
    echo "same   $name ($steps steps, exit $(cat "$work/new-$name.rc"))"
done
exit $fail
