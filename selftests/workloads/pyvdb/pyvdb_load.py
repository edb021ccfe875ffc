#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Drive vector-studio through pyvdb: search requests in a loop.

  pyvdb_load.py -f PORT_FILE [--seconds S] [--comm C] [--dim D]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyvdb import api  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-f", "--port-file", required=True)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--comm")
    ap.add_argument("--dim", type=int, default=64)
    a = ap.parse_args()
    if a.comm:
        with open("/proc/self/comm", "w") as f:
            f.write(a.comm[:15])
    with open(a.port_file) as f:
        port = int(f.read())
    db = api.VectorDB(port, a.dim)
    deadline = time.monotonic() + a.seconds
    n = 0
    while time.monotonic() < deadline:
        db.search()
        n += 1
    print("pyvdb: %d searches" % n)


if __name__ == "__main__":
    main()
