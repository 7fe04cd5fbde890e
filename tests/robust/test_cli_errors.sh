#!/usr/bin/env bash
# Issue 7: bad command lines and bad files given on the command line, for every command.
#
#   bash tests/robust/test_cli_errors.sh path/to/dropscope
#
# Every case must exit 2 (1 for a failed `check`), print a one-line message on stderr
# that names the option, or the file (and line or layer), and never crash or hang:
# an exit status of 124 (the 60 s timeout) or >= 128 (a signal), or any sanitizer
# report, fails the case. DS_TEST_SHOW=1 prints each case's message (docs/errors.md).
#
# Cases that load Fashion-MNIST are skipped (with a note) when it is absent; cases that
# need a window are run with SDL's dummy driver.
set -u

DS=${1:?usage: test_cli_errors.sh path/to/dropscope}
DS=$(cd "$(dirname "$DS")" && pwd)/$(basename "$DS")
SRC=${DROPSCOPE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DATA=${DROPSCOPE_DATA:-/usr/share/datasets/fashion-mnist}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
unset DROPSCOPE_DATA DISPLAY WAYLAND_DISPLAY

T=$(mktemp -d "${TMPDIR:-/tmp}/dsrobcli-XXXXXX")
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
cd "$T" || exit 1

have_data=0
[ -r "$DATA/train-images-idx3-ubyte.gz" ] && have_data=1
failures=0 passed=0 skipped=0

# expect RC 'TEXT' [--data-needed] -- CMD...
#   RC: the exit status wanted; TEXT: a fixed string the one error line must contain
#   (the file or option it names). Runs CMD with a 60 s timeout, stdin from /dev/null.
expect() {
    local want=$1 text=$2 needs_data=0
    shift 2
    if [ "$1" = --data-needed ]; then needs_data=1; shift; fi
    [ "$1" = -- ] && shift
    local what="$*"
    what=${what//$T/\$T}
    what=${what//$DS/dropscope}
    if [ $needs_data = 1 ] && [ $have_data = 0 ]; then
        echo "skip: $what (no Fashion-MNIST at $DATA)"
        skipped=$((skipped + 1))
        return
    fi
    timeout -k 5 60 "$@" >"$T/out" 2>"$T/err" </dev/null
    local rc=$? why=""
    local lines
    lines=$(grep -cF -- "$text" "$T/err")
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        why="hung: killed after 60 s"
    elif [ $rc -ge 128 ]; then
        why="crashed: killed by signal $((rc - 128))"
    elif grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$T/err"; then
        why="sanitizer report"
    elif [ $rc -ne "$want" ]; then
        why="exit status $rc, wanted $want"
    elif [ -n "$text" ] && [ "$lines" -ne 1 ]; then
        why="wanted one stderr line containing '$text', found $lines"
    fi
    local msg
    msg=$(grep -F -- "$text" "$T/err" | head -1)
    msg=${msg//$T/\$T}
    if [ -z "$why" ]; then
        echo "ok: $what -> $rc"
        passed=$((passed + 1))
        [ -n "${DS_TEST_SHOW:-}" ] && echo "    $msg"
    else
        echo "FAIL: $what: $why"
        sed 's/^/    stderr: /' "$T/err" | head -20
        failures=$((failures + 1))
    fi
}

# ---------------------------------------------------------------- fixtures --
printf '' >empty.lesson
printf 'title caf\xe9\n' >latin1.lesson
{ printf 'title '; head -c 100000 /dev/zero | tr '\0' a; printf '\n'; } >longline.lesson
{ head -c 100000 /dev/zero | tr '\0' x; } >nonewline.lesson
mkdir -p adir emptydir
printf 'not a directory\n' >afile

# A small lesson on Fashion-MNIST (200 training images) with the base's weights in W.
lesson() { # NAME WEIGHTS_DIR [model lines replacing the head] -> NAME.lesson
    local name=$1 w=$2 head=${3:-"  Dense(32, activation=relu)
  Dropout(0.2)
  Dense(1, activation=sigmoid)"}
    cat >"$name.lesson" <<EOF
title robust $name
data fashion_mnist
  classes sneaker, ankle boot
  train 200
  val 40
model
  base fashion_cnn(input_shape=(28, 28, 1), weights="$w") frozen
  Flatten()
$head
compile
  optimizer RMSprop(lr=0.001)
  loss binary_crossentropy
  metrics accuracy
fit
  batch_size 20
  seed 1
step "one"
  run 2 steps
  expect steps == 2
EOF
}
lesson good "$SRC/assets/fashion_cnn"
# a check that fails: the expectation cannot hold
sed 's/expect steps == 2/expect steps == 3/' good.lesson >unmet.lesson

# Weight directories: truncated, wrong shape, NaN, Inf, empty, missing.
npy() { # FILE 'SHAPE' VALUES... : writes a float32 little-endian .npy (version 1.0)
    local f=$1 shape=$2
    shift 2
    local hdr="{'descr': '<f4', 'fortran_order': False, 'shape': $shape, }"
    local len=$(((10 + ${#hdr} + 1 + 63) / 64 * 64 - 10))
    {
        printf '\x93NUMPY\x01\x00'
        printf "\\x$(printf %02x $((len & 255)))\\x$(printf %02x $((len >> 8)))"
        printf '%s' "$hdr"
        printf '%*s' $((len - ${#hdr} - 1)) ''
        printf '\n'
        local v
        for v in "$@"; do
            case $v in
            nan) printf '\x00\x00\xc0\x7f' ;;
            inf) printf '\x00\x00\x80\x7f' ;;
            *) printf '\x00\x00\x00\x00' ;;
            esac
        done
    } >"$f"
}
for w in wtrunc wshape wnan winf; do
    mkdir -p $w && cp "$SRC"/assets/fashion_cnn/*.npy $w/
done
head -c 100 "$SRC/assets/fashion_cnn/conv2d_1.kernel.npy" >wtrunc/conv2d_1.kernel.npy
npy wshape/conv2d.bias.npy '(16,)' $(seq 16)
zeros=$(printf '0 %.0s' $(seq 31))
npy wnan/conv2d.bias.npy '(32,)' nan $zeros
npy winf/conv2d.bias.npy '(32,)' 0 0 0 inf $(printf '0 %.0s' $(seq 28))
mkdir -p wempty
for w in wtrunc wshape wnan winf wempty; do lesson $w "$T/$w"; done
lesson wmissing "$T/no-such-weights"

# Truncated Fashion-MNIST: each file cut to 100 kB (images) or to half (labels).
if [ $have_data = 1 ]; then
    mkdir -p trunc trunclabels
    for f in "$DATA"/*-ubyte.gz; do
        head -c 100000 "$f" >trunc/"$(basename "$f")"
        ln -s "$f" trunclabels/"$(basename "$f")"
    done
    rm trunclabels/train-labels-idx1-ubyte.gz
    gzip -dc "$DATA/train-labels-idx1-ubyte.gz" | head -c 30000 | gzip >trunclabels/train-labels-idx1-ubyte.gz
fi

# ------------------------------------------------------------ any command --
expect 2 "unknown command 'bogus'" -- "$DS" bogus
expect 2 "unknown command '--bogus'" -- "$DS" --bogus
expect 0 "" -- "$DS" help
expect 0 "" -- "$DS" --version

# ------------------------------------------------------------------ train --
expect 2 "unknown option '--bogus'" -- "$DS" train --bogus
expect 2 "unknown option '-x'" -- "$DS" train -x
for o in --steps --seed --every --batch --memory-budget; do
    expect 2 "$o needs a whole number" -- "$DS" train "$o"
    expect 2 "got 'abc'" -- "$DS" train "$o" abc
    expect 2 "got '-5'" -- "$DS" train "$o" -5
    expect 2 "got '99999999999999999999'" -- "$DS" train "$o" 99999999999999999999
done
expect 2 "--steps needs a whole number in 0..100000000, got '1.5'" -- "$DS" train --steps 1.5
expect 2 "--steps needs a whole number in 0..100000000, got '1e3'" -- "$DS" train --steps 1e3
expect 2 "--steps needs a whole number in 0..100000000, got ''" -- "$DS" train --steps ''
expect 2 "--every needs a whole number in 1..100000000, got '0'" -- "$DS" train --every 0
expect 2 "--batch needs a whole number in 1..4096, got '4097'" -- "$DS" train --batch 4097
# --seed takes any 64-bit seed, as a lesson's 'seed' does: beyond 2^64-1 or negative is refused
expect 2 "--seed needs a whole number in 0..18446744073709551615, got '18446744073709551616'" -- "$DS" train --seed 18446744073709551616
expect 2 "--seed needs a whole number in 0..18446744073709551615, got '-1'" -- "$DS" train --seed -1
expect 2 "--seed needs a whole number in 0..18446744073709551615, got ' 5'" -- "$DS" train --seed ' 5'
expect 2 "--steps needs a whole number in 0..100000000, got ' 5'" -- "$DS" train --steps ' 5'
expect 2 "--steps needs a whole number in 0..100000000, got '+5'" -- "$DS" train --steps +5
expect 2 "--memory-budget needs a whole number in 1..16777216, got '0'" -- "$DS" train --memory-budget 0
expect 2 "--record needs a directory" -- "$DS" train --record
expect 2 "--record needs a directory" -- "$DS" train --record ''
expect 2 "--data needs a directory" -- "$DS" train --data
expect 2 "one lesson at a time ('good.lesson' and 'empty.lesson')" -- "$DS" train good.lesson empty.lesson

# ------------------------------------------ lesson files (train, summary, check) --
for cmd in train summary check; do
    expect 2 "$T/none.lesson: cannot open: No such file or directory" -- "$DS" $cmd "$T/none.lesson"
    expect 2 "adir: " -- "$DS" $cmd adir
    expect 2 "empty.lesson:1:1: the file is empty" -- "$DS" $cmd empty.lesson
    expect 2 "/bin/ls:1:1: found the control character" -- "$DS" $cmd /bin/ls
    expect 2 "latin1.lesson:1:10: invalid UTF-8 (byte 0xe9)" -- "$DS" $cmd latin1.lesson
    expect 2 "longline.lesson:1:1: line is 100006 bytes long; lines may be at most 4096 bytes" -- "$DS" $cmd longline.lesson
    expect 2 "nonewline.lesson:1:1: line is 100000 bytes long" -- "$DS" $cmd nonewline.lesson
done
expect 2 "unknown option '--bogus'" -- "$DS" summary --bogus
expect 2 "one lesson at a time" -- "$DS" summary good.lesson good.lesson

# ------------------------------------------------------------------ check --
expect 2 "usage: dropscope check" -- "$DS" check
expect 2 "unknown option '--bogus'" -- "$DS" check --bogus good.lesson
expect 2 "--data needs a directory" -- "$DS" check good.lesson --data
expect 2 "--memory-budget needs a whole number of MiB in 1..16777216, got 'x'" -- "$DS" check --memory-budget x good.lesson
expect 1 "unmet.lesson:21:3: expectation not met: steps == 3 (measured 2)" --data-needed -- "$DS" check unmet.lesson

# ------------------------------------------------ data (train, check) --
for cmd in train check; do
    expect 2 "emptydir/train-images-idx3-ubyte.gz: not found" -- "$DS" $cmd --data emptydir good.lesson
    expect 2 "$T/none/train-images-idx3-ubyte.gz: not found" -- "$DS" $cmd --data "$T/none" good.lesson
    expect 2 "afile/train-images-idx3-ubyte.gz: not found" -- "$DS" $cmd --data afile good.lesson
    expect 2 "trunc/train-images-idx3-ubyte.gz: the gzip stream is truncated" --data-needed -- "$DS" $cmd --data trunc good.lesson
    expect 2 "trunclabels/train-labels-idx1-ubyte.gz: truncated IDX file: the header's dims 60000 need 60000 data bytes, only 29992 are present" \
        --data-needed -- "$DS" $cmd --data trunclabels good.lesson
done

# ------------------------------------------------ base weights (train, check) --
for cmd in train check; do
    expect 2 "wtrunc.lesson:7:3: $T/wtrunc/conv2d_1.kernel.npy: truncated .npy header" --data-needed -- "$DS" $cmd wtrunc.lesson
    expect 2 "wshape.lesson:7:3: $T/wshape/conv2d.bias.npy: shape (16,) does not match layer conv2d's bias, which is (32,)" \
        --data-needed -- "$DS" $cmd wshape.lesson
    expect 2 "wnan.lesson:7:3: $T/wnan/conv2d.bias.npy: value 0 is NaN (layer conv2d, parameter bias)" --data-needed -- "$DS" $cmd wnan.lesson
    expect 2 "winf.lesson:7:3: $T/winf/conv2d.bias.npy: value 3 is infinite (layer conv2d, parameter bias)" --data-needed -- "$DS" $cmd winf.lesson
    expect 2 "wempty.lesson:7:3: $T/wempty: no weight file matches a layer of model" --data-needed -- "$DS" $cmd wempty.lesson
    # a missing weights directory is a note, not an error (the lesson runs from random weights)
    expect 0 "wmissing.lesson:7:3: fashion_cnn: weights '$T/no-such-weights' not found (looked next to the lesson and in $SRC): the base starts from RANDOM weights" \
        --data-needed -- "$DS" $cmd wmissing.lesson
done

# ----------------------------------------------------------- train --record --
expect 2 "afile/rec/masks: cannot create directory afile/rec: Not a directory" --data-needed -- "$DS" train good.lesson --steps 1 --record afile/rec
expect 2 "afile/masks: cannot create directory afile/masks: Not a directory" --data-needed -- "$DS" train good.lesson --steps 1 --record afile
expect 2 "/proc/dropscope-rec/masks: cannot create directory /proc/dropscope-rec" --data-needed -- "$DS" train good.lesson --steps 1 --record /proc/dropscope-rec
if [ "$(id -u)" -ne 0 ]; then
    mkdir -p ro && chmod 555 ro
    expect 2 "ro/rec/masks: cannot create directory ro/rec: Permission denied" --data-needed -- "$DS" train good.lesson --steps 1 --record ro/rec
else
    echo "skip: --record into a read-only directory (running as root: permissions do not apply; /proc stands in)"
    skipped=$((skipped + 1))
fi
# a directory that does not exist yet (with its parents) is created: not an error
rm -rf newparent
expect 0 "" --data-needed -- "$DS" train good.lesson --steps 1 --record newparent/a/b
# seeds past 2^31-1 (once refused), up to 2^64-1, are taken
expect 0 "" --data-needed -- "$DS" train good.lesson --steps 1 --seed 2147483648
expect 0 "" --data-needed -- "$DS" train good.lesson --steps 1 --seed 18446744073709551615
[ $have_data = 1 ] && { [ -f newparent/a/b/metrics.csv ] || { echo "FAIL: newparent/a/b/metrics.csv missing"; failures=$((failures + 1)); }; }

# ----------------------------------------------------------------- import --
# (the Keras importer's own table of rejected Python is tests/lesson/test_keras_import.c)
printf 'x = "caf\xe9"\n' >latin1.py
cp /bin/ls ls.py
printf '' >empty.py
head -c 2000000 /dev/zero | tr '\0' '#' >big.py
printf 'from tensorflow import keras\nx = keras.Input(shape=(4,))\ny = keras.layers.Dense(2)(z)\nmodel = keras.Model(x, y)\n' >undef.py
KPY=$SRC/tests/fixtures/keras/sequential.py
expect 2 "usage: dropscope import" -- "$DS" import
expect 2 "unknown option '--bogus'" -- "$DS" import --bogus "$KPY"
expect 2 "-o needs a file name" -- "$DS" import "$KPY" -o
expect 2 "one file at a time ('a.py' and 'b.py')" -- "$DS" import a.py b.py
expect 2 "$T/none.py: cannot open: No such file or directory" -- "$DS" import "$T/none.py"
expect 2 "adir: read error: Is a directory" -- "$DS" import adir
expect 2 "empty.py:1:1: no Keras model found" -- "$DS" import empty.py
expect 2 "ls.py:1:1: control character 0x7f" -- "$DS" import ls.py
expect 2 "latin1.py:1:9: invalid UTF-8 (byte 0xe9)" -- "$DS" import latin1.py
expect 2 "big.py:1:1: the file is 1048577 bytes; the importer reads at most 1048576 bytes" -- "$DS" import big.py
expect 2 "undef.py:3:27: 'z' (line 3) uses the name 'z', which this file does not define" -- "$DS" import undef.py
expect 2 "nodir/x/out.lesson: cannot create a temporary file in nodir/x: No such file or directory" -- "$DS" import "$KPY" -o nodir/x/out.lesson
expect 2 "adir: is a directory" -- "$DS" import "$KPY" -o adir
for cmd in train summary check; do
    expect 2 "ls.py:1:1: control character 0x7f" -- "$DS" $cmd ls.py
    expect 2 "undef.py:3:27: 'z' (line 3)" -- "$DS" $cmd undef.py
done

# --------------------------------------------------------------- pretrain --
expect 2 "bad argument '--bogus'" -- "$DS" pretrain --bogus
expect 2 "bad argument 'extra'" -- "$DS" pretrain extra
for o in --epochs --seed --train; do
    expect 2 "$o needs a whole number" -- "$DS" pretrain "$o"
    expect 2 "got 'abc'" -- "$DS" pretrain "$o" abc
    expect 2 "got '-5'" -- "$DS" pretrain "$o" -5
    expect 2 "got '99999999999999999999'" -- "$DS" pretrain "$o" 99999999999999999999
done
expect 2 "--epochs needs a whole number in 1..100, got '0'" -- "$DS" pretrain --epochs 0
expect 2 "--train needs a whole number in 100..60000, got '5'" -- "$DS" pretrain --train 5
expect 2 "--seed needs a whole number in 0..18446744073709551615, got '18446744073709551616'" -- "$DS" pretrain --seed 18446744073709551616
expect 2 "--out needs a directory" -- "$DS" pretrain --out
expect 2 "--data needs a directory" -- "$DS" pretrain --data
expect 2 "afile: exists and is not a directory" -- "$DS" pretrain --out afile
expect 2 "emptydir/train-images-idx3-ubyte.gz: not found" -- "$DS" pretrain --data emptydir --out "$T/pt"
expect 2 "trunc/train-images-idx3-ubyte.gz: the gzip stream is truncated" --data-needed -- "$DS" pretrain --data trunc --out "$T/pt"
[ -e "$T/pt" ] && { echo "FAIL: a failed pretrain created $T/pt"; failures=$((failures + 1)); }

# ------------------------------------------------------------------ film --
# (issue 13: the window once per step into an animated GIF)
expect 2 "usage: dropscope film" -- "$DS" film
expect 2 "--steps N is missing" -- "$DS" film good.lesson --out a.gif
expect 2 "--out CLIP.gif is missing" -- "$DS" film good.lesson --steps 2
expect 2 "unknown option '--inference'" -- "$DS" film good.lesson --steps 2 --out a.gif --inference
expect 2 "one lesson at a time ('good.lesson' and 'empty.lesson')" -- "$DS" film good.lesson empty.lesson --steps 2 --out a.gif
for v in 0 abc 10001 -1; do
    expect 2 "--steps needs a whole number in 1..10000 (one frame per step), got '$v'" -- "$DS" film good.lesson --steps "$v" --out a.gif
done
for v in 5 abc 60001; do
    expect 2 "--delay-ms needs a whole number in 10..60000, got '$v'" -- "$DS" film good.lesson --steps 2 --out a.gif --delay-ms "$v"
done
expect 2 "--size wants WxH, e.g. 1280x800 (320x240 to 8192x8192), got '10x10'" -- "$DS" film good.lesson --steps 2 --out a.gif --size 10x10
expect 2 "--example needs an example of the batch, a whole number in 0..4095 (or 'all'), got 'x'" -- "$DS" film good.lesson --steps 2 --out a.gif --example x
expect 2 "--seed needs a whole number in 0..18446744073709551615, got '-5'" -- "$DS" film good.lesson --steps 2 --out a.gif --seed -5
expect 2 "--out needs a file name (CLIP.gif)" -- "$DS" film good.lesson --steps 2 --out
expect 2 "film: --out: nodir/x/a.gif: cannot create a temporary file in nodir/x" -- "$DS" film good.lesson --steps 2 --out nodir/x/a.gif
expect 2 "film: --out: adir: is a directory" -- "$DS" film good.lesson --steps 2 --out adir
expect 2 "$T/none.lesson not found" -- "$DS" film "$T/none.lesson" --steps 2 --out a.gif
expect 2 "--example 20 is beyond the batch: the batch has 20 examples, 0..19" --data-needed -- "$DS" film good.lesson --steps 1 --out a.gif --example 20
[ -e a.gif ] && { echo "FAIL: a refused film left a.gif"; failures=$((failures + 1)); }

# ------------------------------------------------------ help, save-lesson --
expect 2 "dropscope help: unknown command 'bogus'" -- "$DS" help bogus
expect 2 "dropscope help: one command at a time ('train' and 'shot')" -- "$DS" help train shot
expect 2 "train: --save-lesson needs a file name for the lesson" -- "$DS" train good.lesson --save-lesson
expect 2 "train: --save-lesson: nodir/x/s.lesson: cannot create a temporary file in nodir/x" -- "$DS" train good.lesson --steps 1 --save-lesson nodir/x/s.lesson
expect 2 "train: --save-lesson: adir: is a directory" -- "$DS" train good.lesson --steps 1 --save-lesson adir
expect 2 "dropscope summary: unknown option '--save-lesson'" -- "$DS" summary good.lesson --save-lesson x.lesson

# ------------------------------------------------------------ shot, open --
# (src/ui: the window's commands; the lesson is loaded by the worker)
expect 2 "usage: dropscope shot" -- "$DS" shot
expect 2 "usage: dropscope shot" -- "$DS" shot good.lesson --steps 1
expect 2 "usage: dropscope shot" -- "$DS" shot good.lesson --bogus --out a.png
expect 2 "unknown option '--bogus'" -- "$DS" shot good.lesson --bogus --out a.png
expect 2 "--out FILE.png is missing" -- "$DS" shot good.lesson --steps 1
expect 2 "one lesson at a time ('good.lesson' and 'empty.lesson')" -- "$DS" shot good.lesson empty.lesson --out a.png
expect 2 "--out needs a file name" -- "$DS" shot good.lesson --out
for v in abc 1.5 '' -1 99999999999999999999 100000001; do
    expect 2 "--steps needs a whole number in 0..100000000, got '$v'" -- "$DS" shot good.lesson --steps "$v" --out a.png
done
expect 2 "--steps needs a whole number in 0..100000000, got 'nothing'" -- "$DS" shot good.lesson --out a.png --steps
for v in abc 1.5 -1 18446744073709551616; do
    expect 2 "--seed needs a whole number in 0..18446744073709551615, got '$v'" -- "$DS" shot good.lesson --steps 1 --out a.png --seed "$v"
done
for v in abc 1.5 '' -1 4096; do
    expect 2 "--example needs an example of the batch, a whole number in 0..4095 (or 'all'), got '$v'" -- "$DS" shot good.lesson --steps 1 --out a.png --example "$v"
done
expect 2 "--size wants WxH" -- "$DS" shot good.lesson --steps 1 --out a.png --size 10x10
expect 2 "--size wants WxH" -- "$DS" shot good.lesson --steps 1 --out a.png --size 99999x99999
expect 2 "--size wants WxH, e.g. 1280x800 (320x240 to 8192x8192), got '640x480junk'" -- "$DS" shot good.lesson --steps 1 --out a.png --size 640x480junk
# a PNG that cannot be written: said before the lesson is loaded, exit 2 (1 is a failed check)
expect 2 "nodir/x/a.png: cannot create a file in nodir/x: No such file or directory" -- "$DS" shot good.lesson --steps 1 --out nodir/x/a.png
expect 2 "adir: is a directory" -- "$DS" shot good.lesson --steps 1 --out adir
expect 2 "$T/none.lesson not found" -- "$DS" shot "$T/none.lesson" --steps 1 --out a.png
expect 2 "/bin/ls:1:1: found the control character" -- "$DS" shot /bin/ls --steps 1 --out a.png
expect 2 "latin1.lesson:1:10: invalid UTF-8" -- "$DS" shot latin1.lesson --steps 1 --out a.png
expect 2 "wtrunc/conv2d_1.kernel.npy: truncated .npy header" --data-needed -- "$DS" shot wtrunc.lesson --steps 1 --out a.png
expect 2 "--example" --data-needed -- "$DS" shot good.lesson --steps 1 --out a.png --example abc
# an example beyond the batch (20) is refused, not clamped when drawn
expect 2 "--example 99 is beyond the batch: the batch has 20 examples, 0..19" --data-needed -- "$DS" shot good.lesson --steps 1 --out a.png --example 99
expect 2 "--example 20 is beyond the batch" --data-needed -- "$DS" shot good.lesson --steps 1 --out a.png --example 20
expect 0 "" --data-needed -- "$DS" shot good.lesson --steps 1 --out a.png --example 19
expect 0 "" --data-needed -- "$DS" shot good.lesson --steps 1 --out a.png --example all
expect 0 "" --data-needed -- "$DS" shot good.lesson --steps 1 --out a.png --seed 18446744073709551615
expect 2 "--seed" --data-needed -- "$DS" shot good.lesson --steps 1 --out a.png --seed abc
expect 2 "nodir/x/a.png" --data-needed -- "$DS" shot good.lesson --steps 1 --out nodir/x/a.png
expect 2 "adir" --data-needed -- "$DS" shot good.lesson --steps 1 --out adir
# where a directory passes the early check but the PNG still cannot be written (/proc)
expect 2 "/proc/dropscope-a.png: cannot create a file in /proc" --data-needed -- "$DS" shot good.lesson --steps 1 --out /proc/dropscope-a.png
expect 2 "unknown option '--bogus'" -- "$DS" open --bogus
expect 2 "usage: dropscope open" -- "$DS" open --bogus
expect 2 "--seed needs a whole number in 0..18446744073709551615, got 'nothing'" -- "$DS" open --seed
expect 2 "one lesson at a time ('good.lesson' and 'empty.lesson')" -- "$DS" open good.lesson empty.lesson
expect 2 "$T/none.lesson not found" -- "$DS" open "$T/none.lesson"
expect 2 "no display available" -- "$DS" open good.lesson
# the dummy driver (offscreen loads EGL libraries whose allocations LeakSanitizer reports)
export SDL_VIDEODRIVER=dummy DROPSCOPE_ALLOW_HEADLESS=1 DROPSCOPE_QUIT_AFTER_FRAMES=3
expect 2 "/bin/ls:1:1: found the control character" -- "$DS" open /bin/ls
expect 2 "longline.lesson:1:1: line is 100006 bytes long" -- "$DS" open longline.lesson
expect 2 "wnan/conv2d.bias.npy: value 0 is NaN" --data-needed -- "$DS" open wnan.lesson
expect 2 "--speed" -- "$DS" open good.lesson --speed abc
expect 2 "--seed" -- "$DS" open good.lesson --seed abc
for v in 1.5 '' -1 101 99999999999999999999; do
    expect 2 "--speed needs a whole number of steps per second in 0..100 (0: as fast as possible), got '$v'" -- "$DS" open good.lesson --speed "$v"
done
for v in 1.5 -5 18446744073709551616; do
    expect 2 "--seed needs a whole number in 0..18446744073709551615, got '$v'" -- "$DS" open good.lesson --seed "$v"
done
expect 0 "" --data-needed -- "$DS" open good.lesson --seed 18446744073709551615
unset SDL_VIDEODRIVER DROPSCOPE_ALLOW_HEADLESS DROPSCOPE_QUIT_AFTER_FRAMES

echo "$passed passed, $failures failed, $skipped skipped"
[ $failures -eq 0 ]
