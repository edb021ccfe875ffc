#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The README's first command: pin io against a live vector-studio under
# load, show what it saw, then unload. Run as root (make demo).
set -eu
cd "$(dirname "$0")/.."
out=.output
if [ "$(id -u)" != 0 ]; then
	echo "demo: root is needed to load BPF programs (run as root: make demo)" >&2
	exit 5
fi
port_file=$(mktemp)
cleanup() {
	[ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	$out/pinsight-load unload io@demo >/dev/null 2>&1 || true
	rm -f "$port_file"
}
trap cleanup EXIT INT TERM

echo "== loading io for comm vector-studio"
$out/pinsight-load io --name demo --comm vector-studio
echo "(the loader has exited; the programs stay attached through their pins)"
$out/workloads/vector-studio --port-file "$port_file" --preload 20000 >/dev/null &
server=$!
for i in $(seq 50); do [ -s "$port_file" ] && break; sleep 0.1; done
echo "== vector-studio on port $(cat "$port_file"), 5 s of load"
$out/workloads/vs-loadgen --port-file "$port_file" --duration 5

echo "== pinsight show io@demo"
$out/pinsight show io@demo
echo "== pinsight metrics (ebpf_io_*)"
$out/pinsight metrics io@demo | grep -E '^ebpf_io_(ops|bytes)_total|duration_seconds_(count|sum)' | head -20
echo "== raw pins, as any reader sees them"
bpftool map dump pinned /sys/fs/bpf/pinsight/io@demo/maps/io_comm | head -24
