#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Soak (a benchmark, not a test): every tool that loads on this host pinned
# at its default rates while the vector-studio workload runs, sampled every
# INTERVAL seconds. Usage: soak_all.sh [DURATION_SEC (default 3600)]
# Env: SOAK_INTERVAL (default 60 s), PINSIGHT_PIN_ROOT (default
# /sys/fs/bpf/soak, private so it never collides with other runs),
# SOAK_OUT (default selftests/benchs/SOAK.md), SOAK_KEEP=DIR (keep the raw
# samples there).
# Run as root from the source tree after `make`. Asserts at the end: map
# memory within each map's bound, drops == 0 (or names the counters), reader
# output stable (same metric families and maps each sample), and after the
# unload none of the soak's programs, maps or links left in bpftool.
# The workload runs in a private network namespace and pktstat counts its
# lo there: the host's lo is left to the loader test of concurrent runs.
# Exit 0 when every assertion held, 1 otherwise, 2 on setup failure.
set -u
cd "$(dirname "$0")/../.." || exit 2
dur=${1:-3600}
ival=${SOAK_INTERVAL:-60}
out=${SOAK_OUT:-selftests/benchs/SOAK.md}
export PINSIGHT_PIN_ROOT="${PINSIGHT_PIN_ROOT:-/sys/fs/bpf/soak}"
ncpu=$(awk -F- '{ print ($2 == "" ? 1 : $2 + 1) }' \
	/sys/devices/system/cpu/possible)

# A snapshot of the binaries: a `make` elsewhere must not swap them mid-run.
# The copies keep their names, so vector-studio's comm is unchanged.
snap=$(mktemp -d /tmp/soak.XXXXXX)
d=$snap/data
mkdir -p "$d"
cp .output/pinsight .output/pinsight-load .output/workloads/vector-studio \
	.output/workloads/vs-loadgen "$snap"/ || exit 2
P=$snap/pinsight
L=$snap/pinsight-load
vs_pid=
lg_pid=
# shellcheck disable=SC2317 # run by the trap
cleanup() {
	[ -n "$lg_pid" ] && kill "$lg_pid" 2>/dev/null
	[ -n "$vs_pid" ] && kill "$vs_pid" 2>/dev/null
	wait 2>/dev/null
	[ -d "$PINSIGHT_PIN_ROOT" ] && inns "$L" unload --all >/dev/null 2>&1
	ip netns del "$ns" 2>/dev/null
	rmdir "$PINSIGHT_PIN_ROOT" 2>/dev/null
	[ -n "${SOAK_KEEP:-}" ] && cp -r "$d" "$SOAK_KEEP"
	rm -rf "$snap"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
if [ -e "$PINSIGHT_PIN_ROOT" ] && [ -n "$(ls -A "$PINSIGHT_PIN_ROOT")" ]; then
	echo "soak: $PINSIGHT_PIN_ROOT: not empty, another soak running?" >&2
	trap - EXIT
	rm -rf "$snap"
	exit 2
fi
# nsenter, not `ip netns exec`: that would remount /sys, bpffs with it.
ns=pinsight-soak-$$
ip netns add "$ns" && ip -n "$ns" link set lo up || exit 2
inns() { nsenter --net="/run/netns/$ns" "$@"; }
# Background jobs call nsenter directly: it execs the command (no fork for
# a network namespace), so $! is the command itself, for kill.
ids() { bpftool "$1" show -j 2>/dev/null | jq -r '.[].id' | sort; }
ids prog >"$d/base.prog"
ids map >"$d/base.map"
ids link >"$d/base.link"

nsenter --net="/run/netns/$ns" "$snap"/vector-studio --port-file \
	"$snap/port" >"$d/vs.out" 2>&1 &
vs_pid=$!
i=0
while [ ! -s "$snap/port" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -s "$snap/port" ] || { echo "soak: vector-studio: did not start" >&2; exit 2; }

# Each tool at its default rates, on the service where it takes a filter,
# as the service's owners run them; a tool this kernel cannot run (exit 7,
# e.g. hwcount with no PMU) is reported, not fatal. profile too: host-wide,
# on a machine that also builds, every short-lived compiler process keeps
# stacks of its own (build-id stacks are hashed per process image), and
# 16384 stacks filled in 5 minutes of a soak here.
vs=$snap/vector-studio
loaded=
while read -r tool args; do
	start=$(date +%s%N)
	# shellcheck disable=SC2086 # args are words
	if inns "$L" $tool $args >"$d/load.$tool" 2>&1; then
		loaded="$loaded $tool"
		echo "$tool $((($(date +%s%N) - start) / 1000000))" >>"$d/loadtimes"
	else
		echo "$tool: $(tail -n 1 "$d/load.$tool")" >>"$d/notloaded"
	fi
done <<EOF
io --comm vector-studio
profile --comm vector-studio
memalloc --comm vector-studio
funclat --binary $vs --func search_vectors,insert_vectors,build_index
tcpconnlat
runqlat --per-comm
execmon --comm vector-studio
pktstat --dev lo
hwcount
EOF
[ -n "$loaded" ] || { echo "soak: no tool loaded" >&2; exit 2; }
# ids per kind (a program and a map may share a number), sorted for comm
$P -j list | jq -r '.[].programs[].prog_id' | sort -u >"$d/ours.prog"
$P -j list | jq -r '.[].maps[].id' | sort -u >"$d/ours.map"

# The load: vs-loadgen in one-interval runs, one JSON line each. 99 %
# searches: at the default 10 % inserts the index grows ~100 vectors/s and
# an hour's QPS would fall with it, hiding what the tools cost.
(while :; do
	inns "$snap"/vs-loadgen -f "$snap/port" -d "$ival" -c 2 -m 99 -j 2>/dev/null ||
		echo '{"qps":0,"errors":-1}'
done >"$d/qps") &
lg_pid=$!

ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
# The reader's view of one sample: metric families, instance/map/type.
famlist() { grep '^# TYPE' "$1" | awk '{ print $3 }' | sort; }
fams() { famlist "$1" | md5sum | cut -c1-8; }

t0=$(date +%s)
n=0
while :; do
	# in the background: a TERM then ends the run at once, not after it
	sleep "$ival" &
	wait $!
	n=$((n + 1))
	t=$(($(date +%s) - t0))
	s=$(date +%s%N)
	$P metrics >"$d/metrics.$n" 2>&1
	mrc=$?
	mms=$(ms "$s")
	src=0
	: >"$d/show.$n"
	slow=0
	sms=0
	for inst in $loaded; do
		s1=$(date +%s%N)
		$P -j show "$inst" >"$d/show1" 2>&1 || src=$?
		s1=$(ms "$s1")
		sms=$((sms + s1))
		[ "$s1" -gt "$slow" ] && slow=$s1 && sinst=$inst
		jq -r --arg i "$inst" '.[] | "\($i) \(.map) \(.type)"' \
			"$d/show1" >>"$d/show.$n" 2>/dev/null || src=1
	done
	# entries/max_entries from the reader, memory from bpftool, by map id
	bpftool map show -j >"$d/bpfmaps" 2>/dev/null
	$P -j list | jq -r --slurpfile b "$d/bpfmaps" --arg t "$t" '
		($b[0] | map({key: (.id | tostring), value: .}) | from_entries)
		as $m | .[] | .instance as $i | .maps[] |
		$m[.id | tostring] as $x |
		"\($t) \($i)/\(.name) \(.type) \(.entries // "-")" +
		" \(.max_entries) \($x.bytes_key) \($x.bytes_value)" +
		" \($x.bytes_memlock)"' >>"$d/maps"
	drops=$(grep -E '^[a-z_]*drops[a-z_]*(\{.*\})? ' "$d/metrics.$n" |
		awk '{ s += $NF } END { print s + 0 }')
	qps=$(tail -n 1 "$d/qps" 2>/dev/null | jq -r '.qps // 0' 2>/dev/null)
	mem=$(awk -v t="$t" '$1 == t { s += $8 } END { print s + 0 }' "$d/maps")
	echo "$t ${qps:-0} $mem $drops $mrc $mms $src $sms $(fams "$d/metrics.$n")" \
		"$(sort "$d/show.$n" | md5sum | cut -c1-8)" "$sinst:$slow" >>"$d/samples"
	echo "soak: t=${t}s qps=${qps:-?} mem=$mem drops=$drops metrics=${mms}ms show=${sms}ms" >&2
	[ "$t" -ge "$dur" ] && break
done
kill "$lg_pid" 2>/dev/null
wait "$lg_pid" 2>/dev/null
lg_pid=

# Unload, stop the server, and compare bpftool listings with the baseline.
# In the namespace, as its operator would; pktstat's link-less XDP is
# detached in the netns it was loaded in (kept in its rodata) wherever
# unload runs, so the root namespace would do as well.
inns "$L" unload --all >"$d/unload" 2>&1
urc=$?
kill "$vs_pid" 2>/dev/null
wait "$vs_pid" 2>/dev/null
vs_pid=
# Programs and maps are freed after RCU grace periods and uprobe
# unregistration: allow them 10 s.
i=0
while :; do
	left=$( { ids prog | comm -12 - "$d/ours.prog"
		ids map | comm -12 - "$d/ours.map"; } | wc -l)
	[ "$left" = 0 ] || [ $i -ge 20 ] && break
	sleep 0.5
	i=$((i + 1))
done
leftlinks=$(bpftool link show -j 2>/dev/null | jq -r '.[].prog_id' | sort -u |
	comm -12 - "$d/ours.prog" | wc -l)
pins=$(find "$PINSIGHT_PIN_ROOT" -mindepth 1 2>/dev/null | wc -l)
delta() { echo $(($(ids "$1" | wc -l) - $(wc -l <"$d/base.$1"))); }

# Per map: the bound is what the kernel charges for the map when full
# (htab_map_mem_usage, array, ringbuf), plus 64 KiB for headers and lists.
awk -v ncpu="$ncpu" '
	function r8(x) { return int((x + 7) / 8) * 8 }
	function p2(x, p) { p = 1; while (p < x) p *= 2; return p }
	{ k = $2; type[k] = $3; max[k] = $5
	  pc = ($3 ~ /percpu/) ? ncpu : 0
	  if ($3 == "ringbuf" || $3 == "user_ringbuf") b = $5
	  else if ($3 ~ /array/) b = $5 * r8($7) * (pc ? pc : 1)
	  else b = p2($5) * 16 + $5 * (64 + r8($6) + (pc ? 8 : r8($7)) + \
		  r8($7) * pc)
	  bound[k] = b + 65536
	  if (!(k in first)) { first[k] = $8; n++; order[n] = k }
	  last[k] = $8; if ($8 > peak[k]) peak[k] = $8
	  if ($4 != "-" && (!(k in emax) || $4 + 0 > emax[k] + 0)) emax[k] = $4
	  ent[k] = $4 }
	END { for (i = 1; i <= n; i++) { k = order[i]
		printf "%s %s %s %s %s %d %d %d %d %s\n", k, type[k], max[k],
		       (k in emax) ? emax[k] : "-", ent[k], first[k], peak[k],
		       last[k], bound[k], peak[k] <= bound[k] ? "ok" : "OVER" } }
' "$d/maps" >"$d/permap"

over=$(awk '$10 != "ok"' "$d/permap" | wc -l)
dropsrc=$(grep -hE '^[a-z_]*drops[a-z_]*(\{.*\})? [1-9]' "$d"/metrics.* |
	awk '{ print $1 }' | sort -u)
nfam=$(awk '{ print $9 }' "$d/samples" | sort -u | wc -l)
# A family may appear with its first series (alerts_total at the first
# alert), but one that was exported must never vanish.
i=2
famlist "$d/metrics.1" >"$d/fam.prev"
: >"$d/fam.gone"
: >"$d/fam.new"
while [ $i -le "$n" ]; do
	famlist "$d/metrics.$i" >"$d/fam.cur"
	comm -23 "$d/fam.prev" "$d/fam.cur" >>"$d/fam.gone"
	comm -13 "$d/fam.prev" "$d/fam.cur" | sed "s/\$/ (t=$(awk -v n=$i \
		'NR == n { print $1 }' "$d/samples") s)/" >>"$d/fam.new"
	mv "$d/fam.cur" "$d/fam.prev"
	i=$((i + 1))
done
gone=$(sort -u "$d/fam.gone" | wc -l)
nshow=$(awk '{ print $10 }' "$d/samples" | sort -u | wc -l)
rdfail=$(awk '$5 != 0 || $7 != 0' "$d/samples" | wc -l)
# the last run was cut short by the kill: not counted
qerr=$(sed '$d' "$d/qps" | jq -s '[.[] | select(.errors != 0)] | length')
fail=0
v() { if [ "$1" = ok ]; then echo "- ok: $2"; else echo "- **FAIL**: $2"; fail=1; fi; }
ck() { if test "$@"; then echo ok; else echo no; fi; }

{
	echo "<!-- SPDX-License-Identifier: GPL-2.0 -->"
	echo "# Soak: all tools with the vector-studio workload"
	echo
	echo "Written by \`selftests/benchs/soak_all.sh $dur\` (interval ${ival} s)" \
		"on $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r)," \
		"$(nproc) CPUs. The default run is an hour (\`soak_all.sh\`)."
	[ "$dur" -lt 3600 ] && echo "This run lasted $dur s only (a shorter" \
		"session): rerun with the default for the hour."
	echo
	echo "Loaded:$loaded (load time ms: $(tr '\n' ' ' <"$d/loadtimes"| sed 's/ $//'))."
	[ -s "$d/notloaded" ] && echo "Not loaded: $(tr '\n' ';' <"$d/notloaded")"
	echo "Workload: vector-studio (defaults) + vs-loadgen -c 2 -m 99 (99 % search)," \
		"in a private network namespace whose lo pktstat counts."
	echo "Other engineers' tests ran on the same 2 CPUs at the same time."
	echo
	echo "## Verdict"
	echo
	v "$(ck "$over" = 0)" "map memory within bounds ($over over)"
	if [ -z "$dropsrc" ]; then v ok "drops == 0 in every counter"
	else v no "drops non-zero: $(echo "$dropsrc" | tr '\n' ' ')"; fi
	v "$(ck "$gone" = 0 -a "$nshow" = 1 -a "$rdfail" = 0)" \
		"reader stable: $gone metric families vanished, $nshow show map set(s), $rdfail failed read(s)"
	[ -s "$d/fam.new" ] && echo "  (families that appeared with their first" \
		"series: $(tr '\n' ';' <"$d/fam.new"))"
	[ "$nfam" = 1 ] || echo "  ($nfam distinct family sets over the run)"
	v "$(ck "$urc" = 0 -a "$left" = 0 -a "$leftlinks" = 0 -a "$pins" = 0)" \
		"unload (exit $urc): $left programs/maps and $leftlinks links of the soak left, $pins pins"
	echo "- loadgen runs with errors: ${qerr:-?}; bpftool counts vs baseline" \
		"(includes others' concurrent tests): prog $(delta prog)," \
		"map $(delta map), link $(delta link)"
	echo
	echo "## Samples"
	echo
	echo "| t (s) | loadgen QPS | map memory (KiB) | drops | metrics (ms) | show -j all (ms) | slowest show (ms) | families | maps |"
	echo "|---:|---:|---:|---:|---:|---:|---|---|---|"
	awk '{ printf "| %d | %.0f | %d | %d | %s%s | %s%s | %s | %s | %s |\n",
		$1, $2, $3 / 1024, $4, $6, $5 ? " (exit " $5 ")" : "", $8,
		$7 ? " (exit " $7 ")" : "", $11, $9, $10 }' "$d/samples"
	echo
	echo "## Maps (memory: bytes_memlock, KiB; bound: full-map charge + 64 KiB)"
	echo
	echo "| map | type | max_entries | peak entries | last entries | first | peak | last | bound | |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
	awk '{ printf "| %s | %s | %s | %s | %s | %.0f | %.0f | %.0f | %.0f | %s |\n",
		$1, $2, $3, $4, $5, $6 / 1024, $7 / 1024, $8 / 1024, $9 / 1024,
		$10 }' "$d/permap"
} >"$out"
cat "$out"
exit $fail
