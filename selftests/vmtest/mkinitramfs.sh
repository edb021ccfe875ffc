#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh SRC KROOT KVER OUT.cpio [TEST_PROGS ARGS...]
#
# Build the vmtest initramfs: busybox-static, the static test_progs of
# SRC/.output/static (and its pinsight-load and pinsight with
# VMTEST_STATIC_TOOLS=1), the other executables of SRC/.output and its
# workloads (dynamic, with their shared libraries), the bench helper, the host
# commands of vmtest/commands with their libraries, libxdp's BPF objects, the
# networking modules of vmtest/modules from the kernel tree KROOT (an
# extracted Debian linux-image package) and the source tree. /pinsight
# mirrors the source tree: test_progs finds its binaries next to itself and
# the denylists, scripts and configs in .., as on the host.
set -eu

src=$1 kroot=$2 kver=$3 out=$4
shift 4
here=$src/selftests/vmtest
stage=$(mktemp -d "${TMPDIR:-/tmp}/vmtest-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

die() { echo "mkinitramfs: $*" >&2; exit 1; }
# ldd fails on static binaries and on files that are not ELF at all.
is_dynamic() { ldd "$1" > /dev/null 2>&1; }

# Copy the shared libraries FILE loads to their paths under the stage; those
# of the source tree (a workload's own .so) come with their directory.
copy_libs() {
	is_dynamic "$1" || return 0
	ldd "$1" | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' |
		while read -r lib; do
			case $lib in "$src"/*) continue ;; esac
			[ -e "$stage$lib" ] && continue
			mkdir -p "$stage$(dirname "$lib")"
			cp -L "$lib" "$stage$lib"
		done
}

mkdir -p "$stage"/bin "$stage"/sbin "$stage"/usr/bin "$stage"/usr/sbin \
	"$stage"/usr/local/bin \
	"$stage"/proc "$stage"/sys "$stage"/dev "$stage"/tmp "$stage"/run \
	"$stage"/root "$stage"/etc "$stage"/vmtest "$stage"/lib/modules \
	"$stage"/pinsight/.output "$stage"/pinsight/selftests
cp /bin/busybox "$stage"/bin/busybox
! is_dynamic /bin/busybox ||
	die "/bin/busybox is not static: install busybox-static"
install -m 755 "$here"/init "$stage"/init
# The host's /bin/sh (dash) for run_cmd(): busybox sh runs its own applets
# ahead of PATH, so with it a test would get busybox's setpriv or ip instead
# of the real ones.
sh=$(readlink -f /bin/sh)
cp "$sh" "$stage/bin/${sh##*/}"
copy_libs "$sh"
[ "${sh##*/}" = sh ] || ln -s "${sh##*/}" "$stage"/bin/sh
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
	> "$stage"/etc/passwd
printf 'root:x:0:\nnogroup:x:65534:\n' > "$stage"/etc/group
touch "$stage"/etc/mtab
# The libraries keep their host paths, so the host's cache is right for them
# (dlopen() by name, e.g. of libstdc++ for demangling, looks there).
cp /etc/ld.so.cache "$stage"/etc/

# pinsight itself: whatever .output holds at its top (other binaries tests
# may run, with their libraries), BPF objects and workloads as built, then
# the static runner, loader and reader over their dynamic builds.
find "$src"/.output -maxdepth 1 -type f -perm -u+x | while read -r f; do
	cp "$f" "$stage"/pinsight/.output/
	copy_libs "$f"
done
mkdir -p "$stage"/pinsight/.output/progs
cp "$src"/.output/progs/*.bpf.o "$stage"/pinsight/.output/progs/ 2>/dev/null || true
# pinsight-load and pinsight stay dynamic unless VMTEST_STATIC_TOOLS=1: a
# static loader finds no C library in its own /proc/self/maps (funclat and
# memalloc "--binary libc") and its dlopen()ed demangler corrupts the heap,
# failures of the static build rather than of the kernel under test.
static_bins=test_progs
[ "${VMTEST_STATIC_TOOLS:-0}" = 1 ] && static_bins="test_progs pinsight-load pinsight"
for b in $static_bins; do
	if [ ! -x "$src/.output/static/$b" ] || is_dynamic "$src/.output/static/$b"; then
		die "$src/.output/static/$b: not a static binary (make static)"
	fi
	# vmtest.sh -n builds nothing: a runner older than the dynamic one
	# would test yesterday's selftests against today's tools
	[ ! "$src/.output/$b" -nt "$src/.output/static/$b" ] ||
		die "$src/.output/static/$b: older than .output/$b (make static)"
	cp "$src/.output/static/$b" "$stage/pinsight/.output/$b"
done
cp -r "$src"/.output/workloads "$stage"/pinsight/.output/
find "$src"/.output/workloads -type f | while read -r f; do
	copy_libs "$f"
done
# The source tree (denylists, scripts/, example configs tests read), without
# build outputs, .git and the 3 MB vmlinux.h.
tar -C "$src" --exclude='./.*' --exclude=./vmlinux -cf - . |
	tar -C "$stage"/pinsight -xf -

# Host commands the tests run (bpftool, jq, ip, ...): the system's, not a
# per-user shim (pyenv), with their libraries and the extra trees listed.
# $VMTEST_EXTRA_COMMANDS: more, for one run (bpftrace, for a benchmark)
{ grep -v '^#' "$here"/commands; printf '%s\n' ${VMTEST_EXTRA_COMMANDS:-}; } |
while read -r cmd extra; do
	[ -n "$cmd" ] || continue
	p=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$cmd" || true)
	[ -n "$p" ] || { echo "mkinitramfs: $cmd: not on this host, not copied" >&2; continue; }
	p=$(readlink -f "$p")
	mkdir -p "$stage$(dirname "$p")"
	cp "$p" "$stage$p"
	copy_libs "$p"
	# First in the init's PATH, ahead of busybox's applets of the same
	# name (its setpriv lacks --reuid, for one).
	ln -sf "$p" "$stage/usr/local/bin/$cmd"
	for d in $extra; do
		[ -e "$d" ] || continue
		tar -C / --exclude=__pycache__ --exclude=test --exclude=tests \
			-cf - "${d#/}" | tar -C "$stage" -xf -
		# the tree's modules are dlopen()ed, so ldd of the command
		# does not name their libraries (libffi for ctypes)
		find "$d" -name '*.so' -type f | while read -r so; do
			copy_libs "$so"
		done
	done
done
# libxdp loads its dispatcher from here at run time.
for f in /usr/lib/x86_64-linux-gnu/bpf/*.o; do
	if [ ! -e "$f" ]; then continue; fi
	mkdir -p "$stage$(dirname "$f")"
	cp "$f" "$stage$f"
done

# Modules in dependency order, uncompressed (busybox insmod reads plain .ko).
: > "$stage"/vmtest/modules.list
grep -v '^#' "$here"/modules | while read -r m; do
	[ -n "$m" ] || continue
	deps=$(modprobe -d "$kroot" -S "$kver" --show-depends "$m" 2>/dev/null) ||
		{ echo "mkinitramfs: module $m: not in $kver" >&2; continue; }
	echo "$deps" | awk '$1 == "insmod" { print $2 }' > "$stage"/vmtest/deps
	while read -r ko; do
		name=$(basename "$ko"); name=${name%.xz}; name=${name%.zst}
		grep -qx "/lib/modules/$name" "$stage"/vmtest/modules.list && continue
		case $ko in
		*.xz) xz -dc "$ko" > "$stage/lib/modules/$name" ;;
		*.zst) zstd -qdc "$ko" > "$stage/lib/modules/$name" ;;
		*) cp "$ko" "$stage/lib/modules/$name" ;;
		esac
		echo "/lib/modules/$name" >> "$stage"/vmtest/modules.list
	done < "$stage"/vmtest/deps
done
rm -f "$stage"/vmtest/deps

# The bench helper and its floor programs (selftests/benchs/icount.sh).
if [ -x "$src"/.output/benchs/bench ]; then
	mkdir -p "$stage"/pinsight/.output/benchs
	cp "$src"/.output/benchs/bench "$src"/.output/benchs/*.bpf.o \
		"$stage"/pinsight/.output/benchs/
	copy_libs "$src"/.output/benchs/bench
fi
# VMTEST_RUN: what the init runs instead of the selftests (vmtest/init).
if [ -n "${VMTEST_RUN:-}" ]; then
	install -m 755 "$VMTEST_RUN" "$stage"/vmtest/run
fi

printf '%s\n' "$@" > "$stage"/vmtest/args
# mktemp made the stage 0700: "/" must let nobody through, as on a host.
chmod 755 "$stage"
(cd "$stage" && find . | cpio -o -H newc --quiet) > "$out"
