// SPDX-License-Identifier: GPL-2.0
/*
 * pinsight-load doctor: what this kernel offers and which attach variant
 * each tool takes here. Everything is probed (trial loads, BTF lookups,
 * sysfs), nothing is assumed from the kernel version.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "doctor.h"
#include "instance.h"
#include "json_writer.h"
#include "log.h"
#include "probe.h"
#include "tools.h"

struct check {
	const char *name;
	bool ok;
	char detail[256];
};

static bool fs_is(const char *path, unsigned long magic)
{
	struct statfs st;

	return !statfs(path, &st) && (unsigned long)st.f_type == magic;
}

static void read_line(const char *path, char *buf, size_t sz)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (f) {
		if (fgets(buf, sz, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

static void check_btf_prog(struct check *c, enum bpf_prog_type type,
			   enum bpf_attach_type eat, const char *target,
			   int kind)
{
	int err = probe_btf_prog(type, eat, target, kind);

	c->ok = !err;
	snprintf(c->detail, sizeof(c->detail), "%s", !err ? "loads" :
		 err == -ENOENT ? "no BTF for the attach point" : strerror(-err));
}

static bool btf_has_enum_val(const struct btf *btf, const char *name)
{
	int i, j, n = btf ? (int)btf__type_cnt(btf) : 0;

	for (i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);
		const struct btf_enum *e;

		if (!btf_is_enum(t))
			continue;
		for (j = 0, e = btf_enum(t); j < btf_vlen(t); j++, e++)
			if (!strcmp(btf__name_by_offset(btf, e->name_off), name))
				return true;
	}
	return false;
}

static void add(struct check *c, int *n, const char *name, bool ok,
		const char *yes, const char *no)
{
	c[*n] = (struct check){ .name = name, .ok = ok };
	snprintf(c[*n].detail, sizeof(c[*n].detail), "%s", ok ? yes : no);
	(*n)++;
}

#define PROG_TYPE(t) (libbpf_probe_bpf_prog_type(t, NULL) == 1)
#define MAP_TYPE(t) (libbpf_probe_bpf_map_type(t, NULL) == 1)
#define HAS(path) (!access(path, F_OK))

static int run_checks(struct check *c)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	char lsm[200], lockdown[128];
	int n = 0;

	read_line("/sys/kernel/security/lockdown", lockdown, sizeof(lockdown));
	read_line("/sys/kernel/security/lsm", lsm, sizeof(lsm));
	add(c, &n, "root", geteuid() == 0, "yes", "pinsight-load needs root");
	add(c, &n, "btf", vmlinux, "/sys/kernel/btf/vmlinux",
	    "absent: CO-RE needs CONFIG_DEBUG_INFO_BTF");
	add(c, &n, "bpffs", fs_is("/sys/fs/bpf", BPF_FS_MAGIC), "mounted",
	    "not mounted (pinsight-load mounts it)");
	add(c, &n, "tracefs", fs_is("/sys/kernel/tracing", TRACEFS_MAGIC),
	    "mounted", "not mounted (pinsight-load mounts it)");
	add(c, &n, "lockdown", true,
	    lockdown[0] ? lockdown : "unknown (securityfs not mounted)", "");
	add(c, &n, "tracepoint", PROG_TYPE(BPF_PROG_TYPE_TRACEPOINT),
	    "prog type", "prog type refused");
	add(c, &n, "raw_tp", PROG_TYPE(BPF_PROG_TYPE_RAW_TRACEPOINT),
	    "prog type", "prog type refused");
	c[n] = (struct check){ .name = "tp_btf" };
	check_btf_prog(&c[n++], BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP,
		       "btf_trace_sched_switch", BTF_KIND_TYPEDEF);
	c[n] = (struct check){ .name = "fentry" };
	check_btf_prog(&c[n++], BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY,
		       "do_nanosleep", BTF_KIND_FUNC);
	add(c, &n, "kprobe", HAS("/sys/bus/event_source/devices/kprobe"),
	    "kprobe PMU", "no kprobe PMU (CONFIG_KPROBES off)");
	add(c, &n, "uprobe", HAS("/sys/bus/event_source/devices/uprobe"),
	    "uprobe PMU", "no uprobe PMU");
	add(c, &n, "perf_event", PROG_TYPE(BPF_PROG_TYPE_PERF_EVENT),
	    "prog type", "prog type refused");
	add(c, &n, "hw_pmu", HAS("/sys/bus/event_source/devices/cpu"),
	    "hardware counters", "no hardware PMU (VM?): software events only");
	add(c, &n, "xdp", PROG_TYPE(BPF_PROG_TYPE_XDP), "prog type",
	    "prog type refused");
	add(c, &n, "tcx", btf_has_enum_val(vmlinux, "BPF_TCX_INGRESS"),
	    "BPF_TCX_* attach types", "no tcx: netlink TC (clsact) instead");
	add(c, &n, "ringbuf", MAP_TYPE(BPF_MAP_TYPE_RINGBUF), "map type",
	    "map type refused");
	add(c, &n, "task_storage", MAP_TYPE(BPF_MAP_TYPE_TASK_STORAGE),
	    "map type", "map type refused");
	add(c, &n, "lsm_list", strstr(lsm, "bpf"), lsm,
	    lsm[0] ? lsm : "unknown (securityfs not mounted)");
	c[n] = (struct check){ .name = "bpf_lsm" };
	check_btf_prog(&c[n++], BPF_PROG_TYPE_LSM, BPF_LSM_MAC,
		       "bpf_lsm_bprm_check_security", BTF_KIND_FUNC);
	btf__free(vmlinux);
	return n;
}

int cmd_doctor(bool pretty)
{
	const struct tool *const *tp, *t;
	struct check c[32];
	json_writer_t *jw = NULL;
	struct utsname u;
	int i, n, broken = 0;

	uname(&u);
	n = run_checks(c);
	if (json_output) {
		jw = jsonw_new(stdout, pretty);
		jsonw_start_object(jw);
		jsonw_string_field(jw, "kernel", u.release);
		jsonw_string_field(jw, "machine", u.machine);
		jsonw_name(jw, "features");
		jsonw_start_object(jw);
	} else {
		printf("kernel %s %s\n\nfeatures:\n", u.release, u.machine);
	}
	for (i = 0; i < n; i++) {
		if (jw) {
			jsonw_name(jw, c[i].name);
			jsonw_start_object(jw);
			jsonw_bool_field(jw, "ok", c[i].ok);
			jsonw_string_field(jw, "detail", c[i].detail);
			jsonw_end_object(jw);
		} else {
			printf("  %-14s %-4s %s\n", c[i].name,
			       c[i].ok ? "yes" : "no", c[i].detail);
		}
	}
	if (jw) {
		jsonw_end_object(jw);
		jsonw_name(jw, "tools");
		jsonw_start_object(jw);
	} else {
		printf("\ntools (trial load, nothing attached):\n");
	}
	for (tp = tools; (t = *tp); tp++) {
		const char *variant = NULL;
		int err = tool_probe(t, &variant);

		broken += !!err;
		if (jw) {
			jsonw_name(jw, t->name);
			jsonw_start_object(jw);
			jsonw_bool_field(jw, "loads", !err);
			if (variant)
				jsonw_string_field(jw, "attach", variant);
			if (err)
				jsonw_string_field(jw, "error", strerror(-err));
			jsonw_end_object(jw);
		} else {
			printf("  %-14s %-4s %s%s%s\n", t->name,
			       err ? "no" : "yes",
			       err ? strerror(-err) : "", variant ? "attach " : "",
			       variant ?: "");
		}
	}
	if (jw) {
		jsonw_end_object(jw);
		jsonw_end_object(jw);
		jsonw_destroy(&jw);
	}
	return broken ? EXIT_UNSUPP : EXIT_OK;
}
