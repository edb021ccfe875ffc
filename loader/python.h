/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Python frames (progs/python.h): the loader's side. The layouts of the
 * CPython versions the walker can follow are a checked table here (3.11
 * and 3.12 publish none; 3.13's own _Py_DebugOffsets must agree with its
 * entry); an image is known as CPython by its name (python3.X,
 * libpython3.X.so), the _PyRuntime symbol it defines and, where it has
 * one, a Py_Version of the same version.
 */
#ifndef __LOADER_PYTHON_H
#define __LOADER_PYTHON_H

#include <stdbool.h>
#include <bpf/libbpf.h>
#include "../progs/unwind.h"

/* Fill this instance's py_abis from the table: 0 or -errno. */
int python_fill_abis(struct bpf_object *obj);
/*
 * For the image open at @fd, mapped from @path: set fv->py_abi and
 * fv->py_runtime when it is a CPython whose layout the table has (and,
 * for 3.13, whose _Py_DebugOffsets give the same offsets). A
 * CPython of another version is refused once, by name and version, on
 * stderr (its processes keep their native frames). Returns true when
 * the image is a CPython the walker follows.
 */
bool python_image(int fd, const char *path, struct unw_file_val *fv);

#endif /* __LOADER_PYTHON_H */
