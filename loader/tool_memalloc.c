// SPDX-License-Identifier: GPL-2.0
/*
 * memalloc: the tool table entry. The allocator's functions are resolved
 * before load (a missing library or malloc/free is an error, with nothing
 * pinned); the others are optional, as not every allocator has them.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "attach_uprobe.h"
#include "log.h"
#include "memalloc.h"
#include "memalloc.skel.h"
#include "rodata.h"
#include "tools.h"
#include "unwind.h"

static const struct tool_opt memalloc_opts[] = {
	{ "lib", "PATH", NULL,
	  "allocator to probe: a library or a static binary (default: the C library)" },
	{ "growth-threshold", "BYTES", "growth_threshold",
	  "alert when outstanding bytes grow faster than this per hour (default 1G; 0: never)" },
	{ "growth-window", "DURATION", "growth_window_ns",
	  "period over which growth is measured (default 60s)" },
	{ "no-stacks", NULL, "no_stacks",
	  "no allocation stacks (no leak candidates; cheaper)" },
	{ "stack-bytes", "BYTES", "stack_bytes",
	  "sample stacks, one per BYTES allocated on average (default 512K; 0: every allocation's)" },
	{ "stack-every", "N", "stack_every",
	  "sample stacks of one allocation in N instead (1: every allocation's)" },
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

static struct {
	char lib[PATH_MAX];
	__u64 offset[NR_FUNCS];
	bool found[NR_FUNCS];
	bool multi; /* one uprobe_multi link per program */
} ma;

/* The C library a process runs with, as this mount namespace reaches it. */
static int pid_libc(const char *inst, __u32 pid, char *buf, size_t sz)
{
	char path[64], line[4096], *p;
	int err = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	f = fopen(path, "re");
	if (!f) {
		p_err("%s: %s: %s", inst, path, strerror(errno));
		return -errno;
	}
	while (err && fgets(line, sizeof(line), f)) {
		p = strchr(line, '/');
		if (!p || (!strstr(p, "/libc.so") && !strstr(p, "/libc-")))
			continue;
		p[strcspn(p, "\n")] = '\0';
		snprintf(buf, sz, "/proc/%u/root%s", pid, p);
		err = 0;
	}
	fclose(f);
	if (err)
		p_err("%s: process %u maps no C library (give --lib PATH)",
		      inst, pid);
	return err;
}

static int memalloc_prepare(struct load_ctx *ctx)
{
	const char *lib = ctx_opt(ctx, "lib");
	const __u32 *tgid = rodata_var(ctx->obj, "targ_tgid", NULL);
	char path[PATH_MAX + 32];
	unsigned int i, j;
	int err;

	if (!lib && tgid && *tgid) {
		err = pid_libc(ctx->inst, *tgid, path, sizeof(path));
		if (err)
			return err;
		lib = path;
	}
	err = uprobe_binary(ctx->inst, lib ?: "libc", ma.lib, sizeof(ma.lib));
	if (err)
		return err;
	for (i = 0; i < NR_FUNCS; i++) {
		err = uprobe_resolve(ctx->inst, ma.lib, funcs[i].sym,
				     !funcs[i].required, &ma.offset[i]);
		if (err == -ENOENT && !funcs[i].required)
			continue;
		if (err)
			return err;
		/* free(NULL) is nothing to count: probe past that test */
		if (!funcs[i].ret)
			uprobe_skip_null_test(ma.lib, &ma.offset[i]);
		/* aliases (glibc's aligned_alloc is memalign): probe once */
		for (j = 0; j < i; j++)
			if (ma.found[j] && ma.offset[j] == ma.offset[i])
				break;
		ma.found[i] = j == i;
	}
	/*
	 * uprobe_multi where the kernel has it: a uprobe perf event each
	 * waited for the tracing event_mutex, and often for an RCU grace
	 * period, which made most of the load time on a busy host.
	 */
	ma.multi = uprobe_multi_supported();
	if (ma.multi) {
		struct bpf_program *p;
		const char *sec;

		bpf_object__for_each_program(p, ctx->obj) {
			sec = bpf_program__section_name(p);
			if (!strncmp(sec, "uprobe", 6) ||
			    !strncmp(sec, "uretprobe", 9))
				bpf_program__set_expected_attach_type(
					p, UPROBE_MULTI_ATTACH_TYPE);
		}
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
 * One uprobe_multi link per program, over every function it probes,
 * pinned as links/<prog>; the cookie is the function's index in funcs[].
 */
static int attach_multi(struct load_ctx *ctx, struct bpf_program *ret)
{
	__u64 offs[NR_FUNCS], cookies[NR_FUNCS];
	struct bpf_program *p;
	unsigned int i, j, n;
	int err;

	for (i = 0; i < NR_FUNCS; i++) {
		if (!ma.found[i])
			continue;
		for (j = 0; j < i; j++) /* a program seen before: done */
			if (ma.found[j] &&
			    !strcmp(funcs[j].entry, funcs[i].entry))
				break;
		if (j < i)
			continue;
		for (n = 0, j = i; j < NR_FUNCS; j++) {
			if (!ma.found[j] ||
			    strcmp(funcs[j].entry, funcs[i].entry))
				continue;
			offs[n] = ma.offset[j];
			cookies[n++] = j;
		}
		p = prog(ctx, funcs[i].entry);
		if (!p)
			return -ENOENT;
		err = uprobe_multi_attach_pin(ctx, p, ma.lib, offs, cookies, n,
					      false, funcs[i].entry);
		if (err)
			return err;
	}
	for (n = 0, i = 0; i < NR_FUNCS; i++) {
		if (!ma.found[i] || !funcs[i].ret)
			continue;
		offs[n] = ma.offset[i];
		cookies[n++] = i;
	}
	return uprobe_multi_attach_pin(ctx, ret, ma.lib, offs, cookies, n, true,
				       "alloc_return");
}

static int memalloc_attach(struct load_ctx *ctx)
{
	static const char *const tps[] = { "enter_mmap", "exit_mmap",
					   "enter_munmap", "memalloc_exit" };
	struct bpf_program *entry, *ret = prog(ctx, "alloc_return");
	struct bpf_link *link;
	unsigned int i;
	int err;

	if (!ret)
		return -ENOENT;
	for (i = 0; !ma.multi && i < NR_FUNCS; i++) {
		if (!ma.found[i])
			continue;
		entry = prog(ctx, funcs[i].entry);
		if (!entry)
			return -ENOENT;
		err = uprobe_attach_pin(ctx, entry, ma.lib, ma.offset[i], false,
					0, i);
		if (!err && funcs[i].ret)
			err = uprobe_attach_pin(ctx, ret, ma.lib, ma.offset[i],
						true, 0, i);
		if (err)
			return err;
	}
	if (ma.multi) {
		err = attach_multi(ctx, ret);
		if (err)
			return err;
	}
	for (i = 0; i < sizeof(tps) / sizeof(tps[0]); i++) {
		entry = prog(ctx, tps[i]);
		if (!entry)
			return -ENOENT;
		link = bpf_program__attach(entry);
		if (!link) {
			err = -errno;
			p_err("%s: cannot attach %s: %s", ctx->inst, tps[i],
			      strerror(-err));
			return err;
		}
		err = ctx_pin_link(ctx, link, tps[i]);
		if (err)
			return err;
	}
	return 0;
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
		"malloc/free accounting: per thread and command, outstanding bytes, leak stacks, growth alert",
	.example = "--comm vector-studio",
	.elf_bytes = memalloc_bpf__elf_bytes,
	.opts = memalloc_opts,
	.prepare = memalloc_prepare,
	.attach = memalloc_attach,
	.refresh = memalloc_refresh,
};
