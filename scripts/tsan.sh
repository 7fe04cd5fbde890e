#!/usr/bin/env bash
# ThreadSanitizer over the whole project (issue 7: the engine and the window run under
# TSan without reports for a few hundred steps). Any report fails the run.
#
#   bash scripts/tsan.sh          (builds build-tsan; DS_TSAN_STEPS=300 steps played)
#
# What runs, every file of the project instrumented:
#   - tests/ui: among them the snapshot exchange (the worker publishing thousands of fast
#     steps while the UI thread takes and holds snapshots) and test_play_real_session: a
#     real Fashion-MNIST session (tests/ui/ui.lesson, lesson 1's model) played for
#     DS_TSAN_STEPS steps in the window's worker thread while the UI thread draws frames,
#     holds older snapshots and changes rate, freezing, mode, example and validates;
#   - dropscope shot on lesson 1 itself: the command's worker steps while it waits.
set -euo pipefail
. "$(dirname "$0")/common.sh"
ds_install "${DS_PACKAGES[@]}"

# OpenBLAS is not built with TSan: its own worker threads synchronise in code TSan cannot
# see, so they only add false reports (at 2 threads: sgemm_beta's memset on an OpenBLAS
# thread "races" with conv2d.c's add_bias reading the result). One thread also keeps the
# engine's Dense and optimizer on one thread (they use as many as OpenBLAS).
export OPENBLAS_NUM_THREADS=1
# halt_on_error: the first report ends the process with exitcode (66), failing the test.
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:exitcode=66}"
export DS_UI_PLAY_STEPS="${DS_TSAN_STEPS:-300}"
export SDL_VIDEODRIVER=dummy

B="$DS_ROOT/build-tsan"
ds_build "$B" -Db_sanitize=thread -Dbuildtype=debugoptimized

meson test -C "$B" --print-errorlogs --timeout-multiplier 4 "ui render"

out=$(mktemp -d "${TMPDIR:-/tmp}/dstsan-XXXXXX")
trap 'rm -rf "$out"' EXIT
"$B/dropscope" shot "$DS_ROOT/lessons/01-which-neurons.lesson" --steps 20 --out "$out/shot.png" \
    2>"$out/shot.err" || { cat "$out/shot.err" >&2; exit 1; }

# Belt and braces: a report printed without changing an exit status still fails.
if grep -l "WARNING: ThreadSanitizer" "$B/meson-logs/testlog.txt" "$out/shot.err"; then
    echo "tsan.sh: ThreadSanitizer reported (see above)" >&2
    exit 1
fi
grep -h "played .* steps in the worker" "$B/meson-logs/testlog.txt" || true
echo "tsan.sh: no ThreadSanitizer reports"
