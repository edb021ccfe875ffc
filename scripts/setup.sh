#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install every Debian package pinsight needs to build, test and demo.
# Idempotent and quick when all is there: dpkg is asked first, apt only
# for what is missing.
set -eu

PKGS="clang-19 llvm-19 libclang-rt-19-dev clang llvm libbpf-dev bpftool libxdp-dev xdp-tools
libelf-dev libdw-dev zlib1g-dev libprotobuf-c-dev protobuf-c-compiler pkg-config
make gcc g++ iproute2 prometheus
jq util-linux bpftrace time busybox-static qemu-system-x86 cpio kmod
scdoc systemd python3-yaml man-db libjemalloc2 golang-go python3.11 libpython3.11-dev
chromium-headless-shell"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "setup.sh: missing packages:$missing; run as root to install them" >&2
	exit 1
fi
echo "setup.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
