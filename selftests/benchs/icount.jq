# SPDX-License-Identifier: GPL-2.0
# icount.jsonl (slurped: one object per cell, from icount-guest.sh) to the
# markdown of selftests/benchs/icount.sh. Args: kernel, shift, secs, rev.
include "stats";

def labels: {
  none: ["No monitoring", "baseline"],
  none_b: ["No monitoring again (A/A)", "baseline, a second cell per repetition"],
  perf: ["perf events, no program", "cpu-clock 99 Hz on every CPU, nothing attached"],
  perf_empty: ["perf events + empty program", "the same with bench_floor's e_perf"],
  profile: ["profile", "pinsight-load profile --comm vector-studio"],
  profile_ip: ["profile --ip-stacks", "user frames as addresses, no build-id lookup"],
  tp_empty: ["syscall tracepoints, empty", "io's 12 sys_enter/exit tracepoints, empty programs"],
  fentry_empty: ["fentry/fexit, empty", "empty programs on the 6 syscalls' functions: io's fentry hooks"],
  io: ["io", "pinsight-load io --comm vector-studio: fentry, where the kernel allows it (this one does)"],
  io_tp: ["io --attach tp", "the syscall tracepoints, io's choice where fentry does not load (this host's 6.18)"],
  io_raw: ["io --attach raw", "raw_tp sys_enter/sys_exit: every syscall"],
  io_client: ["io on the client", "io --comm vs-loadgen: the client's calls recorded"],
  profile_io: ["profile+io", ""],
  profile_io_tp: ["profile+io --attach tp", "io on the tracepoints"],
  uprobe_empty: ["uprobes, empty", "empty programs on malloc entry and return and free entry in the server's libc (memalloc's hot hooks)"],
  memalloc: ["memalloc", "pinsight-load memalloc --pid SERVER: heap growth at brk/mmap/munmap/mprotect/mremap, no uprobes (the default)"],
  memalloc_calls: ["memalloc --calls", "uprobes on malloc entry and return and free: every call counted"],
  memalloc_nostacks: ["memalloc --calls --no-stacks", "per-call, no allocation stacks"],
  tcpconnlat: ["tcpconnlat", "pinsight-load tcpconnlat --comm vector-studio"],
  default: ["default set", "profile, io, memalloc, tcpconnlat"],
  all: ["every tool", "the default set, execmon, funclat (search_vectors, insert_vectors, build_index), hwcount (software events), pktstat on lo, runqlat"]
};
def pct: . * 10000 | round / 100;       # a ratio - 1 as % with 2 decimals
def r2: . * 100 | round / 100;
def sgn: if . > 0 then "+\(.)" else "\(.)" end;

(map(select(.stats | not))) as $cells |
(map(select(.stats))) as $statcells |
($shift == "host") as $host |
(if $host then 0 else $shift | tonumber end) as $sh |
(if $host then "ns" else "instr" end) as $unit |
($cells | map(select(.cond == "none")) | map({ key: (.rep | tostring), value: (.server_ns / .requests) }) | from_entries) as $base |
($cells | map(select(.cond == "none")) | map({ key: (.rep | tostring), value: (.cpu0_ns / .requests) }) | from_entries) as $cbase |
($base | [.[]] | mean) as $bmean |
($cells | map(.cond) | unique) as $conds |
($cells | map(.rep) | unique | length) as $reps |
($cells[0].requests) as $reqs |
[ $cells[] | select(.cond == "none_b" and $base[.rep | tostring] != null) | (.server_ns / .requests) / $base[.rep | tostring] - 1 ] as $aa |
def ratios($c): [ $cells[] | select(.cond == $c and $base[.rep | tostring] != null) | (.server_ns / .requests) / $base[.rep | tostring] - 1 ];
# Issue 16's goals, decided on the count. The sampler fires per time, and
# the guest runs ~8x fewer instructions per second than this host does
# on the server's loop, so profile's share is also given at the host's
# rate (divided by 8): the count without that inflation.
def goal($c; $what; $g):
  (ratios($c)) as $r | if $r == [] then empty else
  ($r | ci) as $i | (ratios("profile") | if . == [] then 0 else mean end) as $p |
  ((($r | mean) - $p * 7 / 8)) as $h |
  "- \($what) ≤ \($g) %: counted \($r | mean | pct) % [\($i[0] | pct), \($i[1] | pct)] (A/A ±\([$aa[] | if . < 0 then -. else . end] | max // 0 | pct) %): " +
  (if $i[1] * 100 <= $g then "**met**" elif ($r | mean) * 100 <= $g then "**met** (upper bound above)" else "**missed**" end) +
  (if ($c | test("profile|default")) and $p > 0 then "; with profile's samples at the host's rate \($h | pct) %: " + (if $h * 100 <= $g then "**met**" else "**missed**" end) else "" end) end;
def goals: if $host then empty else
  ($cells[0].server // "-d 128 -n 32" | test("-d 128")) as $guide |
  "Goals (issue 16), on the count:",
  (if $guide then goal("profile_io"; "profile+io at the guide's request size"; 0.5), goal("default"; "the default set at the guide's size"; 1)
   else goal("profile_io"; "profile+io on light requests"; 1) end),
  goal("profile_io_tp"; "the same with io on the tracepoints (where fentry does not load)"; if $guide then 0.5 else 1 end), "" end;
def row($c):
  [ $cells[] | select(.cond == $c and $base[.rep | tostring] != null) | (.server_ns / .requests) / $base[.rep | tostring] - 1 ] as $r |
  [ $cells[] | select(.cond == $c and ($cbase[.rep | tostring] // 0) > 0) | (.cpu0_ns / .requests) / $cbase[.rep | tostring] - 1 ] as $cr |
  [ $cells[] | select(.cond == $c) | .server_ctxsw / .requests ] as $cs |
  ($statcells | map(select(.cond == $c)) | .[0]) as $st |
  ($r | ci) as $i |
  "| \(labels[$c][0] // $c) | \(($r | median) | pct | sgn) % | [\($i[0] | pct | sgn), \($i[1] | pct | sgn)] % | \($r | min | pct | sgn) – \($r | max | pct | sgn) % | \($r | length) | \((($r | mean) * $bmean / pow(2; $sh) / 1000) | round | sgn) k \($unit) | \(if $st then ($st.bpf_ns / $st.requests / $bmean | pct | tostring) + " % (\($st.bpf_runs / $st.requests | r2) runs)" else "–" end) | \(if $cr == [] then "–" else ($cr | median | pct | sgn) + " %" end) | \($cs | median | r2) | \(labels[$c][1] // "") |";

if $host then
"### The same cells on the host, by its wall clock",
"",
"`selftests/benchs/icount.sh -H` on \($kernel), tree \($rev), \($secs) s: vector-studio `\($cells[0].server // "-d 128 -n 32")` on CPU 1, vs-loadgen on CPU 0, both nice -10, \($reps) repetitions, \($reqs) requests per cell. Server CPU from schedstat, in ns: **\($bmean / 1000 | round) µs per request** unmonitored. The machine is shared with builds and tests: read the A/A line first."
else
"## \(if ($cells[0].server // "-d 128 -n 32" | test("-d 128")) then "1b" else "1c" end). Counted in instructions: vector-studio `\($cells[0].server // "-d 128 -n 32")` in qemu -icount",
"",
"Generated by `make bench-icount` (selftests/benchs/icount.sh); do not edit by hand.",
"Kernel \($kernel) under qemu TCG `-icount shift=\($shift),sleep=off`, 2 vCPUs: vector-studio `\($cells[0].server // "-d 128 -n 32")` (2 workers) on CPU 1, vs-loadgen (2 connections, 100 % SEARCH) on CPU 0; tree \($rev); \($secs) s on the host.",
"\($reps) repetitions of every condition, \($reqs) requests per cell, in turn and in reverse turn by repetition. The guest clock counts instructions (\(pow(2; $sh)) ns each), so the server's CPU time (schedstat, all threads) is an instruction count: **\($bmean / pow(2; $sh) / 1e6 | r2) M instructions per request** unmonitored."
end,
"",
"*Server CPU/request*: the condition's cell over the No monitoring cell of the same repetition, minus 1: median, 95 % t-interval of the mean, min – max. *Δ/request*: the mean difference in instructions. *BPF stats*: `run_time_ns` of every program over one more cell per condition with `kernel.bpf_stats_enabled=1`, server's and client's runs alike (and ~20 ns a run of the stats themselves), as % of the server's baseline: what an accounted model sees. *Client*: vs-loadgen's CPU (CPU 0's run time) per request, against the same repetition's baseline. *Switches*: the server's context switches per request.",
"",
"A/A (No monitoring twice per repetition): median \($aa | median | pct | sgn) %, 95 % interval [\($aa | ci | .[0] | pct | sgn), \($aa | ci | .[1] | pct | sgn)] %, min – max \($aa | min | pct | sgn) – \($aa | max | pct | sgn) %.",
"",
goals,
"| condition | server CPU/request | 95 % interval | min – max | reps | Δ/request | BPF stats / request | client CPU/request | switches/request | what |",
"|---|---|---|---|---|---|---|---|---|---|",
( ["none_b", "perf", "perf_empty", "profile", "profile_ip", "tp_empty", "fentry_empty", "io", "io_tp", "io_raw", "io_client", "profile_io", "profile_io_tp", "uprobe_empty", "memalloc", "memalloc_calls", "memalloc_nostacks", "tcpconnlat", "default", "all"]
  | map(select(. as $c | $conds | index($c))) | .[] | row(.) ),
""
