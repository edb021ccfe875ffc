// SPDX-License-Identifier: GPL-2.0
/*
 * memalloc: the tool table entry. By default it counts heap growth from
 * syscall tracepoints (progs/memalloc.h: two ways) and probes nothing.
 * With --calls, which allocators to probe is decided before load: --lib,
 * else what the --pid process (or the processes named --comm) map, else
 * the C library; the choice is said on stderr and kept
 * in .rodata (alloc_libs), which list and show print. Their functions are
 * resolved then too (a missing library or malloc/free is an error, with
 * nothing pinned); the others are optional, as not every allocator has
 * them.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "attach_uprobe.h"
#include "elf_syms.h"
#include "log.h"
#include "memalloc.h"
#include "memalloc.skel.h"
#include "rodata.h"
#include "target.h"
#include "tools.h"
#include "unwind.h"

static const struct tool_opt memalloc_opts[] = {
	{ "calls", NULL, "calls",
	  "count every allocator call with uprobes (exact counts, leak stacks; each call then traps into the kernel) instead of the heap's growth" },
	{ "lib", "PATH", NULL,
	  "allocator to probe: a library or a static binary (default: the allocators the --pid/--comm target maps, else the C library)" },
	{ "growth-threshold", "BYTES", "growth_threshold",
	  "alert when outstanding bytes grow faster than this per hour (default 1G; 0: never)" },
	{ "growth-window", "DURATION", "growth_window_ns",
	  "period over which growth is measured (default 60s)" },
	{ "no-stacks", NULL, "no_stacks",
	  "no allocation or growth stacks (no leak candidates; cheaper)" },
	{ "stack-bytes", "BYTES", "stack_bytes",
	  "sample stacks, one per BYTES allocated or grown on average (default 512K; 0: every one)" },
	{ "stack-every", "N", "stack_every",
	  "sample stacks of one allocation or growth in N instead (1: every one)" },
	UNWIND_TOOL_OPTS,
	{},
};

static const struct {
	const char *sym;
	const char *entry; /* program names */
	bool ret, required;
} funcs[] = {
	{ "malloc", "malloc_enter", true, true },
	{ "calloc", "calloc_enter", true, false },
	{ "realloc", "realloc_enter", true, false },
	{ "free", "free_enter", false, true },
	{ "aligned_alloc", "memalign_enter", true, false },
	{ "memalign", "memalign_enter", true, false },
	{ "posix_memalign", "posix_memalign_enter", true, false },
};

#define NR_FUNCS (sizeof(funcs) / sizeof(funcs[0]))

/* One allocator image to probe. */
struct ma_lib {
	char path[PATH_MAX + 32]; /* as this mount namespace reaches it */
	char shown[MEMALLOC_LIB_LEN]; /* as the process maps it */
	const char *why; /* "jemalloc", "the C library", ... */
	dev_t dev;
	ino_t ino;
	__u64 offset[NR_FUNCS];
	bool found[NR_FUNCS];
};

/* The hooks' state from prepare to attach (ctx->priv). */
struct ma_priv {
	struct ma_lib lib[MEMALLOC_MAX_LIBS];
	int nr;
	bool multi; /* one uprobe_multi link per program and image */
};

/*
 * Allocators that replace malloc for the whole process when mapped
 * (preloaded or linked: their malloc comes before libc's in the lookup
 * order), by the start of their file name.
 */
static const struct {
	const char *prefix, *name;
} allocators[] = {
	{ "libjemalloc", "jemalloc" },
	{ "libtcmalloc", "tcmalloc" },
	{ "libmimalloc", "mimalloc" },
};

/* Add @path (@shown as the process names it) unless it is there already. */
static int add_lib(const char *inst, struct ma_priv *ma, const char *path,
		   const char *shown, const char *why)
{
	struct ma_lib *l;
	struct stat st;
	int i;

	if (stat(path, &st)) {
		p_err("%s: allocator %s: %s", inst, path, strerror(errno));
		return -errno;
	}
	for (i = 0; i < ma->nr; i++)
		if (ma->lib[i].dev == st.st_dev && ma->lib[i].ino == st.st_ino)
			return 0;
	if (ma->nr == MEMALLOC_MAX_LIBS) {
		p_info("%s: more than %d allocators mapped; not probing %s",
		       inst, MEMALLOC_MAX_LIBS, shown);
		return 0;
	}
	l = &ma->lib[ma->nr++];
	snprintf(l->path, sizeof(l->path), "%s", path);
	snprintf(l->shown, sizeof(l->shown), "%s", shown);
	l->why = why;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	return 0;
}

/* Whether the ELF file @path defines a function malloc. */
static bool defines_malloc(const char *path)
{
	struct elf_func *f = calloc(1, sizeof(*f));
	int n;

	if (!f)
		return false;
	n = elf_find_func(path, "malloc", f, 1);
	free(f);
	return n > 0;
}

/*
 * The allocators process @pid maps (/proc/PID/maps): jemalloc, tcmalloc,
 * mimalloc, an executable that defines malloc itself (statically linked,
 * or exporting its own), and the C library, which is probed as well: a
 * library loaded with RTLD_LOCAL does not replace its malloc, and an
 * allocator calling another one is counted once (only the outermost call
 * counts, and a free finds its block once).
 */
static int scan_process(pid_t pid, void *data)
{
	struct load_ctx *ctx = data;
	struct ma_priv *ma = ctx->priv;
	char path[64], line[4096], full[PATH_MAX + 32], exe[PATH_MAX];
	char libc[PATH_MAX + 32] = "", libc_shown[PATH_MAX] = "", *p, *base;
	ssize_t n;
	unsigned int i;
	int err = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		p_err("%s: %s: %s", ctx->inst, path, strerror(errno));
		return err;
	}
	while (!err && fgets(line, sizeof(line), f)) {
		p = strchr(line, '/');
		if (!p)
			continue;
		p[strcspn(p, "\n")] = '\0';
		base = strrchr(p, '/') + 1;
		snprintf(full, sizeof(full), "/proc/%d/root%s", pid, p);
		for (i = 0; i < sizeof(allocators) / sizeof(allocators[0]); i++)
			if (!strncmp(base, allocators[i].prefix,
				     strlen(allocators[i].prefix)))
				break;
		if (i < sizeof(allocators) / sizeof(allocators[0]))
			err = add_lib(ctx->inst, ma, full, p,
				      allocators[i].name);
		else if (!strncmp(base, "libc.so", 7) ||
			 !strncmp(base, "libc-", 5)) {
			snprintf(libc, sizeof(libc), "%s", full);
			snprintf(libc_shown, sizeof(libc_shown), "%s", p);
		} else if (exe[0] && !strcmp(p, exe) && defines_malloc(full))
			err = add_lib(ctx->inst, ma, full, p,
				      "the executable's own malloc");
	}
	fclose(f);
	if (!err && libc[0])
		err = add_lib(ctx->inst, ma, libc, libc_shown, "the C library");
	return err;
}

/* "probing X (why), Y (why)" on stderr, and the list in .rodata. */
static int report_libs(struct load_ctx *ctx, const char *how)
{
	struct ma_priv *ma = ctx->priv;
	char msg[1024];
	size_t sz, off = 0;
	char *names;
	int i;

	names = rodata_var(ctx->obj, "alloc_libs", &sz);
	if (!names || sz != MEMALLOC_MAX_LIBS * MEMALLOC_LIB_LEN) {
		p_err("%s: no alloc_libs in the BPF object", ctx->inst);
		return -ENOENT;
	}
	memset(names, 0, sz);
	for (i = 0; i < ma->nr; i++) {
		memcpy(names + i * MEMALLOC_LIB_LEN, ma->lib[i].shown,
		       MEMALLOC_LIB_LEN - 1);
		off += snprintf(msg + off, sizeof(msg) - off, "%s%s (%s)",
				i ? ", " : "", ma->lib[i].shown,
				ma->lib[i].why);
		if (off >= sizeof(msg))
			off = sizeof(msg) - 1;
	}
	p_info("%s: probing %s%s", ctx->inst, msg, how);
	return 0;
}

/* Resolve the allocator functions in @l; malloc and free are required. */
static int resolve_lib(struct load_ctx *ctx, struct ma_lib *l)
{
	unsigned int i, j;
	int err;

	for (i = 0; i < NR_FUNCS; i++) {
		err = uprobe_resolve(ctx->inst, l->path, funcs[i].sym,
				     !funcs[i].required, &l->offset[i]);
		if (err == -ENOENT && !funcs[i].required)
			continue;
		if (err)
			return err;
		/* free(NULL) is nothing to count: probe past that test */
		if (!funcs[i].ret)
			uprobe_skip_null_test(l->path, &l->offset[i]);
		/* aliases (glibc's aligned_alloc is memalign): probe once */
		for (j = 0; j < i; j++)
			if (l->found[j] && l->offset[j] == l->offset[i])
				break;
		l->found[i] = j == i;
	}
	return 0;
}

/* The syscalls that change VmData, whose entry and exit heap mode hooks. */
static const char *const heap_calls[] = { "brk", "mmap", "munmap", "mprotect",
					  "mremap" };

#define NR_HEAP_CALLS (sizeof(heap_calls) / sizeof(heap_calls[0]))

/*
 * Per-call mode's programs and state, loaded and created with --calls
 * only: the uprobes (funcs[]), these tracepoints and these maps.
 */
static const char *const calls_tps[] = { "enter_mmap", "exit_mmap",
					 "enter_munmap" };
static const char *const calls_maps[] = { "allocs", "memalloc_calls",
					  "memalloc_thread" };

#define NR_CALLS_TPS  (sizeof(calls_tps) / sizeof(calls_tps[0]))
#define NR_CALLS_MAPS (sizeof(calls_maps) / sizeof(calls_maps[0]))

static bool is_uprobe(const struct bpf_program *p)
{
	const char *sec = bpf_program__section_name(p);

	return !strncmp(sec, "uprobe", 6) || !strncmp(sec, "uretprobe", 9);
}

static bool named(const char *name, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

static bool calls_mode(struct load_ctx *ctx)
{
	const bool *calls = rodata_var(ctx->obj, "calls", NULL);

	return calls && *calls;
}

static int calls_prepare(struct load_ctx *ctx);

static int memalloc_prepare(struct load_ctx *ctx)
{
	bool calls = calls_mode(ctx);
	struct bpf_program *p;
	struct bpf_map *m;

	bpf_object__for_each_program(p, ctx->obj) {
		if (is_uprobe(p) ||
		    named(bpf_program__name(p), calls_tps, NR_CALLS_TPS))
			bpf_program__set_autoload(p, calls);
		else if (!strcmp(bpf_program__name(p), "heap_change"))
			bpf_program__set_autoload(p, !calls);
	}
	bpf_object__for_each_map(m, ctx->obj)
		if (named(bpf_map__name(m), calls_maps, NR_CALLS_MAPS))
			bpf_map__set_autocreate(m, calls);
	if (calls)
		return calls_prepare(ctx);
	if (ctx_opt(ctx, "lib")) {
		p_err("%s: --lib needs --calls: the heap's growth is counted from syscalls, with no allocator probed",
		      ctx->inst);
		return -EINVAL;
	}
	p_info("%s: counting heap growth (VmData) at brk, mmap, munmap, mprotect and mremap; --calls counts every allocator call",
	       ctx->inst);
	return 0;
}

/* --calls: which allocators to probe, and their functions' offsets. */
static int calls_prepare(struct load_ctx *ctx)
{
	const char *lib = ctx_opt(ctx, "lib");
	const __u32 *tgid = rodata_var(ctx->obj, "targ_tgid", NULL);
	const char *comm = rodata_var(ctx->obj, "targ_comm", NULL);
	struct ma_priv *ma = ctx->priv;
	char path[PATH_MAX], how[160] = "";
	int i, err;

	if (lib) {
		err = uprobe_binary(ctx->inst, lib, path, sizeof(path));
		if (!err)
			err = add_lib(ctx->inst, ma, path, path, "--lib");
	} else if (tgid && *tgid) {
		err = scan_process(*tgid, ctx);
		if (!err && !ma->nr) {
			p_err("%s: process %u maps no allocator and no C library (give --lib PATH)",
			      ctx->inst, *tgid);
			err = -ENOENT;
		}
		snprintf(how, sizeof(how), ", as process %u maps them", *tgid);
	} else {
		err = 0;
		if (comm && comm[0])
			err = target_walk_comm(comm, scan_process, ctx);
		if (!err && ma->nr)
			snprintf(how, sizeof(how),
				 ", as the processes named %s map them", comm);
		else if (!err) {
			/* no target to look at: every dynamic program's libc */
			err = uprobe_binary(ctx->inst, "libc", path,
					    sizeof(path));
			if (!err)
				err = add_lib(ctx->inst, ma, path, path,
					      "the C library");
			snprintf(how, sizeof(how),
				 "%s; another allocator needs --lib, or --pid",
				 comm && comm[0] ?
					 ", as no process has that name yet" :
					 "");
		}
	}
	if (!err)
		err = report_libs(ctx, how);
	for (i = 0; !err && i < ma->nr; i++)
		err = resolve_lib(ctx, &ma->lib[i]);
	if (err)
		return err;
	/*
	 * uprobe_multi where the kernel has it: a uprobe perf event each
	 * waited for the tracing event_mutex, and often for an RCU grace
	 * period, which made most of the load time on a busy host.
	 */
	ma->multi = uprobe_multi_supported();
	if (ma->multi) {
		struct bpf_program *p;

		bpf_object__for_each_program(p, ctx->obj)
			if (is_uprobe(p))
				bpf_program__set_expected_attach_type(
					p, UPROBE_MULTI_ATTACH_TYPE);
	}
	return 0;
}

static struct bpf_program *prog(struct load_ctx *ctx, const char *name)
{
	struct bpf_program *p =
		bpf_object__find_program_by_name(ctx->obj, name);

	if (!p)
		p_err("%s: no program %s", ctx->inst, name);
	return p;
}

/*
 * One uprobe_multi link per program and image, over every function it
 * probes there, pinned as links/<prog> (the first image) or
 * links/<prog>-<image>; the cookie is the function's index in funcs[].
 */
static int attach_multi(struct load_ctx *ctx, struct ma_lib *l, int k,
			struct bpf_program *ret)
{
	__u64 offs[NR_FUNCS], cookies[NR_FUNCS];
	struct bpf_program *p;
	unsigned int i, j, n;
	char name[64];
	int err;

	for (i = 0; i < NR_FUNCS; i++) {
		if (!l->found[i])
			continue;
		for (j = 0; j < i; j++) /* a program seen before: done */
			if (l->found[j] &&
			    !strcmp(funcs[j].entry, funcs[i].entry))
				break;
		if (j < i)
			continue;
		for (n = 0, j = i; j < NR_FUNCS; j++) {
			if (!l->found[j] ||
			    strcmp(funcs[j].entry, funcs[i].entry))
				continue;
			offs[n] = l->offset[j];
			cookies[n++] = j;
		}
		p = prog(ctx, funcs[i].entry);
		if (!p)
			return -ENOENT;
		snprintf(name, sizeof(name), k ? "%s-%d" : "%s", funcs[i].entry,
			 k);
		err = uprobe_multi_attach_pin(ctx, p, l->path, offs, cookies, n,
					      false, name);
		if (err)
			return err;
	}
	for (n = 0, i = 0; i < NR_FUNCS; i++) {
		if (!l->found[i] || !funcs[i].ret)
			continue;
		offs[n] = l->offset[i];
		cookies[n++] = i;
	}
	snprintf(name, sizeof(name), k ? "alloc_return-%d" : "alloc_return", k);
	return uprobe_multi_attach_pin(ctx, ret, l->path, offs, cookies, n,
				       true, name);
}

/* Attach @name by its section and pin the link as links/@name. */
static int attach_pin(struct load_ctx *ctx, const char *name)
{
	struct bpf_program *p = prog(ctx, name);
	struct bpf_link *link;
	int err;

	if (!p)
		return -ENOENT;
	link = bpf_program__attach(p);
	if (!link) {
		err = -errno;
		p_err("%s: cannot attach %s: %s", ctx->inst, name,
		      strerror(-err));
		return err;
	}
	return ctx_pin_link(ctx, link, name);
}

/* heap_change on each heap call's entry and exit: links/heap_<dir>_<call> */
static int heap_attach(struct load_ctx *ctx)
{
	struct bpf_program *p = prog(ctx, "heap_change");
	char tp[32], name[48];
	struct bpf_link *link;
	unsigned int i, dir;
	int err;

	if (!p)
		return -ENOENT;
	for (i = 0; i < NR_HEAP_CALLS; i++) {
		for (dir = 0; dir < 2; dir++) {
			snprintf(tp, sizeof(tp), "sys_%s_%s",
				 dir ? "exit" : "enter", heap_calls[i]);
			link = bpf_program__attach_tracepoint(p, "syscalls",
							      tp);
			if (!link) {
				err = -errno;
				p_err("%s: cannot attach heap_change to syscalls/%s: %s",
				      ctx->inst, tp, strerror(-err));
				return err;
			}
			snprintf(name, sizeof(name), "heap_%s", tp + 4);
			err = ctx_pin_link(ctx, link, name);
			if (err)
				return err;
		}
	}
	return 0;
}

/* --calls: the allocators' uprobes and the mmap/munmap tracepoints */
static int calls_attach(struct load_ctx *ctx)
{
	struct bpf_program *entry, *ret;
	struct ma_priv *ma = ctx->priv;
	struct ma_lib *l;
	unsigned int i;
	int k, err;

	ret = prog(ctx, "alloc_return");
	if (!ret)
		return -ENOENT;
	for (k = 0; k < ma->nr; k++) {
		l = &ma->lib[k];
		if (ma->multi) {
			err = attach_multi(ctx, l, k, ret);
			if (err)
				return err;
			continue;
		}
		/* links/<prog>-<n>, n = image * NR_FUNCS + function */
		for (i = 0; i < NR_FUNCS; i++) {
			if (!l->found[i])
				continue;
			entry = prog(ctx, funcs[i].entry);
			if (!entry)
				return -ENOENT;
			err = uprobe_attach_pin(ctx, entry, l->path,
						l->offset[i], false, 0,
						k * NR_FUNCS + i);
			if (!err && funcs[i].ret)
				err = uprobe_attach_pin(ctx, ret, l->path,
							l->offset[i], true, 0,
							k * NR_FUNCS + i);
			if (err)
				return err;
		}
	}
	for (i = 0; i < NR_CALLS_TPS; i++) {
		err = attach_pin(ctx, calls_tps[i]);
		if (err)
			return err;
	}
	return 0;
}

static int memalloc_attach(struct load_ctx *ctx)
{
	int err = calls_mode(ctx) ? calls_attach(ctx) : heap_attach(ctx);

	return err ?: attach_pin(ctx, "memalloc_exit");
}

/*
 * refresh: drop the allocs entries of processes that exited. Their exit
 * (memalloc_exit) deleted their memalloc_proc rows, which a live
 * allocation always has (record() makes the row first): an entry whose
 * row is gone can never be freed, only fill the map.
 */
static int memalloc_refresh(const char *inst, const char *dir)
{
	struct memalloc_addr key, next, *prev = NULL;
	struct memalloc_proc_key pk;
	struct memalloc_proc_val pv;
	struct memalloc_rec rec;
	char path[PATH_MAX];
	int afd, pfd = -1, err = 0, dropped = 0, kept = 0;
	bool stale = false;

	snprintf(path, sizeof(path), "%s/maps/allocs", dir);
	afd = bpf_obj_get(path);
	if (afd < 0 && errno == ENOENT) {
		/* heap mode: no allocations are kept, none to drop */
		if (json_output)
			printf("{\"instance\":\"%s\",\"allocs_dropped\":0,\"allocs_live\":0}\n",
			       inst);
		else
			printf("%s: heap mode, no allocations kept\n", inst);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/maps/memalloc_proc", dir);
	if (afd >= 0)
		pfd = bpf_obj_get(path);
	if (afd < 0 || pfd < 0) {
		err = -errno;
		p_err("%s: %s: %s", inst, path, strerror(errno));
		goto cleanup;
	}
	/*
	 * A stale entry is deleted once the walk has moved past it: the next
	 * key of a deleted one is the map's first again.
	 */
	while (!bpf_map_get_next_key(afd, prev, &next)) {
		if (stale && !bpf_map_delete_elem(afd, &key))
			dropped++;
		key = next;
		prev = &key;
		stale = false;
		if (bpf_map_lookup_elem(afd, &key, &rec))
			continue; /* freed meanwhile */
		pk.tgid = key.tgid;
		pk.start = key.start;
		memcpy(pk.comm, rec.comm, sizeof(pk.comm));
		stale = bpf_map_lookup_elem(pfd, &pk, &pv) && errno == ENOENT;
		kept += !stale;
	}
	if (stale && !bpf_map_delete_elem(afd, &key))
		dropped++;
	if (json_output)
		printf("{\"instance\":\"%s\",\"allocs_dropped\":%d,\"allocs_live\":%d}\n",
		       inst, dropped, kept);
	else
		printf("%s: %d allocations of exited processes dropped, %d live\n",
		       inst, dropped, kept);
cleanup:
	if (afd >= 0)
		close(afd);
	if (pfd >= 0)
		close(pfd);
	return err;
}

const struct tool tool_memalloc = {
	.name = "memalloc",
	.summary =
		"memory accounting: heap growth per process and command, growth stacks and alert; --calls: every malloc/free, leak stacks",
	.example = "--comm vector-studio",
	.elf_bytes = memalloc_bpf__elf_bytes,
	.opts = memalloc_opts,
	.prepare = memalloc_prepare,
	.priv_size = sizeof(struct ma_priv),
	.attach = memalloc_attach,
	.refresh = memalloc_refresh,
};
