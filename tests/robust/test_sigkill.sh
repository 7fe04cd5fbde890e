#!/usr/bin/env bash
# Issue 7: a writer killed with SIGKILL never leaves a half-written file.
#
#   bash tests/robust/test_sigkill.sh path/to/dropscope
#
# 1. train --record DIR over a good record (made first by a 5-step run), killed while it
#    streams (after it has printed 2 table rows, then ~2 s): every file of the old record
#    is byte-identical, no new name appears except hidden temp files `.NAME.tmp.XXXXXX`,
#    and the old record is still whole and consistent (tests/robust/check_record.py).
# 2. pretrain --out DIR over a good weights directory (--train 1000 --epochs 50), killed
#    after ~2 s of training: every file byte-identical, no new names.
# 3. Kills while saving: the moment a temp file appears (a record's weights_initial/ at
#    the start, weights_final/ and metrics.csv at the end; pretrain's weights; shot's
#    PNG), over existing ones, each run with another seed. Each file afterwards is the
#    old one or a whole new one (a .npy's data matches its header; a PNG starts with its
#    signature and ends with its IEND chunk). A record may then mix files of two runs
#    (each file is replaced atomically, not the directory as a whole): counted and
#    printed, not a failure.
#
# Needs Fashion-MNIST (exits 77, skipped, without it).
set -u

DS=${1:?usage: test_sigkill.sh path/to/dropscope}
DS=$(cd "$(dirname "$DS")" && pwd)/$(basename "$DS")
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${DROPSCOPE_SOURCE_DIR:-$(cd "$HERE/../.." && pwd)}
DATA=${DROPSCOPE_DATA:-/usr/share/datasets/fashion-mnist}
KILLS=${DS_KILLS:-3}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
unset DISPLAY WAYLAND_DISPLAY
if [ ! -r "$DATA/train-images-idx3-ubyte.gz" ]; then
    echo "SKIP: no Fashion-MNIST at $DATA (Debian's dataset-fashion-mnist)"
    exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/dsrobkill-XXXXXX")
pid=""
trap '[ -n "$pid" ] && kill -KILL $pid 2>/dev/null; rm -rf "$T"' EXIT
cd "$T" || exit 1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

cat >k.lesson <<EOF
title sigkill
data fashion_mnist
  classes sneaker, ankle boot
  train 400
  val 40
model
  base fashion_cnn(input_shape=(28, 28, 1), weights="$SRC/assets/fashion_cnn") frozen
  Flatten()
  Dense(512, activation=relu)
  Dense(1024, activation=relu)
  Dropout(0.2)
  Dense(1, activation=sigmoid)
compile
  optimizer RMSprop(lr=0.0001)
  loss binary_crossentropy
fit
  batch_size 20
  seed 1
step "train"
  run 5 steps
EOF

# sums DIR: "sha256  ./path" of every file, hidden temp files excluded
sums() { (cd "$1" && find . -type f ! -name '.*.tmp.*' -exec sha256sum {} + | sort -k2); }
# temps DIR: the hidden temp files left behind
temps() { (cd "$1" && find . -type f -name '.*.tmp.*' | sort); }
# strays DIR: files that are neither in the before-list nor hidden temp files `.NAME.tmp.XXXXXX`
strays() { # DIR BEFORE_SUMS
    (cd "$1" && find . -type f ! -name '.*.tmp.*' | sort) | while read -r f; do
        grep -qF "  $f" "$2" || echo "$f"
    done
}
# every temp file is named after a real file of its directory: .NAME.tmp.XXXXXX
check_temp_names() {
    local d=$1 f base
    for f in $(temps "$d"); do
        base=$(basename "$f")
        [[ $base =~ ^\.(.+)\.tmp\.[A-Za-z0-9]{6}$ ]] || { fail "temp file $f is not named .NAME.tmp.XXXXXX"; continue; }
    done
}

# start CMD... in the background, output in run.out/run.err; pid set
start() { "$@" >"$T/run.out" 2>"$T/run.err" </dev/null & pid=$!; }
# kill_now: SIGKILL pid and reap it; rc set
kill_now() {
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rc=$?
    pid=""
}
# wait_for FILE PATTERN COUNT SECONDS: until FILE has COUNT lines matching PATTERN
wait_for() {
    local i
    for ((i = 0; i < $4 * 10; i++)); do
        [ "$(grep -cE "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
sane_kill() { # what
    if [ "$rc" -ne 137 ]; then
        fail "$1: exit status $rc, wanted 137 (SIGKILL): it had finished or failed before the kill"
        sed 's/^/    /' "$T/run.err" | tail -5
        return 1
    fi
    return 0
}

# ------------------------------------------------- 1. train --record, long run --
R=$T/rec
"$DS" train k.lesson --steps 5 --record "$R" >/dev/null 2>"$T/first.err" || { fail "the first record run failed"; cat "$T/first.err"; }
sums "$R" >"$T/rec.before"
start "$DS" train k.lesson --steps 100000 --every 10 --record "$R"
if wait_for "$T/run.out" '^ +[0-9]+ ' 2 120; then
    sleep 2
    kill_now
    if sane_kill "train --record"; then
        sums "$R" >"$T/rec.after"
        if cmp -s "$T/rec.before" "$T/rec.after"; then
            ok "train --record killed at step ~$(tail -1 "$T/run.out" | awk '{print $1}'): all $(wc -l <"$T/rec.before") files of the old record byte-identical"
        else
            fail "train --record killed: the old record changed"; diff "$T/rec.before" "$T/rec.after" | head
        fi
        s=$(strays "$R" "$T/rec.before")
        [ -z "$s" ] && ok "no new file names besides temp files ($(temps "$R" | wc -l) left: $(temps "$R" | head -3 | tr '\n' ' '))" ||
            fail "new files after the kill: $s"
        check_temp_names "$R"
        out=$(python3 "$HERE/check_record.py" --record "$R") && ok "the old record is whole: $out" || fail "$out"
    fi
else
    fail "train --record did not reach its second table row"; kill_now; tail -5 "$T/run.err"
fi

# --------------------------------------------------- 2. pretrain --out, long run --
W=$T/weights
cp -r "$SRC/assets/fashion_cnn" "$W"
sums "$W" >"$T/w.before"
start "$DS" pretrain --out "$W" --train 1000 --epochs 50
if wait_for "$T/run.out" '^pretraining' 1 120; then
    sleep 2
    kill_now
    if sane_kill "pretrain --out"; then
        sums "$W" >"$T/w.after"
        cmp -s "$T/w.before" "$T/w.after" && ok "pretrain --out killed while training: all $(wc -l <"$T/w.before") weight files byte-identical" ||
            { fail "pretrain --out killed: the weights changed"; diff "$T/w.before" "$T/w.after"; }
        s=$(strays "$W" "$T/w.before")
        [ -z "$s" ] || fail "new files after the kill: $s"
    fi
else
    fail "pretrain did not start training"; kill_now; tail -5 "$T/run.err"
fi

# ------------------------------------------------- 3. kills while saving --
whole() { python3 "$HERE/check_record.py" "$1" >"$T/whole.out" || { fail "$(cat "$T/whole.out")"; return 1; }; }
png_whole() { # a PNG: signature at the start, IEND chunk at the end
    [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
        [ "$(tail -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 49454e44ae426082 ]
}
# at_save LABEL TARGET CHECK GLOB CMD...: runs CMD --seed K (K = 1..KILLS: other bytes
# than the run before) and kills it the moment a temp file matching GLOB appears, i.e.
# while it saves; then CHECK TARGET, and counts whether TARGET's files are all old, all
# new or a mix.
at_save() {
    local label=$1 target=$2 check=$3 glob=$4
    shift 4
    local k n_old=0 n_new=0 n_mixed=0 n_missed=0 f same changed t0
    find "$target" -name '.*.tmp.*' -delete
    sums "$target" >"$T/save.before"
    for ((k = 1; k <= KILLS; k++)); do
        start "$@" --seed "$k"
        t0=$SECONDS
        while :; do
            f=($glob)
            [ -e "${f[0]}" ] && break
            kill -0 "$pid" 2>/dev/null || break
            [ $((SECONDS - t0)) -gt 300 ] && break
        done
        kill_now
        [ "$rc" -ne 137 ] && n_missed=$((n_missed + 1))
        $check "$target" || continue
        check_temp_names "$target"
        sums "$target" >"$T/save.after"
        same=$(comm -12 <(LC_ALL=C sort "$T/save.before") <(LC_ALL=C sort "$T/save.after") | wc -l)
        changed=$(($(wc -l <"$T/save.after") - same))
        if [ "$changed" -eq 0 ]; then n_old=$((n_old + 1)); elif [ "$same" -eq 0 ]; then n_new=$((n_new + 1)); else
            n_mixed=$((n_mixed + 1)); fi
        cp "$T/save.after" "$T/save.before"
        # the kill's temp files are garbage now; gone, so the next run's are the ones seen
        find "$target" -name '.*.tmp.*' -delete
    done
    [ $n_missed -lt "$KILLS" ] || fail "$label: never caught saving"
    ok "$label: $KILLS kills while saving, every file whole after each (files unchanged $n_old, all new $n_new, a mix of old and new files $n_mixed; finished before the kill $n_missed)"
}
at_save "train --record (killed writing weights_initial/ at the start)" "$R" whole "$R/weights_initial/.*.tmp.*" \
    "$DS" train k.lesson --steps 30 --record "$R"
at_save "train --record (killed writing weights_final/ at the end)" "$R" whole "$R/weights_final/.*.tmp.*" \
    "$DS" train k.lesson --steps 30 --record "$R"
at_save "train --record (killed writing metrics.csv)" "$R" whole "$R/.metrics.csv.tmp.*" \
    "$DS" train k.lesson --steps 30 --record "$R"
at_save "pretrain --out" "$W" whole "$W/.*.tmp.*" "$DS" pretrain --out "$W" --train 100 --epochs 1
mkdir -p shots
"$DS" shot k.lesson --steps 1 --out shots/a.png >/dev/null 2>&1 || fail "shot failed"
shots_whole() { png_whole "$1/a.png" || { fail "shots/a.png is not a whole PNG"; return 1; }; }
at_save "shot --out FILE.png" "$T/shots" shots_whole "$T/shots/.a.png.tmp.*" "$DS" shot k.lesson --steps 3 --out shots/a.png
out=$(python3 "$HERE/check_record.py" --record "$R") && ok "after all the kills the record's parts still agree: $out" ||
    echo "note: after the kills the record's parts disagree (files of different runs): $out"

[ $failures -eq 0 ] && echo "all ok" || echo "$failures failed"
[ $failures -eq 0 ]
