#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: pinsight's overhead, per-event cost, start-up and reader cost,
# each as a ratio of conditions measured side by side in one run (A B C A B
# C ...), with repetitions and spread. Prints the tables, writes
# .output/benchs/results/results.json and regenerates selftests/benchs/RESULTS.md.
#
#   QUICK=1     about 2 minutes instead of about 9 (fewer, shorter runs)
#   BENCH_NICE=N  nice value of the measured processes (default -10): on a
#               machine shared with builds and VMs they then lose less of
#               their CPU to neighbours; BPF costs are charged to them anyway
#   SECTIONS="overhead events startup readers profile"   a subset
#   BENCH_TOOLS="memalloc io"  only these tools (default: every tool built)
#   BENCH_OUT=DIR  write results.json and the report there, not RESULTS.md
#               (for trying a change; RESULTS.md is for full runs)
#
# Tools are whatever `pinsight-load --help` lists; a tool that is not built
# or does not load here is skipped with the reason. Everything runs under a
# private pin root that is removed at exit, with BPF stats enabled only
# through a file descriptor (they go back off when the helper exits).
set -u
cd "$(dirname "$0")/../.." || exit 1

# what to rerun: make's target, or this script run directly
CMDLINE="make bench"
[ -z "${MAKELEVEL:-}" ] && CMDLINE=selftests/benchs/bench.sh
[ "${QUICK:-0}" = 1 ] && CMDLINE="QUICK=1 $CMDLINE"
[ -n "${SECTIONS:-}" ] && CMDLINE="SECTIONS=\"$SECTIONS\" $CMDLINE"
QUICK=${QUICK:-0}
SECTIONS=${SECTIONS:-overhead events startup readers profile}
O=.output
B=$O/benchs/bench
L=$O/pinsight-load
R=$O/pinsight
W=$O/workloads
RES=${BENCH_OUT:-$O/benchs/results}
MD=selftests/benchs/RESULTS.md
[ -n "${BENCH_OUT:-}" ] && MD=$BENCH_OUT/RESULTS.md
COMM=pinsight-bench # the loops' comm, what tools filter on here
NICE="nice -n ${BENCH_NICE:--10}"
# vector-studio on the last CPU, vs-loadgen on the first: left to the
# scheduler, whether a request's wakeup crosses CPUs flips between runs and
# moves p50 between ~100 and ~180 µs here, whatever is loaded
LAST_CPU=$(($(nproc) - 1))
PIN_SERVER="taskset -c $LAST_CPU" PIN_CLIENT="taskset -c 0"
ROOT=/sys/fs/bpf/pinsight-bench-$$
export PINSIGHT_PIN_ROOT=$ROOT

# Budgets: about 9 minutes in all (bound 15), QUICK=1 about 2 (bound 3), here.
if [ "$QUICK" = 1 ]; then
	VS_REPS=2 VS_REPS_HEAVY=1 VS_SECS=2 EV_REPS=2 EV_SCALE=5 SU_REPS=1 RD_REPS=1 RD_KEYS="10000" PROF_SECS=10
else
	VS_REPS=8 VS_REPS_HEAVY=6 VS_SECS=4 EV_REPS=4 EV_SCALE=2 SU_REPS=3 RD_REPS=2 RD_KEYS="10000 100000" PROF_SECS=60
fi

die() { echo "bench: $*" >&2; exit 1; }
log() { echo "bench: $*" >&2; }
now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }

[ "$(id -u)" = 0 ] || die "must run as root (loads BPF programs)"
for f in "$B" "$L" "$R" "$W/vector-studio" "$W/vs-loadgen" \
	"$O/benchs/bench_floor.bpf.o"; do
	[ -x "$f" ] || [ -f "$f" ] || die "$f missing: run 'make bench'"
done
command -v jq >/dev/null || die "jq missing: run scripts/setup.sh"
[ -x /usr/bin/time ] || die "/usr/bin/time missing: run scripts/setup.sh"

rm -rf "$RES"
mkdir -p "$RES"
SERVER_PID=
cleanup() {
	stop_server
	for r in "$ROOT" "$ROOT"-r*; do
		[ -d "$r" ] || continue
		PINSIGHT_PIN_ROOT=$r "$L" unload --all >/dev/null 2>&1
		rm -rf "$r"
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$ROOT"

LIBC=$(ldd "$B" | awk '/libc\.so/ { print $3 }')
BENCH_BIN=$(readlink -f "$B")
mapfile -t TOOLS < <("$L" --help | awk '/^Tools:/ { f = 1; next } f && NF == 0 { exit } f { print $1 }')
if [ -n "${BENCH_TOOLS:-}" ]; then
	for t in $BENCH_TOOLS; do
		printf '%s\n' "${TOOLS[@]}" | grep -qx "$t" || die "BENCH_TOOLS: no tool '$t'"
	done
	read -ra TOOLS <<<"$BENCH_TOOLS"
fi
log "tools: ${TOOLS[*]}"
has_tool() { local t; for t in "${TOOLS[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }
tool_example() { "$L" "$1" --help 2>/dev/null | sed -n "s/^Example: pinsight-load $1 //p"; }

# Options per tool when watching vector-studio. Uprobe tools get the
# server's pid: with a pid the kernel puts the breakpoint in that process
# only, without one every process mapping the binary (every malloc of every
# process, for memalloc) takes the trap. Tools not listed here use their
# --help example (their owners keep it loadable on any host).
vs_opts() {
	case $1 in
	funclat) echo "--binary $W/vector-studio --func search_vectors,insert_vectors,build_index --pid $SERVER_PID" ;;
	memalloc) echo "--pid $SERVER_PID" ;;
	pktstat) echo "--dev lo" ;;
	io | profile | tcpconnlat | runqlat | execmon | hwcount) echo "--comm vector-studio" ;;
	*) tool_example "$1" ;;
	esac
}

# OPTS[tool]: the options it loads with here (ours, else its example);
# SKIP[tool]: why it loads with neither. Needs the server running.
declare -A OPTS SKIP
resolve_opts() {
	local t o err
	for t in "${TOOLS[@]}"; do
		for o in "$(vs_opts "$t")" "$(tool_example "$t")"; do
			# shellcheck disable=SC2086
			if err=$("$L" "$t" $o 2>&1 >/dev/null); then
				OPTS[$t]=$o
				unset "SKIP[$t]"
				break
			fi
			SKIP[$t]=$(echo "$err" | tail -1)
		done
		unload_all
		[ -n "${SKIP[$t]:-}" ] && log "$t does not load here, skipped: ${SKIP[$t]}"
	done
}

# Load tools (into the current pin root) with OPTS; fails with the
# loader's message on stderr.
load_set() {
	local t
	for t in "$@"; do
		if [ -n "${SKIP[$t]:-}" ]; then
			echo "${SKIP[$t]}" >&2
			return 1
		fi
		# shellcheck disable=SC2086
		"$L" "$t" ${OPTS[$t]:-} >/dev/null || return 1
	done
}
unload_all() { "$L" unload --all >/dev/null 2>&1; }

###############################################################################
# 1. Overhead on vector-studio
###############################################################################
# CPU time of every thread of process $1 in ns (schedstat: exact, where
# /proc/PID/stat counts 10 ms ticks)
proc_cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'; }

stop_server() {
	[ -n "$SERVER_PID" ] || return 0
	kill "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=
}

# start_server [VECTOR-STUDIO OPTIONS]: (re)start the one server of the run
start_server() {
	stop_server
	rm -f "$RES/vs.port"
	# shellcheck disable=SC2068
	$NICE $PIN_SERVER "$W/vector-studio" -f "$RES/vs.port" -t 2 $@ >"$RES/vs.out" 2>"$RES/vs.err" &
	SERVER_PID=$!
	for _ in $(seq 300); do [ -s "$RES/vs.port" ] && return 0; sleep 0.1; done
	die "vector-studio did not start: $(cat "$RES/vs.err")"
}

# The server's events as the loaded tools counted them (0 when a tool is
# not loaded): vs_events FIELD MAP INSTANCE, summed over vector-studio's keys.
vs_events() {
	"$R" -j show "$3" "$2" 2>/dev/null | jq --arg f "$1" \
		'[.[].entries[] | select(.key.comm == "vector-studio") | .value[$f]] | add // 0' 2>/dev/null || echo 0
}

# One cell: a loadgen run; prints its JSON plus the server's CPU% and its
# events as io and profile counted them (their instances are fresh per
# cell, and the server is idle between cells), for the accounted cost.
vs_cell() {
	local c0 c1 t0 t1 out
	c0=$(proc_cpu_ns "$SERVER_PID")
	t0=$(now_us)
	out=$($NICE $PIN_CLIENT "$W/vs-loadgen" -f "$RES/vs.port" -c 2 -d "$VS_SECS" -m 100 -j) || return 1
	t1=$(now_us)
	c1=$(proc_cpu_ns "$SERVER_PID")
	jq -c --argjson ns $((c1 - c0)) --argjson us $((t1 - t0)) \
		--argjson io "$(vs_events ops io_comm io)" \
		--argjson samples "$(vs_events samples profile_comm profile)" \
		'. + { cpu_pct: ($ns / 10 / $us), cpu_ns_per_req: ($ns / .requests),
		       io_ops_per_req: ($io / .requests), samples_per_req: ($samples / .requests) }' <<<"$out"
}

section_overhead() {
	local sets=() labels=() notes=() s t r i want have missing out err
	# condition -> tool list: none, profile+io, the default set, every
	# tool; then none again (A/A)
	for s in "" "profile io" "profile io memalloc tcpconnlat" "${TOOLS[*]}"; do
		have= missing=
		for t in $s; do
			if has_tool "$t"; then have+="$t "; else missing+="$t "; fi
		done
		sets+=("${have% }")
		notes+=("${missing:+not built: ${missing% }}")
	done
	# and no monitoring again, the A/A pair that shows this run's noise
	sets+=("") notes+=("")
	labels=("No monitoring" "pinsight profile+io" "pinsight default set" "pinsight every tool"
		"No monitoring (A/A)")
	# a tool that does not load here is dropped from every set, with why
	for i in 1 2 3; do
		for t in ${sets[$i]}; do
			[ -n "${SKIP[$t]:-}" ] || continue
			want=" ${sets[$i]} "
			sets[$i]=$(echo ${want/ $t / })
			notes[$i]+="${notes[$i]:+; }$t: ${SKIP[$t]}"
		done
	done
	# Two request sizes: the stand-in's default (light: ~0.1 ms of CPU per
	# request) and one near the user's guide's service (2.8 ms per request),
	# since a per-request cost of a few µs is a different ratio for each.
	local cfg args reps order
	for cfg in heavy light; do
		if [ "$cfg" = heavy ]; then
			args="-d 128 -n 32" reps=$VS_REPS_HEAVY
		else
			args="" reps=$VS_REPS
		fi
		# shellcheck disable=SC2086
		start_server $args
		resolve_opts >/dev/null 2>&1 # the pid-bound options follow the server
		$NICE $PIN_CLIENT "$W/vs-loadgen" -f "$RES/vs.port" -c 2 -d 2 -m 100 -j >/dev/null ||
			die "vs-loadgen warm-up failed"
		: >"$RES/overhead-$cfg.jsonl"
		for r in $(seq "$reps"); do
			# A B C D, then D C B A: a drift over a repetition (the
			# server's state, the neighbours) would otherwise always
			# fall on the same conditions; in pairs of repetitions it
			# cancels
			order="0 1 2 3 4"
			[ $((r % 2)) = 0 ] && order="4 3 2 1 0"
			for i in $order; do
				if [ "$i" -gt 0 ] && [ "$i" -lt 4 ] && [ -z "${sets[$i]}" ]; then continue; fi
				# shellcheck disable=SC2086
				if ! err=$(load_set ${sets[$i]} 2>&1); then
					log "overhead: ${sets[$i]}: $err"
					unload_all
					continue
				fi
				sleep 0.3
				out=$(vs_cell) || { log "overhead: vs-loadgen failed"; unload_all; continue; }
				unload_all
				jq -c --arg cond "$i" --arg rep "$r" '. + { cond: ($cond | tonumber), rep: ($rep | tonumber) }' \
					<<<"$out" >>"$RES/overhead-$cfg.jsonl"
				log "overhead $cfg rep $r ${labels[$i]}: $(jq -r '"\(.qps) QPS p50 \(.p50_us) p99 \(.p99_us) \(.cpu_ns_per_req / 1000 | floor) µs CPU/request"' <<<"$out")"
			done
		done
		jq -s --arg cfg "$cfg" --arg args "${args:-(defaults: -d 64 -n 4)}" --argjson secs "$VS_SECS" --argjson reps "$reps" \
			'{ config: $cfg, server_args: $args, secs: $secs, reps: $reps, runs: .,
			   conds: [range(0; 5) as $i | { label: $ARGS.positional[$i],
				tools: $ARGS.positional[5 + $i], note: $ARGS.positional[10 + $i] }] }' \
			"$RES/overhead-$cfg.jsonl" --args "${labels[@]}" "${sets[@]}" "${notes[@]}" >"$RES/overhead-$cfg.json"
	done
	jq -s '.' "$RES/overhead-light.json" "$RES/overhead-heavy.json" >"$RES/overhead.json"
}

###############################################################################
# 2. Per-event cost
###############################################################################
pl() { echo "sh:$L $*%%$L unload --all"; } # a pinsight-load condition

# bench event with the given loop, iterations and conditions -> $RES/ev-$1.json
run_event() {
	local name=$1 loop=$2 iters=$3
	shift 3
	log "events: $name ($loop loop, $EV_REPS reps, conditions: ${*%%=*})"
	timeout 600 $NICE "$B" event -r "$EV_REPS" -n "$((iters / EV_SCALE))" -l "$loop" -c "$COMM" \
		-O "$O/benchs/bench_floor.bpf.o" "$@" >"$RES/ev-$name.raw" 2>>"$RES/events.err" ||
		log "events: $name: $(tail -1 "$RES/events.err")"
	jq --arg n "$name" '. + { name: $n }' "$RES/ev-$name.raw" >"$RES/ev-$name.json" 2>/dev/null ||
		rm -f "$RES/ev-$name.json"
}

BT_IO='tracepoint:syscalls:sys_enter_read /comm == "'$COMM'"/ { @start[tid] = nsecs; }
tracepoint:syscalls:sys_exit_read /@start[tid]/ { $d = nsecs - @start[tid];
@ops[comm] = count(); @bytes[comm] = sum(args->ret); @lat[comm] = hist($d); delete(@start[tid]); }'

section_events() {
	local skip
	: >"$RES/events.err"
	if has_tool io; then
		run_event io read 400000 none=none \
			empty_raw_enter=progs:e_raw_sys_enter counter_raw_enter=progs:c_raw_sys_enter \
			hash_raw_enter=progs:h_raw_sys_enter lru_raw_enter=progs:l_raw_sys_enter \
			empty_raw=progs:e_raw_sys_enter,e_raw_sys_exit "io_raw=$(pl io --comm $COMM --attach raw)" \
			empty_tp_enter=progs:e_tp_enter_read counter_tp_enter=progs:c_tp_enter_read \
			empty_tp=progs:e_tp_enter_read,e_tp_exit_read "io_tp=$(pl io --comm $COMM --attach tp)" \
			"bpftrace=bpftrace:$BT_IO"
		# what each variant costs the syscalls io does not trace
		run_event io-other getppid 400000 none=none \
			"io_raw=$(pl io --comm $COMM --attach raw)" "io_tp=$(pl io --comm $COMM --attach tp)"
	fi
	if has_tool memalloc && [ -z "${SKIP[memalloc]:-}" ]; then
		# the floor must probe where memalloc does: it probes free past
		# its NULL test, and an uprobe on free's first instruction costs
		# ~20 µs more here (it is single-stepped, not emulated)
		skip=$("$L" -v memalloc --calls --pid $$ 2>&1 >/dev/null |
			sed -n 's/.*probing at +\([0-9]*\), past a NULL test.*/\1/p' | head -1)
		unload_all
		run_event memalloc malloc 30000 none=none \
			bare_uprobe=progs:e_uprobe@"$LIBC":malloc \
			empty=progs:e_uprobe@"$LIBC":malloc,e_uretprobe@"$LIBC":malloc,e_uprobe@"$LIBC":free+"${skip:-0}" \
			"memalloc=$(pl memalloc --calls --pid @PID@)" "memalloc_no_stacks=$(pl memalloc --calls --pid @PID@ --no-stacks)" \
			"memalloc_all_stacks=$(pl memalloc --calls --pid @PID@ --stack-bytes 0)" \
			"memalloc_heap=$(pl memalloc --pid @PID@)" \
			"bpftrace=bpftrace:-p @PID@ uprobe:$LIBC:malloc /comm == \"$COMM\"/ { @sz[tid] = arg0; }
uretprobe:$LIBC:malloc /@sz[tid]/ { @allocs[tid, comm] = count(); @bytes[tid, comm] = sum(@sz[tid]);
@live[retval] = @sz[tid]; delete(@sz[tid]); }
uprobe:$LIBC:free /comm == \"$COMM\"/ { @frees[tid, comm] = count(); delete(@live[arg0]); }"
	fi
	if has_tool funclat; then
		run_event funclat func 50000 none=none \
			empty=progs:e_uprobe@"$BENCH_BIN":bench_uprobe_target,e_uretprobe@"$BENCH_BIN":bench_uprobe_target \
			"funclat=$(pl funclat --binary "$BENCH_BIN" --func bench_uprobe_target --pid @PID@)" \
			"bpftrace=bpftrace:-p @PID@ uprobe:$BENCH_BIN:bench_uprobe_target { @start[tid] = nsecs; }
uretprobe:$BENCH_BIN:bench_uprobe_target /@start[tid]/ { @calls = count();
@lat = hist(nsecs - @start[tid]); delete(@start[tid]); }"
		# the attach of kernels before 6.9; sleep: perf uprobes detach
		# asynchronously, and a trap left behind would slow the next
		run_event funclat-perf func 50000 none=none \
			"funclat_perf_pair=sh:PINSIGHT_NO_UPROBE_MULTI=1 $L funclat --binary $BENCH_BIN --func bench_uprobe_target --pid @PID@%%$L unload --all; sleep 1" \
			"funclat=$(pl funclat --binary "$BENCH_BIN" --func bench_uprobe_target --pid @PID@)"
		# x86 uprobe optimization: on a 5-byte nop the entry is a call
		# into a trampoline, not a trap (kernels with sys_uprobe)
		run_event funclat-nop5 func5 50000 none=none \
			empty=progs:e_uprobe@"$BENCH_BIN":bench_uprobe_target_nop5,e_uretprobe@"$BENCH_BIN":bench_uprobe_target_nop5 \
			"funclat=$(pl funclat --binary "$BENCH_BIN" --func bench_uprobe_target_nop5 --pid @PID@)" \
			"bpftrace=bpftrace:-p @PID@ uprobe:$BENCH_BIN:bench_uprobe_target_nop5 { @start[tid] = nsecs; }
uretprobe:$BENCH_BIN:bench_uprobe_target_nop5 /@start[tid]/ { @calls = count();
@lat = hist(nsecs - @start[tid]); delete(@start[tid]); }"
	fi
	if has_tool tcpconnlat; then
		run_event tcpconnlat connect 10000 none=none \
			empty_tp=progs:e_tp_sock_state counter_tp=progs:c_tp_sock_state \
			empty_btf=progs:e_btf_sock_state "tcpconnlat=$(pl tcpconnlat --comm $COMM)" \
			'bpftrace=bpftrace:tracepoint:sock:inet_sock_set_state /args->newstate == 2/ { @start[args->skaddr] = nsecs; }
tracepoint:sock:inet_sock_set_state /args->oldstate == 2 && @start[args->skaddr]/ {
@lat[comm] = hist(nsecs - @start[args->skaddr]); delete(@start[args->skaddr]); }'
	fi
	if has_tool runqlat; then
		run_event runqlat switch 40000 none=none \
			empty_btf=progs:e_btf_sched_switch,e_btf_sched_wakeup counter_btf=progs:c_btf_sched_switch \
			"runqlat=$(pl runqlat)" \
			'bpftrace=bpftrace:tracepoint:sched:sched_wakeup { @q[args->pid] = nsecs; }
tracepoint:sched:sched_switch { $t = @q[args->next_pid]; if ($t) { @lat = hist(nsecs - $t); delete(@q[args->next_pid]); } }'
	fi
	if has_tool execmon; then
		run_event execmon exec 400 none=none \
			empty=progs:e_tp_exec,e_tp_fork,e_tp_exit "execmon=$(pl execmon --comm $COMM)" \
			'bpftrace=bpftrace:tracepoint:sched:sched_process_exec { @exec[comm, str(args->filename)] = count(); }
tracepoint:sched:sched_process_fork { @fork[comm] = count(); } tracepoint:sched:sched_process_exit { @exit[comm] = count(); }'
	fi
	if has_tool profile; then
		# per sample, from bpf stats; the wall clock shows 99 Hz is noise.
		# Both sample only the loop: other processes' samples on a shared
		# host are mostly new stacks (a new build-id stack costs the
		# kernel's build-id walk), which would make this a measure of
		# the neighbours
		run_event profile cpu 3000000 none=none empty=progs:e_perf walk=progs:w_perf \
			"profile=$(pl profile --pid @PID@)" \
			"profile_ip_stacks=$(pl profile --ip-stacks --pid @PID@)" \
			'bpftrace=bpftrace:profile:hz:99 /pid == @PID@/ { @[kstack, ustack, pid, comm] = count(); }'
	fi
	jq -s '.' "$RES"/ev-*.json >"$RES/events.json" 2>/dev/null || echo '[]' >"$RES/events.json"
	local t
	for t in "${TOOLS[@]}"; do
		[ -s "$RES/ev-$t.json" ] && continue
		case $t in
		pktstat) why="per-packet cost is pktstat's own XDP_PASS benchmark (issue 5)" ;;
		hwcount) why="counts hardware events: this VM has no PMU" ;;
		*) why="no per-event spec in bench.sh for this tool yet" ;;
		esac
		jq -n --arg t "$t" --arg w "$why" '{ tool: $t, skipped: $w }'
	done | jq -s '.' >"$RES/events-skipped.json"
}

###############################################################################
# 3. Start-up
###############################################################################
# bpftrace's equivalents, attaching the same hooks as each tool; -c runs the
# command only once every probe is attached, so its clock marks "attached".
bt_script() {
	case $1 in
	io) echo "$BT_IO" ;;
	profile) echo 'profile:hz:99 { @[kstack, ustack, pid, comm] = count(); }' ;;
	memalloc) echo "uprobe:$LIBC:malloc { @s[tid] = arg0; } uretprobe:$LIBC:malloc { @b[comm] = sum(@s[tid]); }
uprobe:$LIBC:free { @f[comm] = count(); }" ;;
	tcpconnlat) echo 'tracepoint:sock:inet_sock_set_state { @s[args->skaddr] = nsecs; }' ;;
	funclat) echo "uprobe:$W/vector-studio:search_vectors,uprobe:$W/vector-studio:insert_vectors,uprobe:$W/vector-studio:build_index { @s[tid] = nsecs; }
uretprobe:$W/vector-studio:search_vectors,uretprobe:$W/vector-studio:insert_vectors,uretprobe:$W/vector-studio:build_index { @l = hist(nsecs - @s[tid]); }" ;;
	runqlat) echo 'tracepoint:sched:sched_wakeup { @q[args->pid] = nsecs; } tracepoint:sched:sched_switch { @l = hist(nsecs - @q[args->next_pid]); }' ;;
	execmon) echo 'tracepoint:sched:sched_process_exec,tracepoint:sched:sched_process_fork,tracepoint:sched:sched_process_exit { @[comm] = count(); }' ;;
	esac
}

section_startup() {
	local r t t0 t1 t2 set=() bt d
	: >"$RES/startup.jsonl"
	for t in profile io memalloc tcpconnlat; do has_tool "$t" && set+=("$t"); done
	for r in $(seq "$SU_REPS"); do
		for t in "${TOOLS[@]}" "default"; do
			t0=$(now_us)
			if [ "$t" = default ]; then
				[ ${#set[@]} -gt 0 ] || continue
				load_set "${set[@]}" 2>"$RES/startup.err" || { unload_all; continue; }
			else
				load_set "$t" 2>"$RES/startup.err" || {
					jq -nc --arg t "$t" --arg e "$(head -1 "$RES/startup.err")" \
						'{ tool: $t, error: $e }' >>"$RES/startup.jsonl"
					unload_all
					continue
				}
			fi
			t1=$(now_us)
			unload_all
			t2=$(now_us)
			jq -nc --arg t "$t" --argjson l $((t1 - t0)) --argjson u $((t2 - t1)) \
				'{ tool: $t, load_us: $l, unload_us: $u }' >>"$RES/startup.jsonl"
		done
		for t in "${TOOLS[@]}"; do
			bt=$(bt_script "$t")
			[ -n "$bt" ] || continue
			t0=$(now_us)
			d=$(timeout 60 bpftrace -e "$bt" -c "/bin/date +%s%6N" 2>/dev/null | grep -m1 -E '^[0-9]{16}$')
			[ -n "$d" ] || continue
			jq -nc --arg t "$t" --argjson a $((d - t0)) '{ tool: $t, bpftrace_attach_us: $a }' >>"$RES/startup.jsonl"
		done
	done
	jq -s --argjson reps "$SU_REPS" '{ reps: $reps, default_set: $ARGS.positional, runs: . }' \
		"$RES/startup.jsonl" --args "${set[@]}" >"$RES/startup.json"
}

###############################################################################
# 4. Readers
###############################################################################
# time (µs) and peak RSS (KiB) of a command, output discarded
time_rss() {
	local t0 t1 rss
	t0=$(now_us)
	/usr/bin/time -f '%M' -o "$RES/time.out" "$@" >/dev/null 2>"$RES/reader.err" || {
		log "readers: $*: $(tail -1 "$RES/reader.err")"
		return 1
	}
	t1=$(now_us)
	rss=$(tail -1 "$RES/time.out")
	echo "$((t1 - t0)) $rss"
}

# both readers' show -j and metrics of io@k$2 under root $1, byte for byte
rd_base_same() {
	local c
	for c in "show -j io@k$2 io_comm" metrics; do
		# shellcheck disable=SC2086 # $c is the arguments
		if cmp -s <(PINSIGHT_PIN_ROOT=$1 "$R" $c) <(PINSIGHT_PIN_ROOT=$1 "$RD_BASE" $c); then
			log "readers: $c: same output as RD_BASE ($2 keys)"
		else
			log "readers: $c: output differs from RD_BASE's ($2 keys)"
		fi
	done
}

# RD_BASE=path/to/pinsight: a second reader (an older build, say) measured
# in the same rounds as "metrics-base" and "show-base", its output checked
# byte for byte against this tree's; in results.json, not in RESULTS.md.
section_readers() {
	local n r cmd tr root out info=io_comm cmds="metrics show bpftool"
	: >"$RES/readers.jsonl"
	has_tool io || return 0
	if [ -n "${RD_BASE:-}" ]; then
		[ -x "$RD_BASE" ] || die "RD_BASE=$RD_BASE: not an executable"
		cmds="metrics metrics-base show show-base bpftool"
	fi
	for n in $RD_KEYS; do
		root=$ROOT-r$n
		mkdir -p "$root"
		PINSIGHT_PIN_ROOT=$root "$L" io --comm "$COMM" --attach tp >/dev/null || return 0
		PINSIGHT_PIN_ROOT=$root "$B" fill io io_comm io@k$n $n || return 0
		PINSIGHT_PIN_ROOT=$root "$L" unload io >/dev/null
		# the readers must see every key (bpftool's dump is what is timed)
		out=$(PINSIGHT_PIN_ROOT=$root "$R" show -j io@k$n io_comm | jq '.[0].entries | length' 2>/dev/null)
		[ "$out" = "$n" ] || log "readers: pinsight show -j io@k$n saw $out entries, not $n"
		[ -z "${RD_BASE:-}" ] || rd_base_same "$root" "$n"
		info=$(bpftool map show pinned "$root/io@k$n/maps/io_comm" -j |
			jq -r '"io_comm (\(.type), \(.bytes_key)-byte keys, \(.bytes_value)-byte values)"')
	done
	for r in $(seq "$RD_REPS"); do
		for n in $RD_KEYS; do
			root=$ROOT-r$n
			for cmd in $cmds; do
				case $cmd in
				metrics) tr=$(PINSIGHT_PIN_ROOT=$root time_rss "$R" metrics) ;;
				metrics-base) tr=$(PINSIGHT_PIN_ROOT=$root time_rss "$RD_BASE" metrics) ;;
				show) tr=$(PINSIGHT_PIN_ROOT=$root time_rss "$R" show -j io@k$n io_comm) ;;
				show-base) tr=$(PINSIGHT_PIN_ROOT=$root time_rss "$RD_BASE" show -j io@k$n io_comm) ;;
				bpftool) tr=$(time_rss bpftool map dump -j pinned "$root/io@k$n/maps/io_comm") ;;
				esac
				[ -n "$tr" ] || continue
				jq -nc --arg c "$cmd" --argjson n "$n" --argjson t "${tr% *}" --argjson m "${tr#* }" \
					'{ cmd: $c, keys: $n, us: $t, rss_kb: $m }' >>"$RES/readers.jsonl"
			done
		done
	done
	jq -s --argjson reps "$RD_REPS" --arg map "$info" '{ reps: $reps, map: $map, runs: . }' \
		"$RES/readers.jsonl" >"$RES/readers.json"
	for n in $RD_KEYS; do rm -rf "$ROOT-r$n"; done
}

###############################################################################
# 5. Profile: samples lost at 99 Hz under load, symbolization time
###############################################################################
section_profile() {
	local drops samples t0 t1 tl lg
	has_tool profile || return 0
	tl=$(now_us) # it samples from load to read
	"$L" profile >/dev/null 2>"$RES/profile.err" || {
		jq -n --arg e "$(head -1 "$RES/profile.err")" '{ error: $e }' >"$RES/profile.json"
		return 0
	}
	"$W/vs-loadgen" -f "$RES/vs.port" -c 2 -d "$PROF_SECS" -m 90 -j >"$RES/profile-load.json" || lg=failed
	# symbolization: the whole profile, as JSON (samples, drops, stacks)
	t0=$(now_us)
	"$R" profile profile -j >"$RES/profile-out.json" 2>>"$RES/profile.err"
	t1=$(now_us)
	drops=$(jq '.drops // null' "$RES/profile-out.json" 2>/dev/null)
	samples=$(jq '.samples // null' "$RES/profile-out.json" 2>/dev/null)
	"$R" profile profile --folded >"$RES/profile.folded" 2>>"$RES/profile.err"
	unload_all
	jq -n --argjson secs "$PROF_SECS" --argjson drops "${drops:-null}" --argjson samples "${samples:-null}" \
		--argjson stacks "$(wc -l <"$RES/profile.folded")" --argjson us $((t1 - t0)) \
		--arg err "$(tail -1 "$RES/profile.err")" --arg lg "${lg:-}" \
		--argjson sampled $((t0 - tl)) --argjson ncpu "$(nproc)" \
		'{ secs: $secs, drops: $drops, samples: $samples, stacks: $stacks, folded_us: $us,
		   expected: ($sampled / 1e6 * 99 * $ncpu | floor), error: (if $err == "" then null else $err end),
		   loadgen: (if $lg == "" then null else $lg end) }' >"$RES/profile.json"
}

# The sections of RESULTS.md that other scripts write ("<!-- NAME begin -->"
# to "<!-- NAME end -->": icount.sh -u, build_soak.sh) survive a make bench,
# each after the timed section it counts again: the overhead's counted
# breakdown after section 1 (the timed figure comes first), the per-event
# counts after section 2, the build soak at the end.
keep_icount() {
	[ -f "$1" ] || return 0
	awk 'function group(n) {
		return n ~ /^icount-(events|otel|python)$/ ? 2 : n == "build-soak" ? 3 : 1 }
	     NR == FNR { if (/^<!-- [a-z-]* begin -->$/) { k = 1; g = group($2) }
			 if (k) kept[g] = kept[g] $0 "\n"
			 if (/^<!-- [a-z-]* end -->$/) { k = 0; kept[g] = kept[g] "\n" }
			 next }
	     /^## 2\. / && !done[1] { printf "%s", kept[1]; done[1] = 1 }
	     /^## 3\. / && !done[2] { printf "%s", kept[2]; done[2] = 1 }
	     { print }
	     END { for (g = 1; g <= 3; g++) if (!done[g] && kept[g] != "") printf "\n%s", kept[g] }' \
		"$1" "$2" >"$2.k" && mv "$2.k" "$2"
}

###############################################################################
# All in a function, so that bash has parsed the whole file before it runs:
# editing bench.sh during a run cannot change what the run does.
main() {
	START=$(now_us)
	LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
	# one server for the whole run: vector-studio's index is built at start-up
	start_server
	resolve_opts
	for s in $SECTIONS; do
		log "section $s (at $(( ($(now_us) - START) / 1000000 )) s)"
		"section_$s"
		unload_all
	done
	END=$(now_us)
	LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

	for f in overhead events events-skipped startup readers profile; do
		[ -s "$RES/$f.json" ] || echo null >"$RES/$f.json"
	done
	jq -n --arg cmd "$CMDLINE" --arg kernel "$(uname -r)" --arg date "$(date -u '+%Y-%m-%d %H:%M UTC')" \
		--arg cpu "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)" \
		--argjson ncpu "$(nproc)" --argjson mem "$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo)" \
		--arg rev "$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet 2>/dev/null || echo +dirty)" \
		--argjson secs $(((END - START) / 1000000)) --arg quick "$QUICK" \
		--arg bpftrace "$(bpftrace --version 2>/dev/null)" --arg tools "${TOOLS[*]}" \
		--argjson opts "$(for t in "${TOOLS[@]}"; do jq -nc --arg t "$t" --arg o "${OPTS[$t]:-}" \
			--arg s "${SKIP[$t]:-}" '{ tool: $t, opts: $o, skipped: $s }'; done | jq -s .)" \
		--arg load "$LOAD0 at start, $LOAD1 at the end" --arg nice "${BENCH_NICE:--10}" \
		--slurpfile overhead "$RES/overhead.json" --slurpfile events "$RES/events.json" \
		--slurpfile skipped "$RES/events-skipped.json" --slurpfile startup "$RES/startup.json" \
		--slurpfile readers "$RES/readers.json" --slurpfile profile "$RES/profile.json" \
		'{ meta: { cmd: $cmd, kernel: $kernel, date: $date, cpu: $cpu, ncpu: $ncpu, mem_mb: $mem,
			rev: $rev, secs: $secs, quick: ($quick == "1"), bpftrace: $bpftrace,
			tools: ($tools | split(" ")), tool_opts: $opts, loadavg: $load, nice: $nice },
		   overhead: $overhead[0], events: $events[0], events_skipped: $skipped[0],
		   startup: $startup[0], readers: $readers[0], profile: $profile[0] }' >"$RES/results.json"
	jq -L selftests/benchs -r -f selftests/benchs/render.jq "$RES/results.json" >"$MD.tmp" && keep_icount "$MD" "$MD.tmp" &&
		mv "$MD.tmp" "$MD"
	cat "$MD"
	log "JSON: $RES/results.json; report: $MD ($(((END - START) / 1000000)) s)"
}
main "$@"; exit $?
