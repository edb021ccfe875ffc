/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Python frames in stacks (README.md, "Python frames"): the shared types of the
 * BPF walker (progs/python.bpf.h), the loader that gives it the interpreter's
 * layout (loader/python.c) and the readers that merge Python frames into
 * native stacks (pinned-maps/symbolize.c).
 *
 * CPython keeps each thread's frames as a linked list of
 * _PyInterpreterFrame, reached from _PyRuntime through the interpreter's
 * thread states. The walker finds _PyRuntime in a process from the
 * image that defines it (unwind_files' py_* fields: the loader sets them
 * when it compiles the table of a CPython image whose version it knows),
 * the sampled thread's state by its native thread id, and records, per
 * frame, a code object id whose names are kept in "py_codes".
 */
#ifndef __PYTHON_H
#define __PYTHON_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include "pinsight.h"

/* Python frames kept per stack; deeper ones keep the innermost. */
#define PY_DEPTH 32
/* thread states looked at to find the sampled thread's */
#define PY_THREADS  32
#define PY_NAME_LEN 80
#define PY_FILE_LEN 112

/*
 * stack_trace.py[]: a code id (a key of py_codes) with bit 0 set when the
 * frame is an entry frame, the first one a C call of the interpreter loop
 * (_PyEval_EvalFrameDefault) ran: the frames from the innermost up to and
 * including an entry frame belong to one native eval frame.
 */
#define PY_FRAME_ENTRY 1ULL

/* stack_trace.py_end: how the Python walk ended */
enum py_end {
	PY_END_NONE = 0, /* not a Python process we know */
	PY_END_OK = 1, /* reached the thread's outermost frame */
	PY_END_NO_THREAD = 2, /* no thread state for this thread (not Python) */
	PY_END_ERROR = 3, /* a read failed: frames so far are kept */
	PY_END_DEPTH = 4, /* PY_DEPTH frames kept */
	PY_END_NR,
};

/*
 * An interpreter layout: byte offsets of the fields the walker reads.
 * py_abis[abi] (an array map each instance's loader fills from its
 * checked table, loader/python_table.h); abi 0 is never used.
 * PY_OFF_NONE marks a field the version does not have.
 */
struct py_abi {
	__u32 version __internal; /* 0x030b for 3.11 */
	__u16 rt_interp_head __internal; /* _PyRuntime.interpreters.head */
	__u16 is_tstate_head __internal; /* PyInterpreterState.threads.head */
	__u16 ts_next __internal; /* PyThreadState.next */
	__u16 ts_native_tid __internal; /* PyThreadState.native_thread_id */
	/* PyThreadState.cframe (3.11, 3.12), current_frame (3.13+) */
	__u16 ts_cframe __internal;
	/* _PyCFrame.current_frame; PY_OFF_NONE: no _PyCFrame (3.13+) */
	__u16 cf_current __internal;
	/* _PyInterpreterFrame.f_code (3.11, 3.12), f_executable (3.13+) */
	__u16 fr_code __internal;
	__u16 fr_previous __internal; /* _PyInterpreterFrame.previous */
	/* _PyInterpreterFrame.is_entry (3.11 only, else PY_OFF_NONE) */
	__u16 fr_is_entry __internal;
	__u16 co_firstlineno __internal; /* PyCodeObject.co_firstlineno */
	__u16 co_filename __internal; /* PyCodeObject.co_filename */
	__u16 co_qualname __internal; /* PyCodeObject.co_qualname */
	__u16 str_length __internal; /* PyASCIIObject.length */
	__u16 str_state __internal; /* PyASCIIObject.state */
	__u16 str_ascii_data __internal; /* sizeof(PyASCIIObject) */
	/*
	 * _PyInterpreterFrame.owner (3.12+, else PY_OFF_NONE): a frame
	 * owned by the C stack is the shim each C call of the interpreter
	 * loop pushes; the frame inside it is that call's entry frame.
	 */
	__u16 fr_owner __internal;
};

#define PY_OFF_NONE 0xffff
/* _PyInterpreterFrame.owner of the C call's shim: FRAME_OWNED_BY_CSTACK */
#define PY_OWNED_BY_CSTACK 3
#define PY_ABIS		   8
/* PyASCIIObject.state: compact and ascii bits (the data follows it) */
#define PY_STATE_COMPACT_ASCII 0x60

/*
 * py_codes: a code object's names, by the id its frames carry (a hash of
 * the process image, the object's address and its first line: stable for
 * the life of the code object, and kept after the process exits).
 * Strings other than compact ASCII show as "?".
 */
struct py_code {
	__u32 firstlineno __internal;
	__u32 pad __internal;
	char qualname[PY_NAME_LEN] __internal;
	/* the file's path; a longer one keeps its end, after a leading '|' */
	char filename[PY_FILE_LEN] __internal;
};

#endif /* __PYTHON_H */
