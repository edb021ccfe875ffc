// SPDX-License-Identifier: GPL-2.0
/* Separate debug files (see debuginfo.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <elfutils/libdwelf.h>
#include "debuginfo.h"

int debuginfo_build_id_path(const unsigned char *id, size_t len, char *buf,
			    size_t sz)
{
	char hex[2 * 64 + 1];
	size_t i;
	int n;

	if (len < 2 || len > 64)
		return -EINVAL;
	for (i = 0; i < len; i++)
		sprintf(hex + 2 * i, "%02x", id[i]);
	n = snprintf(buf, sz, DEBUGINFO_ROOT "/.build-id/%.2s/%s.debug", hex,
		     hex + 2);
	return n < 0 || (size_t)n >= sz ? -ENAMETOOLONG : 0;
}

/* The debuglink CRC is zlib's CRC-32 of the whole debug file. */
static bool crc_matches(int fd, GElf_Word crc)
{
	struct stat st;
	bool ok = false;
	void *p;

	if (fstat(fd, &st) || !st.st_size)
		return false;
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return false;
	ok = crc32(0, p, st.st_size) == crc;
	munmap(p, st.st_size);
	return ok;
}

/* Is @path the debug file of the image with build-id @id (or CRC @crc)? */
static bool candidate_matches(const char *path, const void *id, ssize_t id_len,
			      GElf_Word crc)
{
	const void *cid;
	bool ok = false;
	ssize_t len;
	Elf *e;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (id_len <= 0) {
		ok = crc_matches(fd, crc);
		goto cleanup;
	}
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e)
		goto cleanup;
	len = dwelf_elf_gnu_build_id(e, &cid);
	ok = len == id_len && !memcmp(cid, id, len);
	elf_end(e);
cleanup:
	close(fd);
	return ok;
}

int debuginfo_find(Elf *elf, const char *path, char *buf, size_t sz)
{
	char dir[4096];
	const char *link;
	const void *id;
	GElf_Word crc = 0;
	ssize_t id_len;
	int i, n;

	elf_version(EV_CURRENT);
	id_len = dwelf_elf_gnu_build_id(elf, &id);
	if (id_len > 0 && !debuginfo_build_id_path(id, id_len, buf, sz) &&
	    candidate_matches(buf, id, id_len, 0))
		return 0;
	link = dwelf_elf_gnu_debuglink(elf, &crc);
	if (!link || !path || strchr(link, '/'))
		return -ENOENT;
	snprintf(dir, sizeof(dir), "%s", path);
	dirname(dir);
	/* gdb's and libdwfl's order: beside the file, .debug/, the root */
	for (i = 0; i < 3; i++) {
		if (i == 0)
			n = snprintf(buf, sz, "%s/%s", dir, link);
		else if (i == 1)
			n = snprintf(buf, sz, "%s/.debug/%s", dir, link);
		else
			n = snprintf(buf, sz, DEBUGINFO_ROOT "%s/%s", dir,
				     link);
		if (n < 0 || (size_t)n >= sz)
			continue;
		/* the file itself may carry its own name as a debuglink */
		if (i == 0 && !strcmp(buf, path))
			continue;
		if (candidate_matches(buf, id, id_len, crc))
			return 0;
	}
	return -ENOENT;
}
