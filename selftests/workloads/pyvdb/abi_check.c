// SPDX-License-Identifier: GPL-2.0
/*
 * The loader's CPython layouts (loader/python_table.h) against the
 * interpreter's own headers: built by the selftest python/abi_table with
 * -I/usr/include/python3.11 (libpython3.11-dev), and with each pyenv
 * 3.12 or 3.13 build's include directory, and run; prints each
 * field as "name table headers" and exits 1 when one differs, 2 when the
 * table has no entry for the headers' version.
 */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <internal/pycore_frame.h>
#include <internal/pycore_interp.h>
#include <internal/pycore_runtime.h>
#if PY_MINOR_VERSION >= 13
#endif
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
#if PY_MINOR_VERSION < 13
	CHECK(ts_cframe, PyThreadState, cframe);
	CHECK(cf_current, _PyCFrame, current_frame);
	CHECK(fr_code, _PyInterpreterFrame, f_code);
#else
	/* no _PyCFrame: the thread state points at its frame */
	CHECK(ts_cframe, PyThreadState, current_frame);
	check("cf_current (none)", a->cf_current, PY_OFF_NONE);
	CHECK(fr_code, _PyInterpreterFrame, f_executable);
#endif
	CHECK(fr_previous, _PyInterpreterFrame, previous);
#if PY_MINOR_VERSION < 12
	CHECK(fr_is_entry, _PyInterpreterFrame, is_entry);
	check("fr_owner (none)", a->fr_owner, PY_OFF_NONE);
#else
	/* entry frames are marked by the C stack's shim frame instead */
	check("fr_is_entry (none)", a->fr_is_entry, PY_OFF_NONE);
	CHECK(fr_owner, _PyInterpreterFrame, owner);
	check("owner size", 1, sizeof(((_PyInterpreterFrame *)0)->owner));
	check("FRAME_OWNED_BY_CSTACK", PY_OWNED_BY_CSTACK,
	      FRAME_OWNED_BY_CSTACK);
#endif
	CHECK(co_firstlineno, PyCodeObject, co_firstlineno);
	CHECK(co_filename, PyCodeObject, co_filename);
	CHECK(co_qualname, PyCodeObject, co_qualname);
#if PY_MINOR_VERSION >= 13
	/* where the loader reads 3.13's own offsets, and what they give */
	check("_Py_DebugOffsets.version", PY_DEBUG_VERSION,
	      offsetof(_Py_DebugOffsets, version));
	check("_Py_DebugOffsets.free_threaded", PY_DEBUG_FREE_THREADED,
	      offsetof(_Py_DebugOffsets, free_threaded));
	check("sizeof(_Py_DebugOffsets)", PY_DEBUG_SIZE,
	      sizeof(_Py_DebugOffsets));
	check("cookie", 0, strcmp(_Py_Debug_Cookie, PY_DEBUG_COOKIE));
#define DEBUG_CHECK(field, member, at)             \
	check("_Py_DebugOffsets." #member, at,     \
	      offsetof(_Py_DebugOffsets, member)); \
	check("_Py_DebugOffsets." #member " value", a->field, debug.member);
	{
		/* the interpreter's own (linked with its libpython) */
		const _Py_DebugOffsets debug = _PyRuntime.debug_offsets;

		PY_DEBUG_FIELDS(DEBUG_CHECK)
	}
#endif
	CHECK(str_length, PyASCIIObject, length);
	CHECK(str_state, PyASCIIObject, state);
	check("sizeof(PyASCIIObject)", a->str_ascii_data,
	      sizeof(PyASCIIObject));
	/* the state bits BPF tests: compact and ascii, in the first word */
	o.state.compact = 1;
	o.state.ascii = 1;
	memcpy(&state, &o.state, sizeof(state));
	check("state compact|ascii", PY_STATE_COMPACT_ASCII, state);
#if PY_MINOR_VERSION < 12
	check("is_entry size", 1, sizeof(((_PyInterpreterFrame *)0)->is_entry));
#endif
	check("native_thread_id size", 8,
	      sizeof(((PyThreadState *)0)->native_thread_id));
	return bad;
}
