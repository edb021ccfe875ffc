#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# icount-guest.sh REPS REQUESTS [COND...]: the half of selftests/benchs/icount.sh
# that runs inside its qemu -icount VM (as vmtest/init's VMTEST_RUN, from
# /pinsight/.output). One vector-studio (-d 128 -n 32, 2 workers) on CPU 1,
# vs-loadgen (2 connections, 100 % SEARCH, exactly REQUESTS requests per
# cell) on CPU 0; every condition once per repetition, in turn and in
# reverse turn on alternate repetitions, each cell's server CPU from
# schedstat. A cell's line goes to the console as it ends; all of them, and
# the BPF-stats pass after them, to ttyS1 as "=== icount.jsonl".
#
# In the VM the clock is qemu's instruction count (-icount), so a cell's
# CPU time is a count of instructions: the same work gives the same figure
# whatever the host is doing.
set -u
REPS=${1:-4}
REQS=${2:-200}
shift 2 2>/dev/null
# server=OPT:OPT...: vector-studio's options, ':' for spaces (the VM's
# arguments are words), e.g. server=-d:64:-n:4 for the light requests
SERVER_ARGS="-d 128 -n 32"
case ${1:-} in server=*) SERVER_ARGS=$(echo "${1#server=}" | tr ':' ' '); shift ;; esac
ALL="none perf perf_empty profile profile_ip tp_empty fentry_empty io io_tp io_raw profile_io profile_io_tp uprobe_empty memalloc memalloc_calls memalloc_nostacks tcpconnlat default all io_client none_b"
CONDS=${*:-$ALL}
# ICOUNT_HOST=1: the same cells on this host, by its wall clock, for the
# A/B beside the instruction count (icount.sh -H): a private pin root, the
# measured processes at nice -10 as in bench.sh, no BPF-stats pass (the
# sysctl is the whole host's), results to ICOUNT_OUT.
HOST=${ICOUNT_HOST:-0}
O=/pinsight/.output
T=/tmp
OUT="$T"/icount.jsonl
NICE=
if [ "$HOST" = 1 ]; then
	O=$(pwd)/.output
	T=$(mktemp -d "${TMPDIR:-/tmp}/icount.XXXXXX")
	OUT=${ICOUNT_OUT:-"$O"/benchs/icount/host.jsonl}
	NICE="nice -n -10"
	export PINSIGHT_PIN_ROOT=/sys/fs/bpf/pinsight-icount-$$
	mkdir -p "$PINSIGHT_PIN_ROOT"
	trap '$L unload --all > /dev/null 2>&1; rmdir "$PINSIGHT_PIN_ROOT"; rm -rf "$T"; kill $SERVER 2> /dev/null' EXIT
	trap 'exit 130' INT TERM
fi
L=$O/pinsight-load
B=$O/benchs/bench
W=$O/workloads
: > "$OUT"

say() { echo "icount: $*"; }
# this script and all it starts on CPU 0 but the server, on CPU 1
taskset -p -c 0 $$ > /dev/null

# The floor programs on io's twelve syscall tracepoints.
TP_EMPTY= FENTRY_EMPTY=
for s in read write pread64 pwrite64 readv writev; do
	TP_EMPTY="$TP_EMPTY${TP_EMPTY:+,}e_tp_enter_$s,e_tp_exit_$s"
	FENTRY_EMPTY="$FENTRY_EMPTY${FENTRY_EMPTY:+,}e_fentry_$s,e_fexit_$s"
done

rm -f "$T"/vs.port
# shellcheck disable=SC2086 # options are words
$NICE taskset -c 1 "$W"/vector-studio -f "$T"/vs.port -t 2 $SERVER_ARGS > "$T"/vs.out 2> "$T"/vs.err &
SERVER=$!
i=0
while [ ! -s "$T"/vs.port ]; do
	i=$((i + 1))
	[ $i -lt 6000 ] || { say "vector-studio did not start: $(cat "$T"/vs.err)"; exit 1; }
	sleep 0.1
done
say "vector-studio $SERVER up"

loadgen() { $NICE taskset -c 0 "$W"/vs-loadgen -f "$T"/vs.port -c 2 -m 100 -j "$@"; }
loadgen -n 40 > /dev/null || { say "warm-up failed"; exit 1; }

# ns of CPU: the server's threads (schedstat), and each CPU's (the 7th
# field of /proc/schedstat's cpuN line: run time of its tasks).
server_ns() { cat /proc/$SERVER/task/*/schedstat | awk '{ s += $1 } END { printf "%.0f", s }'; }
# Without schedstats (this host's kernel): /proc/stat's busy ticks.
if [ -r /proc/schedstat ]; then
	cpu_ns() { awk -v c="cpu$1" '$1 == c { print $8 }' /proc/schedstat; }
else
	cpu_ns() { awk -v c="cpu$1" '$1 == c { printf "%.0f", ($2 + $3 + $4 + $7 + $8) * 1e7 }' /proc/stat; }
fi
# utime+stime of the server in clock ticks (the brief's other measure)
server_ticks() { awk '{ print $14 + $15 }' /proc/$SERVER/stat; }
server_ctxsw() { cat /proc/$SERVER/task/*/status | awk '/ctxt_switches/ { s += $2 } END { print s }'; }
# virtual time, ns
now_ns() { awk '{ printf "%.0f", $1 * 1e9 }' /proc/uptime; }
bpf_run() { bpftool prog show -j 2>/dev/null | jq '[.[] | .run_time_ns // 0] | add // 0'; }
bpf_cnt() { bpftool prog show -j 2>/dev/null | jq '[.[] | .run_cnt // 0] | add // 0'; }

HOLD=
hold() {
	rm -f "$T"/hold.in "$T"/hold.out
	mkfifo "$T"/hold.in
	taskset -c 0 "$B" hold -O "$O"/benchs/bench_floor.bpf.o -p $SERVER "$1" < "$T"/hold.in > "$T"/hold.out 2>&1 &
	HOLD=$!
	exec 7> "$T"/hold.in
	i=0
	until grep -q ready "$T"/hold.out 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 $HOLD 2>/dev/null; then
			say "bench hold $1: $(cat "$T"/hold.out)"
			return 1
		fi
		sleep 0.1
	done
}
load() { taskset -c 0 "$L" "$@" > /dev/null; }

setup() {
	case $1 in
	none | none_b) ;;
	perf) hold perf ;;
	perf_empty) hold e_perf ;;
	tp_empty) hold "$TP_EMPTY" ;;
	fentry_empty) hold "$FENTRY_EMPTY" ;;
	profile) load profile --comm vector-studio ;;
	profile_ip) load profile --comm vector-studio --ip-stacks ;;
	io) load io --comm vector-studio ;;
	io_tp) load io --comm vector-studio --attach tp ;;
	io_raw) load io --comm vector-studio --attach raw ;;
	io_client) load io --comm vs-loadgen ;;
	profile_io) load profile --comm vector-studio && load io --comm vector-studio ;;
	profile_io_tp)
		load profile --comm vector-studio &&
			load io --comm vector-studio --attach tp ;;
	uprobe_empty)
		# memalloc's hot hooks in the server's C library, empty programs
		libc=$(awk '$NF ~ /\/libc\.so/ { print $NF; exit }' /proc/$SERVER/maps)
		hold "e_uprobe@$libc:malloc,e_uretprobe@$libc:malloc,e_uprobe@$libc:free" ;;
	memalloc) load memalloc --pid $SERVER ;;
	memalloc_calls) load memalloc --calls --pid $SERVER ;;
	memalloc_nostacks) load memalloc --calls --pid $SERVER --no-stacks ;;
	tcpconnlat) load tcpconnlat --comm vector-studio ;;
	default)
		load profile --comm vector-studio && load io --comm vector-studio &&
			load memalloc --pid $SERVER && load tcpconnlat --comm vector-studio ;;
	all)
		setup default && load execmon --comm vector-studio &&
			load funclat --binary "$W"/vector-studio --func search_vectors,insert_vectors,build_index --pid $SERVER &&
			load hwcount --events cpu-clock,page-faults,context-switches &&
			load pktstat --dev lo && load runqlat --comm vector-studio ;;
	*) say "unknown condition $1"; return 1 ;;
	esac
}
teardown() {
	if [ -n "$HOLD" ]; then
		exec 7>&-
		wait $HOLD
		HOLD=
	fi
	"$L" unload --all > /dev/null 2>&1
	return 0
}

# cell COND REP [stats]: one loadgen run of REQS requests under COND
cell() {
	r0=0 r1=0 n0=0 n1=0
	setup "$1" || { teardown; return 1; }
	# Let what the last teardown and this setup left behind (RCU
	# callbacks, freeing maps and programs in kworkers) finish first: on
	# CPU 0 it would be counted into the server, whose CPU's clock
	# advances while CPU 0 executes (one host thread runs both vCPUs in
	# turn). Idle time is free under sleep=off.
	sleep "${ICOUNT_SETTLE:-3}"
	# bpftool and jq run outside the window: CPU 0 is the client's
	if [ -n "${3:-}" ]; then r0=$(bpf_run) n0=$(bpf_cnt); fi
	s0=$(server_ns) t0=$(server_ticks) x0=$(server_ctxsw)
	a0=$(cpu_ns 0) b0=$(cpu_ns 1) v0=$(now_ns)
	lg=$(loadgen -n "$REQS") || { say "$1: vs-loadgen failed"; teardown; return 1; }
	s1=$(server_ns) t1=$(server_ticks) x1=$(server_ctxsw)
	a1=$(cpu_ns 0) b1=$(cpu_ns 1) v1=$(now_ns)
	if [ -n "${3:-}" ]; then r1=$(bpf_run) n1=$(bpf_cnt); fi
	teardown
	line=$(echo "$lg" | jq -c --arg cond "$1" --argjson rep "$2" \
		--argjson srv $((s1 - s0)) --argjson ticks $((t1 - t0)) \
		--argjson ctxsw $((x1 - x0)) --argjson cpu0 $((a1 - a0)) \
		--argjson cpu1 $((b1 - b0)) --argjson virt $((v1 - v0)) \
		--argjson bpf_ns $((r1 - r0)) --argjson bpf_runs $((n1 - n0)) \
		--arg stats "${3:-}" --arg server "$SERVER_ARGS" \
		'{ cond: $cond, rep: $rep, stats: ($stats != ""), server: $server, requests, qps, p50_us, p99_us,
		   server_ns: $srv, server_ticks: $ticks, server_ctxsw: $ctxsw,
		   cpu0_ns: $cpu0, cpu1_ns: $cpu1, virt_ns: $virt,
		   bpf_ns: $bpf_ns, bpf_runs: $bpf_runs }')
	echo "$line" >> "$OUT"
	say "$line"
}

say "$REPS repetitions x {$CONDS} x $REQS requests"
r=1
while [ $r -le "$REPS" ]; do
	# A B C ..., then ... C B A: a drift over a repetition cancels in pairs
	order=$CONDS
	# shellcheck disable=SC2086 # conditions are words
	[ $((r % 2)) = 0 ] && order=$(echo $CONDS | tr ' ' '\n' | sed -n '1!G;h;$p')
	for c in $order; do cell "$c" $r; done
	r=$((r + 1))
done
[ "$HOST" = 1 ] && exit 0
# What BPF stats account for, once per condition with programs (the stats
# cost ~20 ns a run themselves, so not in the timed cells above).
sysctl -q -w kernel.bpf_stats_enabled=1
for c in $CONDS; do
	case $c in none | none_b | perf) continue ;; esac
	cell "$c" 0 stats
done
sysctl -q -w kernel.bpf_stats_enabled=0

kill $SERVER
wait $SERVER
{
	echo "=== icount.jsonl"
	cat "$OUT"
	echo "=== kernel"
	uname -r
	grep -c ^processor /proc/cpuinfo
	echo "=== end"
} > /dev/ttyS1
exit 0
