/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers for tests that load tools and read their pins. */
#ifndef __PINSIGHT_HELPERS_H
#define __PINSIGHT_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

struct hist;

/*
 * Move this test into a private mount namespace with a fresh, empty bpffs
 * on /sys/fs/bpf (and tracefs mounted), so its pins are its own and vanish
 * with it. Returns 0 or -errno.
 */
int private_bpffs(void);

/* "<output dir>/<name>", in a static buffer per call site. */
const char *out_path(char *buf, size_t sz, const char *name);

/* Run pinsight-load / pinsight with the given arguments (printf-style). */
int loader_run(char **out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int reader_run(char **out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Open <root>/<inst>/<rel> (e.g. "maps/io_comm"; maps read-only): fd or -errno. */
int pin_open(const char *inst, const char *rel);
/*
 * Look @key up in a (per-CPU or not) map whose values are all __u64s and
 * add the CPUs' values into @out (@value_size bytes). 0 or -errno.
 */
int map_lookup_sum(int fd, const void *key, void *out, size_t value_size);
/* map_lookup_sum() on the pinned map <root>/<inst>/@map_rel. 0 or -errno. */
int pin_lookup_sum(const char *inst, const char *map_rel, const void *key,
		   void *out, size_t value_size);
/* How many values a log2 histogram holds: its slots summed. */
__u64 hist_samples(const struct hist *h);

/* The integer after "@key": in the JSON @json (NULL: none), or -1. */
long long json_num(const char *json, const char *key);

/* Sample counts of folded stacks ("frame;frame;... count" lines). */
struct folded_share {
	unsigned long long all; /* of the lines (starting with the comm) */
	unsigned long long with; /* of those holding @need */
	unsigned long long above; /* of those holding @pre before @need */
};
/*
 * Count the lines of @out (`pinsight profile --folded`) that start with
 * @comm (NULL: every line): all of them, those with @need in them (NULL:
 * each), those with @pre earlier on the line than @need.
 */
struct folded_share folded_count(const char *out, const char *comm,
				 const char *need, const char *pre);
/*
 * Read instance "profile"'s folded stacks into *@out (freed first) until
 * @min samples of @comm (NULL: any) have @need in them, 60 s at most: a
 * busy machine makes a fixed window give too few. The reader's error.
 */
int folded_wait(char **out, const char *comm, const char *need,
		unsigned long long min);

/* The gzip file @path, inflated into a malloc()ed *@buf: 0 or -errno. */
int gunzip_file(const char *path, unsigned char **buf, size_t *len);
/* Entries of a directory, dot files excepted; -errno if it cannot be read. */
int dir_count(const char *path);
/* The "Example:" options of TOOL --help into @buf: they load on any host. */
void tool_example(const char *tool, char *buf, size_t sz);
/* How many loader temporaries (_tmp-*) the pin root holds, or -errno. */
int root_temporaries(void);

/*
 * Start `sh -c CMD` (printf-style) as a child, without waiting for it: its
 * pid, for waitpid() and kill(), or -errno. Its output goes to the test's.
 */
pid_t spawn_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Whether the runner is in a vmtest.sh VM (qemu TCG): vmtest/init says so. */
bool in_vmtest(void);
/*
 * Does this kernel run fentry programs at kernel function @func? A
 * two-instruction program loaded apart from the loader's own probes: 0,
 * or -errno with the cause in *why (static; the loader must say it too).
 */
int fentry_allowed(const char *func, const char **why);
/*
 * `TOOL --name NAME --attach VARIANT` on a kernel that refuses VARIANT
 * for @why: exit 7 naming the instance, the variant, the cause and @dflt,
 * the variant that loads; nothing pinned, no temporary left.
 */
void check_variant_refused(const char *tool, const char *name,
			   const char *variant, const char *why,
			   const char *dflt);
/*
 * spawn_sh(), but the shell starts only once close(*release): for a target
 * that must not run before a tool attached to its pid is loaded.
 */
pid_t spawn_sh_gated(int *release, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Whether process @pid catches SIGUSR1 (allocgen --wait-signal waiting),
 * looking every 20 ms for up to @ms ms until it does.
 */
bool waits_for_usr1(pid_t pid, int ms);
/*
 * The text of file @path once it holds @need, looking every 20 ms for up
 * to @ms ms (a workload's closing line): malloc()ed, or NULL.
 */
char *file_wait(const char *path, const char *need, int ms);
/*
 * A TCP socket (AF_INET or AF_INET6) bound to a free loopback port, which
 * goes in *port; listening or not (connects to it are then refused while it
 * stays open). Its fd (close-on-exec) or -errno.
 */
int loopback_tcp(int family, bool listening, int *port);

struct bpf_ids {
	int progs, maps, links;
};
/* Count the kernel's BPF programs, maps and links (as bpftool lists them). */
void bpf_ids_count(struct bpf_ids *c);
/*
 * The same once the counts stop changing: objects are freed after an RCU
 * grace period, so a count taken right after an unload may still see them.
 */
void bpf_ids_settled(struct bpf_ids *c);

/*
 * Count only what loads made with --comm @comm left: programs whose rodata
 * holds @comm, the links to them and the maps they use. Unlike the totals
 * above, this ignores whatever other tests on the host load meanwhile.
 */
void bpf_ids_tagged(const char *comm, struct bpf_ids *c);

#endif /* __PINSIGHT_HELPERS_H */
