// SPDX-License-Identifier: GPL-2.0
/*
 * pinsight-load doctor: what this kernel offers and which attach variant
 * each tool takes here. Everything is probed (trial loads, BTF lookups,
 * sysfs), nothing is assumed from the kernel version.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
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
#include "toolargs.h"
#include "tools.h"

/*
 * One line of the report. A check that is not ok says what to try in
 * fix, in the style of bpftool feature probe's hints.
 */
struct check {
	const char *name;
	bool ok;
	char detail[256];
	char fix[256];
};

/* Capability bits of /proc/self/status CapEff (linux/capability.h). */
#define CAP_NET_ADMIN_BIT 12
#define CAP_SYS_ADMIN_BIT 21
#define CAP_PERFMON_BIT	  38
#define CAP_BPF_BIT	  39

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

/* An integer sysctl, or -1 when absent (the feature is not built). */
static int read_int(const char *path)
{
	char buf[32];

	read_line(path, buf, sizeof(buf));
	return buf[0] ? atoi(buf) : -1;
}

static __u64 cap_eff(void)
{
	char line[256];
	__u64 caps = 0;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", (unsigned long long *)&caps) ==
		    1)
			break;
	if (f)
		fclose(f);
	return caps;
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
			if (!strcmp(btf__name_by_offset(btf, e->name_off),
				    name))
				return true;
	}
	return false;
}

static struct check *add(struct check *c, int *n, const char *name, bool ok,
			 const char *yes, const char *no, const char *fix)
{
	struct check *e = &c[(*n)++];

	*e = (struct check){ .name = name, .ok = ok };
	snprintf(e->detail, sizeof(e->detail), "%s", ok ? yes : no);
	if (!ok && fix)
		snprintf(e->fix, sizeof(e->fix), "%s", fix);
	return e;
}

/* The active mode of /sys/kernel/security/lockdown: "none [integrity] x". */
static void lockdown_mode(const char *line, char *buf, size_t sz)
{
	const char *b = strchr(line, '['), *e = b ? strchr(b, ']') : NULL;

	snprintf(buf, sz, "%.*s", b && e ? (int)(e - b - 1) : 0,
		 b && e ? b + 1 : "");
}

static void check_btf_prog(struct check *c, enum bpf_prog_type type,
			   enum bpf_attach_type eat, const char *target,
			   int kind, const char *lockdown, const char *fallback)
{
	int err = probe_btf_prog(type, eat, target, kind);

	c->ok = !err;
	snprintf(c->detail, sizeof(c->detail), "%s",
		 !err		  ? "loads"
		 : err == -ENOENT ? "no BTF for the attach point"
				  : strerror(-err));
	if (!err)
		return;
	if (err == -EPERM && strcmp(lockdown, "none") && lockdown[0])
		snprintf(
			c->fix, sizeof(c->fix),
			"EPERM under lockdown=%s, which can refuse BPF trampolines: %s; boot with lockdown=none to use them",
			lockdown, fallback);
	else if (err == -EPERM &&
		 (~cap_eff() & (1ULL << CAP_BPF_BIT | 1ULL << CAP_PERFMON_BIT)))
		snprintf(
			c->fix, sizeof(c->fix),
			"refused without privilege: run as root (CAP_BPF + CAP_PERFMON); else %s",
			fallback);
	else if (err == -EPERM && !lockdown[0])
		/* privileged: the refusal is policy, and lockdown is unread */
		snprintf(
			c->fix, sizeof(c->fix),
			"EPERM with CAP_BPF and CAP_PERFMON: lockdown or an LSM refuses BPF trampolines (mount -t securityfs securityfs /sys/kernel/security to see the lockdown mode): %s",
			fallback);
	else if (err == -EPERM)
		snprintf(
			c->fix, sizeof(c->fix),
			"EPERM with CAP_BPF and CAP_PERFMON and lockdown=none: an LSM or the kernel's policy refuses BPF trampolines: %s",
			fallback);
	else if (err == -ENOENT)
		snprintf(c->fix, sizeof(c->fix),
			 "kernel without BTF for %s: %s", target, fallback);
	else
		snprintf(
			c->fix, sizeof(c->fix),
			"no BPF trampoline on this kernel/arch (needs CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS): %s",
			fallback);
}

#define PROG_TYPE(t) (libbpf_probe_bpf_prog_type(t, NULL) == 1)
#define MAP_TYPE(t)  (libbpf_probe_bpf_map_type(t, NULL) == 1)
#define HAS(path)    (!access(path, F_OK))

/* Only what this process may do: CapEff, not whether it is uid 0. */
static void check_caps(struct check *c, int *n)
{
	static const struct {
		const char *name, *cap;
		int bit;
		const char *why;
	} caps[] = {
		{ "cap_bpf", "CAP_BPF", CAP_BPF_BIT,
		  "load programs, create maps, pin" },
		{ "cap_perfmon", "CAP_PERFMON", CAP_PERFMON_BIT,
		  "tracing, uprobe and perf_event tools" },
		{ "cap_net_admin", "CAP_NET_ADMIN", CAP_NET_ADMIN_BIT,
		  "pktstat's XDP and TC" },
		{ "cap_sys_admin", "CAP_SYS_ADMIN", CAP_SYS_ADMIN_BIT,
		  "mounting bpffs/tracefs, BPF LSM (execmon --enforce)" },
	};
	__u64 eff = cap_eff();
	char fix[256];
	size_t i;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		snprintf(
			fix, sizeof(fix),
			"run as root, or grant %s (systemd: AmbientCapabilities=%s)",
			caps[i].cap, caps[i].cap);
		add(c, n, caps[i].name, eff & (1ULL << caps[i].bit),
		    caps[i].why, caps[i].why, fix);
	}
}

/* JIT sysctls: absent files mean the kernel has no JIT at all. */
static void check_jit(struct check *c, int *n)
{
	int en = read_int("/proc/sys/net/core/bpf_jit_enable");
	int harden = read_int("/proc/sys/net/core/bpf_jit_harden");
	int ksyms = read_int("/proc/sys/net/core/bpf_jit_kallsyms");
	char d[256];

	snprintf(d, sizeof(d), "bpf_jit_enable=%d%s", en,
		 en == 2 ? " (debug: dumps JIT images to the kernel log)" : "");
	add(c, n, "jit", en > 0, d,
	    en < 0 ? "no bpf_jit_enable: kernel built without CONFIG_BPF_JIT"
		   : d,
	    en < 0 ? "programs run in the interpreter (slower): use a kernel with CONFIG_BPF_JIT=y"
		   : "sysctl -w net.core.bpf_jit_enable=1 (the interpreter is several times slower)");
	snprintf(d, sizeof(d), "bpf_jit_harden=%d%s", harden,
		 harden == 2 ? " (constant blinding for all: a few % slower)"
		 : harden == 1
			 ? " (constant blinding for unprivileged programs)"
			 : "");
	add(c, n, "jit_harden", harden >= 0, d, "no bpf_jit_harden (no JIT)",
	    "nothing to do without a JIT");
	snprintf(d, sizeof(d), "bpf_jit_kallsyms=%d%s", ksyms,
		 ksyms == 1 ? " (BPF programs have symbols in stacks)" : "");
	add(c, n, "jit_kallsyms", ksyms == 1, d,
	    ksyms < 0 ? "no bpf_jit_kallsyms (no JIT)" : d,
	    "sysctl -w net.core.bpf_jit_kallsyms=1 (profile shows bpf_prog_<tag>_<name> frames instead of raw addresses)");
}

/*
 * Native XDP depends on each NIC's driver, so it is reported per
 * interface from the driver's name, not probed: attaching to a real
 * interface would disturb its traffic. Generic (skb) XDP works on any.
 */
static void check_xdp(struct check *c, int *n)
{
	static const char *const native[] = {
		"virtio_net", "veth",	 "tun", "ixgbe",  "ixgbevf",
		"i40e",	      "ice",	 "igb", "igc",	  "mlx4_core",
		"mlx5_core",  "bnxt_en", "ena", "nfp",	  "qede",
		"hv_netvsc",  "gve",	 "sfc", "stmmac", "thunder-nicvf",
		"mvneta",     "mvpp2",	 "fec", "cpsw",	  "idpf",
	};
	char path[PATH_MAX], drv[PATH_MAX], list[256] = "";
	const char *name;
	size_t o = 0, i;
	bool any = false, supported;
	struct dirent *de;
	ssize_t len;
	DIR *d;

	add(c, n, "xdp_generic", PROG_TYPE(BPF_PROG_TYPE_XDP),
	    "skb mode: any interface, after the stack allocates the skb",
	    "XDP prog type refused",
	    "the kernel refuses XDP programs (before 4.8, or no CAP_BPF): pktstat cannot count");
	d = opendir("/sys/class/net");
	while (d && (de = readdir(d)) && o + 1 < sizeof(list)) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/device/driver",
			 de->d_name);
		len = readlink(path, drv, sizeof(drv) - 1);
		if (len <= 0)
			continue; /* lo, bridges, ifb: virtual, generic only */
		drv[len] = '\0';
		name = strrchr(drv, '/') ? strrchr(drv, '/') + 1 : drv;
		supported = false;
		for (i = 0; i < sizeof(native) / sizeof(native[0]); i++)
			supported |= !strcmp(name, native[i]);
		any |= supported;
		o += snprintf(list + o, sizeof(list) - o, "%s%s (%s%s)",
			      o ? ", " : "", de->d_name, name,
			      supported ? "" : ": native unknown");
	}
	if (d)
		closedir(d);
	add(c, n, "xdp_native", any, list,
	    list[0] ? list : "no interface with a driver",
	    "native XDP depends on the NIC driver (per interface): pktstat --xdp-mode skb works everywhere");
}

static int run_checks(struct check *c)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	char lsm[200], line[128], lockdown[32], d[256], fix[256];
	int n = 0, v;

	read_line("/sys/kernel/security/lockdown", line, sizeof(line));
	lockdown_mode(line, lockdown, sizeof(lockdown));
	read_line("/sys/kernel/security/lsm", lsm, sizeof(lsm));
	add(c, &n, "root", geteuid() == 0, "yes", "pinsight-load needs root",
	    "run as root (sudo pinsight-load ...); readers need only a --group");
	check_caps(c, &n);
	v = read_int("/proc/sys/kernel/unprivileged_bpf_disabled");
	snprintf(
		d, sizeof(d), "%d (%s)", v,
		v == 0 ? "any user may load programs"
		: v > 0 ? "only CAP_BPF loads; from 6.5 --group readers still read pins"
			: "absent");
	add(c, &n, "unprivileged_bpf_disabled", true, d, d, NULL);
	v = read_int("/proc/sys/kernel/perf_event_paranoid");
	snprintf(d, sizeof(d), "%d%s", v,
		 cap_eff() & (1ULL << CAP_PERFMON_BIT)
			 ? " (CAP_PERFMON: does not apply)"
			 : "");
	add(c, &n, "perf_event_paranoid",
	    v <= 1 || (cap_eff() & (1ULL << CAP_PERFMON_BIT)), d, d,
	    "perf events need CAP_PERFMON, or sysctl -w kernel.perf_event_paranoid=1");
	check_jit(c, &n);
	add(c, &n, "btf", vmlinux, "/sys/kernel/btf/vmlinux",
	    "absent: CO-RE needs CONFIG_DEBUG_INFO_BTF",
	    "use a kernel built with CONFIG_DEBUG_INFO_BTF=y (most distributions since 2020)");
	add(c, &n, "bpffs", fs_is("/sys/fs/bpf", BPF_FS_MAGIC), "mounted",
	    "not mounted (pinsight-load mounts it)",
	    "mount -t bpf bpf /sys/fs/bpf (or let pinsight-load, with CAP_SYS_ADMIN)");
	add(c, &n, "tracefs", fs_is("/sys/kernel/tracing", TRACEFS_MAGIC),
	    "mounted", "not mounted (pinsight-load mounts it)",
	    "mount -t tracefs tracefs /sys/kernel/tracing");
	snprintf(d, sizeof(d), "%s",
		 line[0] ? line : "unknown (securityfs not mounted)");
	snprintf(
		fix, sizeof(fix),
		"lockdown=%s: the kernel may refuse fentry/fexit/LSM (tools fall back to tracepoints)%s",
		lockdown,
		!strcmp(lockdown, "confidentiality")
			? " and reading kernel memory (bpf_probe_read_kernel)"
			: "");
	add(c, &n, "lockdown", !lockdown[0] || !strcmp(lockdown, "none"), d, d,
	    fix);
	add(c, &n, "tracepoint", PROG_TYPE(BPF_PROG_TYPE_TRACEPOINT),
	    "prog type", "prog type refused",
	    "kernel built without CONFIG_BPF_EVENTS: no tool can attach");
	add(c, &n, "raw_tp", PROG_TYPE(BPF_PROG_TYPE_RAW_TRACEPOINT),
	    "prog type", "prog type refused",
	    "kernel before 4.17 or without CONFIG_BPF_EVENTS: use tracepoint variants (--attach tp)");
	c[n] = (struct check){ .name = "tp_btf" };
	check_btf_prog(
		&c[n++], BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP,
		"btf_trace_sched_switch", BTF_KIND_TYPEDEF, lockdown,
		"tools fall back to raw_tp/tracepoints (--attach raw or tp)");
	c[n] = (struct check){ .name = "fentry" };
	check_btf_prog(&c[n++], BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY,
		       "do_nanosleep", BTF_KIND_FUNC, lockdown,
		       "tools fall back to tracepoints");
	add(c, &n, "kprobe", HAS("/sys/bus/event_source/devices/kprobe"),
	    "kprobe PMU", "no kprobe PMU (CONFIG_KPROBES off)",
	    "kernel built without CONFIG_KPROBES: use tracepoint variants");
	add(c, &n, "uprobe", HAS("/sys/bus/event_source/devices/uprobe"),
	    "uprobe PMU", "no uprobe PMU",
	    "kernel built without CONFIG_UPROBE_EVENTS: memalloc and funclat cannot attach");
	add(c, &n, "perf_event", PROG_TYPE(BPF_PROG_TYPE_PERF_EVENT),
	    "prog type", "prog type refused",
	    "kernel built without CONFIG_BPF_EVENTS/CONFIG_PERF_EVENTS: profile and hwcount cannot attach");
	add(c, &n, "hw_pmu", HAS("/sys/bus/event_source/devices/cpu"),
	    "hardware counters", "no hardware PMU (VM?): software events only",
	    "enable PMU passthrough in the hypervisor, or use software events: hwcount --events cpu-clock,page-faults,context-switches");
	check_xdp(c, &n);
	add(c, &n, "tcx", btf_has_enum_val(vmlinux, "BPF_TCX_INGRESS"),
	    "BPF_TCX_* attach types", "no tcx: netlink TC (clsact) instead",
	    "kernel before 6.6: pktstat attaches with netlink TC (clsact) by itself");
	add(c, &n, "ringbuf", MAP_TYPE(BPF_MAP_TYPE_RINGBUF), "map type",
	    "map type refused",
	    "kernel before 5.8: alerts (execmon, memalloc) are unavailable");
	add(c, &n, "task_storage", MAP_TYPE(BPF_MAP_TYPE_TASK_STORAGE),
	    "map type", "map type refused",
	    "kernel before 5.11: tools keep per-task state in hash maps");
	snprintf(fix, sizeof(fix), "boot with lsm=%s%sbpf", lsm,
		 lsm[0] ? "," : "");
	add(c, &n, "lsm_list", strstr(lsm, "bpf"), lsm,
	    lsm[0] ? lsm : "unknown (securityfs not mounted)",
	    lsm[0] ? fix
		   : "mount -t securityfs securityfs /sys/kernel/security");
	c[n] = (struct check){ .name = "bpf_lsm" };
	check_btf_prog(&c[n++], BPF_PROG_TYPE_LSM, BPF_LSM_MAC,
		       "bpf_lsm_bprm_check_security", BTF_KIND_FUNC, lockdown,
		       "execmon runs without --enforce (alerts only)");
	if (!c[n - 1].ok && !strstr(lsm, "bpf"))
		snprintf(c[n - 1].fix, sizeof(c[n - 1].fix), "%s",
			 lsm[0] ? fix : "boot with lsm=...,bpf");
	btf__free(vmlinux);
	return n;
}

/* What to try when tool @t does not load here, by what refused it. */
static void tool_fix(const struct tool *t, int err, char *buf, size_t sz)
{
	switch (err) {
	case -EPERM:
	case -EACCES:
		snprintf(
			buf, sz,
			"run as root; under lockdown see the lockdown feature");
		break;
	case -EOPNOTSUPP:
		snprintf(
			buf, sz,
			"its default options need a feature this kernel lacks (see features): `pinsight-load %s --help` lists the alternatives",
			t->name);
		break;
	case -ENOENT:
		snprintf(
			buf, sz,
			"an attach point or its BTF is missing (see features)");
		break;
	default:
		snprintf(buf, sz,
			 "`pinsight-load -v %s` shows the verifier log",
			 t->name);
	}
}

/*
 * @t's example options (the ones --help shows, which load on any host) as
 * a load request, read by the loader's own option parse; its strings
 * point into @buf.
 */
static int example_req(const struct tool *t, struct load_req *req, char *buf,
		       size_t sz, char *inst, size_t inst_sz)
{
	char *argv[32], *w, *save = NULL;
	int argc = 0;

	argv[argc++] = (char *)t->name;
	snprintf(buf, sz, "%s", t->example ?: "");
	for (w = strtok_r(buf, " ", &save); w && argc < 31;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	return tool_args(t, NULL, argc, argv, req, inst, inst_sz) == -1
		       ? 0
		       : -EINVAL;
}

int cmd_doctor(bool pretty)
{
	const struct tool *const *tp, *t;
	struct check c[48]; /* run_checks() adds 29 */
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
			if (c[i].fix[0])
				jsonw_string_field(jw, "fix", c[i].fix);
			jsonw_end_object(jw);
		} else {
			printf("  %-26s %-4s %s\n", c[i].name,
			       c[i].ok ? "yes" : "no", c[i].detail);
			if (c[i].fix[0])
				printf("  %-26s      fix: %s\n", "", c[i].fix);
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
		char fix[256], words[512], inst[80];
		const char *variant = NULL;
		struct load_req req = {};
		int err = example_req(t, &req, words, sizeof(words), inst,
				      sizeof(inst));

		if (!err)
			err = tool_probe(t, &req, &variant);

		broken += !!err;
		if (err)
			tool_fix(t, err, fix, sizeof(fix));
		if (jw) {
			jsonw_name(jw, t->name);
			jsonw_start_object(jw);
			jsonw_bool_field(jw, "loads", !err);
			if (variant)
				jsonw_string_field(jw, "attach", variant);
			if (err) {
				jsonw_string_field(jw, "error", strerror(-err));
				jsonw_string_field(jw, "fix", fix);
			}
			jsonw_end_object(jw);
		} else {
			printf("  %-26s %-4s %s%s%s\n", t->name,
			       err ? "no" : "yes", err ? strerror(-err) : "",
			       variant ? "attach " : "", variant ?: "");
			if (err)
				printf("  %-26s      fix: %s\n", "", fix);
		}
	}
	if (jw) {
		jsonw_end_object(jw);
		jsonw_end_object(jw);
		jsonw_destroy(&jw);
	}
	return broken ? EXIT_UNSUPP : EXIT_OK;
}
