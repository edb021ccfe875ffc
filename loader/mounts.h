/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __LOADER_MOUNTS_H
#define __LOADER_MOUNTS_H

/*
 * A fresh boot may have neither bpffs nor tracefs mounted; libbpf needs
 * tracefs to attach tracepoints, and pins need bpffs. Mount what is missing
 * and check that the pin root lies on bpffs, creating its missing parents.
 * Returns 0 or -errno (-EINVAL: the root is not an absolute path), with a
 * message already printed.
 */
int ensure_mounts(void);

#endif /* __LOADER_MOUNTS_H */
