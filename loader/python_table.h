/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CPython layouts the Python frame walker knows (progs/python.h),
 * by version. Each entry is checked against the interpreter's own
 * headers (Debian's libpython3.11-dev, and pyenv's 3.12 and 3.13 builds
 * where installed: internal/pycore_frame.h,
 * pycore_runtime.h, pycore_interp.h, cpython/pystate.h, cpython/code.h,
 * cpython/unicodeobject.h) by offsetof() in a program built with
 * Py_BUILD_CORE: selftests/workloads/pyvdb/abi_check.c, which the
 * selftest python/abi_table compiles and runs for each version whose
 * headers are there.
 * Release builds only: a debug build (python3.11d) has other layouts.
 * Included by loader/python.c and abi_check.c only.
 */
#ifndef __LOADER_PYTHON_TABLE_H
#define __LOADER_PYTHON_TABLE_H

#include <stdbool.h>
#include "../progs/python.h"

struct py_table_entry {
	unsigned int major, minor;
	struct py_abi abi;
	/* the image's _Py_DebugOffsets must give the same (3.13+) */
	bool own_offsets;
};

static const struct py_table_entry py_table[] = {
	{ 3,
	  11,
	  {
		  .version = 0x030b,
		  .rt_interp_head = 40,
		  .is_tstate_head = 16,
		  .ts_next = 8,
		  .ts_native_tid = 160,
		  .ts_cframe = 56,
		  .cf_current = 8,
		  .fr_code = 32,
		  .fr_previous = 48,
		  .fr_is_entry = 68,
		  .co_firstlineno = 72,
		  .co_filename = 112,
		  .co_qualname = 128,
		  .str_length = 16,
		  .str_state = 32,
		  .str_ascii_data = 48,
		  .fr_owner = PY_OFF_NONE,
	  },
	  false },
	{ 3,
	  12,
	  {
		  .version = 0x030c,
		  .rt_interp_head = 40,
		  .is_tstate_head = 72,
		  .ts_next = 8,
		  .ts_native_tid = 144,
		  .ts_cframe = 56,
		  .cf_current = 0,
		  .fr_code = 0,
		  .fr_previous = 8,
		  .fr_is_entry = PY_OFF_NONE,
		  .co_firstlineno = 68,
		  .co_filename = 112,
		  .co_qualname = 128,
		  .str_length = 16,
		  .str_state = 32,
		  .str_ascii_data = 40,
		  .fr_owner = 70,
	  },
	  false },
	/*
	 * 3.13 publishes its offsets (_Py_DebugOffsets, at the start of
	 * _PyRuntime): the loader checks an image's against this entry
	 * (python.c) and refuses one that differs, naming the field.
	 */
	{ 3,
	  13,
	  {
		  .version = 0x030d,
		  .rt_interp_head = 632,
		  .is_tstate_head = 7344,
		  .ts_next = 8,
		  .ts_native_tid = 160,
		  .ts_cframe = 72,
		  .cf_current = PY_OFF_NONE,
		  .fr_code = 0,
		  .fr_previous = 8,
		  .fr_is_entry = PY_OFF_NONE,
		  .co_firstlineno = 68,
		  .co_filename = 112,
		  .co_qualname = 128,
		  .str_length = 16,
		  .str_state = 32,
		  .str_ascii_data = 40,
		  .fr_owner = 70,
	  },
	  true },
};

/*
 * 3.13's _Py_DebugOffsets (Include/internal/pycore_runtime.h), the first
 * member of _PyRuntime: its cookie, the PY_VERSION_HEX it was built as,
 * and, for each py_abi field, the byte position of the uint64_t that
 * gives its offset. Checked by abi_check.c against 3.13's headers.
 */
#define PY_DEBUG_COOKIE	       "xdebugpy"
#define PY_DEBUG_VERSION       8
#define PY_DEBUG_FREE_THREADED 16
#define PY_DEBUG_SIZE	       584 /* sizeof, through gc */
#define PY_DEBUG_FIELDS(X)                                     \
	X(rt_interp_head, runtime_state.interpreters_head, 40) \
	X(is_tstate_head, interpreter_state.threads_head, 72)  \
	X(ts_next, thread_state.next, 168)                     \
	X(ts_cframe, thread_state.current_frame, 184)          \
	X(ts_native_tid, thread_state.native_thread_id, 200)   \
	X(fr_previous, interpreter_frame.previous, 232)        \
	X(fr_code, interpreter_frame.executable, 240)          \
	X(fr_owner, interpreter_frame.owner, 264)              \
	X(co_filename, code_object.filename, 280)              \
	X(co_qualname, code_object.qualname, 296)              \
	X(co_firstlineno, code_object.firstlineno, 312)        \
	X(str_state, unicode_object.state, 544)                \
	X(str_length, unicode_object.length, 552)              \
	X(str_ascii_data, unicode_object.asciiobject_size, 560)

#endif /* __LOADER_PYTHON_TABLE_H */
