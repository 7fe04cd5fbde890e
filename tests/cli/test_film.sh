#!/bin/bash
# Issue 13: `dropscope film` against `dropscope shot`.
#
#   bash tests/cli/test_film.sh path/to/dropscope path/to/film_compare
#
# Films 3 steps of lesson 1 (seed 5, 640x400) and shoots the same lesson, seed and size
# at steps 2 and 3; film_compare decodes the clip with giflib and checks it is 640x400
# with 3 frames, and that frames 2 and 3 equal the shots pixel for pixel once each shot
# pixel is mapped to the nearest colour of the clip's own table. Control: frame 1 against
# the step-2 shot must differ (the comparison can fail). Also: the clip is a GIF89a that
# loops (NETSCAPE2.0), with the delay asked for (--delay-ms 120 -> 12 hundredths).
#
# Needs Debian's dataset-fashion-mnist (or $DROPSCOPE_DATA); exits 77 (skip) without it.
set -u
DS=${1:?usage: test_film.sh path/to/dropscope path/to/film_compare}
CMP=${2:?usage: test_film.sh path/to/dropscope path/to/film_compare}
DATA=${DROPSCOPE_DATA:-/usr/share/datasets/fashion-mnist}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
if [ ! -r "$DATA/train-images-idx3-ubyte.gz" ]; then
    echo "SKIP: $DATA absent (Debian's dataset-fashion-mnist)"
    exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/dsfilm-XXXXXX")
trap 'rm -rf "$T"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

L=01-which-neurons
if "$DS" film "$L" --steps 3 --size 640x400 --seed 5 --delay-ms 120 --out "$T/clip.gif" >"$T/out" 2>"$T/err"; then
    ok "film: $(cat "$T/out")"
else
    fail "film exited $?: $(cat "$T/err")"
fi
for k in 2 3; do
    "$DS" shot "$L" --steps $k --size 640x400 --seed 5 --out "$T/shot$k.png" >/dev/null 2>"$T/err" ||
        fail "shot --steps $k: $(cat "$T/err")"
done
if "$CMP" "$T/clip.gif" 640 400 3 2 "$T/shot2.png" 3 "$T/shot3.png"; then
    ok "frames 2 and 3 are the shots at steps 2 and 3"
else
    fail "the clip does not match the shots"
fi
if "$CMP" "$T/clip.gif" 640 400 3 1 "$T/shot2.png" >/dev/null; then
    fail "control: frame 1 equals the step-2 shot (the comparison cannot tell steps apart)"
else
    ok "control: frame 1 differs from the step-2 shot"
fi
# the header and the extensions, read as bytes
head -c 6 "$T/clip.gif" | grep -q '^GIF89a$' && ok "GIF89a" || fail "not a GIF89a"
grep -qa 'NETSCAPE2.0' "$T/clip.gif" && ok "loops (NETSCAPE2.0)" || fail "no NETSCAPE2.0 loop block"
# graphic control extension: 21 F9 04 <flags> <delay lo> <delay hi>: 12 = 0x0c 0x00
if od -An -tx1 -v "$T/clip.gif" | tr -d '\n' | grep -q '21 f9 04 [0-9a-f][0-9a-f] 0c 00'; then
    ok "delay 12 hundredths"
else
    fail "no frame delay of 12 hundredths"
fi
echo "$failures failures"
[ "$failures" -eq 0 ]
