#!/usr/bin/env bash
# Training-step benchmark of the reference head, dropscope against PyTorch, in one
# invocation (bench/README.md). For each thread count and both sizes (Flatten of 3,136
# and of 37,632 features) it runs bench/bench_head and bench/torch_head.py with the same
# threads, and prints the median step time of each and their ratio (target <= 0.5).
#
# Environment:
#   THREADS  thread counts to run, e.g. "1" (default) or "1 2"
#   STEPS    timed steps per run (default 30), WARMUP warm-up steps (default 5)
#   ROUNDS   alternating rounds per cell; the table shows the median of the rounds'
#            medians (default 3: the machine is shared, single runs are noisy)
#   CLOCK    wall (default) or cpu: process CPU time (all threads) on both sides. On a
#            busy shared machine CPU time is far steadier; at T=1 it equals wall time
#            on an idle machine, at T>1 it adds the threads up (use wall time there).
#   SIZES    channels of the (7, 7, C) input (default "64 768")
#   PYTHON   the Python with torch (default Debian's /usr/bin/python3)
#   DS_BUILD_BENCH  build directory (default build-bench)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${DS_BUILD_BENCH:-$ROOT/build-bench}"
THREADS="${THREADS:-1}"
STEPS="${STEPS:-30}"
WARMUP="${WARMUP:-5}"
ROUNDS="${ROUNDS:-3}"
SIZES="${SIZES:-64 768}"
PYTHON="${PYTHON:-/usr/bin/python3}"
CLOCK="${CLOCK:-wall}"
case "$CLOCK" in
wall) CLOCK_ARG=() ;;
cpu) CLOCK_ARG=(--cpu) ;;
*) echo "bench.sh: CLOCK must be wall or cpu" >&2; exit 2 ;;
esac

if [ ! -f "$BUILD/build.ninja" ]; then
    meson setup "$BUILD" "$ROOT" >&2
fi
ninja -C "$BUILD" bench/bench_head >&2
"$PYTHON" -c 'import torch, numpy' 2>/dev/null || {
    echo "bench.sh: $PYTHON cannot import torch and numpy (Debian: apt-get install python3-torch)" >&2
    exit 1
}

# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, if the environment sets them, force a core type
# and cache size that can slow both sides; both run with OpenBLAS's own detection.
echo "environment OpenBLAS settings (removed for both sides): $(env | grep '^OPENBLAS' | tr '\n' ' ')"
# The machine may be shared: the load says how much the numbers can be trusted.
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
# glibc gives big blocks back to the kernel on free; PyTorch allocates fresh 77 MB
# tensors every step, and first touches of fresh pages are very slow inside this VM.
# The 'kept' runs tell glibc to keep freed memory (dropscope allocates nothing big
# per step, so this changes nothing on its side; it is set there too for symmetry).
KEEP=(MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=17179869184 MALLOC_TOP_PAD_=1073741824)
LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT

run() { # label threads channels cmd...
    local label="$1" t="$2" c="$3"
    shift 3
    local out
    out="$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$t" OMP_NUM_THREADS="$t" "$@" \
        --channels "$c" --steps "$STEPS" --warmup "$WARMUP" ${CLOCK_ARG[@]+"${CLOCK_ARG[@]}"})"
    printf '%s\n' "$out" | grep -E 'OpenBLAS|median|faults' | grep -v '^RESULT' | sed "s/^/  [$label T=$t C=$c] /" >&2
    printf '%s\n' "$out" | awk -v l="$label" -v t="$t" -v c="$c" \
        '/OpenBLAS core/ { for (i = 1; i < NF; i++) if ($i == "core") core = $(i + 1); sub(/,$/, "", core) }
         /^RESULT/ { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "median_ms") m = kv[2]; if (kv[1] == "faults_per_step") f = kv[2]; if (kv[1] == "min_ms") mn = kv[2] }
                     print l, t, c, m, f, (core == "" ? "?" : core), mn }' >>"$LOG"
}

for t in $THREADS; do
    for c in $SIZES; do
        for r in $(seq "$ROUNDS"); do
            # alternate the order so neither side always runs after the other
            if [ $((r % 2)) -eq 1 ]; then
                run dropscope "$t" "$c" env "${KEEP[@]}" "$BUILD/bench/bench_head"
                run torch_kept "$t" "$c" env "${KEEP[@]}" "$PYTHON" "$ROOT/bench/torch_head.py" --threads "$t"
                run torch "$t" "$c" "$PYTHON" "$ROOT/bench/torch_head.py" --threads "$t"
            else
                run torch "$t" "$c" "$PYTHON" "$ROOT/bench/torch_head.py" --threads "$t"
                run torch_kept "$t" "$c" env "${KEEP[@]}" "$PYTHON" "$ROOT/bench/torch_head.py" --threads "$t"
                run dropscope "$t" "$c" env "${KEEP[@]}" "$BUILD/bench/bench_head"
            fi
        done
    done
done

echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Median step time (ms, $CLOCK clock), batch 20, median over $ROUNDS round(s) of $STEPS steps after $WARMUP warm-up."
echo "torch: malloc keeps freed memory (0 page faults per step); torch_def: glibc defaults."
echo "ds_min, t_min: the fastest single step over all rounds (least disturbed by other load)."
echo "ratio = dropscope / torch; target <= 0.5"
awk '{ core[$1] = $6 } END { printf "OpenBLAS core type: dropscope %s, torch %s (torch default %s)\n", core["dropscope"], core["torch_kept"], core["torch"] }' "$LOG"
awk '{ f[$1] += $5; k[$1]++ } END { printf "minor page faults per step (mean): dropscope %.0f, torch %.0f, torch default %.0f\n", f["dropscope"] / k["dropscope"], f["torch_kept"] / k["torch_kept"], f["torch"] / k["torch"] }' "$LOG"
awk '
    { k = $2 " " $3; n[$1, k]++; v[$1, k, n[$1, k]] = $4; lo[$1, k] = (n[$1, k] == 1 || $7 < lo[$1, k]) ? $7 : lo[$1, k]; keys[k] = 1 }
    function med(lab, k,   i, j, c, a, tmp) {
        c = n[lab, k]
        for (i = 1; i <= c; i++) a[i] = v[lab, k, i]
        for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (a[j] < a[i]) { tmp = a[i]; a[i] = a[j]; a[j] = tmp }
        return c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
    }
    END {
        printf "%-7s %-8s | %9s %8s %6s | %8s %8s %6s | %9s %6s | %s\n", "threads", "features", "dropscope", "torch", "ratio",
               "ds_min", "t_min", "ratio", "torch_def", "ratio", "target (median ratio <= 0.5)"
        for (k in keys) {
            split(k, p, " ")
            d = med("dropscope", k); tk = med("torch_kept", k); td = med("torch", k)
            dl = lo["dropscope", k]; tl = lo["torch_kept", k]
            printf "%-7s %-8d | %9.2f %8.2f %6.3f | %8.2f %8.2f %6.3f | %9.2f %6.3f | %s\n", p[1], 49 * p[2], d, tk, d / tk,
                   dl, tl, dl / tl, td, d / td, (d / tk <= 0.5 ? "met" : "not met")
        }
    }' "$LOG" | sort -k1,1n -k2,2n
