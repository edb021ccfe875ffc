/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __LOADER_VARIANT_H
#define __LOADER_VARIANT_H

#include <stdbool.h>
#include "tools.h"

/*
 * The attach variant asked for with --attach (ctx->variant, its programs
 * still in ctx->obj) failed to load or attach: is it that this kernel
 * cannot do that variant at all? Then print why, naming the instance,
 * the variant and the cause, with a variant that loads here, and return
 * true (exit 7). False leaves the failure as it was reported: the
 * tool's own, or possibly a missing privilege.
 */
bool variant_unsupported(const struct load_ctx *ctx);

#endif /* __LOADER_VARIANT_H */
