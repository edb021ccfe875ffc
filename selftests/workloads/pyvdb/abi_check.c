// SPDX-License-Identifier: GPL-2.0
/*
 * The loader's CPython 3.11 layout (loader/python_table.h) against the
 * interpreter's own headers: built by the selftest python/abi_table with
 * -I/usr/include/python3.11 (libpython3.11-dev) and run; prints each
 * field as "name table headers" and exits 1 when one differs, 2 when the
 * table has no entry for the headers' version.
 */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <internal/pycore_frame.h>
#include <internal/pycore_interp.h>
#include <internal/pycore_runtime.h>
#include <stddef.h>
#include <stdio.h>
#include "python_table.h"

static int bad;

static void check(const char *name, unsigned int table, size_t headers)
{
	printf("%-32s %4u %4zu%s\n", name, table, headers,
	       table == headers ? "" : "  MISMATCH");
	bad |= table != headers;
}

#define CHECK(field, type, member) \
	check(#type "." #member, a->field, offsetof(type, member))

int main(void)
{
	const struct py_abi *a = NULL;
	PyASCIIObject o = { 0 };
	unsigned int state;
	size_t i;

	for (i = 0; i < sizeof(py_table) / sizeof(py_table[0]); i++)
		if (py_table[i].major == PY_MAJOR_VERSION &&
		    py_table[i].minor == PY_MINOR_VERSION)
			a = &py_table[i].abi;
	if (!a) {
		printf("no table entry for %d.%d\n", PY_MAJOR_VERSION,
		       PY_MINOR_VERSION);
		return 2;
	}
	check("version", a->version, PY_MAJOR_VERSION << 8 | PY_MINOR_VERSION);
	CHECK(rt_interp_head, _PyRuntimeState, interpreters.head);
	CHECK(is_tstate_head, PyInterpreterState, threads.head);
	CHECK(ts_next, PyThreadState, next);
	CHECK(ts_native_tid, PyThreadState, native_thread_id);
	CHECK(ts_cframe, PyThreadState, cframe);
	CHECK(cf_current, _PyCFrame, current_frame);
	CHECK(fr_code, _PyInterpreterFrame, f_code);
	CHECK(fr_previous, _PyInterpreterFrame, previous);
	CHECK(fr_is_entry, _PyInterpreterFrame, is_entry);
	CHECK(co_firstlineno, PyCodeObject, co_firstlineno);
	CHECK(co_filename, PyCodeObject, co_filename);
	CHECK(co_qualname, PyCodeObject, co_qualname);
	CHECK(str_length, PyASCIIObject, length);
	CHECK(str_state, PyASCIIObject, state);
	check("sizeof(PyASCIIObject)", a->str_ascii_data,
	      sizeof(PyASCIIObject));
	/* the state bits BPF tests: compact and ascii, in the first word */
	o.state.compact = 1;
	o.state.ascii = 1;
	memcpy(&state, &o.state, sizeof(state));
	check("state compact|ascii", PY_STATE_COMPACT_ASCII, state);
	/* the id's bit 0 is free: code objects are 8-byte aligned */
	check("is_entry size", 1, sizeof(((_PyInterpreterFrame *)0)->is_entry));
	check("native_thread_id size", 8,
	      sizeof(((PyThreadState *)0)->native_thread_id));
	return bad;
}
