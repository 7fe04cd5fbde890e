#!/usr/bin/env python3
"""Checks that files dropscope wrote are whole (issue 7), without NumPy.

    check_record.py [--record] [--finite] PATH...

Every `.npy` under PATH (a file or a directory, searched recursively; hidden temp files
`.NAME.tmp.*` are skipped and listed) must have a valid header and exactly the data
bytes its shape and dtype need; every `metrics.csv` must end with a newline and have as
many fields on every row as in its header. With --record, PATH is a record directory
(docs/record-format.md) and its parts must agree: batch_indices, masks and activations
hold one row per row of metrics.csv. With --finite, float32 arrays must hold no NaN or
infinity. Exit status 0 when all is well, 1 with one line per problem otherwise.
"""
import ast
import math
import os
import struct
import sys

SIZES = {"f4": 4, "u1": 1, "i4": 4, "i8": 8}


def read_npy(path):
    """(shape, dtype) of a whole .npy file; raises ValueError naming what is wrong."""
    with open(path, "rb") as f:
        b = f.read()
    if b[:6] != b"\x93NUMPY":
        raise ValueError("no .npy magic")
    major = b[6]
    if major == 1:
        hl, start = struct.unpack("<H", b[8:10])[0], 10
    elif major in (2, 3):
        hl, start = struct.unpack("<I", b[8:12])[0], 12
    else:
        raise ValueError("version %d" % major)
    if len(b) < start + hl:
        raise ValueError("header cut short")
    hdr = ast.literal_eval(b[start:start + hl].decode("latin1"))
    descr, shape = hdr["descr"], tuple(hdr["shape"])
    kind = descr.lstrip("<>|=")
    if kind not in SIZES:
        raise ValueError("dtype %r" % descr)
    need = SIZES[kind] * math.prod(shape)
    have = len(b) - start - hl
    if have != need:
        raise ValueError("shape %s of %s needs %d data bytes, the file holds %d" % (shape, descr, need, have))
    return shape, descr, b[start + hl:]


def main(argv):
    record = "--record" in argv
    finite = "--finite" in argv
    paths = [a for a in argv if not a.startswith("--")]
    problems, temps, n_files = [], [], 0
    for root in paths:
        files = []
        if os.path.isdir(root):
            for d, _, names in os.walk(root):
                files += [os.path.join(d, n) for n in names]
        else:
            files = [root]
        for p in sorted(files):
            name = os.path.basename(p)
            if name.startswith(".") and ".tmp." in name:
                temps.append(p)
                continue
            try:
                if p.endswith(".npy"):
                    n_files += 1
                    shape, descr, data = read_npy(p)
                    if finite and descr.endswith("f4"):
                        bad = [v for (v,) in struct.iter_unpack("<f", data) if not math.isfinite(v)]
                        if bad:
                            problems.append("%s: %d non-finite values" % (p, len(bad)))
                elif name == "metrics.csv":
                    n_files += 1
                    text = open(p, encoding="utf-8").read()
                    if not text.endswith("\n"):
                        raise ValueError("does not end with a newline")
                    rows = text.splitlines()
                    width = len(rows[0].split(","))
                    for i, r in enumerate(rows[1:], 2):
                        if len(r.split(",")) != width:
                            raise ValueError("line %d has %d fields, the header %d" % (i, len(r.split(",")), width))
            except (ValueError, KeyError, SyntaxError, UnicodeDecodeError, IndexError) as e:
                problems.append("%s: %s" % (p, e))
        if record and os.path.isdir(root) and not problems:
            try:
                steps = len(open(os.path.join(root, "metrics.csv")).read().splitlines()) - 1
                parts = [os.path.join(root, "batch_indices.npy")]
                for sub in ("masks", "activations"):
                    d = os.path.join(root, sub)
                    parts += [os.path.join(d, n) for n in sorted(os.listdir(d)) if n.endswith(".npy")]
                for p in parts:
                    s = read_npy(p)[0]
                    if s[0] != steps:
                        problems.append("%s: %d rows but metrics.csv has %d steps" % (p, s[0], steps))
                for sub in ("weights_initial", "weights_final"):
                    if not os.path.isdir(os.path.join(root, sub)):
                        problems.append("%s: missing" % os.path.join(root, sub))
            except (OSError, ValueError) as e:
                problems.append("%s: %s" % (root, e))
    for p in problems:
        print("problem: " + p)
    print("%d files checked, %d problems, %d temp files left (%s)" %
          (n_files, len(problems), len(temps), ", ".join(os.path.basename(t) for t in temps[:5])))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
