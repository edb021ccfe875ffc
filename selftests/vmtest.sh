#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run the selftests on other kernels: for each KERNEL, fetch its Debian
# package (cached), build an initramfs with the static test_progs and all it
# runs (vmtest/mkinitramfs.sh), boot it under qemu TCG (no KVM on these
# machines) and stream KTAP back over the serial console. See
# selftests/README.md.
#
# Exit: 0 when every kernel ran every selected test with no failure; 1 when a
# test failed, a kernel lacks BTF, or a VM never reached the runner's last
# line (boot failure, panic, timeout); 2 on a usage error. What a kernel
# lacks and the tools doctor cannot load there are reported per kernel.
set -eu

usage() {
	cat <<EOF
Usage: selftests/vmtest.sh [OPTIONS] [KERNEL...] [-- TEST_PROGS_ARGS...]
  KERNEL             MAJOR.MINOR (newest Debian linux-image-MAJOR.MINOR*-amd64
                     in the apt index) or a package name; default: $DEFAULT_KERNELS
  -s CPUS            virtual CPUs (default $CPUS)
  -m MEM             memory (default $MEM)
  -T SECONDS         wall-clock limit per kernel, boot included (default $TIMEOUT)
  -o DIR             results (default .output/vmtest): DIR/<kernel>/console.log,
                     doctor.json, results.json, dmesg.txt, time
  -n                 do not run make (use what .output holds)
  -S                 static pinsight-load and pinsight too (default: only
                     test_progs; see vmtest/mkinitramfs.sh for why)
  -j JOBS            kernels booted at once (default \$VMTEST_JOBS or 1); each
                     VM is one host thread (single-threaded TCG), so up to one
                     job per host CPU runs at the speed of one; their console
                     lines are prefixed with the kernel
  TEST_PROGS_ARGS    passed to test_progs in the VM (-t, -a, -d, -v, --timeout;
                     no spaces inside an argument)
Cache: \$VMTEST_CACHE (default ~/.cache/pinsight-vmtest).
\$VMTEST_QEMU_ARGS: more qemu options (e.g. -icount shift=0,sleep=off);
\$VMTEST_RUN: a script the VM runs instead of the selftests (see
vmtest/init; selftests/benchs/icount.sh uses both).
EOF
}

DEFAULT_KERNELS="6.1 6.12"
CPUS=2 MEM=1G TIMEOUT=1500 MAKE=1 JOBS=${VMTEST_JOBS:-1}
# One host thread for all vCPUs: with multi-threaded TCG, 6.1 soft-locked
# in syscall_trace_enter (a static key being patched while the other vCPU
# ran through it) in 1 of 3 runs of the concurrency test; 0 of 3 single.
ACCEL=${VMTEST_ACCEL:-tcg,thread=single}
SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=$SRC/.output/vmtest
CACHE=${VMTEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pinsight-vmtest}

while getopts s:m:T:o:j:nSh opt; do
	case $opt in
	s) CPUS=$OPTARG ;;
	m) MEM=$OPTARG ;;
	T) TIMEOUT=$OPTARG ;;
	o) OUT=$OPTARG ;;
	n) MAKE=0 ;;
	j) JOBS=$OPTARG ;;
	S) export VMTEST_STATIC_TOOLS=1 ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
kernels=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	kernels="$kernels $1"
	shift
done
[ $# -gt 0 ] && shift
[ -n "$kernels" ] || kernels=$DEFAULT_KERNELS
case $JOBS in
'' | *[!0-9]* | 0) echo "vmtest: -j $JOBS: not a positive number" >&2; exit 2 ;;
esac

log() { echo "vmtest: $*" >&2; }

# MAJOR.MINOR -> the newest matching generic amd64 image package.
resolve() {
	case $1 in
	linux-image-*) echo "$1" ;;
	[0-9]*.[0-9]*)
		apt-cache pkgnames "linux-image-$1" | grep -E \
			"^linux-image-$(echo "$1" | sed 's/\./\\./g')[.-][^ ]*-amd64\$" |
			grep -Ev -- '-(cloud|rt)-amd64$' | sort -V | tail -n 1 ;;
	esac
}

# Package -> extracted tree under the cache (vmlinuz + modules, depmod'ed),
# under a lock: several engineers' runs share the cache.
fetch() {
	pkg=$1 root=$CACHE/$1
	mkdir -p "$CACHE/debs"
	(
		flock 9
		[ -e "$root/.done" ] && exit 0
		log "$pkg: downloading"
		cd "$CACHE/debs" && apt-get download -q \
			-o APT::Sandbox::User=root "$pkg" > /dev/null
		rm -rf "$root"
		mkdir -p "$root"
		dpkg-deb -x "$(ls -t "$CACHE"/debs/"${pkg}"_*.deb | head -n 1)" "$root"
		depmod -b "$root" "$(ls "$root/lib/modules")"
		touch "$root/.done"
	) 9> "$CACHE/.lock"
}

# Pull "=== name" sections of the artefact channel into files.
split_artefacts() {
	tr -d '\r' < "$1/artefacts.txt" | awk -v dir="$1" '
		/^=== / { f = ($2 == "end") ? "" : dir "/" ($2 == "dmesg" ? "dmesg.txt" : $2); next }
		f != "" { print > f }'
}

# What doctor found missing on this kernel and how each tool attaches there:
# a kernel without a feature is said so, even when its tests skip.
report_features() {
	noload=""
	[ -s "$1/doctor.json" ] || { log "$kver: no doctor.json from the VM"; return 0; }
	jq -e . "$1/doctor.json" > /dev/null 2>&1 || {
		log "$kver: doctor.json is not valid JSON (see the file)"
		noload="doctor.json invalid"
		return 0
	}
	log "$kver: missing: $(jq -r '[.features | to_entries[] |
		select(.value.ok | not) | "\(.key) (\(.value.detail))"] |
		if length == 0 then "nothing" else join(", ") end' "$1/doctor.json")"
	log "$kver: tools: $(jq -r '[.tools | to_entries[] | .key + "=" +
		if .value.loads then (.value.attach // "loads")
		else "FAIL(" + .value.error + ")" end] | join(" ")' "$1/doctor.json")"
	noload=$(jq -r '[.tools | to_entries[] | select(.value.loads | not) |
		.key] | if length > 0 then "cannot load " + join(",") else "" end' \
		"$1/doctor.json")
}

run_kernel() {
	name=$1
	shift
	pkg=$(resolve "$name")
	if [ -z "$pkg" ]; then
		log "$name: no linux-image package for it in the apt index (apt-get update?)"
		return 1
	fi
	fetch "$pkg" || { log "$pkg: download or extraction failed"; return 1; }
	root=$CACHE/$pkg
	kver=$(ls "$root/lib/modules")
	dir=$OUT/$kver
	rm -rf "$dir"
	mkdir -p "$dir"
	"$SRC"/selftests/vmtest/mkinitramfs.sh "$SRC" "$root" "$kver" \
		"$dir/initramfs.cpio" "$@" || {
		log "$kver: FAIL: no initramfs"
		echo "$kver FAIL no initramfs" >> "$OUT/summary"
		return 1
	}

	log "$kver: booting ($pkg, $CPUS CPUs, $MEM, TCG, limit ${TIMEOUT}s)"
	start=$(date +%s)
	# qemu's own exit code says nothing about the tests: the init's last
	# console line does. A soft lockup, hung task or oops panics the VM
	# (and, with -no-reboot, ends qemu) rather than waiting for the limit;
	# warnings and worse go to the console with their backtraces.
	# --foreground keeps qemu in our process group, so ^C stops it too.
	# shellcheck disable=SC2086 # VMTEST_QEMU_ARGS: words
	timeout --foreground -k 10 "$TIMEOUT" qemu-system-x86_64 -accel "$ACCEL" -cpu max \
		-smp "$CPUS" -m "$MEM" -nodefaults -display none -no-reboot \
		-kernel "$root/boot/vmlinuz-$kver" -initrd "$dir/initramfs.cpio" \
		-append "console=ttyS0 panic=-1 oops=panic softlockup_panic=1 hung_task_panic=1 quiet rdinit=/init" \
		-serial stdio -serial "file:$dir/artefacts.txt" -nic none \
		${VMTEST_QEMU_ARGS:-} < /dev/null 2>&1 | sed -u 's/\r$//' | tee "$dir/console.log" || true
	secs=$(($(date +%s) - start))
	echo "$secs" > "$dir/time"
	split_artefacts "$dir"
	rm -f "$dir/initramfs.cpio"

	rc=$(sed -n 's/^vmtest: exit \([0-9]*\)$/\1/p' "$dir/console.log" | tail -n 1)
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' \
		"$dir/console.log" | tail -n 1 || true)
	if [ -z "$rc" ]; then
		log "$kver: FAIL: the VM never reached the end of the runner in ${secs}s (boot failure, panic or timeout; see $dir/console.log)"
		echo "$kver FAIL no result ${secs}s" >> "$OUT/summary"
		return 1
	fi
	report_features "$dir"
	log "$kver: ${summary:-no test summary}, exit $rc, ${secs}s"
	echo "$kver $([ "$rc" = 0 ] && echo ok || echo FAIL) ${summary:-no summary} ${secs}s${noload:+ (doctor: $noload)}" \
		>> "$OUT/summary"
	[ "$rc" = 0 ]
}

# A fresh machine may have no package lists yet.
# shellcheck disable=SC2086 # kernels are words
first=$(printf '%s\n' $kernels | head -n 1)
if [ -z "$(resolve "$first")" ] && [ "$(id -u)" = 0 ]; then
	log "no linux-image packages in the apt index: apt-get update"
	apt-get update -qq || true
fi
for k in $kernels; do
	[ -n "$(resolve "$k")" ] || {
		log "$k: not a MAJOR.MINOR with a package in the apt index, nor a linux-image-* name"
		exit 2
	}
done
if [ "$MAKE" = 1 ]; then
	make -C "$SRC" -s all static
fi
mkdir -p "$OUT"
: > "$OUT/summary"
failed=0
if [ "$JOBS" = 1 ]; then
	for k in $kernels; do
		run_kernel "$k" "$@" || failed=1
	done
else
	# JOBS kernels at a time; a job's status file says how it ended, since
	# a pipeline's exit status is the prefixing sed's.
	n=0
	for k in $kernels; do
		(
			rc=0
			run_kernel "$k" "$@" || rc=1
			echo "$rc" > "$OUT/.rc.$k"
		) 2>&1 | sed -u "s/^/[$k] /" &
		n=$((n + 1))
		if [ "$n" -ge "$JOBS" ]; then
			wait
			n=0
		fi
	done
	wait
	for k in $kernels; do
		[ "$(cat "$OUT/.rc.$k" 2>/dev/null)" = 0 ] || failed=1
		rm -f "$OUT/.rc.$k"
	done
fi
echo "vmtest summary:" >&2
cat "$OUT/summary" >&2
exit $failed
