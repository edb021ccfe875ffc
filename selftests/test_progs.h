/* SPDX-License-Identifier: GPL-2.0 */
/*
 * API for selftests/prog_tests/<name>.c, each of which defines
 * void test_<name>(void).  Modelled on the kernel's
 * tools/testing/selftests/bpf/test_progs.h.
 *
 * A test simply printf()s or fprintf(stderr)s: the runner captures both
 * streams of every test and shows them only when the test failed or with -v.
 *
 * Each test runs in its own forked process and process group, so tests may
 * crash, leak or change process-wide state without affecting later tests;
 * whatever is left in the group when the test ends (or times out) is killed.
 * Results are kept in memory shared with the runner, so assertions made in
 * processes the test fork()s itself count as well.
 */
#ifndef __TEST_PROGS_H
#define __TEST_PROGS_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Start subtest @name; any subtest still open is finished first.  Returns
 * false when the subtest is filtered out (-t/-a/-d) or denylisted: skip its
 * body then.  A denylisted subtest is reported as skipped.
 */
bool test__start_subtest(const char *name);
/*
 * Mark the current subtest, or the test outside subtests, as skipped; the
 * printf-style reason is shown on its result line.  Return after it.
 */
void test__skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Mark the current subtest, or the test outside subtests, as failed. */
void test__fail(void);

/* Directory holding the built binaries (where test_progs is: .output). */
const char *env_output_dir(void);
/* Root of the source tree: the parent of env_output_dir(). */
const char *env_src_dir(void);

/*
 * Run a printf-formatted command line with /bin/sh -c and wait for the shell.
 * stdout and stderr go, combined, into a malloc()ed NUL-terminated *out
 * (caller frees; pass out == NULL to discard).  The command, the last 4 KiB
 * of its output and its exit status are echoed to the test's log.
 *
 * Returns the exit status (0..255); if the shell was killed by a signal,
 * 128 + the signal number, which is what sh itself reports for a killed
 * command, so the convention does not depend on whether sh exec()ed the
 * command or forked it; -errno when the command could not be started.
 *
 * Output is read until the shell exits: background jobs (cmd &) are not
 * waited for, and should redirect their output, as they get SIGPIPE if they
 * write to the closed pipe later.
 */
int run_cmd(char **out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Same as run_cmd(), with stdout in *out and stderr in *err. */
int run_cmd_sep(char **out, char **err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Boolean assertions.  Each evaluates to true when the check holds; when it
 * does not, it prints file:line, the name, the expression and the values to
 * the test's log, marks the current subtest (or test) failed and evaluates to
 * false, so that tests can write:
 *
 *	if (!ASSERT_OK(err, "load"))
 *		goto cleanup;
 */

/* Implementation details of the macros below. */
bool test__assert_msg(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool test__assert_cmp(const char *file, int line, const char *name,
		      const char *expr, bool sa, unsigned long long a, bool sb,
		      unsigned long long b);

#define TEST__SIGNED(x)                                                        \
	_Generic((x), char: CHAR_MIN < 0, signed char: 1, short: 1, int: 1,    \
		 long: 1, long long: 1, default: 0)

/*
 * Compare two integers carried as (signedness, bits) by their mathematical
 * values, so that comparing an int with a size_t neither trips
 * -Wsign-compare nor turns -1 into a huge number.
 */
static inline int test__cmp(bool sa, unsigned long long a, bool sb,
			    unsigned long long b)
{
	bool na = sa && (long long)a < 0, nb = sb && (long long)b < 0;

	if (na != nb)
		return na ? -1 : 1;
	return (a > b) - (a < b);
}

#define _ASSERT_CMP(macro, actual, op, expected, name) ({                      \
	__typeof__(actual) ___act = (actual);                                  \
	__typeof__(expected) ___exp = (expected);                              \
	bool ___sa = TEST__SIGNED(___act), ___sb = TEST__SIGNED(___exp);       \
	unsigned long long ___a = (unsigned long long)___act;                  \
	unsigned long long ___b = (unsigned long long)___exp;                  \
	bool ___ok = test__cmp(___sa, ___a, ___sb, ___b) op 0;                 \
	if (!___ok)                                                            \
		test__assert_cmp(__FILE__, __LINE__, (name),                   \
				 #macro "(" #actual ", " #expected ")", ___sa, \
				 ___a, ___sb, ___b);                           \
	___ok;                                                                 \
})

#define ASSERT_EQ(actual, expected, name)                                      \
	_ASSERT_CMP(ASSERT_EQ, actual, ==, expected, name)
#define ASSERT_NEQ(actual, expected, name)                                     \
	_ASSERT_CMP(ASSERT_NEQ, actual, !=, expected, name)
#define ASSERT_LT(actual, expected, name)                                      \
	_ASSERT_CMP(ASSERT_LT, actual, <, expected, name)
#define ASSERT_LE(actual, expected, name)                                      \
	_ASSERT_CMP(ASSERT_LE, actual, <=, expected, name)
#define ASSERT_GT(actual, expected, name)                                      \
	_ASSERT_CMP(ASSERT_GT, actual, >, expected, name)
#define ASSERT_GE(actual, expected, name)                                      \
	_ASSERT_CMP(ASSERT_GE, actual, >=, expected, name)

#define ASSERT_TRUE(actual, name) ({                                           \
	bool ___ok = (actual);                                                 \
	if (!___ok)                                                            \
		test__assert_msg(__FILE__, __LINE__,                           \
				 "%s: ASSERT_TRUE(%s) failed", (name),         \
				 #actual);                                     \
	___ok;                                                                 \
})

#define ASSERT_FALSE(actual, name) ({                                          \
	bool ___ok = !(actual);                                                \
	if (!___ok)                                                            \
		test__assert_msg(__FILE__, __LINE__,                           \
				 "%s: ASSERT_FALSE(%s) failed", (name),        \
				 #actual);                                     \
	___ok;                                                                 \
})

/* errno is printed too: most callers return -1 and set errno. */
#define ASSERT_OK(res, name) ({                                                \
	long long ___res = (res);                                              \
	int ___errno = errno;                                                  \
	bool ___ok = ___res == 0;                                              \
	if (!___ok)                                                            \
		test__assert_msg(__FILE__, __LINE__,                           \
				 "%s: ASSERT_OK(%s) failed: got %lld "         \
				 "(errno %d: %s)",                             \
				 (name), #res, ___res, ___errno,               \
				 strerror(___errno));                          \
	___ok;                                                                 \
})

#define ASSERT_ERR(res, name) ({                                               \
	long long ___res = (res);                                              \
	bool ___ok = ___res < 0;                                               \
	if (!___ok)                                                            \
		test__assert_msg(__FILE__, __LINE__,                           \
				 "%s: ASSERT_ERR(%s) failed: got %lld, "       \
				 "expected < 0",                               \
				 (name), #res, ___res);                        \
	___ok;                                                                 \
})

/* Also rejects ERR_PTR()-style values (-4095..-1), as libbpf can return. */
#define ASSERT_OK_PTR(ptr, name) ({                                            \
	const void *___p = (ptr);                                              \
	int ___errno = errno;                                                  \
	bool ___ok = ___p && (unsigned long)___p < (unsigned long)-4095L;      \
	if (!___ok)                                                            \
		test__assert_msg(__FILE__, __LINE__,                           \
				 "%s: ASSERT_OK_PTR(%s) failed: got %p "       \
				 "(errno %d: %s)",                             \
				 (name), #ptr, ___p, ___errno,                 \
				 strerror(___errno));                          \
	___ok;                                                                 \
})

#define ASSERT_NULL(ptr, name) ({                                              \
	const void *___p = (ptr);                                              \
	bool ___ok = !___p;                                                    \
	if (!___ok)                                                            \
		test__assert_msg(__FILE__, __LINE__,                           \
				 "%s: ASSERT_NULL(%s) failed: got %p", (name), \
				 #ptr, ___p);                                  \
	___ok;                                                                 \
})

/* Two NULLs are equal; NULL and a string are not. */
#define ASSERT_STREQ(actual, expected, name) ({                                \
	const char *___a = (actual), *___e = (expected);                       \
	bool ___ok = ___a && ___e ? !strcmp(___a, ___e) : ___a == ___e;        \
	if (!___ok)                                                            \
		test__assert_msg(__FILE__, __LINE__,                           \
				 "%s: ASSERT_STREQ(%s, %s) failed: "           \
				 "actual \"%s\", expected \"%s\"",             \
				 (name), #actual, #expected,                   \
				 ___a ? ___a : "(null)",                       \
				 ___e ? ___e : "(null)");                      \
	___ok;                                                                 \
})

/* As in the kernel: equal in their first @len characters (strncmp). */
#define ASSERT_STRNEQ(actual, expected, len, name) ({                          \
	const char *___a = (actual), *___e = (expected);                       \
	size_t ___len = (len);                                                 \
	bool ___ok = ___a && ___e ? !strncmp(___a, ___e, ___len) :             \
				    ___a == ___e;                              \
	if (!___ok)                                                            \
		test__assert_msg(__FILE__, __LINE__,                           \
				 "%s: ASSERT_STRNEQ(%s, %s, %zu) failed: "     \
				 "actual \"%.*s\", expected \"%.*s\"",         \
				 (name), #actual, #expected, ___len,           \
				 (int)___len, ___a ? ___a : "(null)",          \
				 (int)___len, ___e ? ___e : "(null)");         \
	___ok;                                                                 \
})

#define ASSERT_HAS_SUBSTR(str, substr, name) ({                                \
	const char *___s = (str), *___sub = (substr);                          \
	bool ___ok = ___s && ___sub && strstr(___s, ___sub);                   \
	if (!___ok)                                                            \
		test__assert_msg(__FILE__, __LINE__,                           \
				 "%s: ASSERT_HAS_SUBSTR(%s, %s) failed: "      \
				 "\"%s\" not found in:\n%s",                   \
				 (name), #str, #substr,                        \
				 ___sub ? ___sub : "(null)",                   \
				 ___s ? ___s : "(null)");                      \
	___ok;                                                                 \
})

#endif /* __TEST_PROGS_H */
