#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Crash-consistency soak: the crash test (prog_tests/crash.c) with many
# more kills. Usage: soak_crash.sh [ITERATIONS (default 1000)] [SEED]
# Run as root from the source tree after `make`; prints the kill points hit
# and the test's verdict; exits non-zero on any broken invariant.
set -e
cd "$(dirname "$0")/../.."
iters=${1:-1000}
export PINSIGHT_CRASH_ITERS="$iters"
[ -n "$2" ] && export PINSIGHT_CRASH_SEED="$2"
log=$(mktemp)
# A snapshot of the binaries: a `make` elsewhere must not swap them mid-run.
snap=$(mktemp -d)
trap 'rm -rf "$log" "$snap"' EXIT
cp .output/test_progs .output/pinsight-load .output/pinsight "$snap"/
start=$(date +%s)
# One kill, check and recovery takes ~40 ms: allow 0.5 s each.
rc=0
"$snap"/test_progs -t crash -v --timeout $((iters / 2 + 60)) >"$log" 2>&1 ||
	rc=$?
grep -v -e '^[$] ' -e '^  .exit status' "$log"
echo "soak_crash: $iters iterations in $(($(date +%s) - start)) s, exit $rc"
exit $rc
