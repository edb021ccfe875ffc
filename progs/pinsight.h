/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types and BTF conventions shared by every tool and by the readers.
 *
 * Readers learn a map's layout from its BTF, never from this header, so
 * everything a reader must know about a field is said here by its name or
 * by a BTF decl tag (see pinned-maps/PIN-LAYOUT.md for the full rules):
 *   - a field of type struct hist is a log2 histogram; a unit suffix on its
 *     name (_ns, _us, _bytes) gives its unit;
 *   - an integer value field is a counter unless tagged __gauge;
 *   - __metric("ebpf_x") overrides the Prometheus name, __label("x") the
 *     label name of a key field;
 *   - __names("arr") renders an index as the string arr[index] of .rodata;
 *   - __internal hides a value field from metrics;
 *   - __help("...") says what a value field or variable counts: the
 *     Prometheus HELP text of its series.
 */
#ifndef __PINSIGHT_H
#define __PINSIGHT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TASK_COMM_LEN 16
/* 32 log2 slots: slot k holds [2^k, 2^(k+1)), slot 0 also holds 0, and the
 * last slot holds everything from 2^31 up (4.3 s in ns, 4 GiB in bytes).
 */
#define HIST_SLOTS 32

#if defined(__clang__) && defined(__has_attribute)
#if __has_attribute(btf_decl_tag)
#define __pinsight_tag(x) __attribute__((btf_decl_tag(x)))
#endif
#endif
#ifndef __pinsight_tag
#define __pinsight_tag(x)
#endif

#define __gauge __pinsight_tag("pinsight:gauge")
#define __metric(name) __pinsight_tag("pinsight:name=" name)
#define __label(name) __pinsight_tag("pinsight:label=" name)
/*
 * An integer field that indexes the .rodata array of strings @var (e.g.
 * funclat's func_names[]): readers show var[value] instead of the number.
 */
#define __names(var) __pinsight_tag("pinsight:names=" var)
/*
 * A key field holding a stack id whose frames are in map @map (struct
 * stack_trace, progs/stacks.h): `pinsight show` prints the top rows'
 * stacks symbolized, for the process in the key's tgid field.
 */
#define __stack(map) __pinsight_tag("pinsight:stack=" map)
/*
 * A value field filled only when bit @bit of the .rodata integer @var is
 * set (e.g. hwcount's events mask): readers leave it out otherwise, so
 * what was not asked for does not show as 0. @bit is a literal number.
 */
#define __if_bit(var, bit) __pinsight_tag("pinsight:if=" var ":" #bit)
/*
 * What a metric means, in a sentence without its labels or unit (both are
 * in the exposition already): `pinsight metrics` prints it as the
 * series' HELP. A field without one gets "<tool> <map>.<field>".
 */
#define __help(text) __pinsight_tag("pinsight:help=" text)
/*
 * On a struct hist field: map @map keeps exemplars of its buckets (struct
 * hist_exemplar values keyed by this map's key followed by a __u32
 * bucket index). `pinsight metrics --openmetrics` puts each on its bucket.
 */
#define __exemplars(map) __pinsight_tag("pinsight:exemplars=" map)
/* Program state kept in a map value: shown by `show`, never exported. */
#define __internal __pinsight_tag("pinsight:internal")
/* An IPv4 (__u32, network order) or IPv6 (__u8[16]) address field. */
#define __fmt_ip __pinsight_tag("pinsight:fmt=ip")
/*
 * A __u64 cgroup v2 id: readers show the systemd unit or container id its
 * cgroup path names (PIN-LAYOUT.md), so views work per container.
 */
#define __fmt_cgroup __pinsight_tag("pinsight:fmt=cgroup")
/*
 * Hex: an integer as 0x..., a byte array (__u8[]) as its bytes in order,
 * the W3C form of a trace or span id.
 */
#define __fmt_hex __pinsight_tag("pinsight:fmt=hex")
/*
 * A char[] of NUL-separated words ending in two NULs (an argv as the
 * process has it): readers join the words with spaces, so BPF need not.
 */
#define __fmt_argv __pinsight_tag("pinsight:fmt=argv")

struct hist {
	__u64 slots[HIST_SLOTS];
	__u64 sum; /* sum of the recorded values, for Prometheus _sum */
};

/*
 * A recent observation of one histogram bucket made by a thread that
 * published an OpenTelemetry context (OTEP 4947): which trace and span it
 * belonged to, the value, and when (CLOCK_MONOTONIC ns, bpf_ktime_get_ns:
 * the clock the call was timed by). Written whole by
 * bpf_map_update_elem(), so a reader never sees one observation's ids
 * with another's value.
 */
struct hist_exemplar {
	__u8 trace_id[16] __fmt_hex;
	__u8 span_id[8] __fmt_hex;
	__u64 value __internal; /* in the histogram's unit */
	__u64 ts_ns __internal;
};

/*
 * maps/lifetime, an array of one entry, in an instance loaded with --pid
 * or --duration (filter.bpf.h): whether its --pid target has exited, and
 * its --duration deadline, for `list` to report and `unload --finished`
 * to reap. Times are CLOCK_BOOTTIME ns.
 */
enum pinsight_lifetime_state {
	LIFETIME_RUNNING,
	LIFETIME_TARGET_EXITED,
};

struct pinsight_lifetime {
	enum pinsight_lifetime_state state;
	__s32 exit_code __internal; /* the target's, as wait() gives it */
	__u64 exited_ns __internal; /* when the target's last thread exited */
	__u64 deadline_ns __internal; /* --duration's end; 0: none */
};

#endif /* __PINSIGHT_H */
