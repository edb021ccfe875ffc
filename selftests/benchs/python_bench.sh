#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The Python walk's cost (issue 15), as root from the source tree after
# `make`: BPF time per sample of profile on a pure Python loop (Debian's
# python3.11, pyburn.py ratio, sampled at 99 Hz), with Python frames and
# with --no-python (native frames only: the same native walk), from
# kernel.bpf_stats_enabled's run_time_ns / run_cnt, and per sample of the
# loop (the other CPUs' runs are filtered out early).
# Usage: selftests/benchs/python_bench.sh [SECONDS] (default 10 per condition)
# `selftests/benchs/icount.sh -P` runs it in a qemu -icount guest, where
# its nanoseconds are instructions (the guest's copy of the tree is /pinsight).
set -eu
if [ -x /pinsight/.output/pinsight-load ]; then cd /pinsight; else cd "$(dirname "$0")/../.."; fi
O=.output
SECS=${1:-10}
export PINSIGHT_PIN_ROOT=/sys/fs/bpf/pinsight-pybench
L=$O/pinsight-load
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
burn=
trap 'sysctl -qw kernel.bpf_stats_enabled=$old_stats; $L unload --all >/dev/null 2>&1 || true; [ -n "$burn" ] && kill $burn 2>/dev/null || true' EXIT
sysctl -qw kernel.bpf_stats_enabled=1

# run_time_ns and run_cnt of a program, summed over its per-CPU links
prog_stats() {
	id=$(bpftool link show pinned "$1"/links/do_sample-0 -j | jq .prog_id)
	bpftool prog show id "$id" -j | jq -r '"\(.run_time_ns // 0) \(.run_cnt // 0)"'
}

/usr/bin/python3.11 $O/workloads/pyvdb/pyburn.py ratio --comm pybench \
	--seconds 100000 >/dev/null &
burn=$!
sleep 0.5
# twice each, alternating, so a change in the host's load shows
for mode in python native python native; do
	opt=; [ $mode = native ] && opt=--no-python
	$L profile --name $mode --pid $burn $opt >/dev/null
	sleep "$SECS"
	set -- $(prog_stats "$PINSIGHT_PIN_ROOT"/profile@$mode)
	samples=$($O/pinsight -j profile profile@$mode | jq .samples)
	echo "$mode: $(($1 / ($2 ? $2 : 1))) ns per run ($2 runs), $(($1 / (samples ? samples : 1))) ns of BPF per sample of the loop ($samples samples; the other CPUs' filtered runs included)"
	$L unload profile@$mode >/dev/null
done
