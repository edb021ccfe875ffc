// SPDX-License-Identifier: GPL-2.0
/*
 * funclat: the tool table entry. --binary and --func are resolved before
 * the object loads, so a missing binary or symbol leaves nothing behind.
 *
 * The attach follows the kernel (pick_programs): with uprobe sessions
 * (6.13+), funclat_session alone, one session link over every function
 * (links/funclat_session): ~50 ns a call less than the pair on perf
 * uprobes on this 6.18 VM, ~40 of them in the kernel's hook. Without,
 * the funclat_entry/funclat_return pair: on two uprobe_multi links
 * (6.9+: links/funclat_entry, links/funclat_return), else on perf uprobes
 * (6.1, or PINSIGHT_NO_UPROBE_MULTI: links/funclat_entry-<n>, ...).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include "attach_uprobe.h"
#include "funclat.h"
#include "funclat.skel.h"
#include "log.h"
#include "probe.h"
#include "rodata.h"
#include "tools.h"

static const struct tool_opt funclat_opts[] = {
	{ "binary", "PATH", NULL,
	  "executable or library holding the functions (\"libc\": this host's C library)" },
	{ "func", "F1[,F2...]", NULL,
	  "functions: symbol names, or demangled C++ names (ns::Class::method)" },
	{ "threshold", "DURATION", "threshold_ns",
	  "alert on calls at least this long (e.g. 100ms); default: none" },
	{},
};

/* The resolved list, from prepare to attach (ctx->priv). */
struct funclat_priv {
	char binary[PATH_MAX];
	int nr;
	bool session; /* funclat_session, not the entry/return pair */
	bool multi; /* the pair on uprobe_multi links, not perf uprobes */
	__u64 offset[FUNCLAT_MAX_FUNCS];
};

/* Split at commas outside () and <>: "f(int, int)" is one name. */
static int next_name(const char **s, char *buf, size_t sz)
{
	const char *p = *s;
	int depth = 0;
	size_t n;

	for (; *p && (depth || *p != ','); p++) {
		if (*p == '(' || *p == '<')
			depth++;
		else if ((*p == ')' || *p == '>') && depth)
			depth--;
	}
	n = p - *s;
	if (n >= sz)
		return -ENAMETOOLONG;
	memcpy(buf, *s, n);
	buf[n] = '\0';
	*s = *p ? p + 1 : p;
	return 0;
}

/*
 * Load the session program or the pair, as this kernel allows: a session
 * (6.13+), else the pair on uprobe_multi links (6.9+), else on perf uprobes.
 */
static int pick_programs(struct load_ctx *ctx)
{
	struct funclat_priv *fl = ctx->priv;
	struct bpf_program *entry, *ret, *session;
	bool multi;

	entry = bpf_object__find_program_by_name(ctx->obj, "funclat_entry");
	ret = bpf_object__find_program_by_name(ctx->obj, "funclat_return");
	session = bpf_object__find_program_by_name(ctx->obj, "funclat_session");
	if (!entry || !ret || !session)
		return -ENOENT;
	/* a session link is a uprobe_multi one: PINSIGHT_NO_UPROBE_MULTI too */
	multi = uprobe_multi_supported();
	fl->session = multi && !probe_uprobe_session();
	fl->multi = multi && !fl->session;
	if (fl->session)
		p_debug("%s: one uprobe session program", ctx->inst);
	else
		p_debug("%s: entry/return pair on %s", ctx->inst,
			fl->multi ? "uprobe_multi links" : "perf uprobes");
	bpf_program__set_autoload(entry, !fl->session);
	bpf_program__set_autoload(ret, !fl->session);
	bpf_program__set_autoload(session, fl->session);
	if (fl->session)
		bpf_program__set_expected_attach_type(
			session, UPROBE_SESSION_ATTACH_TYPE);
	if (fl->multi) {
		bpf_program__set_expected_attach_type(entry,
						      UPROBE_MULTI_ATTACH_TYPE);
		bpf_program__set_expected_attach_type(ret,
						      UPROBE_MULTI_ATTACH_TYPE);
	}
	return 0;
}

static int funclat_prepare(struct load_ctx *ctx)
{
	struct funclat_priv *fl = ctx->priv;
	const char *bin = ctx_opt(ctx, "binary"), *funcs = ctx_opt(ctx, "func");
	char name[1024];
	char(*names)[FUNCLAT_NAME_LEN];
	const __u32 *tgid;
	size_t sz;
	int err;

	err = pick_programs(ctx);
	if (err)
		return err;
	/* neither: a probe (doctor) loading the object; attach will refuse */
	if (!bin && !funcs)
		return 0;
	if (!bin || !funcs || !*funcs) {
		p_err("%s: --binary and --func are required", ctx->inst);
		return -EINVAL;
	}
	names = rodata_var(ctx->obj, "func_names", &sz);
	if (!names || sz != sizeof(char[FUNCLAT_MAX_FUNCS][FUNCLAT_NAME_LEN]))
		return -ENOENT;
	err = uprobe_binary(ctx->inst, bin, fl->binary, sizeof(fl->binary));
	if (err)
		return err;
	for (fl->nr = 0; *funcs;) {
		int i;

		if (fl->nr == FUNCLAT_MAX_FUNCS) {
			p_err("%s: --func: more than %d functions", ctx->inst,
			      FUNCLAT_MAX_FUNCS);
			return -E2BIG;
		}
		err = next_name(&funcs, name, sizeof(name));
		if (err || !name[0]) {
			p_err("%s: --func: empty or too long a name",
			      ctx->inst);
			return -EINVAL;
		}
		err = uprobe_resolve(ctx->inst, fl->binary, name, false,
				     &fl->offset[fl->nr]);
		if (err)
			return err;
		/*
		 * One probe per address: a name given twice, or an alias of
		 * one given before (malloc, __libc_malloc), would otherwise
		 * count every call twice.
		 */
		for (i = 0; i < fl->nr && fl->offset[i] != fl->offset[fl->nr];
		     i++)
			;
		if (i < fl->nr) {
			p_info("%s: --func %s: the same function as %.*s, probed once",
			       ctx->inst, name, FUNCLAT_NAME_LEN, names[i]);
			continue;
		}
		/* the reader shows this name; long C++ names keep their start
		 */
		memcpy(names[fl->nr], name,
		       strnlen(name, FUNCLAT_NAME_LEN - 1));
		fl->nr++;
	}
	/*
	 * With --pid every hook is a uprobe attached with that pid: the
	 * kernel runs the programs in that process only, so they skip the
	 * check (filter.bpf.h).
	 */
	tgid = rodata_var(ctx->obj, "targ_tgid", NULL);
	if (!tgid || !*tgid)
		return 0;
	err = rodata_set(ctx->obj, "targ_by_hook", "1", name, sizeof(name));
	if (err)
		p_err("%s: targ_by_hook: %s", ctx->inst, name);
	return err;
}

static int funclat_attach(struct load_ctx *ctx)
{
	struct funclat_priv *fl = ctx->priv;
	struct bpf_program *entry, *ret, *session;
	__u64 cookies[FUNCLAT_MAX_FUNCS];
	int i, err;

	if (!fl->nr) {
		p_err("%s: --binary and --func are required", ctx->inst);
		return -EINVAL;
	}
	entry = bpf_object__find_program_by_name(ctx->obj, "funclat_entry");
	ret = bpf_object__find_program_by_name(ctx->obj, "funclat_return");
	session = bpf_object__find_program_by_name(ctx->obj, "funclat_session");
	if (!entry || !ret || !session)
		return -ENOENT;
	/* the cookie is the function's index in func_names[] */
	for (i = 0; i < fl->nr; i++)
		cookies[i] = i;
	if (fl->session)
		return uprobe_multi_attach_pin(ctx, session, fl->binary,
					       fl->offset, cookies, fl->nr,
					       false, "funclat_session");
	if (fl->multi) {
		err = uprobe_multi_attach_pin(ctx, entry, fl->binary,
					      fl->offset, cookies, fl->nr,
					      false, "funclat_entry");
		if (err)
			return err;
		return uprobe_multi_attach_pin(ctx, ret, fl->binary, fl->offset,
					       cookies, fl->nr, true,
					       "funclat_return");
	}
	for (i = 0; i < fl->nr; i++) {
		err = uprobe_attach_pin(ctx, entry, fl->binary, fl->offset[i],
					false, i, i);
		if (!err)
			err = uprobe_attach_pin(ctx, ret, fl->binary,
						fl->offset[i], true, i, i);
		if (err)
			return err;
	}
	return 0;
}

const struct tool tool_funclat = {
	.name = "funclat",
	.required = "binary,func",
	.summary =
		"calls, latency histogram and threshold alerts of user functions (uprobes)",
	.example =
		"--binary libc --func malloc_trim,getaddrinfo --threshold 100ms",
	.elf_bytes = funclat_bpf__elf_bytes,
	.priv_size = sizeof(struct funclat_priv),
	.opts = funclat_opts,
	.prepare = funclat_prepare,
	.attach = funclat_attach,
};
