#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Python burners for the python selftests (prog_tests/python.c).

  pyburn.py ratio [--seconds S] [--comm C] [--reference FILE]
      burn_hot and burn_cold, called from one loop, spend CPU in a 3:1
      ratio (the same work, 3 units for 1).
  pyburn.py mixed [...]
      py_sort_caller calls libc's qsort through ctypes with a Python
      comparator (py_compare, called back from qsort), and
      py_native_caller the zlib extension's compress (libz's deflate):
      native frames under Python ones, and Python under native.

--reference FILE: a thread samples the main thread's frames with
sys._current_frames() about every 2 ms, jittered (the GIL switch
interval made 1 ms so it gets them) and, at exit (SIGTERM too), writes
the inclusive share of each function name, in percent, as "name share"
lines, and "samples N": the interpreter's own view, for comparing with
pinsight's. SIGUSR1 starts its counts over, so its window can be
pinsight's.
"""
import argparse
import collections
import os
import random
import ctypes
import ctypes.util
import signal
import sys
import threading
import time
import zlib


def work(n):
    # pure Python arithmetic: the time is in the interpreter loop, and
    # long loops (backward jumps, where the interpreter lets another
    # thread take the GIL) next to few calls keep the reference sampler's
    # view unbiased by function entries
    x = 0
    for i in range(n):
        x = (x * 31 + i) & 0xFFFF
    return x


# Each call's work is drawn around its mean (3:1), so the loop has no
# period a fixed-rate sampler could beat with.
def burn_hot():
    return work(random.randint(20000, 40000))


def burn_cold():
    return work(random.randint(5000, 15000))


def ratio_loop(deadline):
    while time.monotonic() < deadline:
        burn_hot()
        burn_cold()


libc = ctypes.CDLL(ctypes.util.find_library("c"))
CMP = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int),
                       ctypes.POINTER(ctypes.c_int))


def py_compare(a, b):
    return a[0] - b[0]


_cmp = CMP(py_compare)


def py_sort_caller():
    arr = (ctypes.c_int * 256)(*[(i * 7919) % 256 for i in range(256)])
    libc.qsort(arr, 256, ctypes.sizeof(ctypes.c_int), _cmp)


_blob = bytes((i * 7919) % 251 for i in range(1 << 14))


def py_native_caller():
    # a native extension (zlib) into libz's deflate: native frames only
    # below this one
    return zlib.compress(_blob, 9)


def mixed_loop(deadline, phase=0.02):
    # Halves of equal time, not of equal calls: under an emulated CPU
    # (qemu TCG) zlib and the interpreter slow down by different factors.
    while time.monotonic() < deadline:
        end = time.monotonic() + phase
        while time.monotonic() < end:
            py_sort_caller()
        end = time.monotonic() + phase
        while time.monotonic() < end:
            py_native_caller()


class Reference(threading.Thread):
    """The interpreter's own sampler: inclusive shares of the main thread."""

    def __init__(self, path, period=0.002):
        super().__init__(daemon=True)
        self.path = path
        self.period = period
        self.main = threading.main_thread().ident
        self.counts = collections.Counter()
        self.samples = 0
        self.restart = False

    def run(self):
        while True:
            # jittered, not to beat with the loop either
            time.sleep(self.period * random.uniform(0.5, 1.5))
            if self.restart:
                self.counts.clear()
                self.samples = 0
                self.restart = False
            f = sys._current_frames().get(self.main)
            names = set()
            while f is not None:
                names.add(f.f_code.co_qualname)
                f = f.f_back
            self.samples += 1
            self.counts.update(names)

    def write(self):
        with open(self.path + ".tmp", "w") as out:
            out.write("samples %d\n" % self.samples)
            for name, c in sorted(self.counts.items()):
                out.write("%s %.2f\n" % (name, 100.0 * c / max(1, self.samples)))
        os.rename(self.path + ".tmp", self.path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("ratio", "mixed"))
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--comm")
    ap.add_argument("--reference")
    a = ap.parse_args()
    if a.comm:
        with open("/proc/self/comm", "w") as f:
            f.write(a.comm[:15])
    ref = None
    if a.reference:
        sys.setswitchinterval(0.001)
        ref = Reference(a.reference)
        signal.signal(signal.SIGUSR1,
                      lambda *_: setattr(ref, "restart", True))
        ref.start()
    def stop(*_):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        deadline = time.monotonic() + a.seconds
        (ratio_loop if a.mode == "ratio" else mixed_loop)(deadline)
    finally:
        if ref:
            ref.write()


if __name__ == "__main__":
    main()
