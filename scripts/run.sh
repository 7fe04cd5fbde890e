#!/usr/bin/env bash
# Installs what is missing, builds, then opens the default lesson in a window
# (arguments go to dropscope: scripts/run.sh open lessons/02-frozen-base.lesson).
# Without a display it trains the default lesson headless instead and says so.
set -euo pipefail
. "$(dirname "$0")/common.sh"
ds_install "${DS_PACKAGES[@]}"
ds_build "$DS_BUILD"
if [ $# -eq 0 ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    echo "dropscope: no display found; training the default lesson headless instead." >&2
    echo "dropscope: (for a picture without a display: $DS_BUILD/dropscope shot --out shot.png)" >&2
    exec "$DS_BUILD/dropscope" train --steps 300
fi
exec "$DS_BUILD/dropscope" "$@"
