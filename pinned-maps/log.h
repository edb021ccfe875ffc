/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Messages and exit codes shared by pinsight-load, pinsight and the tests.
 * Every error names the object first and the cause second.
 */
#ifndef __PINSIGHT_LOG_H
#define __PINSIGHT_LOG_H

#include <stdbool.h>

/* Documented in both --help texts and README.md; keep them in step. */
enum pinsight_exit {
	EXIT_OK = 0,
	EXIT_FAIL = 1, /* runtime failure: load, attach, pin, read */
	EXIT_USAGE = 2, /* bad command line, option value or config line */
	EXIT_NOENT = 3, /* unknown tool, instance, map, binary or symbol */
	EXIT_EXISTS = 4, /* instance already loaded (see --replace) */
	EXIT_PERM = 5, /* not root, or bpffs/tracefs cannot be mounted */
	EXIT_CONTRACT = 6, /* a pin is not what pinsight made or expects */
	EXIT_UNSUPP = 7, /* the kernel lacks what the tool needs */
};

#define EXIT_CODES_HELP                                                        \
	"Exit codes: 0 ok, 1 runtime failure, 2 usage, 3 not found,\n"        \
	"  4 already loaded, 5 permission/bpffs, 6 pin contract mismatch,\n"  \
	"  7 unsupported by this kernel.\n"

extern const char *prog_name; /* set by main() */
extern bool json_output; /* -j: errors as {"error": "..."} */
extern bool verbose; /* -v */

void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The one table from a negative errno to the documented exit code, used
 * only where a command ends: EINVAL, ERANGE and E2BIG are usage errors, so
 * a failure whose errno says otherwise (a verifier's EINVAL) is returned
 * as another errno (-EIO) by the code that named it.
 */
int exit_code_for(int err);

#endif /* __PINSIGHT_LOG_H */
