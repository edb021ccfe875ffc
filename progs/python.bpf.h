/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Python frame walker (python.h), for stacks.bpf.h: run after the
 * native walk met a CPython image whose layout the loader gave (the walk
 * notes it in unw_walk.py_abi). From _PyRuntime it follows
 * interpreters.head -> threads.head -> next ... to the thread state whose
 * native_thread_id is the sampled thread, then cframe->current_frame
 * (3.11, 3.12) or current_frame (3.13) -> previous ... and keeps, per
 * frame, a code id (py_codes has the names, read once per code object)
 * and whether it is an entry frame (3.11's is_entry; from 3.12 the frame
 * inside a shim frame owned by the C stack, which is not kept).
 *
 * Everything is read from user memory with bpf_probe_read_user(), so a
 * layout that does not match (a torn list while the interpreter changes
 * it, or a process the table is wrong for) gives a short or empty Python
 * stack, never a fault. Both functions are global, so the verifier checks
 * each once; the maps they write are looked up inside them, since before
 * 6.3 a helper takes no global function's memory argument as key or value.
 */
#ifndef __PYTHON_BPF_H
#define __PYTHON_BPF_H

#include <bpf/bpf_helpers.h>
#include "python.h"
#include "stacks.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PY_ABIS);
	__type(key, __u32);
	__type(value, struct py_abi);
} py_abis SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct py_code);
} py_codes SEC(".maps");

/* A code object's names are built here (the BPF stack is small). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct py_code);
} py_scratch SEC(".maps");

static __always_inline int py_read(void *dst, __u32 sz, __u64 addr)
{
	return bpf_probe_read_user(dst, sz, (void *)addr);
}

/*
 * The str object at @obj into @buf: compact ASCII only (identifiers and
 * paths are, nearly always), else "?". A string longer than @buf keeps
 * its end after a '|': of a path, the end names the file.
 */
#define py_read_str(a, obj, buf)                                            \
	({                                                                  \
		__u64 __len = 0, __data;                                    \
		__u32 __state = 0;                                          \
		(buf)[0] = '?';                                             \
		(buf)[1] = '\0';                                            \
		if ((obj) &&                                                \
		    !py_read(&__state, sizeof(__state),                     \
			     (obj) + (a)->str_state) &&                     \
		    (__state & PY_STATE_COMPACT_ASCII) ==                   \
			    PY_STATE_COMPACT_ASCII &&                       \
		    !py_read(&__len, sizeof(__len),                         \
			     (obj) + (a)->str_length)) {                    \
			__data = (obj) + (a)->str_ascii_data;               \
			if (__len < sizeof(buf)) {                          \
				bpf_probe_read_user_str((buf), sizeof(buf), \
							(void *)__data);    \
			} else {                                            \
				(buf)[0] = '|';                             \
				bpf_probe_read_user_str(                    \
					(buf) + 1, sizeof(buf) - 1,         \
					(void *)(__data + __len -           \
						 (sizeof(buf) - 2)));       \
			}                                                   \
		}                                                           \
	})

/* Note the names of code object @code under @id: 0, or -1 on a failure. */
__noinline int py_note_code(__u32 abi, __u64 code, __u64 id, __u32 line)
{
	__u32 zero = 0, key = abi;
	struct py_code *c;
	struct py_abi *a;
	__u64 name = 0, file = 0;

	a = bpf_map_lookup_elem(&py_abis, &key);
	c = bpf_map_lookup_elem(&py_scratch, &zero);
	if (!a || !c)
		return -1;
	if (py_read(&name, sizeof(name), code + a->co_qualname) ||
	    py_read(&file, sizeof(file), code + a->co_filename))
		return -1;
	c->firstlineno = line;
	c->pad = 0;
	py_read_str(a, name, c->qualname);
	py_read_str(a, file, c->filename);
	/* a full map loses the names only: the frame shows as its id */
	bpf_map_update_elem(&py_codes, &id, c, BPF_NOEXIST);
	return 0;
}

/*
 * The Python frames of the current thread, whose interpreter's
 * _PyRuntime is at @runtime, into st->py[]: the number kept.
 */
__noinline int py_walk_frames(struct stack_trace *st, __u32 abi, __u64 runtime,
			      __u64 proc_key)
{
	__u64 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 interp = 0, ts = 0, v = 0, frame = 0, code = 0, id;
	__u32 key = abi, i, n = 0;
	struct py_abi *a;
	__s32 line = 0;
	__u8 entry = 0;

	if (!st)
		return 0;
	a = bpf_map_lookup_elem(&py_abis, &key);
	if (!a || !a->version)
		return 0;
	st->py_end = PY_END_NO_THREAD;
	if (py_read(&interp, sizeof(interp), runtime + a->rt_interp_head) ||
	    !interp || py_read(&ts, sizeof(ts), interp + a->is_tstate_head))
		return 0;
	for (i = 0; i < PY_THREADS; i++) {
		if (!ts || py_read(&v, sizeof(v), ts + a->ts_native_tid))
			return 0;
		if (v == tid)
			break;
		if (py_read(&ts, sizeof(ts), ts + a->ts_next))
			return 0;
	}
	if (i == PY_THREADS)
		return 0;
	st->py_end = PY_END_ERROR;
	if (a->cf_current == PY_OFF_NONE) {
		/* 3.13+: the thread state points at its frame */
		if (py_read(&frame, sizeof(frame), ts + a->ts_cframe))
			return 0;
	} else if (py_read(&v, sizeof(v), ts + a->ts_cframe) || !v ||
		   py_read(&frame, sizeof(frame), v + a->cf_current)) {
		return 0;
	}
	st->py_end = PY_END_OK;
	st->py_nr = 0;
	for (i = 0; i < PY_DEPTH; i++) {
		if (!frame)
			break;
		entry = 0;
		if (py_read(&v, sizeof(v), frame + a->fr_previous) ||
		    (a->fr_owner != PY_OFF_NONE &&
		     py_read(&entry, sizeof(entry), frame + a->fr_owner))) {
			st->py_end = PY_END_ERROR;
			break;
		}
		if (a->fr_owner != PY_OFF_NONE) {
			/* 3.12+: a C call's shim, no code of its own; the
			 * frame kept before it began that call */
			if (entry == PY_OWNED_BY_CSTACK) {
				n = st->py_nr;
				if (n > 0 && n <= PY_DEPTH)
					st->py[n - 1] |= PY_FRAME_ENTRY;
				frame = v;
				continue;
			}
			entry = 0;
		} else if (py_read(&entry, sizeof(entry),
				   frame + a->fr_is_entry)) {
			st->py_end = PY_END_ERROR;
			break;
		}
		if (py_read(&code, sizeof(code), frame + a->fr_code) ||
		    py_read(&line, sizeof(line), code + a->co_firstlineno)) {
			st->py_end = PY_END_ERROR;
			break;
		}
		/* the process image (exec makes another), the object, its
		 * first line: an address reused by another function of the
		 * same first line in the same process is the one collision */
		id = ((code ^ proc_key) * 0x9e3779b97f4a7c15ULL) ^
		     ((__u64)(__u32)line << 32);
		id &= ~PY_FRAME_ENTRY;
		if (!bpf_map_lookup_elem(&py_codes, &id))
			py_note_code(abi, code, id, line);
		/* the count lives in the map value, not a register: the
		 * verifier then keeps no state per count (the frames kept
		 * differ from the frames met by the shim frames skipped) */
		n = st->py_nr;
		if (n >= PY_DEPTH)
			break;
		st->py[n] = id | (entry ? PY_FRAME_ENTRY : 0);
		st->py_nr = n + 1;
		frame = v;
	}
	if (i == PY_DEPTH && frame)
		st->py_end = PY_END_DEPTH;
	return st->py_nr;
}

#endif /* __PYTHON_BPF_H */
