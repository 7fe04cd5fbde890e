#!/usr/bin/env bash
# Drives a real dropscope window under Xvfb with xdotool, as a student would, and saves
# a screenshot after each group of keys. For looking at the window, not a test.
#
#   scripts/drive.sh [--size WxH] [--presenter] [--out DIR] LESSON "KEYS" ["KEYS" ...]
#
# Each KEYS argument is a space-separated list of xdotool key names (n, s, i, space,
# Left, Return, 1 ...), sent one by one with --pause seconds between them (default 1);
# a screenshot DIR/NN.png follows each argument. "wait:S" as a key waits S seconds.
# Needs xvfb, xdotool and imagemagick (apt-get install xvfb xdotool imagemagick).
set -euo pipefail
size=800x600 presenter= out=/tmp/dropscope-drive pause=1
while [ $# -gt 0 ]; do
    case "$1" in
        --size) size=$2; shift 2 ;;
        --presenter) presenter=--presenter; shift ;;
        --out) out=$2; shift 2 ;;
        --pause) pause=$2; shift 2 ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || { echo "usage: $0 [--size WxH] [--presenter] [--out DIR] LESSON \"KEYS\"..." >&2; exit 2; }
lesson=$1; shift
bin=${DROPSCOPE:-$(dirname "$0")/../build/dropscope}
mkdir -p "$out"
disp=:$((90 + RANDOM % 100))
Xvfb "$disp" -screen 0 "${size}x24" -nolisten tcp >/dev/null 2>&1 &
xpid=$!
trap 'kill $apid $xpid 2>/dev/null || true' EXIT
sleep 1
export DISPLAY=$disp
"$bin" open "$lesson" $presenter >"$out/stdout.txt" 2>"$out/stderr.txt" &
apid=$!
for _ in $(seq 50); do
    wid=$(xdotool search --onlyvisible --pid "$apid" 2>/dev/null | tail -1 || true)
    [ -n "$wid" ] && break
    sleep 0.2
done
[ -n "${wid:-}" ] || { echo "no window appeared" >&2; cat "$out/stderr.txt" >&2; exit 1; }
# fill the screen as a maximised window would (presenter mode goes fullscreen itself)
[ -n "$presenter" ] || xdotool windowsize "$wid" "${size%x*}" "${size#*x}" windowmove "$wid" 0 0 || true
sleep 1.5
n=0
import -window root "$out/$(printf %02d $n).png"
for keys in "$@"; do
    n=$((n + 1))
    for k in $keys; do
        case "$k" in
            wait:*) sleep "${k#wait:}" ;;
            *) # the window as it is now (presenter mode may replace it), focused, and
               # the key typed as a keyboard would (XTEST), not sent to a window id
               w=$(xdotool search --onlyvisible --pid "$apid" 2>/dev/null | tail -1 || true)
               [ -n "$w" ] && xdotool windowfocus "$w" 2>/dev/null || true
               xdotool key "$k"; sleep "$pause" ;;
        esac
    done
    import -window root "$out/$(printf %02d $n).png"
    echo "$(printf %02d $n).png: $keys"
done
kill "$apid" 2>/dev/null || true
wait "$apid" 2>/dev/null || true
