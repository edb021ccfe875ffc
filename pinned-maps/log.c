// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include "log.h"

const char *prog_name = "pinsight";
bool json_output;
bool verbose;

static void json_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

void p_err(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* bpftool prints JSON errors on stdout, where the JSON consumer reads */
	if (json_output) {
		fputs("{\"error\":\"", stdout);
		json_escape(stdout, buf);
		fputs("\"}\n", stdout);
		fflush(stdout);
	}
	fprintf(stderr, "%s: %s\n", prog_name, buf);
}

void p_info(const char *fmt, ...)
{
	va_list ap;

	if (json_output)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void p_debug(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int exit_code_for(int err)
{
	switch (-err) {
	case 0:
		return EXIT_OK;
	case EINVAL: /* a bad argument, value or line */
	case ERANGE:
	case E2BIG:
		return EXIT_USAGE;
	case ENOENT:
	case ESRCH:
		return EXIT_NOENT;
	case EEXIST:
		return EXIT_EXISTS;
	case EPERM:
	case EACCES:
		return EXIT_PERM;
	case EBADMSG:
	case EPROTO:
		return EXIT_CONTRACT;
	case EOPNOTSUPP: /* == ENOTSUP on Linux */
		return EXIT_UNSUPP;
	default:
		return EXIT_FAIL;
	}
}
