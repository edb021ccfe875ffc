#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Regenerate vmlinux/<arch>/vmlinux.h from the running kernel's BTF.
# CO-RE relocations make one header good for every kernel we load on; we
# regenerate only to reach types a newer kernel added.
set -eu
arch=${1:-x86}
btf=${BTF:-/sys/kernel/btf/vmlinux}
dir=$(dirname "$0")/$arch
[ -r "$btf" ] || { echo "gen.sh: $btf: not readable (kernel built without BTF?)" >&2; exit 1; }
mkdir -p "$dir"
bpftool btf dump file "$btf" format c > "$dir/vmlinux.h.tmp"
mv "$dir/vmlinux.h.tmp" "$dir/vmlinux.h"
echo "vmlinux.h from $(uname -r), $(bpftool version | head -1)" >&2
