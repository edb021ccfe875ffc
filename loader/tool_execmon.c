// SPDX-License-Identifier: GPL-2.0
/*
 * execmon: the tool table entry. Its hooks turn --allow into .rodata
 * hashes, check that BPF LSM programs load for --enforce, and seed the
 * targets and target_bins maps with the processes that match at load.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "execmon.h"
#include "execmon.skel.h"
#include "log.h"
#include "rodata.h"
#include "target.h"
#include "probe.h"
#include "tools.h"

#define LSM_LIST "/sys/kernel/security/lsm"

static const struct tool_opt execmon_opts[] = {
	{ "allow", "PATH,...", "allow_list",
	  "paths the target may exec (as passed to execve); none: no exec at all" },
	{ "cgroup", "PATH", NULL,
	  "target: the processes in this cgroup v2 directory or below it" },
	{ "enforce", NULL, NULL,
	  "deny execs not on the allowlist (needs BPF LSM: boot with lsm=...,bpf)" },
	{}
};

static __u64 path_hash(const char *s, size_t len)
{
	__u64 h = EXEC_FNV_OFFSET;
	size_t i;

	/* as the BPF side hashes: at most EXEC_PATH_LEN - 1 bytes */
	for (i = 0; i < len && i < EXEC_PATH_LEN - 1; i++)
		h = (h ^ (unsigned char)s[i]) * EXEC_FNV_PRIME;
	return h;
}

static int set_allow(struct load_ctx *ctx, const char *list)
{
	size_t hsz, nsz;
	__u64 *hashes = rodata_var(ctx->obj, "allow_hash", &hsz);
	__u32 *nr = rodata_var(ctx->obj, "nr_allow", &nsz);
	const char *p = list;
	__u32 n = 0;

	if (!hashes || !nr || hsz != EXEC_ALLOW_MAX * sizeof(*hashes))
		return -ENOENT;
	while (*p) {
		size_t len = strcspn(p, ",");

		if (len >= EXEC_PATH_LEN || n >= EXEC_ALLOW_MAX) {
			p_err("%s: --allow: %s", ctx->inst,
			      len >= EXEC_PATH_LEN
				      ? "a path is longer than 127 bytes"
				      : "more than 32 paths");
			return -E2BIG;
		}
		if (len)
			hashes[n++] = path_hash(p, len);
		p += len + (p[len] == ',');
	}
	*nr = n;
	return 0;
}

/* BPF LSM programs attach only where "bpf" is among the active LSMs. */
static bool bpf_lsm_active(char *lsm, size_t sz)
{
	FILE *f = fopen(LSM_LIST, "r");

	if (!f) {
		/* securityfs may be unmounted, as bpffs and tracefs may be */
		mount("securityfs", "/sys/kernel/security", "securityfs", 0,
		      NULL);
		f = fopen(LSM_LIST, "r");
	}
	lsm[0] = '\0';
	if (f) {
		if (!fgets(lsm, sz, f))
			lsm[0] = '\0';
		fclose(f);
	}
	lsm[strcspn(lsm, "\n")] = '\0';
	return !strcmp(lsm, "bpf") || strstr(lsm, ",bpf,") ||
	       !strncmp(lsm, "bpf,", 4) ||
	       (strlen(lsm) > 4 && !strcmp(lsm + strlen(lsm) - 4, ",bpf"));
}

/*
 * Without a filter every process is a target: targets is sized for a
 * whole host rather than for a filtered few (execmon.h); --max-entries,
 * applied after this, still sets it.
 */
static int size_targets(struct load_ctx *ctx)
{
	struct bpf_map *map = bpf_object__find_map_by_name(ctx->obj, "targets");
	const __u32 *tgid = rodata_var(ctx->obj, "targ_tgid", NULL);
	const char *comm = rodata_var(ctx->obj, "targ_comm", NULL);

	if (!map || !tgid || !comm)
		return -ENOENT;
	if (*tgid || comm[0] || ctx_opt(ctx, "cgroup"))
		return 0;
	return bpf_map__set_max_entries(map, EXEC_TARGETS_ALL);
}

static int execmon_prepare(struct load_ctx *ctx)
{
	const char *cg = ctx_opt(ctx, "cgroup"), *allow = ctx_opt(ctx, "allow");
	struct bpf_program *enforce;
	char lsm[256];
	int err;

	if (cg) {
		err = target_cgroup(ctx, cg);
		if (err)
			return err;
	}
	if (allow) {
		err = set_allow(ctx, allow);
		if (err)
			return err;
	}
	err = size_targets(ctx);
	if (err)
		return err;
	enforce = bpf_object__find_program_by_name(ctx->obj, "enforce_exec");
	if (!enforce)
		return -ENOENT;
	if (!ctx_opt(ctx, "enforce"))
		return bpf_program__set_autoload(enforce, false);
	if (!bpf_lsm_active(lsm, sizeof(lsm))) {
		p_err("%s: --enforce needs BPF LSM, which this kernel does not run (active: %s); boot with lsm=%s%sbpf, or load without --enforce",
		      ctx->inst, lsm[0] ? lsm : "unknown", lsm,
		      lsm[0] ? "," : "");
		return -EOPNOTSUPP;
	}
	/* Listed is not loadable: this host lists bpf and refuses it. */
	err = probe_btf_prog(BPF_PROG_TYPE_LSM, BPF_LSM_MAC,
			     "bpf_lsm_bprm_check_security", BTF_KIND_FUNC);
	if (err) {
		p_err("%s: --enforce: BPF LSM is active (%s) but this kernel refuses BPF LSM programs: %s; load without --enforce",
		      ctx->inst, lsm, strerror(-err));
		return -EOPNOTSUPP;
	}
	return 0;
}

/* uid/gid (real, effective) from /proc/<pid>/status */
static int proc_creds(pid_t pid, struct target_val *v)
{
	unsigned int r, e;
	char path[64], line[256];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Uid: %u %u", &r, &e) == 2) {
			v->uid = r;
			v->euid = e;
			found++;
		} else if (sscanf(line, "Gid: %u %u", &r, &e) == 2) {
			v->gid = r;
			v->egid = e;
			found++;
		}
	}
	fclose(f);
	return found == 2 ? 0 : -ENOENT;
}

struct seed_fds {
	int targets, bins;
};

/* Watch the binary a running target executes, as exec does in BPF. */
static int seed_binary(pid_t tgid, int fd)
{
	char path[64], exe[PATH_MAX];
	struct bin_val val = {};
	struct bin_key key;
	struct stat st;
	ssize_t n;
	char *name;

	snprintf(path, sizeof(path), "/proc/%d/exe", tgid);
	if (stat(path, &st))
		return 0; /* a kernel thread, or gone */
	/* the kernel's dev_t: MKDEV(major, minor) = major << 20 | minor */
	key.dev = ((__u64)major(st.st_dev) << 20) | minor(st.st_dev);
	key.ino = st.st_ino;
	/* no path where the file is out of our root: its comm is its name */
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/comm", tgid);
		f = fopen(path, "r");
		n = f ? fread(exe, 1, sizeof(exe) - 1, f) : 0;
		if (f)
			fclose(f);
	}
	exe[n > 0 ? n : 0] = '\0';
	name = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
	name[strcspn(name, " \n")] = '\0'; /* " (deleted)" */
	memcpy(val.name, name, strnlen(name, sizeof(val.name) - 1));
	return bpf_map_update_elem(fd, &key, &val, 0) ? -errno : 0;
}

static int seed_one(pid_t tgid, void *data)
{
	struct target_key key = { .tgid = tgid };
	struct seed_fds *fds = data;
	struct target_val v = {};

	if (tgid <= 0 || proc_creds(tgid, &v))
		return 0; /* gone meanwhile */
	/* BPF may have added it since the attach: keep what it saw */
	if (bpf_map_update_elem(fds->targets, &key, &v, BPF_NOEXIST) &&
	    errno != EEXIST)
		return -errno;
	return seed_binary(tgid, fds->bins);
}

static int execmon_attach(struct load_ctx *ctx)
{
	const char *cg = ctx_opt(ctx, "cgroup");
	struct bpf_map *targets, *bins;
	char tcomm[TASK_COMM_LEN];
	struct seed_fds fds;
	const char *comm;
	__u32 *tgid;
	size_t sz;
	int err;

	/* attach first, then seed: a fork in between is seen by BPF */
	err = ctx_attach_programs(ctx);
	if (err)
		return err;
	targets = bpf_object__find_map_by_name(ctx->obj, "targets");
	bins = bpf_object__find_map_by_name(ctx->obj, "target_bins");
	tgid = rodata_var(ctx->obj, "targ_tgid", &sz);
	comm = rodata_var(ctx->obj, "targ_comm", &sz);
	if (!targets || !bins || !tgid || !comm)
		return -ENOENT;
	fds.targets = bpf_map__fd(targets);
	fds.bins = bpf_map__fd(bins);
	snprintf(tcomm, sizeof(tcomm), "%s", comm);
	if (*tgid)
		err = target_walk_tree(*tgid, seed_one, &fds);
	else if (tcomm[0])
		err = target_walk_comm(tcomm, seed_one, &fds);
	else if (cg)
		err = target_walk_cgroup(cg, seed_one, &fds);
	else
		err = 0;
	if (err)
		p_err("%s: cannot add the running targets: %s", ctx->inst,
		      strerror(-err));
	return err;
}

const struct tool tool_execmon = {
	.name = "execmon",
	.summary =
		"exec/fork/exit of a target; alerts: unexpected exec, setuid, ptrace, binary write",
	.example = "--comm vector-studio --allow /bin/true",
	.elf_bytes = execmon_bpf__elf_bytes,
	.opts = execmon_opts,
	.prepare = execmon_prepare,
	.attach = execmon_attach,
};
