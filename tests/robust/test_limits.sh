#!/usr/bin/env bash
# Issue 7: the memory budget and non-finite training, through the command line.
#
#   bash tests/robust/test_limits.sh path/to/dropscope
#
# Memory budget: a lesson whose head is Flatten (3136) -> Dense(1000000) needs about
# 24 GiB for its weights and their gradients; summary still prints it (it allocates no
# weights), train, check and shot refuse it before allocating: exit 2, the MiB needed and
# the budget in the message, max RSS under DS_RSS_LIMIT_MB (default 200; the sanitizer
# build sets more) and under 60 s. --memory-budget MiB lowers the budget: the weights of
# 16 MiB model (Dense(512) -> Dense(1024)), then the activations of a small one at
# --batch 4096, are refused the same way.
#
# Non-finite: SGD(learning_rate=1e6) on lesson 1's head makes the loss NaN at step 3;
# train stops there (exit 2) naming the step and the first layer with a non-finite
# value (dense_2: its logits are inf - inf); check says the same at the lesson's line;
# train --record leaves a whole record (every .npy complete, one row per step in each
# part, every weight finite: the failed step updated nothing).
#
# Needs Fashion-MNIST (exits 77, skipped, without it).
set -u

DS=${1:?usage: test_limits.sh path/to/dropscope}
DS=$(cd "$(dirname "$DS")" && pwd)/$(basename "$DS")
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${DROPSCOPE_SOURCE_DIR:-$(cd "$HERE/../.." && pwd)}
DATA=${DROPSCOPE_DATA:-/usr/share/datasets/fashion-mnist}
RSS_LIMIT_MB=${DS_RSS_LIMIT_MB:-200}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
unset DISPLAY WAYLAND_DISPLAY
if [ ! -r "$DATA/train-images-idx3-ubyte.gz" ]; then
    echo "SKIP: no Fashion-MNIST at $DATA (Debian's dataset-fashion-mnist)"
    exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/dsroblim-XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

lesson() { # NAME OPTIMIZER HEAD_LINES
    cat >"$1.lesson" <<EOF
title robust $1
data fashion_mnist
  classes sneaker, ankle boot
  train 200
  val 40
model
  base fashion_cnn(input_shape=(28, 28, 1), weights="$SRC/assets/fashion_cnn") frozen
  Flatten()
$3
  Dropout(0.2)
  Dense(1, activation=sigmoid)
compile
  optimizer $2
  loss binary_crossentropy
  metrics accuracy
fit
  batch_size 20
  seed 1
step "train"
  run 20 steps
  expect steps == 20
EOF
}
lesson huge "RMSprop(lr=0.001)" "  Dense(1000000, activation=relu)"
lesson small "RMSprop(lr=0.001)" "  Dense(32, activation=relu)"
lesson blowup "SGD(learning_rate=1e6)" "  Dense(512, activation=relu)
  Dense(1024, activation=relu)"

# run NAME CMD...: stdout/stderr in NAME.out/NAME.err, rc, seconds and max RSS (MB)
run() {
    local name=$1
    shift
    python3 - "$T/$name" "$@" <<'EOF'
import resource, subprocess, sys, time
t0 = time.time()
with open(sys.argv[1] + ".out", "wb") as o, open(sys.argv[1] + ".err", "wb") as e:
    try:
        rc = subprocess.run(sys.argv[2:], stdout=o, stderr=e, stdin=subprocess.DEVNULL, timeout=120).returncode
    except subprocess.TimeoutExpired:
        rc = 124
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
with open(sys.argv[1] + ".stat", "w") as f:
    f.write("%d %.1f %d\n" % (rc if rc >= 0 else 128 - rc, time.time() - t0, rss))
EOF
    read -r rc secs rss <"$T/$name.stat"
}
# one stderr line containing TEXT
has_line() { [ "$(grep -cF -- "$2" "$T/$1.err")" -eq 1 ]; }
sane() { # NAME: no crash, hang or sanitizer report
    if [ "$rc" -ge 124 ]; then fail "$1: exit status $rc (a crash or a hang)"; return 1; fi
    if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/$1.err"; then
        fail "$1: sanitizer report"; sed 's/^/    /' "$T/$1.err" | head -30; return 1
    fi
    return 0
}
show() { [ -n "${DS_TEST_SHOW:-}" ] && grep -F -- "$2" "$T/$1.err" | sed "s|$T/||g; s/^/    /"; return 0; }

# ------------------------------------------------------------ memory budget --
run summary "$DS" summary huge.lesson
if sane summary && [ "$rc" -eq 0 ] && grep -q 'Trainable params: 3,138,' "$T/summary.out" &&
    [ "$rss" -lt "$RSS_LIMIT_MB" ]; then
    ok "summary of the 3.1e9-parameter model prints ($(grep 'Total params' "$T/summary.out"), ${rss} MB, ${secs} s)"
else
    fail "summary huge.lesson: rc $rc, rss $rss MB"; cat "$T/summary.err"
fi
for cmd in train check shot; do
    args=("$DS" $cmd huge.lesson)
    [ $cmd = train ] && args+=(--steps 1)
    [ $cmd = shot ] && args+=(--steps 1 --out "$T/huge.png")
    run $cmd-huge "${args[@]}"
    want="huge.lesson: the model's parameters need 23941.2 MiB, over the memory budget of 16384.0 MiB"
    if sane $cmd-huge && [ "$rc" -eq 2 ] && has_line $cmd-huge "$want" && [ "$rss" -lt "$RSS_LIMIT_MB" ]; then
        ok "$cmd refuses the 24 GiB model before allocating (exit 2, max RSS ${rss} MB, ${secs} s)"
        show $cmd-huge "$want"
    else
        fail "$cmd huge.lesson: rc $rc, max RSS $rss MB (limit $RSS_LIMIT_MB), wanted '$want'"
        sed 's/^/    /' "$T/$cmd-huge.err" | head -10
    fi
done
[ -e "$T/huge.png" ] && fail "shot wrote huge.png for a refused model"

run budget-weights "$DS" train blowup.lesson --steps 1 --memory-budget 10
want="blowup.lesson: the model's parameters need 16.4 MiB, over the memory budget of 10.0 MiB"
if sane budget-weights && [ "$rc" -eq 2 ] && has_line budget-weights "$want"; then
    ok "--memory-budget 10 refuses 16.4 MiB of weights"; show budget-weights "$want"
else
    fail "train --memory-budget 10: rc $rc"; cat "$T/budget-weights.err"
fi
run budget-check "$DS" check --memory-budget 10 blowup.lesson
if sane budget-check && [ "$rc" -eq 2 ] && has_line budget-check "dropscope check: $want"; then
    ok "check --memory-budget 10 refuses it too"
else
    fail "check --memory-budget 10: rc $rc"; cat "$T/budget-check.err"
fi
run budget-act "$DS" train small.lesson --steps 1 --batch 4096 --memory-budget 100
want="small.lesson: a batch of 4096 needs 977.3 MiB of activations on top of 0.9 MiB of weights, over the memory budget of 100.0 MiB"
if sane budget-act && [ "$rc" -eq 2 ] && has_line budget-act "$want" && [ "$rss" -lt "$RSS_LIMIT_MB" ]; then
    ok "--memory-budget 100 refuses a batch of 4096 (1 GiB of activations) before allocating (max RSS ${rss} MB)"
    show budget-act "$want"
else
    fail "train --batch 4096 --memory-budget 100: rc $rc, max RSS $rss MB"; cat "$T/budget-act.err"
fi
run budget-fits "$DS" train small.lesson --steps 2 --memory-budget 100
if sane budget-fits && [ "$rc" -eq 0 ]; then ok "the same model trains within --memory-budget 100"; else
    fail "train small.lesson --memory-budget 100: rc $rc"; cat "$T/budget-fits.err"; fi

# Issue 14: the validation set resized to the model's input counts too: 1000 images at
# 1024x1024x3 (12000 MiB) under --memory-budget 4096, and 2000 (24000 MiB) under the
# default budget, are refused before anything is read, naming the 'val' line, in well
# under a second with max RSS under 100 MB.
for nval in 1000 2000; do
    cat >"bigval$nval.lesson" <<EOF
title robust big validation set
data fashion_mnist
  classes sneaker, ankle boot
  val $nval
  resize 1024x1024x3
model
  Input(shape=(1024, 1024, 3))
  Flatten()
  Dense(1, activation=sigmoid)
compile
  loss binary_crossentropy
EOF
    args=("$DS" train "bigval$nval.lesson" --steps 1)
    [ $nval = 1000 ] && args+=(--memory-budget 4096)
    run bigval$nval "${args[@]}"
    want="bigval$nval.lesson:4:3: the validation set, $nval images resized to (1024, 1024, 3) ('resize' at line 5), needs $((nval * 12)).0 MiB on top of 24.0 MiB, over the memory budget of"
    if sane bigval$nval && [ "$rc" -eq 2 ] && has_line bigval$nval "$want" && [ "$rss" -lt 100 ] &&
        python3 -c "import sys; sys.exit(float(sys.argv[1]) >= 1)" "$secs"; then
        ok "val $nval at 1024x1024x3 refused before allocating (exit 2, max RSS ${rss} MB, ${secs} s)"
        show bigval$nval "$want"
    else
        fail "train bigval$nval.lesson: rc $rc, max RSS $rss MB, $secs s, wanted '$want'"
        sed 's/^/    /' "$T/bigval$nval.err" | head -5
    fi
done

# --------------------------------------------------------------- non-finite --
want="blowup.lesson: the loss is not finite at step 3; the first non-finite value appears in layer 'dense_2'"
run blow-train "$DS" train blowup.lesson --steps 50
if sane blow-train && [ "$rc" -eq 2 ] && has_line blow-train "dropscope train: stopped: $want" &&
    grep -q '^# 2 steps' "$T/blow-train.out"; then
    ok "train stops at step 3 naming dense_2 (exit 2)"; show blow-train "$want"
else
    fail "train blowup.lesson: rc $rc"; cat "$T/blow-train.err" "$T/blow-train.out"
fi
run blow-check "$DS" check blowup.lesson
if sane blow-check && [ "$rc" -eq 2 ] && has_line blow-check "blowup.lesson:21:3: action failed: $want"; then
    ok "check stops at the run action's line naming step 3 and dense_2 (exit 2)"; show blow-check "$want"
else
    fail "check blowup.lesson: rc $rc"; cat "$T/blow-check.err"
fi
run blow-record "$DS" train blowup.lesson --steps 50 --record "$T/rec"
if sane blow-record && [ "$rc" -eq 2 ] && has_line blow-record "$want"; then
    if out=$(python3 "$HERE/check_record.py" --record "$T/rec") &&
        wf=$(python3 "$HERE/check_record.py" --finite "$T/rec/weights_initial" "$T/rec/weights_final"); then
        ok "the stopped run's record is whole: $out; weights finite: $wf"
    else
        fail "the stopped run's record: $out $wf"
    fi
    rows=$(($(wc -l <"$T/rec/metrics.csv") - 1))
    [ "$rows" -eq 3 ] && ok "metrics.csv holds the 2 steps and the failed one (empty loss)" ||
        fail "metrics.csv has $rows rows, wanted 3"
else
    fail "train blowup.lesson --record: rc $rc"; cat "$T/blow-record.err"
fi

[ $failures -eq 0 ] && echo "all ok" || echo "$failures failed"
[ $failures -eq 0 ]
