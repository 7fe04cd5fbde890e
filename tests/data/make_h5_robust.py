#!/usr/bin/python3
"""Writes the .h5 fixtures of tests/data/test_h5.c's robustness tests (issue 14) into
tests/data/h5/, from the tiny model of tests/fixtures/make_h5_fixtures.py.

Run with Debian's python3 (h5py and numpy): /usr/bin/python3 tests/data/make_h5_robust.py

- tiny_lzf.h5: the tiny model with dense/kernel:0 compressed by LZF (HDF5 filter 32000,
  which h5py ships and Debian's libhdf5 lacks).
- tiny_ctrl_name.h5: the tiny model plus a layer whose name holds a newline and the
  terminal's clear-screen sequence (ESC [2J).
"""
import os
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
from make_h5_fixtures import tiny_layers, write_keras  # noqa: E402

OUT = os.path.join(HERE, "h5")


def main():
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "tiny_lzf.h5")
    write_keras(path, tiny_layers())
    with h5py.File(path, "a") as f:
        d = f["dense"]["dense/kernel:0"]
        data = d[...]
        del f["dense"]["dense/kernel:0"]
        f["dense"].create_dataset("dense/kernel:0", data=data, compression="lzf")
    evil = "evil\nline\x1b[2J"
    extra = [(evil, [(evil + "/kernel:0", np.zeros((2, 2), np.float32))])]
    write_keras(os.path.join(OUT, "tiny_ctrl_name.h5"), tiny_layers(extra=extra))


if __name__ == "__main__":
    main()
