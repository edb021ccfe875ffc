#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# icount-events.sh REPS [EVENT...]: the per-event goals of issue 16 counted in
# instructions, the half of `selftests/benchs/icount.sh -E` that runs
# inside its qemu -icount VM (vmtest/init's VMTEST_RUN). The same `bench
# event` loops and conditions as bench.sh's section 2 for execmon,
# funclat, io and profile, each tool beside its floor (empty programs on
# the same hooks, the bare uprobe pair, the bare stack walk) and, but for
# io, beside bpftrace doing its job, every condition once per repetition;
# "blocks" counts what funclat's and io's parts cost alone. In the VM
# the clock counts instructions, so ns/op and the BPF run time are
# instruction counts: the ratios do not move with the host's load.
# profile_otel and funclat_otel (issue 18) measure the OpenTelemetry
# context read: the same loop publishing nothing, then publishing a
# context with a span on the looping thread (bench event's "otel+"). EVENT:
# only those events (default: all).
# Each event's JSON goes to ttyS1 as "=== events.jsonl", one line each.
set -u
REPS=${1:-4}
[ $# -gt 0 ] && shift
ONLY=" $* "
O=/pinsight/.output
B=$O/benchs/bench
L=$O/pinsight-load
F=$O/benchs/bench_floor.bpf.o
COMM=pinsight-bench
OUT=/tmp/events.jsonl
export PINSIGHT_PIN_ROOT=/sys/fs/bpf/pinsight-events
: >"$OUT"

# The teardown's sleep: a pinned link goes when its pin does, but the
# kernel puts it from a workqueue (uprobes come off there): without the
# pause, the next condition's first chunks could still pay for them
pl() { echo "sh:$L $*%%$L unload --all; sleep 1"; }

# NAME LOOP ITERS COND...: one `bench event`, its JSON as one line
event() {
	name=$1 loop=$2 iters=$3
	shift 3
	case $ONLY in "  " | *" $name "*) ;; *) return 0 ;; esac
	echo "icount-events: $name ($loop x $iters, $REPS reps)"
	if timeout 1800 "$B" event -r "$REPS" -n "$iters" -l "$loop" -c "$COMM" \
		-O "$F" "$@" >/tmp/ev.json 2>/tmp/ev.err; then
		jq -c --arg n "$name" '. + { name: $n }' /tmp/ev.json >>"$OUT"
	else
		echo "icount-events: $name failed: $(tail -n 3 /tmp/ev.err)"
	fi
}

event execmon exec 100 none=none \
	empty=progs:e_tp_exec,e_tp_fork,e_tp_exit \
	"execmon=$(pl execmon --comm $COMM)" \
	'bpftrace=bpftrace:tracepoint:sched:sched_process_exec { @exec[comm, str(args->filename)] = count(); }
tracepoint:sched:sched_process_fork { @fork[comm] = count(); } tracepoint:sched:sched_process_exit { @exit[comm] = count(); }'
# funclat_perf: the pair on perf uprobes, as the floor's, where funclat
# (6.9+) uses uprobe_multi links, which skip the perf event machinery
# per call: the same hooks for the ratio
event funclat func 5000 none=none \
	empty=progs:e_uprobe@"$B":bench_uprobe_target,e_uretprobe@"$B":bench_uprobe_target \
	"funclat=$(pl funclat --binary "$B" --func bench_uprobe_target --pid @PID@)" \
	"funclat_perf=sh:PINSIGHT_NO_UPROBE_MULTI=1 $L funclat --binary $B --func bench_uprobe_target --pid @PID@%%$L unload --all; sleep 1" \
	"bpftrace=bpftrace:-p @PID@ uprobe:$B:bench_uprobe_target { @start[tid] = nsecs; }
uretprobe:$B:bench_uprobe_target /@start[tid]/ { @calls = count();
@lat = hist(nsecs - @start[tid]); delete(@start[tid]); }"
# funclat's and io's building blocks, each alone on the same uprobe: the
# per-program figures are the point, not the loop's
K="@$B:bench_uprobe_target"
event blocks func 5000 none=none empty=progs:e_uprobe"$K" \
	blocks=progs:k_ktime"$K",k_cookie"$K",k_task_storage"$K",k_slot"$K",k_counter"$K",k_comm"$K",k_hash20"$K",k_hash8"$K"
# io per read(): fentry (the default where it loads), the tracepoints
# and raw_tp, each beside its empty programs
event io read 20000 none=none \
	empty_fentry=progs:e_fentry_read,e_fexit_read "io_fentry=$(pl io --comm $COMM --attach fentry)" \
	empty_tp=progs:e_tp_enter_read,e_tp_exit_read "io_tp=$(pl io --comm $COMM --attach tp)" \
	empty_raw=progs:e_raw_sys_enter,e_raw_sys_exit "io_raw=$(pl io --comm $COMM --attach raw)"
# per sample, from BPF run time; the loop alone is sampled (--pid)
event profile cpu 3000000 none=none walk=progs:w_perf \
	"profile_fp=$(pl profile --fp-stacks --pid @PID@)" \
	"profile_fp_ip=$(pl profile --fp-stacks --ip-stacks --pid @PID@)" \
	"profile=$(pl profile --pid @PID@)" \
	'bpftrace=bpftrace:profile:hz:99 /pid == @PID@/ { @[kstack, ustack, pid, comm] = count(); }'
# issue 18: per sample, the context read and the profile_traces row
event profile_otel cpu 1000000 none=none \
	"profile=$(pl profile --pid @PID@)" \
	"profile_otel=otel+$(pl profile --pid @PID@)"
# issue 18: per call, the exemplar check of a traced process (the context
# itself read once a second a bucket); per alert (every call over 1 ns,
# the ring buffer big enough for all), the read and the exemplar's update
FL="funclat --binary $B --func bench_uprobe_target --pid @PID@"
AL="$FL --threshold 1ns --max-entries alerts=4m"
event funclat_otel func 5000 none=none \
	"funclat=$(pl "$FL")" "funclat_otel=otel+$(pl "$FL")" \
	"alert=$(pl "$AL")" "alert_otel=otel+$(pl "$AL")"

{
	echo "=== events.jsonl"
	cat "$OUT"
	echo "=== kernel"
	uname -r
	echo "=== end"
} >/dev/ttyS1
