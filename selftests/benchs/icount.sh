#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make bench-icount: the server CPU per request of vector-studio under each
# overhead component, counted in instructions rather than timed: one boot
# of a Debian 6.12 kernel under qemu TCG with -icount (the guest's clock
# advances by instructions executed, so CPU time measured inside is a
# deterministic instruction count, not a stopwatch on a shared host), 2
# vCPUs (server on CPU 1, vs-loadgen on CPU 0), every condition once per
# repetition in alternating order (selftests/benchs/icount-guest.sh).
# Writes .output/benchs/icount/<kernel>/icount.jsonl (one line per cell)
# and icount.md (the table), and with -u the icount section of
# selftests/benchs/RESULTS.md.
#
#   -r REPS    repetitions (default 6; even, so that the order alternates)
#   -n REQS    requests per cell (default 100)
#   -s SHIFT   -icount shift: 2^SHIFT ns of guest time per instruction (default 0)
#   -k KERNEL  MAJOR.MINOR or package (default 6.12)
#   -a ARGS    vector-studio's options (default "-d 128 -n 32"; "-d 64 -n 4"
#              are the light requests)
#   -T SECS    wall-clock limit of the VM (default 5400)
#   -o DIR     results (default .output/benchs/icount); RESULTS.md's
#              section for -u is named after DIR's last component
#   -u         update that section of RESULTS.md
#   -R DIR     no VM: render (and with -u update) from DIR's icount.jsonl
#   -E         the per-event goals instead (selftests/benchs/icount-events.sh:
#              execmon, funclat, profile beside their floors and bpftrace;
#              io per read(); blocks: what funclat's and io's parts cost;
#              profile_otel, funclat_otel: the OpenTelemetry context read),
#              to DIR/<kernel>/events.jsonl, events.md and otel.md,
#              RESULTS.md's icount-events and icount-otel sections with -u
#              (only those of the events run); with -E, COND... are event
#              names (default: all), e.g. -E -r 2 profile_otel funclat_otel
#   -P         the Python walk's cost instead (selftests/benchs/python_bench.sh
#              in the guest, 5 s of guest time per condition): BPF
#              instructions per sample with and without --no-python, to
#              DIR-python/<kernel>/python.md, RESULTS.md's icount-python
#              section with -u
#   -H         no VM: the same cells on this host by its wall clock (the
#              A/B beside the count; as root, private pin root), to
#              .output/benchs/icount/host.jsonl and host.md
#   COND...    a subset of icount-guest.sh's conditions (default: all)
set -eu
cd "$(dirname "$0")/../.."
REPS=6 REQS=100 SHIFT=0 KERNEL=6.12 T=5400 UPDATE=0 RENDER="" HOST=0 SARGS="" OUT=.output/benchs/icount
EVENTS=0 PYTHON=0
while getopts r:n:s:k:T:a:o:uR:HEPh opt; do
	case $opt in
	r) REPS=$OPTARG ;;
	n) REQS=$OPTARG ;;
	s) SHIFT=$OPTARG ;;
	k) KERNEL=$OPTARG ;;
	T) T=$OPTARG ;;
	u) UPDATE=1 ;;
	R) RENDER=$OPTARG ;;
	H) HOST=1 ;;
	E) EVENTS=1 ;;
	P) PYTHON=1 ;;
	o) OUT=$OPTARG ;;
	a) SARGS=server=$(echo "$OPTARG" | tr ' ' ':') ;;
	*) sed -n '3,/^set -eu/p' "$0" | sed 's/^# \{0,1\}//; /^set -eu/d'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
for f in .output/benchs/bench .output/benchs/bench_floor.bpf.o .output/pinsight-load \
	.output/workloads/vector-studio .output/workloads/vs-loadgen .output/static/test_progs; do
	[ -e "$f" ] || { echo "icount: $f missing: make bench-icount builds it" >&2; exit 1; }
done
start=$(date +%s)

# update_md NAME FILE: FILE between RESULTS.md's NAME markers
update_md() {
	md=selftests/benchs/RESULTS.md
	grep -qx "<!-- $1 begin -->" "$md" ||
		{ echo "icount: $md has no '<!-- $1 begin -->' line" >&2; return 1; }
	awk -v f="$2" -v b="<!-- $1 begin -->" -v e="<!-- $1 end -->" '
		$0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
		$0 == e { skip = 0 }
		!skip' "$md" > "$md.tmp" && mv "$md.tmp" "$md"
}

if [ "$PYTHON" = 1 ]; then
	if [ -z "$RENDER" ]; then
		VMTEST_RUN=selftests/benchs/python_bench.sh \
		VMTEST_QEMU_ARGS="-icount shift=$SHIFT,sleep=off" \
			selftests/vmtest.sh -n -s 2 -m 2G -T "$T" -o "$OUT-python" "$KERNEL" -- 5 ||
			echo "icount: the VM did not finish cleanly (see $OUT-python/*/console.log)" >&2
		# shellcheck disable=SC2012 # kernel versions: no odd characters
		dir=$(ls -td "$OUT-python"/*/ | head -n 1)
		echo $(($(date +%s) - start)) > "$dir/secs"
	else
		dir=$RENDER
	fi
	grep -E '^(python|native): [0-9]+ ns per run' "$dir/console.log" | tr -d '\r' > "$dir/python.txt" || true
	[ -s "$dir/python.txt" ] || { echo "icount: no results in $dir/console.log" >&2; exit 1; }
	kver=$(sed -n 's/.*kernel \([^ ]*\), [0-9]* CPUs.*/\1/p' "$dir/console.log" | head -n 1)
	awk -v kernel="$kver" -v secs="$(cat "$dir/secs" 2>/dev/null)" \
		-v rev="$(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty)" '
		{ mode = $1; sub(":", "", mode); run[mode] += $2; n[mode]++
		  ps = $0; sub(/.* runs\), /, "", ps); sub(/ ns of BPF.*/, "", ps); per[mode] += ps
		  line[NR] = "| " mode " | " $2 " | " ps " |" }
		END {
			print "## 2b. The Python walk per sample, counted in instructions (qemu -icount)"
			print ""
			print "Generated by `selftests/benchs/icount.sh -P` (selftests/benchs/python_bench.sh in the guest); do not edit by hand."
			print "Kernel " kernel " under qemu TCG `-icount shift=0,sleep=off`, 2 vCPUs, tree " rev "; " secs " s on the host. Debian'"'"'s python3.11 running pyburn.py'"'"'s 3:1 loop, profile `--pid` at 99 Hz, 5 s of guest time per condition, alternating; `run_time_ns` of do_sample over its runs (every CPU'"'"'s, the filtered ones too) and over the samples of the loop. The guest clock counts instructions: 1 ns is one instruction."
			print ""
			print "| condition | BPF instr per run | BPF instr per sample of the loop |"
			print "|---|---|---|"
			for (i = 1; i <= NR; i++) print line[i]
			print ""
			if (n["native"] && n["python"])
				printf "The Python walk: %.0f instructions per sample on top of %.0f for the native walk alone (x%.2f).\n",
					per["python"] / n["python"] - per["native"] / n["native"],
					per["native"] / n["native"], (per["python"] / n["python"]) / (per["native"] / n["native"])
		}' "$dir/python.txt" > "$dir/python.md"
	cat "$dir/python.md"
	[ "$UPDATE" = 1 ] && update_md icount-python "$dir/python.md"
	exit 0
fi
if [ "$EVENTS" = 1 ]; then
	if [ -z "$RENDER" ]; then
		# bpftrace and its libraries: for this run's initramfs only
		VMTEST_RUN=selftests/benchs/icount-events.sh VMTEST_EXTRA_COMMANDS=bpftrace \
		VMTEST_QEMU_ARGS="-icount shift=$SHIFT,sleep=off" \
			selftests/vmtest.sh -n -s 2 -m 2G -T "$T" -o "$OUT-events" "$KERNEL" -- "$REPS" "$@" ||
			echo "icount: the VM did not finish cleanly (see $OUT-events/*/console.log)" >&2
		# shellcheck disable=SC2012 # kernel versions: no odd characters
		dir=$(ls -td "$OUT-events"/*/ | head -n 1)
		echo $(($(date +%s) - start)) > "$dir/secs"
	else
		dir=$RENDER
	fi
	[ -s "$dir/events.jsonl" ] || { echo "icount: no results in $dir" >&2; exit 1; }
	# issue 16's events to icount-events, the *_otel ones to icount-otel:
	# a run of some events renders (and updates) only their sections
	for sec in events otel; do
		if [ $sec = otel ]; then sel='endswith("_otel")'; else sel='endswith("_otel") | not'; fi
		jq -c "select(.name | $sel)" "$dir/events.jsonl" > "$dir/$sec.sel.jsonl"
		[ -s "$dir/$sec.sel.jsonl" ] || continue
		jq -L selftests/benchs -s -r -f selftests/benchs/icount-$sec.jq --arg kernel "$(head -n 1 "$dir/kernel")" \
			--arg secs "$(cat "$dir/secs" 2>/dev/null)" \
			--arg rev "$(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty)" \
			"$dir/$sec.sel.jsonl" > "$dir/$sec.md"
		cat "$dir/$sec.md"
		[ "$UPDATE" = 1 ] && update_md icount-$sec "$dir/$sec.md"
	done
	exit 0
fi
if [ "$HOST" = 1 ]; then
	mkdir -p "$OUT"
	# shellcheck disable=SC2086
	ICOUNT_HOST=1 ICOUNT_OUT="$OUT/host.jsonl" ICOUNT_SETTLE=${ICOUNT_SETTLE:-0.5} \
		selftests/benchs/icount-guest.sh "$REPS" "$REQS" $SARGS "$@"
	jq -L selftests/benchs -s -r -f selftests/benchs/icount.jq --arg kernel "$(uname -r) (this host, wall clock)" \
		--arg shift host --arg secs $(($(date +%s) - start)) \
		--arg rev "$(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty)" \
		"$OUT/host.jsonl" > "$OUT/host.md"
	cat "$OUT/host.md"
	[ "$UPDATE" = 1 ] && update_md "$(basename "$OUT")-host" "$OUT/host.md"
	exit 0
fi
# sleep=off: an idle guest jumps to its next timer instead of waiting for
# the host's clock, so nothing of the host's timing reaches the guest
if [ -z "$RENDER" ]; then
	# shellcheck disable=SC2086 # SARGS: no word, or one without spaces
	VMTEST_RUN=selftests/benchs/icount-guest.sh \
	VMTEST_QEMU_ARGS="-icount shift=$SHIFT,sleep=off" \
		selftests/vmtest.sh -n -s 2 -T "$T" -o "$OUT" "$KERNEL" -- "$REPS" "$REQS" $SARGS "$@" ||
		echo "icount: the VM did not finish cleanly (see $OUT/*/console.log)" >&2
	# shellcheck disable=SC2012 # kernel versions: no odd characters
	dir=$(ls -td "$OUT"/*/ | head -n 1)
	echo $(($(date +%s) - start)) > "$dir/secs"
	echo "$SHIFT" > "$dir/shift"
else
	dir=$RENDER
	SHIFT=$(cat "$dir/shift" 2>/dev/null || echo "$SHIFT")
fi
[ -s "$dir/icount.jsonl" ] || { echo "icount: no results in $dir" >&2; exit 1; }
jq -L selftests/benchs -s -r -f selftests/benchs/icount.jq --arg kernel "$(head -n 1 "$dir/kernel")" \
	--arg shift "$SHIFT" --arg secs "$(cat "$dir/secs" 2>/dev/null)" \
	--arg rev "$(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty)" \
	"$dir/icount.jsonl" > "$dir/icount.md"
cat "$dir/icount.md"
[ "$UPDATE" = 1 ] && update_md "$(basename "$OUT")" "$dir/icount.md"
exit 0
