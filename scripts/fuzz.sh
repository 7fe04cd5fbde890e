#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang and runs each for SECONDS (default 60) on a
# copy of its committed seed corpus. Any crash, leak or sanitizer report fails the run;
# the reproducer is left in build-fuzz/findings/NAME/ (make it a regression test).
set -euo pipefail
. "$(dirname "$0")/common.sh"
secs="${1:-60}"
ds_install "${DS_PACKAGES[@]}" clang libclang-rt-14-dev
dir="$DS_ROOT/build-fuzz"
if [ ! -f "$dir/build.ninja" ]; then
    CC=clang meson setup "$dir" "$DS_ROOT" -Dfuzz=true -Dtests=true -Dbuildtype=debugoptimized >&2
fi
ninja -C "$dir" $(cd "$dir" && ninja -t targets all 2>/dev/null | grep -o '^tests/fuzz/fuzz_[a-z_]*' | sort -u) >&2
status=0
for h in "$dir"/tests/fuzz/fuzz_*; do
    [ -f "$h" ] && [ -x "$h" ] || continue
    name=$(basename "$h" | sed 's/^fuzz_//')
    corpus="$DS_ROOT/tests/fuzz/corpus/$name"
    work="$dir/findings/$name"
    rm -rf "$work" && mkdir -p "$work/corpus"
    [ -d "$corpus" ] && cp -r "$corpus/." "$work/corpus/"
    extra=()
    [ -f "$corpus/keywords.dict" ] && extra+=("-dict=$corpus/keywords.dict")
    # ASan's quarantine makes zlib's per-open buffers slow to recycle (see tests/fuzz)
    if (cd "$work" && ASAN_OPTIONS="quarantine_size_mb=0:thread_local_quarantine_size_kb=0:detect_leaks=1" \
            "$h" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 "${extra[@]}" \
            corpus >"$work/log" 2>&1); then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$' || echo "?")
        echo "fuzz $name: ok, $runs executions in ${secs}s"
    else
        echo "fuzz $name: FAILED (see $work/log)"
        tail -40 "$work/log"
        status=1
    fi
done
exit $status
