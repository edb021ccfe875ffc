// SPDX-License-Identifier: GPL-2.0
/*
 * Load and unload whole instances, atomically: everything is built in a
 * temporary directory under the pin root and renamed into place while the
 * root is flock()ed, so a reader or a killed loader never sees half of one.
 * This file is the transactions (configure, load with the attach variants,
 * attach, commit by rename; unload); the pin tree they build and remove
 * is pins.c's, the API the tools' hooks call hook_api.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "instance.h"
#include "lifetime.h"
#include "lifetime_read.h"
#include "log.h"
#include "mapsize.h"
#include "pin_layout.h"
#include "pins.h"
#include "probe.h"
#include "rodata.h"
#include "otel.h"
#include "unwind.h"
#include "variant.h"

static int libbpf_quiet_print(enum libbpf_print_level level, const char *fmt,
			      va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int libbpf_silent_print(enum libbpf_print_level level, const char *fmt,
			       va_list ap)
{
	return verbose ? libbpf_quiet_print(level, fmt, ap) : 0;
}

/* Set while probing: a failure to load is then an answer, not an error. */
static bool probing;

/*
 * A kernel or libbpf error while opening, loading, pinning or moving pins
 * is a runtime failure (exit 1) whatever its errno, once the message has
 * named it: the verifier's EINVAL is no usage error, a pin's EEXIST no
 * loaded instance. -EIO is what exit_code_for() reads as exit 1.
 */
static int runtime_err(int err)
{
	return exit_code_for(err) == EXIT_FAIL ? err : -EIO;
}

/* Programs named "<variant>__x" belong to a variant; others always load. */
static bool prog_in_variant(const char *name, const char *variant)
{
	const char *sep = strstr(name, "__");

	if (!sep || !variant)
		return true;
	return strlen(variant) == (size_t)(sep - name) &&
	       !strncmp(name, variant, sep - name);
}

static int set_option(struct load_ctx *ctx, const char *opt, const char *var,
		      const char *val)
{
	char why[256];
	int err;

	err = rodata_set(ctx->obj, var, val, why, sizeof(why));
	if (err == -ENOENT)
		p_err("%s: --%s is not supported by this tool", ctx->inst, opt);
	else if (err)
		p_err("%s: --%s: %s", ctx->inst, opt, why);
	/* an option this tool lacks is a usage error, not a missing object */
	return err ? -EINVAL : 0;
}

/* What the programs take as constants about this kernel (filter.bpf.h). */
static int set_kernel_facts(struct load_ctx *ctx)
{
	char why[256];
	int err;

	if (!rodata_has(ctx->obj, "comm_padded") || !kernel_pads_comm())
		return 0;
	err = rodata_set(ctx->obj, "comm_padded", "1", why, sizeof(why));
	if (err)
		p_err("%s: comm_padded: %s", ctx->inst, why);
	return err;
}

/*
 * --max-entries MAP=N, for any map of any tool: size a map for a host, or
 * shrink one to force map pressure in tests. Checked here rather than left
 * to the kernel so the error names the option.
 */
static int set_max_entries(struct load_ctx *ctx, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char name[BPF_OBJ_NAME_LEN], why[160];
	struct bpf_map *map;
	unsigned long long n;

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(name)) {
		p_err("%s: --max-entries '%s': expected MAP=N", ctx->inst, arg);
		return -EINVAL;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
	/* the size parser of every option: "64k" is 65536 entries */
	if (parse_size(eq + 1, &n) || !n || n > UINT32_MAX) {
		p_err("%s: --max-entries %s: '%s' is not a number in 1..%u",
		      ctx->inst, name, eq + 1, UINT32_MAX);
		return -ERANGE;
	}
	map = bpf_object__find_map_by_name(ctx->obj, name);
	if (!map || bpf_map__is_internal(map)) {
		p_err("%s: --max-entries %s: no such map", ctx->inst, name);
		return -ENOENT;
	}
	if (bpf_map__type(map) == BPF_MAP_TYPE_RINGBUF &&
	    ((n & (n - 1)) || n % getpagesize())) {
		p_err("%s: --max-entries %s: a ring buffer's size must be a power of 2 and a multiple of %d",
		      ctx->inst, name, getpagesize());
		return -EINVAL;
	}
	if (map_size_check(map, n, why, sizeof(why))) {
		p_err("%s: --max-entries %s=%llu: %s", ctx->inst, name, n, why);
		return -E2BIG;
	}
	/* a map shared with a loaded instance (unwind.c) keeps its size */
	if (bpf_map__fd(map) >= 0) {
		p_info("%s: --max-entries %s: the map is shared and already sized by a loaded instance",
		       ctx->inst, name);
		return 0;
	}
	return bpf_map__set_max_entries(map, n);
}

static int configure(struct load_ctx *ctx, const struct load_req *req)
{
	const struct tool_opt *o;
	struct bpf_program *prog;
	struct bpf_map *map;
	int i, err;

	bpf_object__for_each_program(prog, ctx->obj)
		bpf_program__set_autoload(
			prog, prog_in_variant(bpf_program__name(prog),
					      ctx->variant));
	/* Maps follow the same rule: a variant's own state maps (say, a hash
	 * standing in for task storage) exist only with it.
	 */
	bpf_object__for_each_map(map, ctx->obj)
		bpf_map__set_autocreate(
			map, prog_in_variant(bpf_map__name(map), ctx->variant));
	if (req->pid) {
		err = set_option(ctx, "pid", "targ_tgid", req->pid);
		if (err)
			return err;
	}
	/* --pid a process (not a thread), its start, --duration */
	err = lifetime_configure(ctx, req);
	if (err)
		return err;
	if (req->comm) {
		err = set_option(ctx, "comm", "targ_comm", req->comm);
		if (err)
			return err;
	}
	err = set_kernel_facts(ctx);
	if (err)
		return err;
	for (i = 0, o = ctx->tool->opts; o && o->name; i++, o++) {
		if (!o->var || !req->vals[i])
			continue;
		err = set_option(ctx, o->name, o->var, req->vals[i]);
		if (err)
			return err;
	}
	if (ctx->tool->prepare) {
		if (ctx->tool->priv_size) {
			if (!ctx->priv)
				ctx->priv = malloc(ctx->tool->priv_size);
			if (!ctx->priv)
				return -ENOMEM;
			memset(ctx->priv, 0, ctx->tool->priv_size);
		}
		/*
		 * Before load, -EINVAL can only be a hook refusing an option
		 * value (or a missing one): a usage error, as the table says.
		 */
		err = ctx->tool->prepare(ctx);
		if (err)
			return err;
	}
	err = unwind_prepare(ctx);
	if (err)
		return err;
	/* after the hook: sizes it picks (--stacks, execmon's targets) are
	 * defaults that an explicit --max-entries overrides */
	for (i = 0; i < req->nr_max_entries; i++) {
		err = set_max_entries(ctx, req->max_entries[i]);
		if (err)
			return err;
	}
	return 0;
}

/* Open and load, trying the tool's attach variants in order. */
static int open_and_load(struct load_ctx *ctx, const struct load_req *req)
{
	const char *const *v = ctx->tool->variants;
	const char *only[] = { req->variant, NULL };
	const void *bytes;
	char name[80];
	size_t sz;
	int err = -ENOENT;
	/* Named like the skeleton, so maps show as "io_bpf.rodata" */
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = name);

	snprintf(name, sizeof(name), "%s_bpf", ctx->tool->name);

	if (req->variant) {
		for (; v && *v && strcmp(*v, req->variant); v++)
			;
		if (!v || !*v) {
			p_err("%s: --attach %s: no such attach variant",
			      ctx->inst, req->variant);
			return -EINVAL;
		}
		v = only;
	}
	bytes = ctx->tool->elf_bytes(&sz);
	do {
		ctx->variant = v ? *v : NULL;
		ctx->obj = bpf_object__open_mem(bytes, sz, &oo);
		if (!ctx->obj) {
			err = -errno;
			p_err("%s: cannot open BPF object: %s", ctx->inst,
			      strerror(errno));
			return runtime_err(err);
		}
		err = configure(ctx, req);
		if (err)
			return err;
		/* Only the last candidate's failure is worth a verifier log. */
		if (v && v[1])
			libbpf_set_print(libbpf_silent_print);
		err = bpf_object__load(ctx->obj);
		libbpf_set_print(probing ? libbpf_silent_print :
					   libbpf_quiet_print);
		if (!err)
			return 0;
		p_debug("%s: variant %s does not load: %s", ctx->inst,
			ctx->variant ?: "-", strerror(-err));
		if (req->variant && variant_unsupported(ctx)) {
			bpf_object__close(ctx->obj);
			ctx->obj = NULL;
			return -EOPNOTSUPP;
		}
		bpf_object__close(ctx->obj);
		ctx->obj = NULL;
	} while (v && *v && *++v);
	if (probing)
		return err;
	p_err("%s: cannot load BPF programs%s%s%s: %s%s", ctx->inst,
	      ctx->variant ? " (attach " : "", ctx->variant ? ctx->variant : "",
	      ctx->variant ? ")" : "", strerror(-err),
	      verbose ? "" : " (-v shows the verifier log)");
	/* the verifier's EINVAL or EACCES is no usage or privilege error */
	return err == -EPERM ? err : runtime_err(err);
}

int tool_probe(const struct tool *t, const struct load_req *opts,
	       const char **variant)
{
	struct load_ctx ctx = { .tool = t, .inst = t->name };
	struct load_req req = { .tool = t };
	int err, null, saved_stderr = dup(STDERR_FILENO);

	if (opts)
		req = *opts;
	req.inst = t->name;
	memcpy(ctx.vals, req.vals, sizeof(ctx.vals));
	bool saved_json = json_output;

	/* Hooks explain their refusals on stderr; a probe only wants yes/no. */
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDERR_FILENO);
		close(null);
	}
	json_output = false; /* p_err() would copy JSON errors to stdout */
	probing = true;
	libbpf_set_print(libbpf_silent_print);
	err = open_and_load(&ctx, &req);
	libbpf_set_print(libbpf_quiet_print);
	probing = false;
	json_output = saved_json;
	if (saved_stderr >= 0) {
		dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
	}
	*variant = ctx.variant;
	bpf_object__close(ctx.obj);
	free(ctx.priv);
	return err;
}

static int attach_all(struct load_ctx *ctx)
{
	if (ctx->tool->attach)
		return ctx->tool->attach(ctx);
	return ctx_attach_programs(ctx);
}

static void print_loaded(const struct load_ctx *ctx, const char *final)
{
	struct bpf_program *prog;
	struct bpf_map *map;

	if (json_output) {
		printf("{\"instance\":\"%s\",\"path\":\"%s\",\"attach\":\"%s\"}\n",
		       ctx->inst, final, ctx->variant ?: "");
		return;
	}
	printf("%s: pinned %s%s%s%s\n", ctx->inst, final,
	       ctx->variant ? " (attach " : "", ctx->variant ?: "",
	       ctx->variant ? ")" : "");
	bpf_object__for_each_program(prog, ctx->obj)
		if (bpf_program__autoload(prog))
			printf("  prog %-24s %s\n", bpf_program__name(prog),
			       bpf_program__section_name(prog));
	bpf_object__for_each_map(map, ctx->obj)
		if (map_wanted(map))
			printf("  map  %-24s %s/maps/%s\n", bpf_map__name(map),
			       final, map_pin_name(map));
}

/*
 * What a load checks before the kernel: the attach variant, option values,
 * the --pid process, the tool's own checks, map sizes and --group. The
 * first candidate variant stands for all: they take the same options.
 */
static int check_req(const struct load_req *req)
{
	struct load_ctx ctx = { .tool = req->tool, .inst = req->inst };
	const char *const *v = req->tool->variants;
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	const void *bytes;
	gid_t gid;
	size_t sz;
	int err;

	memcpy(ctx.vals, req->vals, sizeof(ctx.vals));
	if (req->group && group_id(req->inst, req->group, &gid))
		return -ENOENT;
	if (req->variant) {
		for (; v && *v && strcmp(*v, req->variant); v++)
			;
		if (!v || !*v) {
			p_err("%s: --attach %s: no such attach variant",
			      ctx.inst, req->variant);
			return -EINVAL;
		}
	}
	ctx.variant = v ? *v : NULL;
	libbpf_set_print(libbpf_silent_print);
	bytes = req->tool->elf_bytes(&sz);
	ctx.obj = bpf_object__open_mem(bytes, sz, &oo);
	if (!ctx.obj) {
		err = -errno;
		p_err("%s: cannot open BPF object: %s", ctx.inst,
		      strerror(errno));
		return runtime_err(err);
	}
	err = configure(&ctx, req);
	bpf_object__close(ctx.obj);
	free(ctx.priv);
	return err;
}

int instance_load(const struct load_req *req)
{
	struct load_ctx ctx = { .tool = req->tool, .inst = req->inst };
	char final[PATH_MAX];
	struct stat st;
	gid_t gid = 0;
	int lock, err;

	if (req->check)
		return check_req(req);
	memcpy(ctx.vals, req->vals, sizeof(ctx.vals));
	libbpf_set_print(libbpf_quiet_print);
	if (req->group && group_id(req->inst, req->group, &gid))
		return -ENOENT;
	lock = lock_root();
	if (lock < 0)
		return lock;
	err = path_fmt(final, sizeof(final), "%s/%s", pin_root(), req->inst);
	if (!err)
		err = path_fmt(ctx.dir, sizeof(ctx.dir), "%s/" PIN_TMP_PREFIX
			       "%s-%d", pin_root(), req->inst, getpid());
	if (err) {
		p_err("%s: instance path too long", req->inst);
		goto cleanup;
	}
	/* Whatever is there must be ours: --replace would remove it. */
	if (!stat(final, &st)) {
		err = check_ours(req->inst, final, 0);
		if (err)
			goto cleanup;
	}
	if (!req->replace && !stat(final, &st)) {
		p_err("%s: already loaded at %s (unload it, or use --replace)",
		      req->inst, final);
		err = -EEXIST;
		goto cleanup;
	}
	err = open_and_load(&ctx, req);
	if (err)
		goto cleanup;
	/* tables before the first sample: a failure only costs stacks */
	unwind_fill(&ctx, req->pid ? atoi(req->pid) : 0, req->comm);
	/* the same targets' OpenTelemetry thread context, likewise */
	otel_fill(&ctx, req->pid ? atoi(req->pid) : 0, req->comm);
	err = make_dirs(ctx.dir);
	if (err) {
		p_err("%s: cannot create %s: %s", req->inst, ctx.dir,
		      strerror(-err));
		err = runtime_err(err);
		goto cleanup;
	}
	err = pin_maps(&ctx);
	if (!err)
		err = pin_btf(&ctx);
	if (!err) {
		err = attach_all(&ctx);
		if (!err)
			err = lifetime_attach(&ctx, req);
		/* an attach point this kernel lacks: exit 7, not "not found" */
		if (err && req->variant && variant_unsupported(&ctx))
			err = -EOPNOTSUPP;
	}
	if (!err && req->group) {
		err = grant_group(ctx.dir, gid);
		if (!err)
			err = open_root_to_group(gid);
		if (err) {
			p_err("%s: --group %s: cannot set pin ownership: %s",
			      req->inst, req->group, strerror(-err));
			/* chown/chmod refused: a privilege (CAP_CHOWN) */
			goto cleanup;
		}
	}
	if (err) {
		/*
		 * A hook's missing binary or symbol, or an attach point
		 * this kernel lacks, say so; anything else is a failure.
		 */
		if (err != -EOPNOTSUPP && err != -ENOENT)
			err = runtime_err(err);
		goto cleanup;
	}
	/* The commit point: before it nothing is visible, after it all. */
	if (renameat2(AT_FDCWD, ctx.dir, AT_FDCWD, final,
		      req->replace ? RENAME_EXCHANGE : RENAME_NOREPLACE)) {
		if (errno == ENOENT && req->replace &&
		    !renameat2(AT_FDCWD, ctx.dir, AT_FDCWD, final,
			       RENAME_NOREPLACE))
			goto done;
		err = -errno;
		p_err("%s: cannot move into place at %s: %s", req->inst, final,
		      strerror(errno));
		err = runtime_err(err);
		goto cleanup;
	}
	/* With --replace, ctx.dir now holds the old instance: drop it. */
done:
	print_loaded(&ctx, final);
cleanup:
	remove_tree(req->inst, ctx.dir);
	bpf_object__close(ctx.obj);
	free(ctx.priv);
	close(lock);
	return err;
}

static int unload_locked(const char *inst)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int err;

	if (inst_name_check(inst)) {
		p_err("%s: not a valid instance name", inst);
		return -EINVAL;
	}
	err = path_fmt(path, sizeof(path), "%s/%s", pin_root(), inst);
	if (!err)
		err = path_fmt(tmp, sizeof(tmp), "%s/" PIN_TMP_PREFIX "%s-%d",
			       pin_root(), inst, getpid());
	if (err)
		return err;
	if (access(path, F_OK)) {
		p_err("%s: no such instance under %s", inst, pin_root());
		return -ENOENT;
	}
	err = check_ours(inst, path, 0);
	if (err)
		return err;
	if (rename(path, tmp)) {
		err = -errno;
		p_err("%s: cannot remove %s: %s", inst, path, strerror(errno));
		return runtime_err(err);
	}
	/*
	 * What could not be detached stays reachable through the pins: put
	 * the instance back whole, for an unload run where it can detach
	 * (the hook said where), instead of leaving it attached and nameless.
	 */
	err = detach_tree(inst, tmp);
	if (err) {
		if (rename(tmp, path))
			p_err("%s: cannot restore %s: %s", inst, path,
			      strerror(errno));
		else
			p_err("%s: left in place: not all of it could be detached",
			      inst);
		return runtime_err(err);
	}
	err = rm_tree(tmp);
	if (err) {
		p_err("%s: removing %s: %s", inst, tmp, strerror(-err));
		return runtime_err(err);
	}
	if (json_output) /* one object per instance, as a load prints */
		printf("{\"instance\":\"%s\",\"unloaded\":true}\n", inst);
	else
		printf("%s: unloaded\n", inst);
	return 0;
}

int instance_unload(const char *inst)
{
	int lock, err;

	lock = lock_root();
	if (lock < 0)
		return lock;
	err = unload_locked(inst);
	close(lock);
	return err;
}

/*
 * @fn on every instance under the root lock @lock (closed here), in turn;
 * the first failure's error, as for several named instances.
 */
static int each_instance(int lock, int (*fn)(const char *inst))
{
	char **names = NULL, **n;
	int err, ret = 0;

	if (lock < 0)
		return lock;
	err = inst_list(&names);
	if (err < 0) {
		p_err("%s: cannot list instances: %s", pin_root(),
		      strerror(-err));
		err = runtime_err(err);
		goto cleanup;
	}
	for (n = names; *n; n++) {
		err = fn(*n);
		if (err && !ret)
			ret = err;
	}
	err = ret;
cleanup:
	strv_free(names);
	close(lock);
	return err;
}

int instance_unload_all(void)
{
	return each_instance(lock_root(), unload_locked);
}

static int unload_if_finished(const char *inst)
{
	struct pm_lifetime lt;

	/* an unreadable lifetime is no reason to remove an instance */
	if (pm_lifetime_read(inst, &lt) || !pm_life_over(lt.state))
		return 0;
	p_info("%s: %s", inst,
	       lt.state == PM_LIFE_FINISHED ? "its --pid target exited" :
					      "its --duration ran out");
	return unload_locked(inst);
}

int instance_unload_finished(void)
{
	return each_instance(lock_root(), unload_if_finished);
}

static int refresh_one(const char *inst)
{
	char dir[PATH_MAX], tool[65];
	const struct tool *t;
	int err = 0, err2;

	if (inst_tool(inst, tool, sizeof(tool)) || !(t = tool_find(tool)) ||
	    path_fmt(dir, sizeof(dir), "%s/%s", pin_root(), inst))
		return 0;
	if (t->refresh)
		err = t->refresh(inst, dir);
	/* any tool's: those that read the OpenTelemetry thread context */
	err2 = otel_refresh(inst, dir);
	return err ?: err2;
}

int instance_refresh_all(void)
{
	return each_instance(pin_root_lock(), refresh_one);
}
