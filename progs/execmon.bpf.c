// SPDX-License-Identifier: GPL-2.0
/*
 * execmon: follows exec, fork and exit of a target (--pid and its
 * descendants, --comm, --cgroup; none: every process), records every exec
 * by a target in exec_log, and raises alerts (alert.bpf.h) for
 *   - an exec whose path is not on the allowlist (--allow; empty: any exec),
 *   - a uid/gid change (set*id syscalls, or exec of a set-id binary),
 *   - a ptrace attach to a target,
 *   - an open for writing (or truncate) of a binary a target runs.
 * With --enforce, a BPF LSM program denies the execs that would alert.
 *
 * The allowlist reaches BPF as .rodata: the loader stores a 64-bit FNV-1a
 * hash of each path in allow_hash[] (and the list as given in allow_list,
 * for readers). Fixed-size hashes keep the check one short loop of compares
 * whatever the path lengths, and .rodata makes the list immutable after load
 * and visible as the instance's config, with no map to fill or keep in step.
 *
 * Who is a target is kept in the "targets" hash by tgid: seeded by the loader
 * with the processes that match at load, extended at fork (children of
 * targets) and at exec (a process that execs into the target comm, or runs
 * in the target cgroup), pruned at exit. "An exec by the target" means by a
 * process that was a target before it exec'd: the service starting is not an
 * alert, the service starting a shell is.
 *
 * Binary writes: the inodes of the executables targets run are kept in
 * target_bins. A running binary cannot be opened for writing (ETXTBSY), so
 * an attempt shows only as that error: sys_exit of open/openat/openat2/
 * creat/truncate returning ETXTBSY for a path whose last component is the
 * name of a watched binary alerts (value 0: refused). An open for writing
 * that succeeds (say, once the target has exited) alerts when the new fd's
 * inode is watched (value: the inode number). Replacing the file by rename
 * is not a write to it and is not seen. These syscall tracepoints fire for
 * every open in the system, so only the sys_exit ones are attached: the
 * syscall's arguments (path, flags) are still in the task's saved user
 * registers there (bpf_task_pt_regs), and a program on sys_enter plus
 * per-task storage to carry the path across would cost every open twice.
 * An open that is not for writing costs ~110 ns of BPF time here (an empty
 * program on that tracepoint: ~70); the enter/exit pair cost ~170.
 *
 * Paths (allowlist, exec_log) are as passed to execve, cut at 127 bytes;
 * readers see them, and the hash covers the same bytes.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "execmon.h"
#include "alert.bpf.h"
#include "maps.bpf.h"
#include "task_filter.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u64 allow_hash[EXEC_ALLOW_MAX] = {};
const volatile __u32 nr_allow = 0;
const volatile char allow_list[EXEC_ALLOW_LEN] = {};

/* Counters, exported as ebpf_execmon_<name>_total */
__u64 execs SEC(".bss") __help("Execs by target processes");
__u64 forks SEC(".bss") __help("New target processes (forks of targets)");
__u64 exits SEC(".bss") __help("Target processes that exited");

/* the loader makes it EXEC_TARGETS_ALL when there is no filter */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EXEC_TARGETS_FILTERED);
	__type(key, struct target_key);
	__type(value, struct target_val);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EXEC_LOG_LEN);
	__type(key, __u32);
	__type(value, struct exec_rec);
} exec_log SEC(".maps");

/* execs logged: exec_log's next slot, modulo its size */
__u64 exec_log_next SEC(".bss") __help("Execs written to exec_log");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 256);
	__type(key, struct bin_key);
	__type(value, struct bin_val);
} target_bins SEC(".maps");

/* syscalls:sys_enter_* as the tracepoints lay them out: 8-byte args */
struct sys_enter {
	struct trace_entry ent;
	int nr;
	long args[6];
};

#define PTRACE_ATTACH 16
#define PTRACE_SEIZE  0x4206

static __always_inline bool any_filter(void)
{
	return targ_tgid || targ_comm[0] || targ_cgid;
}

static __always_inline struct target_val *target_of(__u32 tgid)
{
	struct target_key key = { .tgid = tgid };

	return bpf_map_lookup_elem(&targets, &key);
}

/*
 * Every task pointer here is a trusted BTF one (tp_btf arguments,
 * bpf_get_current_task_btf()), so fields are plain loads: a BPF_CORE_READ
 * is a helper call per pointer hop, and exec used to make ~30 of them.
 */
static __always_inline void creds_of(struct task_struct *p,
				     struct target_val *v)
{
	const struct cred *c = p->cred;

	v->uid = c->uid.val;
	v->euid = c->euid.val;
	v->gid = c->gid.val;
	v->egid = c->egid.val;
}

/*
 * Make @p a target, with its credentials as they are now: 0, -EEXIST when
 * it is one already (another CPU, or the loader's seed, was first), or a
 * full map (then counted).
 */
static __always_inline long target_add(struct task_struct *p)
{
	struct target_key key = { .tgid = p->tgid };
	struct target_val v = {};
	long err;

	creds_of(p, &v);
	err = bpf_map_update_elem(&targets, &key, &v, BPF_NOEXIST);
	if (err && err != -17 /* EEXIST */)
		count_drop();
	return err;
}

static __always_inline __u64 path_hash(const char *s, int len)
{
	__u64 h = EXEC_FNV_OFFSET;
	int i;

	for (i = 0; i < EXEC_PATH_LEN && i < len; i++) {
		if (!s[i])
			break;
		h = (h ^ (__u8)s[i]) * EXEC_FNV_PRIME;
	}
	return h;
}

static __always_inline bool allowed(const char *path, int len)
{
	__u64 h;
	int i;

	if (!nr_allow)
		return false; /* no list: no hash to compute */
	h = path_hash(path, len);
	for (i = 0; i < EXEC_ALLOW_MAX && i < nr_allow; i++)
		if (allow_hash[i] == h)
			return true;
	return false;
}

/* Alert when uid/euid or gid/egid differ from what @v last saw; update @v. */
static __always_inline void check_creds(struct task_struct *p,
					struct target_val *v, const char *via)
{
	struct target_val now;
	struct alert *a;

	creds_of(p, &now);
	if (now.uid != v->uid || now.euid != v->euid) {
		a = alert_reserve(ALERT_SETUID);
		if (a) {
			a->value = now.euid;
			a->threshold = v->euid;
			BPF_SNPRINTF(a->what, sizeof(a->what),
				     "uid %u/%u -> %u/%u (%s)", v->uid, v->euid,
				     now.uid, now.euid, via);
			alert_submit(a);
		}
	}
	if (now.gid != v->gid || now.egid != v->egid) {
		a = alert_reserve(ALERT_SETUID);
		if (a) {
			a->value = now.egid;
			a->threshold = v->egid;
			BPF_SNPRINTF(a->what, sizeof(a->what),
				     "gid %u/%u -> %u/%u (%s)", v->gid, v->egid,
				     now.gid, now.egid, via);
			alert_submit(a);
		}
	}
	v->uid = now.uid;
	v->euid = now.euid;
	v->gid = now.gid;
	v->egid = now.egid;
}

/*
 * argv as it is in the new image's memory: NUL-separated, ended by two
 * NULs. Readers turn the NULs into spaces (fmt=argv): a byte loop here
 * cost more than the rest of the exec's record.
 */
static __always_inline void read_args(struct task_struct *p, struct exec_rec *r)
{
	struct mm_struct *mm = p->mm;
	unsigned long start = mm->arg_start;
	unsigned long len = mm->arg_end - start;

	if (len > EXEC_ARGS_LEN - 2)
		len = EXEC_ARGS_LEN - 2;
	if (bpf_probe_read_user(r->args, len & (EXEC_ARGS_LEN - 1),
				(void *)start))
		len = 0;
	r->args[len & (EXEC_ARGS_LEN - 1)] = '\0';
	r->args[(len + 1) & (EXEC_ARGS_LEN - 1)] = '\0';
}

static __always_inline void inode_key(struct inode *ino, struct bin_key *k)
{
	k->dev = BPF_CORE_READ(ino, i_sb, s_dev);
	k->ino = BPF_CORE_READ(ino, i_ino);
}

/*
 * @f: bprm->file, a trusted pointer (inode_key() is for untrusted ones).
 * Targets exec the same few binaries again and again: a lookup (which
 * also marks the entry recently used) is far cheaper than an LRU update.
 * An inode keeps the name it was first seen under.
 */
static __always_inline void watch_binary(struct file *f)
{
	struct inode *ino = f->f_inode;
	struct bin_key key = { .dev = ino->i_sb->s_dev, .ino = ino->i_ino };
	struct bin_val val = {};

	if (bpf_map_lookup_elem(&target_bins, &key))
		return;
	bpf_probe_read_kernel_str(val.name, sizeof(val.name),
				  f->f_path.dentry->d_name.name);
	if (bpf_map_update_elem(&target_bins, &key, &val, 0))
		count_drop();
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_process_exec, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	__u32 tgid = p->tgid; /* p is current */
	const struct cred *cred;
	struct target_val *v;
	struct exec_rec *r;
	bool was_target;
	struct alert *a;
	__u32 slot;
	int len;

	v = target_of(tgid);
	/* without a filter every process is a target, known or not */
	was_target = v || !any_filter();
	if (!v) {
		/* not a target yet; one from now on? (its start: no alert) */
		if (any_filter() && (targ_tgid || !task_wanted_task(p, true)))
			return 0;
		target_add(p);
		v = target_of(tgid);
		if (!v)
			return 0;
	} else {
		__sync_fetch_and_add(&execs, 1);
		v->execs++;
	}
	/* the next slot of the ring; --max-entries may have resized it */
	slot = __sync_fetch_and_add(&exec_log_next, 1) %
	       ((struct bpf_map *)&exec_log)->max_entries;
	r = bpf_map_lookup_elem(&exec_log, &slot);
	if (!r) {
		count_drop();
		return 0;
	}
	r->ts_ns = bpf_ktime_get_boot_ns();
	r->pid = tgid;
	r->cpu = bpf_get_smp_processor_id();
	r->alerted = 0;
	len = bpf_probe_read_kernel_str(r->filename, sizeof(r->filename),
					bprm->filename);
	r->ppid = p->real_parent->tgid;
	cred = p->cred;
	r->uid = cred->uid.val;
	r->gid = cred->gid.val;
	r->euid = cred->euid.val;
	BPF_CORE_READ_INTO(&r->comm, p, comm);
	read_args(p, r);
	watch_binary(bprm->file);
	if (was_target && !allowed(r->filename, len)) {
		r->alerted = 1;
		a = alert_reserve(ALERT_EXEC);
		if (a) {
			__builtin_memcpy(a->what, r->filename, sizeof(a->what));
			a->what[sizeof(a->what) - 1] = '\0';
			alert_submit(a);
		}
	}
	if (was_target)
		check_creds(p, v, "exec");
	else
		creds_of(p, v);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_process_fork, struct task_struct *parent,
	     struct task_struct *child)
{
	long err;

	/* threads share their process's entry */
	if (child->pid != child->tgid)
		return 0;
	if (any_filter() && !target_of(parent->tgid) &&
	    !(targ_cgid && task_wanted_task(child, true)))
		return 0;
	/* a new process: insert, no lookup before or after */
	err = target_add(child);
	if (!err || err == -17 /* EEXIST: the loader's seed won */)
		__sync_fetch_and_add(&forks, 1);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *p)
{
	struct target_key key = { .tgid = p->tgid };

	/* the last thread: signal->live dropped to 0 before this tracepoint */
	if (p->signal->live.counter)
		return 0;
	/* a lookup is inlined, a delete takes the bucket lock: non-targets
	 * (most exits) pay only the lookup */
	if (!target_of(key.tgid))
		return 0;
	if (!bpf_map_delete_elem(&targets, &key))
		__sync_fetch_and_add(&exits, 1);
	return 0;
}

#define O_WRONLY 01
#define O_RDWR	 02
#define O_TRUNC	 01000
#define ETXTBSY	 26

struct name_match {
	char path[EXEC_PATH_LEN];
	int len; /* without the NUL */
	bool found;
};

/* bpf_for_each_map_elem callback: does m->path end in "/<val->name>"? */
static long match_name(struct bpf_map *map, struct bin_key *key,
		       struct bin_val *val, struct name_match *m)
{
	int nl, i, off;

	for (nl = 0; nl < EXEC_NAME_LEN && val->name[nl]; nl++)
		;
	if (!nl || nl > m->len)
		return 0;
	off = m->len - nl;
	if (off > 0 && m->path[(off - 1) & (EXEC_PATH_LEN - 1)] != '/')
		return 0;
	for (i = 0; i < EXEC_NAME_LEN && i < nl; i++)
		if (m->path[(off + i) & (EXEC_PATH_LEN - 1)] != val->name[i])
			return 0;
	m->found = true;
	return 1; /* stop */
}

static __always_inline void binary_write_alert(const char *path, __u64 ino)
{
	struct alert *a = alert_reserve(ALERT_BINARY_WRITE);

	if (!a)
		return;
	a->value = ino;
	bpf_probe_read_user_str(a->what, sizeof(a->what), path);
	alert_submit(a);
}

/* Refused: compare the last path component with the watched names. */
static __always_inline void check_refused(const char *path)
{
	struct name_match m = {};

	m.len = bpf_probe_read_user_str(m.path, sizeof(m.path), path) - 1;
	if (m.len <= 0)
		return;
	bpf_for_each_map_elem(&target_bins, match_name, &m, 0);
	if (m.found)
		binary_write_alert(path, 0);
}

/* Opened for writing: is the new fd's inode a watched binary? */
static __always_inline void check_opened(const char *path, long fd)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct file **fds, *f = NULL;
	struct bin_key key;

	fds = BPF_CORE_READ(t, files, fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd & 0xfffff]) || !f)
		return;
	inode_key(BPF_CORE_READ(f, f_inode), &key);
	if (bpf_map_lookup_elem(&target_bins, &key))
		binary_write_alert(path, key.ino);
}

/*
 * Leaving an open of @path with @flags: refused as busy, or a new fd open
 * for writing, may be about a watched binary.
 */
static __always_inline int open_exit(long ret, const char *path, __u64 flags)
{
	if (ret == -ETXTBSY)
		check_refused(path);
	else if (ret >= 0 && (flags & (O_WRONLY | O_RDWR | O_TRUNC)))
		check_opened(path, ret);
	return 0;
}

/* openat2's flags are in the struct open_how its third argument points to */
static __always_inline __u64 how_flags(unsigned long uhow)
{
	struct open_how how = {};

	bpf_probe_read_user(&how, sizeof(how), (void *)uhow);
	return how.flags;
}

/*
 * The arguments are read from the saved user registers only when the
 * result can matter: most failed opens (ENOENT) return at the first test.
 * truncate returns no fd, hence no flags: only ETXTBSY counts there.
 */
#define OPEN_EXIT_TP(name, path, flags)                                    \
	SEC("tracepoint/syscalls/sys_exit_" #name)                         \
	int sys_exit_##name(struct trace_event_raw_sys_exit *ctx)          \
	{                                                                  \
		struct pt_regs *regs;                                      \
                                                                           \
		if (ctx->ret < 0 && ctx->ret != -ETXTBSY)                  \
			return 0;                                          \
		regs = (struct pt_regs *)bpf_task_pt_regs(                 \
			bpf_get_current_task_btf());                       \
		return open_exit(ctx->ret, (const char *)(path), (flags)); \
	}

OPEN_EXIT_TP(openat, PT_REGS_PARM2_SYSCALL(regs), PT_REGS_PARM3_SYSCALL(regs))
OPEN_EXIT_TP(open, PT_REGS_PARM1_SYSCALL(regs), PT_REGS_PARM2_SYSCALL(regs))
OPEN_EXIT_TP(openat2, PT_REGS_PARM2_SYSCALL(regs),
	     how_flags(PT_REGS_PARM3_SYSCALL(regs)))
OPEN_EXIT_TP(creat, PT_REGS_PARM1_SYSCALL(regs), O_WRONLY | O_TRUNC)
OPEN_EXIT_TP(truncate, PT_REGS_PARM1_SYSCALL(regs), 0)

static __always_inline int on_setid(long ret, const char *via)
{
	struct target_val *v;

	if (ret)
		return 0;
	v = target_of(bpf_get_current_pid_tgid() >> 32);
	if (v)
		check_creds(bpf_get_current_task_btf(), v, via);
	return 0;
}

#define SETID_TP(name)                                            \
	SEC("tracepoint/syscalls/sys_exit_" #name)                \
	int sys_exit_##name(struct trace_event_raw_sys_exit *ctx) \
	{                                                         \
		return on_setid(ctx->ret, #name);                 \
	}

SETID_TP(setuid)
SETID_TP(setgid)
SETID_TP(setreuid)
SETID_TP(setregid)
SETID_TP(setresuid)
SETID_TP(setresgid)

SEC("tracepoint/syscalls/sys_enter_ptrace")
int sys_enter_ptrace(struct sys_enter *ctx)
{
	long req = ctx->args[0], pid = ctx->args[1];
	struct alert *a;

	/* attempts count, successful or not: an attempt is the news */
	if (req != PTRACE_ATTACH && req != PTRACE_SEIZE)
		return 0;
	if (!target_of(pid))
		return 0;
	a = alert_reserve(ALERT_PTRACE);
	if (!a)
		return 0;
	a->value = pid;
	__builtin_memcpy(
		a->what,
		req == PTRACE_ATTACH ? "PTRACE_ATTACH" : "PTRACE_SEIZE", 14);
	alert_submit(a);
	return 0;
}

/*
 * --enforce: loaded only then (the loader checks that BPF LSM is active).
 * Denies what sched_process_exec would alert on, before it happens.
 */
SEC("lsm/bprm_check_security")
int BPF_PROG(enforce_exec, struct linux_binprm *bprm, int ret)
{
	char path[EXEC_PATH_LEN];
	struct alert *a;
	int len;

	if (ret)
		return ret;
	if (!target_of(bpf_get_current_pid_tgid() >> 32))
		return 0;
	len = bpf_probe_read_kernel_str(path, sizeof(path),
					BPF_CORE_READ(bprm, filename));
	if (allowed(path, len))
		return 0;
	a = alert_reserve(ALERT_EXEC);
	if (a) {
		a->value = 1; /* denied */
		__builtin_memcpy(a->what, path, sizeof(a->what));
		a->what[sizeof(a->what) - 1] = '\0';
		alert_submit(a);
	}
	return -1; /* -EPERM */
}
