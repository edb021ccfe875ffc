// SPDX-License-Identifier: GPL-2.0
/*
 * funclat: the tool table entry. --binary and --func are resolved before
 * the object loads, so a missing binary or symbol leaves nothing behind.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include "attach_uprobe.h"
#include "funclat.h"
#include "funclat.skel.h"
#include "log.h"
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

/* One loader process loads one instance: the resolved list lives here. */
static struct {
	char binary[PATH_MAX];
	int nr;
	__u64 offset[FUNCLAT_MAX_FUNCS];
} fl;

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

static int funclat_prepare(struct load_ctx *ctx)
{
	const char *bin = ctx_opt(ctx, "binary"), *funcs = ctx_opt(ctx, "func");
	char name[1024];
	char(*names)[FUNCLAT_NAME_LEN];
	size_t sz;
	int err;

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
	err = uprobe_binary(ctx->inst, bin, fl.binary, sizeof(fl.binary));
	if (err)
		return err;
	for (fl.nr = 0; *funcs; fl.nr++) {
		if (fl.nr == FUNCLAT_MAX_FUNCS) {
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
		err = uprobe_resolve(ctx->inst, fl.binary, name, false,
				     &fl.offset[fl.nr]);
		if (err)
			return err;
		/* the reader shows this name; long C++ names keep their start
		 */
		memcpy(names[fl.nr], name, strnlen(name, FUNCLAT_NAME_LEN - 1));
	}
	return 0;
}

static int funclat_attach(struct load_ctx *ctx)
{
	struct bpf_program *entry, *ret;
	int i, err;

	if (!fl.nr) {
		p_err("%s: --binary and --func are required", ctx->inst);
		return -EINVAL;
	}
	entry = bpf_object__find_program_by_name(ctx->obj, "funclat_entry");
	ret = bpf_object__find_program_by_name(ctx->obj, "funclat_return");
	if (!entry || !ret)
		return -ENOENT;
	for (i = 0; i < fl.nr; i++) {
		err = uprobe_attach_pin(ctx, entry, fl.binary, fl.offset[i],
					false, i, i);
		if (!err)
			err = uprobe_attach_pin(ctx, ret, fl.binary,
						fl.offset[i], true, i, i);
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
	.opts = funclat_opts,
	.prepare = funclat_prepare,
	.attach = funclat_attach,
};
