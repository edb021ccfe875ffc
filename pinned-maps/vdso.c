// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "vdso.h"

int pm_vdso_memfd(size_t *size)
{
	unsigned long lo = 0, hi = 0;
	char line[512];
	bool found = false;
	FILE *f;
	int fd;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, "[vdso]") &&
			sscanf(line, "%lx-%lx", &lo, &hi) == 2;
	fclose(f);
	if (!found || hi <= lo)
		return -ENOENT;
	fd = memfd_create("vdso", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, (void *)lo, hi - lo) != (ssize_t)(hi - lo)) {
		close(fd);
		return -EIO;
	}
	*size = hi - lo;
	return fd;
}
