/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CPython layouts the Python frame walker knows (progs/python.h),
 * by version. Each entry is checked against the interpreter's own
 * headers (Debian's libpython3.11-dev: internal/pycore_frame.h,
 * pycore_runtime.h, pycore_interp.h, cpython/pystate.h, cpython/code.h,
 * cpython/unicodeobject.h) by offsetof() in a program built with
 * Py_BUILD_CORE: selftests/workloads/pyvdb/abi_check.c, which the
 * selftest python/abi_table compiles and runs where the headers are.
 * Release builds only: a debug build (python3.11d) has other layouts.
 * Included by loader/python.c and abi_check.c only.
 */
#ifndef __LOADER_PYTHON_TABLE_H
#define __LOADER_PYTHON_TABLE_H

#include "../progs/python.h"

struct py_table_entry {
	unsigned int major, minor;
	struct py_abi abi;
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
	  } },
};
#endif /* __LOADER_PYTHON_TABLE_H */
