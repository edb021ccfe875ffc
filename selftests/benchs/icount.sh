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
#              execmon, funclat, profile beside their floors and bpftrace),
#              to DIR/<kernel>/events.jsonl and events.md, RESULTS.md's
#              icount-events section with -u
#   -H         no VM: the same cells on this host by its wall clock (the
#              A/B beside the count; as root, private pin root), to
#              .output/benchs/icount/host.jsonl and host.md
#   COND...    a subset of icount-guest.sh's conditions (default: all)
set -eu
cd "$(dirname "$0")/../.."
REPS=6 REQS=100 SHIFT=0 KERNEL=6.12 T=5400 UPDATE=0 RENDER="" HOST=0 SARGS="" OUT=.output/benchs/icount
EVENTS=0
while getopts r:n:s:k:T:a:o:uR:HEh opt; do
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

if [ "$EVENTS" = 1 ]; then
	if [ -z "$RENDER" ]; then
		# bpftrace and its libraries: for this run's initramfs only
		VMTEST_RUN=selftests/benchs/icount-events.sh VMTEST_EXTRA_COMMANDS=bpftrace \
		VMTEST_QEMU_ARGS="-icount shift=$SHIFT,sleep=off" \
			selftests/vmtest.sh -n -s 2 -m 2G -T "$T" -o "$OUT-events" "$KERNEL" -- "$REPS" ||
			echo "icount: the VM did not finish cleanly (see $OUT-events/*/console.log)" >&2
		# shellcheck disable=SC2012 # kernel versions: no odd characters
		dir=$(ls -td "$OUT-events"/*/ | head -n 1)
		echo $(($(date +%s) - start)) > "$dir/secs"
	else
		dir=$RENDER
	fi
	[ -s "$dir/events.jsonl" ] || { echo "icount: no results in $dir" >&2; exit 1; }
	jq -s -r -f selftests/benchs/icount-events.jq --arg kernel "$(head -n 1 "$dir/kernel")" \
		--arg secs "$(cat "$dir/secs" 2>/dev/null)" \
		--arg rev "$(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty)" \
		"$dir/events.jsonl" > "$dir/events.md"
	cat "$dir/events.md"
	[ "$UPDATE" = 1 ] && update_md icount-events "$dir/events.md"
	exit 0
fi
if [ "$HOST" = 1 ]; then
	mkdir -p "$OUT"
	# shellcheck disable=SC2086
	ICOUNT_HOST=1 ICOUNT_OUT="$OUT/host.jsonl" ICOUNT_SETTLE=${ICOUNT_SETTLE:-0.5} \
		selftests/benchs/icount-guest.sh "$REPS" "$REQS" $SARGS "$@"
	jq -s -r -f selftests/benchs/icount.jq --arg kernel "$(uname -r) (this host, wall clock)" \
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
jq -s -r -f selftests/benchs/icount.jq --arg kernel "$(head -n 1 "$dir/kernel")" \
	--arg shift "$SHIFT" --arg secs "$(cat "$dir/secs" 2>/dev/null)" \
	--arg rev "$(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty)" \
	"$dir/icount.jsonl" > "$dir/icount.md"
cat "$dir/icount.md"
[ "$UPDATE" = 1 ] && update_md "$(basename "$OUT")" "$dir/icount.md"
exit 0
