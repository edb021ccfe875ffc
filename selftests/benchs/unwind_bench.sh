#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Unwinding costs (issue: stacks without frame pointers), side by side in
# one run, as root, from the source tree after `make`:
#  1. BPF time per sample of profile on a loop built without frame
#     pointers (cpuburn-nofp, sampled at 99 Hz): unwind tables, the
#     frame-pointer walk (--fp-stacks), and bpftrace's ustack; from
#     kernel.bpf_stats_enabled's run_time_ns / run_cnt;
#  2. profile host-wide at 99 Hz on every CPU: BPF time as a share of
#     one CPU over the window;
#  3. the tables of every image mapped on this machine: load time, rows
#     and bytes, and what one `pinsight-load refresh` costs.
# Usage: selftests/benchs/unwind_bench.sh [SECONDS] (default 10 per condition)
# Writes what it prints to selftests/benchs/RESULTS-unwind.md too.
set -eu
cd "$(dirname "$0")/../.."
if [ -z "${UNWIND_BENCH_INNER:-}" ]; then
	out=selftests/benchs/RESULTS-unwind.md
	{
		echo "# Unwinding costs ($(date -u +%F), HEAD $(git rev-parse --short HEAD 2>/dev/null), kernel $(uname -r), $(nproc) CPUs)"
		echo
		echo "From \`selftests/benchs/unwind_bench.sh ${1:-10}\`; every figure of one run, side by side."
		echo
		echo '```'
	} > "$out.tmp"
	UNWIND_BENCH_INNER=1 sh "$0" "$@" | tee -a "$out.tmp"
	echo '```' >> "$out.tmp"
	mv "$out.tmp" "$out"
	exit 0
fi
O=.output
SECS=${1:-10}
export PINSIGHT_PIN_ROOT=/sys/fs/bpf/pinsight-ubench
L=$O/pinsight-load
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -qw kernel.bpf_stats_enabled=$old_stats; $L unload --all >/dev/null 2>&1 || true; kill $burn 2>/dev/null || true' EXIT
sysctl -qw kernel.bpf_stats_enabled=1

# run_time_ns and run_cnt of a pinned perf_event link's program
prog_stats() {
	id=$(bpftool link show pinned "$1" -j | jq .prog_id)
	bpftool prog show id "$id" -j | jq -r '"\(.run_time_ns // 0) \(.run_cnt // 0)"'
}

$O/workloads/cpuburn-nofp --comm ubench --seconds 100000 >/dev/null &
burn=$!
sleep 0.3
for mode in tables fp; do
	opt=; [ $mode = fp ] && opt=--fp-stacks
	$L profile --name $mode --pid $burn $opt >/dev/null
	sleep "$SECS"
	set -- $(prog_stats "$PINSIGHT_PIN_ROOT"/profile@$mode/links/do_sample-0)
	echo "per run, $mode: $(($1 / ($2 ? $2 : 1))) ns ($2 runs: the loop's samples and the other CPUs' filtered ones)"
	eval "ns_$mode=$(($1 / ($2 ? $2 : 1)))"
	$L unload profile@$mode >/dev/null
done
if command -v bpftrace >/dev/null; then
	bpftrace -e "profile:hz:99 /pid == $burn/ { @[ustack] = count(); }" >/dev/null 2>&1 &
	bt=$!
	sleep 3
	id=$(bpftool prog show -j | jq '[.[] | select(.type == "perf_event")] | last | .id')
	s0=$(bpftool prog show id "$id" -j | jq -r '"\(.run_time_ns // 0) \(.run_cnt // 0)"')
	sleep "$SECS"
	s1=$(bpftool prog show id "$id" -j | jq -r '"\(.run_time_ns // 0) \(.run_cnt // 0)"')
	kill -INT $bt; wait $bt 2>/dev/null || true
	echo "$s0 $s1" | awk '{ n = $4 - $2; printf "per sample, bpftrace ustack: %d ns (%d samples, every CPU: only the loop'\''s pass its filter)\n", ($3 - $1) / (n ? n : 1), n }'
fi
echo "per run, tables / frame pointers: $(awk "BEGIN { printf \"%.2f\", $ns_tables / $ns_fp }")x"
kill $burn

# Host-wide at 99 Hz on every CPU, over the window, both ways.
for mode in tables fp; do
	opt=; [ $mode = fp ] && opt=--fp-stacks
	t0=$(date +%s%N)
	$L -v profile --name all-$mode $opt 2>&1 | sed -n 's/^unwind: /tables at load: /p'
	load_ms=$((($(date +%s%N) - t0) / 1000000))
	echo "host-wide load, $mode: $load_ms ms"
	sleep "$SECS"
	set -- $(for l in "$PINSIGHT_PIN_ROOT"/profile@all-$mode/links/*; do prog_stats "$l"; done |
		awk '{ t += $1; n += $2 } END { print t, n }')
	# one program, one link per CPU: each link reports the program's total
	echo "host-wide 99 Hz x $(nproc) CPUs, $mode: $(($2 / $(nproc))) samples, $(awk "BEGIN { printf \"%.3f\", 100 * $1 / $(nproc) / ($SECS * 1e9) }") % of one CPU in BPF"
	[ $mode = fp ] && break
	bpftool map dump pinned "$PINSIGHT_PIN_ROOT"/profile@all-$mode/maps/unwind_tables -j |
		jq -r '[.[] | (.formatted // .) | .value] | "tables: \(length) images, \(map(.nr) | add) rows, \(map(.nr) | add * 8 / 1048576 * 100 | floor / 100) MiB of rows for \(map(.text_bytes) | add / 1048576 | floor) MiB of text"'
	t0=$(date +%s%N)
	$L refresh
	echo "one refresh: $((($(date +%s%N) - t0) / 1000000)) ms"
	$L unload profile@all-$mode >/dev/null
done
