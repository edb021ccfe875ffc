/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stack capture without silent loss, shared by the tools that keep stacks
 * (profile, memalloc). API:
 *
 *   __u64 id = stack_capture(ctx, STACK_F_USER | STACK_F_KERNEL |
 *                                 STACK_F_BUILD_ID);
 *
 * returns a stack id (never 0) under which the frames are in the "stacks"
 * map, or 0 when they could not be stored; that is counted in `drops`.
 * With STACK_F_USER the process's executable is also noted once in
 * "stack_procs" (see stacks.h), when a stack of it is new, so readers can
 * resolve it after it exits.
 * Size "stacks" before load with bpf_map__set_max_entries() as needed.
 * It allocates on insert (BPF_F_NO_PREALLOC): a host needs as many slots
 * as it has distinct stacks, which a long run on a busy host makes large,
 * while a preallocated 2.6 KB value per slot would charge all of them at
 * load. Loaders clear the flag where the kernel refuses it (perf_event
 * programs before 6.1; see probe_perf_noprealloc()).
 *
 * Why not bpf_get_stackid(): a STACK_TRACE map keeps one stack per hash
 * bucket, so two stacks that collide either replace each other
 * (BPF_F_REUSE_STACKID) or the second is refused (bcc #3389, bpftrace
 * #2962). Here the id is a 64-bit hash of the frames; an id in use by
 * different frames (told apart by a second, independent 64-bit hash) is a
 * collision, resolved by probing the next ids, and only a full map (or
 * STACK_PROBES collisions in a row) loses a stack, and never silently.
 *
 * Cost (perf_event samples, 6.18 VM): a known stack costs the two walks,
 * the hash and a few map lookups (~1 us); a new build-id stack costs
 * ~10-15 us more, as the kernel's build-id walk takes mmap_lock and, from
 * IRQ context, releases it through irq_work (a self-IPI). New stacks keep
 * coming in steady state (a new IP in a frame-pointer-less loop, a new
 * kernel stack under the same user stack, each new process), so
 * "stack_vmas" remembers, per process, the file mappings whose build-ids
 * that walk already gave (build-id, load bias, the range of IPs seen in
 * the mapping): a new stack whose user IPs all fall in those ranges is
 * built without the helper. A range holds only IPs the kernel resolved to
 * the same mapping, so every IP between them is in it too, and any
 * mmap/munmap in the process (mm->mm_lock_seq moves) forgets them all;
 * kernels without mm_lock_seq (< 6.4) always ask the kernel.
 * STACK_F_USER_MODE says the event came from user mode, where the kernel
 * stack is empty: the walk for it is skipped.
 *
 * User stacks are walked from unwind tables (unwind.bpf.h), which also
 * gives their build-id frames; the kernel's frame-pointer walk (and what
 * is said above about build-ids) serves only with stack_fp_only, and for
 * a walk that went by frame pointers from a leaf whose image has no table
 * yet (stack_fill_fp_build_ids()).
 */
#ifndef __STACKS_BPF_H
#define __STACKS_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "stacks.h"
#include "maps.bpf.h"
#include "unwind.bpf.h"
#include "python.bpf.h"

#define STACK_PROBES	 4
/* file mappings remembered per process (see "stack_vmas") */
#define STACK_VMAS	 8 /* a power of 2 */
/* BPF_BUILD_ID_SIZE, a uapi #define that vmlinux.h lacks */
#define STACK_BUILD_ID_SIZE 20
/* stack_capture() only, never stored: the event came from user mode */
#define STACK_F_USER_MODE (1U << 31)

/* No Python frame walk (--no-python): set by the loader. */
const volatile bool stack_no_python = false;

/*
 * Evictions of a full LRU "stacks" map (profile --stacks-lru), which the
 * kernel does silently. Nothing deletes from "stacks", so every stack
 * that went in is either still there or was evicted: evictions = inserts
 * - entries, which readers compute (pm_stack_evictions()) and show as
 * stack_evictions, never written here. Their count is exact only when no
 * insert ran meanwhile: inserts are bracketed by stack_insert_begin and
 * stack_insert_end, so a reader sees begin == end, and the same figures
 * after counting. Only new stacks pay (three atomic adds); internal, so
 * `pinsight reset` keeps them consistent with the map.
 */
__u64 stack_evictions SEC(".bss")
	__help("Stacks a full --stacks-lru stacks map evicted to make room");
__u64 stack_insert_begin SEC(".bss") __internal;
__u64 stack_insert_end SEC(".bss") __internal;
__u64 stack_inserts SEC(".bss") __internal;

/* An atomic add whose result is used: BPF_FETCH, a full barrier in every
 * JIT, so the bracket is seen around the insert on arm64 too. */
static __always_inline void stack_count_full(__u64 *p)
{
	__u64 old = __sync_fetch_and_add(p, 1);

	barrier_var(old);
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct stack_trace);
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct stack_proc);
} stack_procs SEC(".maps");

/*
 * One file mapping of a process, as a build-id walk resolved it: every IP
 * in [lo, hi] has this build-id and file offset ip - bias. tag hashes the
 * rest, so a slot two CPUs wrote at once (no locks in perf_event
 * programs) never matches and is just a miss.
 */
struct stack_vma {
	__u64 lo __internal;
	__u64 hi __internal;
	__u64 bias __internal;
	__u64 tag __internal;
	unsigned char build_id[STACK_BUILD_ID_SIZE];
	__u32 pad __internal;
};

struct stack_vmas {
	__u64 proc_key __internal; /* stack_proc_key()'s: exec starts over */
	__u32 seq __internal; /* mm->mm_lock_seq the slots are valid for */
	__u32 nr __internal; /* slots used */
	struct stack_vma vma[STACK_VMAS];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	/* unused without STACK_F_BUILD_ID: such tools size it (profile) */
	__uint(max_entries, 1);
	__type(key, __u32); /* tgid */
	__type(value, struct stack_vmas);
} stack_vmas SEC(".maps");

/* The BPF stack is 512 bytes: build stacks and paths per CPU here. */
struct stack_scratch {
	struct stack_trace st;
	struct stack_proc proc;
	__u64 ips[STACK_DEPTH];
	struct stack_vmas vmas; /* a new "stack_vmas" entry */
	__u64 mm_seq __internal; /* stack_mm_seq() for the stack filled */
	__u32 user_filled __internal; /* st.user[] is written (the walker) */
	__u32 pad __internal;
	__u64 kips[STACK_DEPTH]; /* the kernel's frame-pointer walk */
	struct unw_walk uw __internal; /* the walker's registers: no metric */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack_scratch);
} stack_scratch SEC(".maps");

struct stack_hash {
	__u64 h1, h2;
};

/*
 * Two independent hashes in one pass: FNV-1a for the id, a multiply-
 * rotate hash for the check, so a probe compares 16 bytes, not frames.
 */
static __always_inline void stack_hash_word(struct stack_hash *h, __u64 w)
{
	h->h1 = (h->h1 ^ w) * 0x100000001b3ULL;
	h->h2 = (h->h2 + w) * 0x9e3779b97f4a7c15ULL;
	h->h2 = (h->h2 << 31) | (h->h2 >> 33);
}

/* Two words a turn: half the loop's own work, on every sample. */
static __always_inline void stack_hash_words(struct stack_hash *h,
					     const __u64 *w, __u32 n, __u32 max)
{
	__u32 i;

	_Static_assert(STACK_DEPTH % 2 == 0 && PY_DEPTH % 2 == 0,
		       "stack_hash_words: even bounds");
	for (i = 0; i + 1 < max; i += 2) {
		if (i >= n)
			break;
		stack_hash_word(h, w[i]);
		if (i + 1 >= n)
			break;
		stack_hash_word(h, w[i + 1]);
	}
}

/*
 * stack_hash_words(), a word a turn with the state in locals: clang keeps
 * both hashes, the constants and the pointer in registers, where two
 * words a turn have it shuffle them. Each turn costs the verifier more,
 * so only where it walks few paths (stack_fp_only, @fp of stack_store_body).
 */
static __always_inline void stack_hash_words1(struct stack_hash *h,
					      const __u64 *w, __u32 n,
					      __u32 max)
{
	__u64 h1 = h->h1, h2 = h->h2, x;
	__u32 i;

	for (i = 0; i < max; i++) {
		if (i >= n)
			break;
		x = w[i];
		h1 = (h1 ^ x) * 0x100000001b3ULL;
		h2 = (h2 + x) * 0x9e3779b97f4a7c15ULL;
		h2 = (h2 << 31) | (h2 >> 33);
	}
	h->h1 = h1;
	h->h2 = h2;
}

/*
 * @fp: stack_store_body()'s. With frame pointers only, no Python fields
 * to compare: an fp-only capture walks no Python frames. Field by field,
 * not two fields a word, which cost the verifier far more states: --idle
 * has no room for them.
 */
static __always_inline bool stack_eq(const struct stack_trace *a,
				     const struct stack_trace *b, bool fp)
{
	return a->check == b->check && a->user_nr == b->user_nr &&
	       a->kern_nr == b->kern_nr && a->flags == b->flags &&
	       a->user_end == b->user_end &&
	       (fp || (a->py_nr == b->py_nr && a->py_end == b->py_end));
}

/*
 * Path components of the current executable, file name first, crossing
 * mount points like d_path() does (which perf_event programs may not call).
 */
static __always_inline void stack_exe_path(struct stack_proc *p)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct dentry *d, *parent, *mnt_root;
	struct vfsmount *vfsmnt;
	struct mount *mnt, *mnt_parent;
	struct file *exe;
	__u32 i;

	p->depth = 0;
	exe = BPF_CORE_READ(task, mm, exe_file);
	if (!exe)
		return;
	d = BPF_CORE_READ(exe, f_path.dentry);
	vfsmnt = BPF_CORE_READ(exe, f_path.mnt);
	mnt = container_of(vfsmnt, struct mount, mnt);
	/* One counter only, so the verifier sees a plain bounded loop. */
	for (i = 0; i < STACK_PATH_COMPS; i++) {
		mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
		parent = BPF_CORE_READ(d, d_parent);
		if (d == mnt_root || d == parent) {
			mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
			if (mnt_parent == mnt || d != mnt_root)
				break; /* the root of everything */
			/* A mount crossing: an empty component. */
			p->comp[i][0] = '\0';
			d = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mnt_parent;
			vfsmnt = &mnt->mnt;
		} else {
			bpf_probe_read_kernel_str(
				p->comp[i], STACK_COMP_LEN,
				BPF_CORE_READ(d, d_name.name));
			d = parent;
		}
		p->depth = i + 1;
	}
}

/*
 * A key unique to the current process image: identity of the process
 * image, not just the process, as exec keeps the pid and start time but
 * replaces the image (a shell that execs a program must not keep the
 * shell's path for the program's stacks). Every exec bumps the leader's
 * self_exec_id (the exec'ing thread becomes the leader), so the leader's
 * start time and exec count tell images apart, by plain loads: this runs
 * on every sample, and the mm pointer it used before could be read as a
 * number only through a helper call.
 */
static __always_inline __u64 stack_proc_key(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct task_struct *leader = task->group_leader;

	return (leader->start_time ^
		(leader->self_exec_id * 0x9e3779b97f4a7c15ULL)) ^
	       ((__u64)task->tgid << 32);
}

/*
 * Note the executable of the process image @proc_key (stack_proc_key())
 * once. Called for new stacks only, not on every sample: a stack already
 * stored was stored with its executable noted (by this process, or by
 * another image of the same binaries when its frames are shared build-ids,
 * whose path resolves them just as well), so readers find every stored
 * stack's executable while its process's entry stays in this LRU map.
 */
static __noinline void stack_note_proc(struct stack_scratch *s, __u64 proc_key)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 start = proc_key ^ ((__u64)tgid << 32);
	struct stack_proc *old;

	old = bpf_map_lookup_elem(&stack_procs, &tgid);
	if (old && old->start_time == start)
		return;
	s->proc.start_time = start;
	stack_exe_path(&s->proc);
	/* An LRU map makes room by evicting: this cannot fail for space. */
	if (bpf_map_update_elem(&stack_procs, &tgid, &s->proc, BPF_ANY))
		count_drop();
}

/*
 * The current process's mm->mm_lock_seq, or ~0 where there is none (< 6.4,
 * or no CONFIG_PER_VMA_LOCK: "stack_vmas" stays unused). It moves with
 * every mmap_lock write section: an int bumped at its end (6.4-6.13), a
 * seqcount bumped at both ends (6.14+); its first 4 bytes either way.
 * Read before the build-id walk, which takes mmap_lock for reading and so
 * never runs inside a write section.
 */
static __always_inline __u64 stack_mm_seq(void)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	__u32 seq;

	if (!mm || !bpf_core_field_exists(mm->mm_lock_seq) ||
	    bpf_probe_read_kernel(
		    &seq, sizeof(seq),
		    (void *)mm + bpf_core_field_offset(mm->mm_lock_seq)))
		return ~0ULL;
	return seq;
}

/* A slot's tag: its fields, under one process image and mm_lock_seq. */
static __always_inline __u64 stack_vma_tag(__u64 lo, __u64 hi, __u64 bias,
					   const __u64 *bid, __u64 seq,
					   __u64 proc_key)
{
	/* only h2 is used: both go into it */
	struct stack_hash h = { 0, (seq << 32) ^ proc_key };
	__u64 w[6] = { lo, hi, bias, bid[0], bid[1], bid[2] };

	stack_hash_words(&h, w, 6, 6);
	return h.h2 ?: 1;
}

/*
 * The slot of @c whose range holds @ip or, with @ip 0, the slot for the
 * mapping at @bias of @f's build-id; -1 when none. Global functions are
 * verified once, not once per frame of the caller's loop.
 */
__noinline int stack_vma_slot(const struct stack_vmas *c, __u64 ip,
			      const struct bpf_stack_build_id *f, __u64 bias)
{
	const struct stack_vma *v;
	__u32 j, nr;

	if (!c || !f)
		return -1;
	nr = c->nr;
	for (j = 0; j < STACK_VMAS; j++) {
		if (j >= nr)
			break;
		v = &c->vma[j];
		if (ip && ip >= v->lo && ip <= v->hi)
			return j;
		if (!ip && v->bias == bias &&
		    !__builtin_memcmp(v->build_id, f->build_id,
				      STACK_BUILD_ID_SIZE))
			return j;
	}
	return -1;
}

/* Frame @f for @ip from the slots of @c: 1, or 0 when none holds it. */
__noinline int stack_vma_fill_frame(const struct stack_vmas *c,
				    struct bpf_stack_build_id *f, __u64 ip,
				    __u64 seq, __u64 proc_key)
{
	const struct stack_vma *v;
	__u64 lo, hi, bias, tag;
	__u64 bid[3];
	int j;

	j = ip ? stack_vma_slot(c, ip, f, 0) : -1;
	if (j < 0 || !c || !f)
		return 0;
	v = &c->vma[j & (STACK_VMAS - 1)]; /* the verifier's bound */
	lo = v->lo;
	hi = v->hi;
	bias = v->bias;
	tag = v->tag;
	bid[2] = 0;
	__builtin_memcpy(bid, v->build_id, STACK_BUILD_ID_SIZE);
	if (ip < lo || ip > hi ||
	    tag != stack_vma_tag(lo, hi, bias, bid, seq, proc_key))
		return 0;
	f->status = BPF_STACK_BUILD_ID_VALID;
	__builtin_memcpy(f->build_id, bid, STACK_BUILD_ID_SIZE);
	f->offset = ip - bias;
	return 1;
}

/* Remember that frame @f, at @ip, is in the mapping it names. */
__noinline int stack_vma_learn_frame(struct stack_vmas *c,
				     const struct bpf_stack_build_id *f,
				     __u64 ip, __u64 seq, __u64 proc_key)
{
	__u64 lo, hi, bias, bid[3];
	struct stack_vma *v;
	__u32 nr;
	int j;

	if (!c || !f || f->status != BPF_STACK_BUILD_ID_VALID)
		return 0;
	bias = ip - f->offset;
	bid[2] = 0;
	__builtin_memcpy(bid, f->build_id, STACK_BUILD_ID_SIZE);
	nr = c->nr;
	lo = hi = ip;
	j = stack_vma_slot(c, 0, f, bias);
	if (j >= 0) {
		v = &c->vma[j & (STACK_VMAS - 1)];
		lo = v->lo;
		hi = v->hi;
		if (v->tag == stack_vma_tag(lo, hi, bias, bid, seq, proc_key)) {
			lo = lo < ip ? lo : ip;
			hi = hi > ip ? hi : ip;
		} else {
			lo = hi = ip; /* torn: start it over */
		}
	} else {
		/* a new slot; past STACK_VMAS the oldest goes */
		j = nr;
		c->nr = nr + 1;
	}
	v = &c->vma[j & (STACK_VMAS - 1)];
	v->lo = lo;
	v->hi = hi;
	v->bias = bias;
	__builtin_memcpy(v->build_id, bid, STACK_BUILD_ID_SIZE);
	v->tag = stack_vma_tag(lo, hi, bias, bid, seq, proc_key);
	return 1;
}

/*
 * With @learn false: build-id frames for all of s->ips from the process's
 * remembered mappings, or false when one IP is in none of them. With
 * @learn true: remember the mappings a build-id walk just resolved them in.
 */
static __noinline bool stack_vmas_use(struct stack_scratch *s, __u64 proc_key,
				      bool learn)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct stack_trace *st = &s->st;
	struct stack_vmas *c;
	__u32 i;

	if (s->mm_seq == ~0ULL)
		return false;
	c = bpf_map_lookup_elem(&stack_vmas, &tgid);
	if (!c && learn) {
		s->vmas.proc_key = proc_key;
		s->vmas.seq = s->mm_seq;
		s->vmas.nr = 0;
		/* LRU: makes room by evicting; a failure only costs speed */
		bpf_map_update_elem(&stack_vmas, &tgid, &s->vmas, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&stack_vmas, &tgid);
	}
	if (!c)
		return false;
	if (c->proc_key != proc_key || c->seq != s->mm_seq) {
		if (!learn)
			return false;
		/* old slots stay, but their tags are for the old seq/key */
		c->nr = 0;
		c->proc_key = proc_key;
		c->seq = s->mm_seq;
	}
	for (i = 0; i < STACK_DEPTH; i++) {
		if (i >= st->user_nr)
			break;
		if (learn)
			stack_vma_learn_frame(c, &st->user[i], s->ips[i],
					      s->mm_seq, proc_key);
		else if (!stack_vma_fill_frame(c, &st->user[i], s->ips[i],
					       s->mm_seq, proc_key))
			return false;
	}
	return true;
}

/*
 * A walk by frame pointers from the leaf (its image has no table yet)
 * went where the kernel's own walk goes: take the kernel's build-id
 * frames for it, so the stack resolves after the process exits, when
 * the kernel's walk gives the same IPs (it may go on further: ours stops
 * where a return address leaves the executable mappings).
 */
static __noinline void stack_fill_fp_build_ids(void *ctx,
					       struct stack_scratch *s)
{
	struct stack_trace *st = &s->st;
	__u32 i, n = st->user_nr;
	long got;

	got = bpf_get_stack(ctx, s->kips, sizeof(s->kips), BPF_F_USER_STACK);
	if (got < (long)(n * sizeof(s->kips[0])))
		return;
	for (i = 0; i < STACK_DEPTH; i++) {
		if (i >= n)
			break;
		if (s->kips[i] != s->ips[i])
			return;
	}
	got = bpf_get_stack(ctx, st->user, sizeof(st->user),
			    BPF_F_USER_STACK | BPF_F_USER_BUILD_ID);
	if (got >= (long)(n * sizeof(st->user[0])))
		return;
	for (i = 0; i < STACK_DEPTH; i++) { /* changed under us: IPs */
		if (i >= n)
			break;
		st->user[i].status = BPF_STACK_BUILD_ID_IP;
		st->user[i].ip = s->ips[i];
	}
}

/* The user frames to store, in the one format readers know (stacks.h). */
static __always_inline void stack_fill_user(void *ctx, struct stack_scratch *s,
					    __u64 proc_key)
{
	struct stack_trace *st = &s->st;
	__u32 i;
	long n;

	if (!st->user_nr)
		return;
	if (s->user_filled) {
		if ((st->flags & STACK_F_BUILD_ID) && s->uw.fp && !s->uw.fp_at)
			stack_fill_fp_build_ids(ctx, s);
		return;
	}
	if (st->flags & STACK_F_BUILD_ID) {
		s->mm_seq = stack_mm_seq();
		if (stack_vmas_use(s, proc_key, false))
			return;
		/* the same walk as the IPs', now with build-ids: the same
		 * frames, unless the stack changed under us (then use IPs) */
		n = bpf_get_stack(ctx, st->user, sizeof(st->user),
				  BPF_F_USER_STACK | BPF_F_USER_BUILD_ID);
		if (n == st->user_nr * sizeof(st->user[0])) {
			stack_vmas_use(s, proc_key, true);
			return;
		}
	}
	for (i = 0; i < STACK_DEPTH; i++) {
		if (i >= st->user_nr)
			break;
		st->user[i].status = BPF_STACK_BUILD_ID_IP;
		st->user[i].ip = s->ips[i];
	}
}

/*
 * Find the stack in s->ips/s->st.kern stored, or store it: the id, or 0
 * (a drop). The id hashes the IPs, which are cheap to walk; build-ids,
 * which cost a VMA lookup and an ELF note read per frame, are fetched
 * only for a stack seen for the first time. IPs mean something only in
 * their process, so build-id stacks are kept per process (@proc_key,
 * stack_proc_key()'s, or 0 without user frames); IP stacks are not, as
 * readers resolve them per sample. A new stack also notes its process's
 * executable. @fp: stack_fp_only, as a constant of each inlined copy.
 */
static __always_inline __u64 stack_store_body(void *ctx,
						struct stack_scratch *s,
						__u64 proc_key, bool fp)
{
	struct stack_hash h = { 0xcbf29ce484222325ULL, 0x27d4eb2f165667c5ULL };
	struct stack_trace *st = &s->st, *old;
	bool filled = false, shared;
	__u64 id;
	long err;
	int i;

	/*
	 * User frames the walk already gave as build-id + file offset are
	 * the same in every process of the same binaries: hashed as they
	 * are, with no process in the id, such a stack is stored once for
	 * all of them (what is per process, pid and comm, is in the tools'
	 * keys beside the id). Others hash the IPs of their process.
	 */
	shared = !fp && s->user_filled && st->user_nr;
	for (i = 0; i < STACK_DEPTH && shared; i++) {
		if (i >= st->user_nr)
			break;
		if (st->user[i].status != BPF_STACK_BUILD_ID_VALID)
			shared = false;
	}
	if (shared)
		stack_hash_words(&h, (const __u64 *)st->user,
				 st->user_nr * (sizeof(st->user[0]) / 8),
				 STACK_DEPTH * (sizeof(st->user[0]) / 8));
	else if (st->flags & STACK_F_BUILD_ID)
		h.h1 ^= proc_key;
	if (fp)
		stack_hash_words1(&h, s->ips, st->user_nr, STACK_DEPTH);
	else if (!shared)
		stack_hash_words(&h, s->ips, st->user_nr, STACK_DEPTH);
	h.h1 ^= st->user_nr | (__u64)st->user_end << 32;
	stack_hash_words(&h, st->kern, st->kern_nr, STACK_DEPTH);
	if (st->py_nr) {
		h.h1 ^= st->py_nr | (__u64)st->py_end << 32;
		stack_hash_words(&h, st->py, st->py_nr, PY_DEPTH);
	}
	st->check = h.h2 ^ ((__u64)st->kern_nr << 32 | st->user_nr);
	for (i = 0; i < STACK_PROBES; i++) {
		id = (h.h1 + i) ?: 1;
		old = bpf_map_lookup_elem(&stacks, &id);
		if (!old) {
			if (!filled) {
				stack_fill_user(ctx, s, proc_key);
				if (st->user_nr)
					stack_note_proc(s, proc_key);
				filled = true;
			}
			stack_count_full(&stack_insert_begin);
			err = bpf_map_update_elem(&stacks, &id, st,
						  BPF_NOEXIST);
			if (!err)
				stack_count_full(&stack_inserts);
			stack_count_full(&stack_insert_end);
			if (!err)
				return id;
			if (err != -17 /* EEXIST: another CPU, just now */)
				break;
			old = bpf_map_lookup_elem(&stacks, &id);
			if (!old)
				break;
		}
		if (stack_eq(old, st, fp))
			return id;
	}
	count_drop();
	return 0;
}

/*
 * A call of its own where the unwinder's paths are verified, as they are
 * near the verifier's limit (--idle); inline with frame pointers only,
 * which saves do_sample the call on every sample.
 */
static __noinline __u64 stack_store(void *ctx, struct stack_scratch *s,
				    __u64 proc_key)
{
	return stack_store_body(ctx, s, proc_key, false);
}

/*
 * The user stack by unwind tables (unwind.bpf.h), from the task's saved
 * user registers: those the sample interrupted when it came from user
 * mode, those of the last entry into the kernel otherwise. Build-id
 * frames where the image's file is known (@bid), else plain IPs.
 */
static __always_inline void stack_unwind_user(struct stack_scratch *s,
					      bool bid, bool kmode)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct stack_trace *st = &s->st;
	struct unw_walk *w = &s->uw;
	struct pt_regs *regs;
	__u32 i, n = 0;
	__u16 insn = 0;
	int r = UNW_NEXT;

	if (!task->mm)
		return; /* a kernel thread */
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	w->ip = BPF_CORE_READ(regs, ip);
	w->sp = BPF_CORE_READ(regs, sp);
	w->bp = BPF_CORE_READ(regs, bp);
	w->end = UNW_END_OK;
	w->fp = w->signal = w->leaf_call = w->py_abi = 0;
	/*
	 * In the kernel on a syscall, the user IP follows the syscall
	 * instruction, which may end its function (a noreturn wrapper,
	 * __restore_rt): the row is the instruction's, as for a return
	 * address. An exact IP (an interrupt, a fault) is looked up as is.
	 */
	if (kmode &&
	    !bpf_probe_read_user(&insn, sizeof(insn), (void *)(w->ip - 2)) &&
	    insn == 0x050f /* syscall: 0f 05 */)
		w->leaf_call = 1;
	w->m.lo = w->m.hi = 0;
	for (i = 0; i < STACK_DEPTH; i++) {
		r = unw_step(w, i);
		if (r == UNW_STOP_BAD && i)
			break;
		s->ips[i] = w->fr_ip;
		if (bid && w->fr.status == BPF_STACK_BUILD_ID_VALID) {
			st->user[i] = w->fr;
		} else {
			st->user[i].status = BPF_STACK_BUILD_ID_IP;
			st->user[i].ip = s->ips[i];
		}
		n = i + 1;
		if (r != UNW_NEXT)
			break;
	}
	if (r == UNW_NEXT)
		w->end = UNW_END_DEPTH;
	st->user_nr = n;
	st->user_end = w->end;
	s->user_filled = 1;
	unw_count(w->end);
}

/* The kernel's stack, unless the event came from user mode (none). */
static __always_inline void stack_capture_kern(void *ctx,
					       struct stack_scratch *s,
					       __u32 flags)
{
	long n;

	if ((flags & (STACK_F_KERNEL | STACK_F_USER_MODE)) == STACK_F_KERNEL) {
		n = bpf_get_stack(ctx, s->st.kern, sizeof(s->st.kern), 0);
		s->st.kern_nr = n > 0 ? n / 8 : 0;
	}
}

/*
 * stack_capture() with frame pointers only (stack_fp_only): a path of its
 * own, with no .rodata check past the one that chose it (each is a load
 * the verifier leaves in) and stack_store's body inline (a BPF-to-BPF
 * call costs every sample its frame set-up). Nothing else writes the
 * Python frames and user_filled here: they stay as the zeroed map has
 * them (PY_END_NONE, no frames), so they need no reset.
 */
static __always_inline __u64 stack_capture_fp(void *ctx,
					      struct stack_scratch *s,
					      __u32 flags)
{
	__u64 proc_key = 0;
	long n;

	_Static_assert(PY_END_NONE == 0,
		       "stack_capture_fp: relies on zeroed scratch");
	s->st.flags = flags & ~STACK_F_USER_MODE;
	s->st.user_nr = s->st.kern_nr = 0;
	if (!(flags & STACK_F_USER))
		s->st.user_end = UNW_END_OK;
	stack_capture_kern(ctx, s, flags);
	if (flags & STACK_F_USER) {
		n = bpf_get_stack(ctx, s->ips, sizeof(s->ips),
				  BPF_F_USER_STACK);
		s->st.user_nr = n > 0 ? n / 8 : 0;
		s->st.user_end = UNW_END_FP;
	}
	if (s->st.user_nr)
		proc_key = stack_proc_key();
	return stack_store_body(ctx, s, proc_key, true);
}

/*
 * stack_capture() with the unwinder: a call of its own, so that clang
 * compiles it apart from the inlined fp path, whose changes would
 * otherwise move its register allocation, and with it the states the
 * verifier keeps on the unwinder's paths (--idle is near its 1M).
 */
static __noinline __u64 stack_capture_unw(void *ctx, struct stack_scratch *s,
					  __u32 flags)
{
	__u64 proc_key = 0;

	if (!s)
		return 0;
	s->st.flags = flags & ~STACK_F_USER_MODE;
	s->st.user_nr = s->st.kern_nr = 0;
	s->st.user_end = UNW_END_OK;
	s->st.py_nr = 0;
	s->st.py_end = PY_END_NONE;
	s->user_filled = 0;
	stack_capture_kern(ctx, s, flags);
	if (flags & STACK_F_USER)
		stack_unwind_user(s, flags & STACK_F_BUILD_ID,
				  !(flags & STACK_F_USER_MODE));
	if (s->st.user_nr) {
		proc_key = stack_proc_key();
		/* a CPython image was on the way: its frames too */
		if (s->uw.py_abi && !stack_no_python)
			py_walk_frames(&s->st, s->uw.py_abi,
				       s->uw.py_runtime, proc_key);
	}
	return stack_store(ctx, s, proc_key);
}

static __always_inline __u64 stack_capture(void *ctx, __u32 flags)
{
	struct stack_scratch *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (!s)
		return 0;
	if (stack_fp_only)
		return stack_capture_fp(ctx, s, flags);
	return stack_capture_unw(ctx, s, flags);
}

#endif /* __STACKS_BPF_H */
