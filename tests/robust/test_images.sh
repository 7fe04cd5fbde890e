#!/usr/bin/env bash
# Issue 14: image folders, special files and long names, through the command line.
#
#   bash tests/robust/test_images.sh path/to/dropscope
#
# A folder lesson (two class folders of 8x8 PNGs) is trained for one step after a bad
# file is put into a class folder: an SVG named .png (SDL2_image's IMG_Load crashed on
# it), decompression bombs (a real 1-bit 20000x20000 PNG, a 1 KB PNG header claiming
# 30000x30000, a 30-byte PPM, a 54-byte BMP header), a PNG with an invalid chunk type
# (libpng printed "libpng error: ..." raw), a class folder named with a newline and ESC[2J.
# Each must exit 2 with one message line naming the file, nothing from libpng, and a peak
# resident size (/usr/bin/time -v) under 100 MB (DS_RSS_LIMIT_MB when a sanitizer build
# sets more). A named pipe among the images is skipped without blocking. `import -o`
# refuses a character device in the output's place (as root) and writes a 250-character
# output name. Each case prints its peak memory and time.
set -u

DS=${1:?usage: test_images.sh path/to/dropscope}
DS=$(cd "$(dirname "$DS")" && pwd)/$(basename "$DS")
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${DROPSCOPE_SOURCE_DIR:-$(cd "$HERE/../.." && pwd)}
LIMIT_MB=${DS_RSS_LIMIT_MB:-100}
[ "$LIMIT_MB" -le 200 ] && LIMIT_MB=100
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
unset DISPLAY WAYLAND_DISPLAY
TIME=/usr/bin/time
if [ ! -x "$TIME" ]; then
    echo "SKIP: no $TIME (Debian's time package)"
    exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/dsrobimg-XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

# the images, written by Python's zlib and struct (no imaging library needed)
python3 - <<'EOF' || exit 1
import os, struct, zlib
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
def ihdr(w, h, depth, ctype): return chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, ctype, 0, 0, 0))
def png(w, h):
    raw = (b'\x00' + bytes(3 * w)) * h
    return b'\x89PNG\r\n\x1a\n' + ihdr(w, h, 8, 2) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')
os.makedirs('good/a'); os.makedirs('good/b')
for c in 'ab':
    for i in range(3):
        open('good/%s/%d.png' % (c, i), 'wb').write(png(8, 8))
os.makedirs('bad')
open('bad/svg.png', 'w').write('<svg xmlns="http://www.w3.org/2000/svg" width="24000" height="24000">'
                               '<rect width="24000" height="24000"/></svg>\n')
z = zlib.compressobj(9); row = bytes(2501); idat = b''.join(z.compress(row) for _ in range(20000)) + z.flush()
open('bad/bomb1bit.png', 'wb').write(b'\x89PNG\r\n\x1a\n' + ihdr(20000, 20000, 1, 0) + chunk(b'IDAT', idat) + chunk(b'IEND', b''))
open('bad/header.png', 'wb').write(b'\x89PNG\r\n\x1a\n' + ihdr(30000, 30000, 8, 2) + chunk(b'tEXt', b'c\x00' + b'x' * 950) + chunk(b'IEND', b''))
open('bad/ppm.png', 'wb').write(b'P6\n30000 30000\n255\n' + b'\x00' * 11)
open('bad/header.bmp', 'wb').write(b'BM' + struct.pack('<IHHI', 54, 0, 0, 54) + struct.pack('<IiiHHIIiiII', 40, 30000, 30000, 1, 24, 0, 0, 0, 0, 0, 0))
p = bytearray(png(8, 8)); k = p.index(b'IDAT'); p[k + 3] = 1
open('bad/chunktype.png', 'wb').write(bytes(p))
EOF
sizes=$(cd bad && for f in *; do printf '%s %s B, ' "$f" "$(stat -c %s "$f")"; done)
echo "inputs: ${sizes%, }"

cat >k.lesson <<'EOF'
title images
data folder "imgs"
  classes 0, 1
  resize 8x8x3
model
  Input(shape=(8, 8, 3))
  Flatten()
  Dense(2, activation=softmax)
compile
  optimizer adam
  loss sparse_categorical_crossentropy
  metrics accuracy
fit
  batch_size 2
EOF

# run NAME CMD...: rc, max RSS (MB) and seconds into $rc $rss $secs; output in NAME.out/.err
run() {
    local name=$1
    shift
    timeout 120 "$TIME" -v -o "$name.time" "$@" >"$name.out" 2>"$name.err"
    rc=$?
    rss=$(( $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$name.time" 2>/dev/null || echo 0) / 1024 ))
    secs=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$name.time" 2>/dev/null)
    grep -v '^Command exited with non-zero status' "$name.err" >"$name.err2"
    mv "$name.err2" "$name.err"
}

# bad_image FILE [CLASS] NEEDLE: the folder lesson with FILE in class folder CLASS (b)
bad_image() {
    local file=$1 cls=${3:-b} needle=$2
    rm -rf imgs && cp -r good imgs
    mkdir -p "imgs/$cls" && cp "bad/$file" "imgs/$cls/x.${file##*.}"
    run "$file" "$DS" train k.lesson --steps 1
    local lines
    lines=$(grep -c 'imgs/' "$file.err")
    if [ "$rc" -ne 2 ]; then
        fail "$file: exit $rc, expected 2: $(head -3 "$file.err")"
    elif ! grep -qF -- "$needle" "$file.err"; then
        fail "$file: the message lacks '$needle': $(cat "$file.err")"
    elif [ "$lines" -ne 1 ]; then
        fail "$file: $lines lines name the file, expected one: $(cat "$file.err")"
    elif grep -q 'libpng' "$file.err"; then
        fail "$file: libpng printed: $(cat "$file.err")"
    elif [ "$rss" -ge "$LIMIT_MB" ]; then
        fail "$file: peak memory ${rss} MB, limit ${LIMIT_MB} MB"
    else
        ok "$file refused (${rss} MB, ${secs}): $(grep 'imgs/' "$file.err")"
    fi
}

bad_image svg.png "not a readable image: the content is not PNG, JPEG or BMP"
bad_image bomb1bit.png "the PNG image is 20000x20000 (381.5 Mpixel), over the limit of 16 Mpixel"
bad_image header.png "the PNG image is 30000x30000"
bad_image ppm.png "not PNG, JPEG or BMP (starts with 50 36"
bad_image header.bmp "the BMP image is 30000x30000"
bad_image chunktype.png "damaged PNG: invalid chunk type"
bad_image chunktype.png 'imgs/b\ncleared\x1b[2J/x.png: damaged PNG' $'b\ncleared\e[2J'

# a named pipe among the images is not an image file: skipped, never opened
rm -rf imgs && cp -r good imgs && mkfifo imgs/b/pipe.png
run pipe "$DS" train k.lesson --steps 1
if [ "$rc" -eq 0 ]; then ok "a named pipe among the images is skipped (${secs})"; else fail "pipe: exit $rc: $(cat pipe.err)"; fi

# outputs: a character device is never replaced; a 250-character name is written
cp "$SRC/tests/fixtures/keras/sequential.py" m.py
if mknod node c 1 3 2>/dev/null; then
    run node "$DS" import m.py -o node
    if [ "$rc" -eq 2 ] && [ -c node ] && grep -qF "node: exists and is a character device, not a regular file" node.err; then
        ok "import -o NODE refuses a character device: $(grep 'node:' node.err)"
    else
        fail "import -o NODE: exit $rc, $(ls -l node): $(tail -1 node.err)"
    fi
else
    echo "skip: mknod needs root"
fi
long=$(printf 'l%.0s' $(seq 1 243)).lesson
run long "$DS" import m.py -o "$long"
if [ "$rc" -eq 0 ] && [ -f "$long" ]; then ok "a ${#long}-character output name is written"; else fail "long name: exit $rc: $(tail -1 long.err)"; fi

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
