#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build soak (issue 17; a benchmark, not a test): a host-wide profile (no
# --pid/--comm) with a stacks bound the user sets (--stacks N
# --stacks-lru) while a clean clone of this repo builds in a loop
# (`make clean; make -j JOBS`, nice 19 and idle I/O class, so the rest of
# the machine keeps working). `pinsight-load refresh` runs every 30 s, as
# pinsight-refresh.timer does, so the compilers' images get unwind tables
# and their stacks are shared across processes. Every INTERVAL seconds the
# window is drained (`pinsight profile --drain`, as the spool timer does:
# without it profile_counts, a row per thread and stack, fills and drops)
# and one line printed: samples, drops, stacks evicted, distinct stacks
# kept (the stacks map's entries), builds finished, map memory (bpftool's
# bytes_memlock of the stacks map, and of all the instance's maps), the
# drain's wall time. At the end, a
# --drain of the full stacks map is timed (wall time, reader's peak RSS):
# the main instance's if it hit its bound, else a profile@full instance
# with a small bound loaded for that.
#
# Usage: build_soak.sh [DURATION_SEC (default 3600)]
# Env: BS_STACKS (the bound, default 16384), BS_INTERVAL (60 s), BS_JOBS
# (make -j, 2), BS_FULL_STACKS (2048), PINSIGHT_PIN_ROOT (default
# /sys/fs/bpf/build-soak, private to this run), BS_RESULTS=1 to write the
# summary between RESULTS.md's build-soak markers.
# Run as root from the source tree after `make`. Exit 0 when drops stayed
# 0 and the stacks map stayed within its bound (N x (key + value + 256 B
# of the kernel's element header)), 1 otherwise, 2 on setup failure.
set -u
cd "$(dirname "$0")/../.." || exit 2
dur=${1:-3600}
ival=${BS_INTERVAL:-60}
bound=${BS_STACKS:-16384}
jobs=${BS_JOBS:-2}
full_bound=${BS_FULL_STACKS:-2048}
export PINSIGHT_PIN_ROOT="${PINSIGHT_PIN_ROOT:-/sys/fs/bpf/build-soak}"
src=$(pwd)

# A snapshot of the binaries: a `make` elsewhere must not swap them mid-run.
snap=$(mktemp -d /tmp/build-soak.XXXXXX)
cp .output/pinsight .output/pinsight-load "$snap"/ || exit 2
P=$snap/pinsight
L=$snap/pinsight-load
build_pid=
# shellcheck disable=SC2317 # run by the trap
cleanup() {
	# the loop is its own process group (setsid): the makes go with it
	[ -n "$build_pid" ] && kill -- "-$build_pid" 2>/dev/null
	wait 2>/dev/null
	"$L" unload --all >/dev/null 2>&1
	rmdir "$PINSIGHT_PIN_ROOT" 2>/dev/null
	rm -rf "$snap"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
if [ -e "$PINSIGHT_PIN_ROOT" ] && [ -n "$(ls -A "$PINSIGHT_PIN_ROOT")" ]; then
	echo "build_soak: $PINSIGHT_PIN_ROOT: not empty, another run?" >&2
	trap - EXIT
	rm -rf "$snap"
	exit 2
fi

git clone -q "$src" "$snap/src" || exit 2
: >"$snap/builds"
setsid nice -n 19 ionice -c 3 sh -c "
	cd '$snap/src' || exit 1
	while :; do
		make clean >/dev/null 2>&1
		make -j$jobs >/dev/null 2>&1
		echo build >> '$snap/builds'
	done" &
build_pid=$!

"$L" profile --stacks "$bound" --stacks-lru >"$snap/load.out" 2>&1 ||
	{ cat "$snap/load.out" >&2; exit 2; }

# bss_var INST VAR: a .bss variable as the reader shows it
bss_var() {
	"$P" -j show "$1" bss |
		jq -r --arg v "$2" '.[0].entries[0].value[".bss"][] |
			select(has($v)) | .[$v]'
}
# stacks_json INST: list's line for the stacks map (entries, evictions)
stacks_json() {
	"$P" -j list | jq -c --arg i "$1" '.[] | select(.instance == $i) |
		.maps[] | select(.name == "stacks")'
}
# mem INST [MAP]: bytes_memlock of the instance's maps (or of MAP)
mem() {
	for id in $("$P" -j list | jq -r --arg i "$1" --arg m "${2:-}" \
		'.[] | select(.instance == $i) | .maps[] |
		 select($m == "" or .name == $m) | .id'); do
		bpftool map show id "$id" -j | jq '.bytes_memlock'
	done | awk '{ s += $1 } END { print s + 0 }'
}
samples() {
	"$P" -j show "$1" profile_window |
		jq '.[0].entries[0].value.samples | add'
}

echo "build_soak: $(date -u +%FT%TZ) host-wide profile --stacks $bound --stacks-lru," \
	"make -j$jobs of $src in a loop, ${dur}s, every ${ival}s"
hdr() {
	printf '%6s %10s %6s %10s %13s %8s %12s %12s %7s\n' t samples drops \
		evictions stacks builds stacks_mem total_mem drain_s
}
hdr
hdr >"$snap/lines"
fail=0
t=0
maxmem=0
drained=0
start=$(date +%s)
# t is wall time since the load: the reads and drains take some too
while [ "$t" -lt "$dur" ]; do
	k=0
	while [ "$k" -lt "$ival" ]; do
		step=$((ival - k < 30 ? ival - k : 30))
		sleep "$step"
		k=$((k + step))
		"$L" refresh >/dev/null 2>&1
	done
	t=$(($(date +%s) - start))
	s=$(stacks_json profile)
	a=$(date +%s.%N)
	w=$("$P" -j profile profile --drain | jq .samples)
	b=$(date +%s.%N)
	drained=$((drained + ${w:-0}))
	ms=$(mem profile stacks)
	[ "$ms" -gt "$maxmem" ] && maxmem=$ms
	line=$(printf '%6s %10s %6s %10s %13s %8s %12s %12s %7s' "$t" \
		"$((drained + $(samples profile)))" "$(bss_var profile drops)" \
		"$(echo "$s" | jq .evictions)" \
		"$(echo "$s" | jq -r '"\(.entries)/\(.max_entries)"')" \
		"$(wc -l <"$snap/builds")" "$ms" "$(mem profile)" \
		"$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b - a }')")
	echo "$line"
	echo "$line" >>"$snap/lines"
done

drops=$(bss_var profile drops)
ev=$(stacks_json profile | jq .evictions)
final_samples=$((drained + $(samples profile)))
final_stacks=$(stacks_json profile | jq -r '"\(.entries)/\(.max_entries)"')
final_mem=$(mem profile)
builds=$(wc -l <"$snap/builds")
[ "$drops" = 0 ] || { echo "build_soak: FAIL: $drops drops" >&2; fail=1; }
# the bound: N slots of key, value and the kernel's element header
slot=$(bpftool map show id "$(stacks_json profile | jq .id)" -j |
	jq '.bytes_key + .bytes_value + 256')
[ "$maxmem" -le $((bound * slot)) ] ||
	{ echo "build_soak: FAIL: stacks map $maxmem B > $bound x $slot B" >&2; fail=1; }

# The --drain of a full stacks map: this one if it hit its bound.
inst=profile
if [ "$ev" = 0 ]; then
	echo "build_soak: the $bound stacks never filled; filling a" \
		"--stacks $full_bound instance for the drain"
	inst=profile@full
	"$L" profile@full --stacks "$full_bound" --stacks-lru \
		>"$snap/load.out" 2>&1 || { cat "$snap/load.out" >&2; exit 2; }
	i=0
	while [ "$(stacks_json profile@full | jq .evictions)" = 0 ] &&
		[ $i -lt 600 ]; do
		sleep 1
		i=$((i + 1))
	done
fi
s=$(stacks_json "$inst")
full_mem=$(mem "$inst" stacks)
/usr/bin/time -f '%e %M' -o "$snap/time" "$P" profile "$inst" --drain \
	--folded >"$snap/folded" 2>"$snap/drain.err" ||
	{ cat "$snap/drain.err" >&2; fail=1; }
read -r drain_s drain_kb <"$snap/time"
echo "drain of $inst ($(echo "$s" | jq -r '"\(.entries)/\(.max_entries) stacks, \(.evictions) evicted"'),"
echo "  stacks map $full_mem bytes: ${drain_s} s, reader peak RSS ${drain_kb} KB," \
	"$(wc -l <"$snap/folded") folded lines"

summary=$snap/summary
{
	echo "## Host-wide profile under a continuous parallel build (build_soak.sh)"
	echo
	echo "Host-wide \`profile --stacks $bound --stacks-lru\` for ${dur} s, drained"
	echo "every ${ival} s, under \`make clean; make -j$jobs\` of this repo in a loop (nice 19),"
	echo "$(date -u +%F), $(nproc) CPUs, kernel $(uname -r):"
	echo
	echo "| samples | drops | stacks evicted | stacks kept | builds | stacks map (max) | all maps |"
	echo "|---|---|---|---|---|---|---|"
	echo "| $final_samples | $drops | $ev | $final_stacks | $builds | $maxmem B | $final_mem B |"
	echo
	echo "Every ${ival} s (at most 13 lines shown; memory is bpftool's bytes_memlock):"
	echo
	echo '```'
	n=$(($(wc -l <"$snap/lines") - 1))
	awk -v n="$n" 'NR == 1 || (NR - 1) % int((n + 11) / 12) == 0 ||
		NR - 1 == n' "$snap/lines"
	echo '```'
	echo
	echo "\`--drain --folded\` of the full $inst stacks map ($(echo "$s" | jq -r '"\(.entries)/\(.max_entries)"') stacks, $full_mem B):"
	echo "${drain_s} s, reader peak RSS ${drain_kb} KB."
} >"$summary"
cat "$summary"
if [ "${BS_RESULTS:-0}" = 1 ]; then
	md=selftests/benchs/RESULTS.md
	awk -v f="$summary" -v b="<!-- build-soak begin -->" \
		-v e="<!-- build-soak end -->" '
		$0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
		$0 == e { skip = 0 }
		!skip' "$md" >"$md.tmp" && mv "$md.tmp" "$md"
fi
exit $fail
