/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where an ELF file's separate debug file is, by the rules gdb, libdwfl
 * and debuginfod-less distros share: /usr/lib/debug/.build-id/xx/yyyy.debug,
 * then the .gnu_debuglink name next to the file, in its .debug/ and under
 * /usr/lib/debug/<dir>/.
 */
#ifndef __DEBUGINFO_H
#define __DEBUGINFO_H

#include <stddef.h>
#include <libelf.h>

#define DEBUGINFO_ROOT "/usr/lib/debug"

/* The .build-id path of build-id @id (@len bytes) in @buf: 0 or -ENAMETOOLONG.
 */
int debuginfo_build_id_path(const unsigned char *id, size_t len, char *buf,
			    size_t sz);

/*
 * Find the separate debug file of @elf, the file at @path (NULL: unknown,
 * then only the build-id path is tried), into @buf. A candidate must carry
 * the same build-id as @elf or, when @elf has none, the debuglink's CRC.
 * Returns 0, -ENOENT when there is none, or -errno.
 */
int debuginfo_find(Elf *elf, const char *path, char *buf, size_t sz);

#endif /* __DEBUGINFO_H */
