#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare pinsight's folded stacks with `perf script` of a
`perf record --call-graph dwarf` run over the same process and window:
the share of samples whose stack reaches main() (seen as its caller,
__libc_start_main: a packaged binary's main is not in its dynamic symbols),
and the inclusive shares of perf's five hottest user-space functions (by
self samples). Prints one line per figure; exits 1 when a share differs
by more than the bounds given.

Usage: unwind_vs_perf.py PERF_SCRIPT_TXT FOLDED_TXT [MAIN_PTS TOP_PTS]
"""
import re
import sys
from collections import Counter


def norm(sym):
    sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
    return re.sub(r"@@?[A-Za-z0-9_.]+$", "", sym)


KERNEL = set()  # names perf found in the kernel


def perf_stacks(path):
    stacks, cur = [], None
    for line in open(path, errors="replace"):
        if not line.strip():
            if cur is not None:
                stacks.append((cur, 1))
            cur = None
        elif line[0] not in " \t":
            cur = []
        elif cur is not None:
            m = re.match(r"\s+[0-9a-f]+ (.*) \((.*)\)$", line)
            if m:
                cur.append(norm(m.group(1)))  # innermost first
                if "kernel" in m.group(2):
                    KERNEL.add(cur[-1])
    if cur is not None:
        stacks.append((cur, 1))
    return stacks


def folded_stacks(path):
    stacks = []
    for line in open(path, errors="replace"):
        stack, _, n = line.rstrip("\n").rpartition(" ")
        if not stack:
            continue
        frames = [norm(f) for f in stack.split(";")[1:]]  # comm first
        stacks.append((frames[::-1], int(n)))  # innermost first
    return stacks


def shares(stacks, funcs):
    total = sum(n for _, n in stacks) or 1
    main = sum(n for f, n in stacks if "__libc_start_main" in f or
               "__libc_start_call_main" in f)
    inc = {fn: sum(n for f, n in stacks if fn in f) for fn in funcs}
    return total, 100.0 * main / total, {k: 100.0 * v / total for k, v in inc.items()}


def main():
    perf, ours = perf_stacks(sys.argv[1]), folded_stacks(sys.argv[2])
    main_pts = float(sys.argv[3]) if len(sys.argv) > 3 else 2
    top_pts = float(sys.argv[4]) if len(sys.argv) > 4 else 3
    self_counts = Counter()
    for f, n in perf:
        user = [x for x in f if x not in KERNEL]
        if user and not user[0].startswith("[unknown]"):
            self_counts[user[0]] += n
    top = [fn for fn, _ in self_counts.most_common(5)]
    pt, pm, pi = shares(perf, top)
    ot, om, oi = shares(ours, top)
    ok = True
    print(f"samples: perf {pt}, pinsight {ot}")
    d = om - pm
    ok &= abs(d) <= main_pts
    print(f"reach main: perf {pm:.1f} %, pinsight {om:.1f} % ({d:+.1f} points)")
    for fn in top:
        d = oi[fn] - pi[fn]
        ok &= abs(d) <= top_pts
        print(f"inclusive {fn}: perf {pi[fn]:.1f} %, pinsight {oi[fn]:.1f} % ({d:+.1f} points)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
