// SPDX-License-Identifier: GPL-2.0
/*
 * `pinsight metrics --http` and `--textfile`: the exposition without a
 * resident exporter. A socket unit (Accept=yes) or inetd hands us one
 * connection as stdin/stdout; we read one request head (bounded in size
 * and time, since anything on the network can connect), answer it and
 * exit. Only GET/HEAD /metrics is served: nothing else is worth a parser.
 * The one header read is Accept: a scraper that prefers OpenMetrics 1.0
 * (Prometheus does, by default) gets it, with exemplars; others get the
 * text format 0.0.4.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "http.h"
#include "log.h"
#include "pin_layout.h"
#include "pinmaps.h"

/* The exposition formats render_prom.c writes. */
#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define OM_CONTENT_TYPE                                                        \
	"application/openmetrics-text; version=1.0.0; charset=utf-8"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Wait until @fd is ready for @events or @deadline (ms) passes. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	long long left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 0; /* ready, or HUP/ERR for read/write */
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/*
 * Write everything by the deadline. The fd is made non-blocking for the
 * duration, since a blocking write of a large body could outlast any
 * poll(); the flags are restored because stdout may be a shared terminal.
 */
static int write_all(int fd, const char *buf, size_t len, long long deadline)
{
	int flags = fcntl(fd, F_GETFL), err = 0;
	ssize_t n;

	if (flags >= 0 && !(flags & O_NONBLOCK))
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	while (len) {
		n = write(fd, buf, len);
		if (n > 0) {
			buf += n;
			len -= n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			err = wait_fd(fd, POLLOUT, deadline);
			if (err)
				break;
			continue;
		}
		err = n < 0 ? -errno : -EIO;
		break;
	}
	if (flags >= 0 && !(flags & O_NONBLOCK))
		fcntl(fd, F_SETFL, flags);
	return err;
}

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 431:
		return "Request Header Fields Too Large";
	default:
		return "Internal Server Error";
	}
}

static int send_response(int fd, int status, const char *ctype,
			 const char *body, size_t len, bool head)
{
	long long deadline = now_ms() + PM_HTTP_TIMEOUT_MS;
	char hdr[512];
	int n, err;

	n = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.1 %d %s\r\n"
		     "Content-Type: %s\r\n"
		     "Content-Length: %zu\r\n"
		     "%s"
		     "Connection: close\r\n\r\n",
		     status, reason(status), ctype, len,
		     status == 405 ? "Allow: GET, HEAD\r\n" : "");
	err = write_all(fd, hdr, n, deadline);
	if (!err && !head)
		err = write_all(fd, body, len, deadline);
	/* FIN after the body (a pipe or tty has none: ENOTSOCK) */
	if (!err)
		shutdown(fd, SHUT_WR);
	if (err)
		p_err("http: cannot send the %d response: %s", status,
		      strerror(-err));
	return err;
}

int pm_http_error(int out_fd, int status)
{
	char body[128];
	int n;

	n = snprintf(body, sizeof(body), "%d %s\n", status, reason(status));
	return send_response(out_fd, status, "text/plain; charset=utf-8", body,
			     n, false);
}

/*
 * Read up to the blank line that ends the head. A client that closes its
 * side after the request line (HTTP/1.0 style) still gets an answer.
 */
static int read_head(int fd, char *buf, size_t sz, long long deadline)
{
	size_t len = 0;
	ssize_t n;
	int err;

	buf[0] = '\0';
	for (;;) {
		if (len >= sz - 1)
			return -E2BIG;
		err = wait_fd(fd, POLLIN, deadline);
		if (err)
			return err;
		n = read(fd, buf + len, sz - 1 - len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return strchr(buf, '\n') ? 0 : -EPIPE;
		if (memchr(buf + len, '\0', n))
			return -EINVAL;
		len += n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return 0;
	}
}

/* @s, of @len bytes, trimmed of blanks at both ends. */
static const char *trim(const char *s, size_t *len)
{
	while (*len && (*s == ' ' || *s == '\t')) {
		s++;
		(*len)--;
	}
	while (*len && (s[*len - 1] == ' ' || s[*len - 1] == '\t'))
		(*len)--;
	return s;
}

static bool token_is(const char *s, size_t len, const char *tok)
{
	return len == strlen(tok) && !strncasecmp(s, tok, len);
}

/*
 * One media range of an Accept value ("type/sub;version=1.0.0;q=0.5"):
 * its q (1 when absent), and how it compares with our two formats.
 */
static void media_range(const char *s, size_t len, double *om_q,
			double *text_q)
{
	const char *end = s + len, *p, *eq;
	bool om, text, version_ok = true;
	double q = 1;
	size_t n;

	/* the type, then ;-separated parameters */
	n = strcspn(s, ";");
	n = n < len ? n : len;
	len = n;
	p = trim(s, &len);
	om = token_is(p, len, "application/openmetrics-text");
	text = token_is(p, len, "text/plain");
	for (s += n; s < end; s += n) {
		s++; /* the ';' */
		n = strcspn(s, ";");
		n = n < (size_t)(end - s) ? n : (size_t)(end - s);
		len = n;
		p = trim(s, &len);
		eq = memchr(p, '=', len);
		if (!eq)
			continue;
		if (token_is(p, eq - p, "q"))
			q = strtod(eq + 1, NULL);
		/* 0.0.1 is an OpenMetrics draft; we write 1.0.0 */
		else if (om && token_is(p, eq - p, "version"))
			version_ok = token_is(eq + 1, len - (eq + 1 - p),
					      "1.0.0");
	}
	if (om && version_ok && q > *om_q)
		*om_q = q;
	if (text && q > *text_q)
		*text_q = q;
}

/*
 * Whether the Accept header(s) of a request head prefer OpenMetrics 1.0
 * to the text format: asked for with a q at least text/plain's. Wildcards
 * name both formats alike, so they decide nothing.
 */
static bool wants_openmetrics(const char *buf)
{
	double om_q = 0, text_q = 0;
	const char *line, *end, *comma;
	size_t len;

	for (line = strchr(buf, '\n'); line && *++line;
	     line = strchr(line, '\n')) {
		if (strncasecmp(line, "accept:", 7))
			continue;
		line += 7;
		end = line + strcspn(line, "\r\n");
		while (line < end) {
			comma = memchr(line, ',', end - line);
			len = (comma ? comma : end) - line;
			media_range(line, len, &om_q, &text_q);
			line += len + (comma != NULL);
		}
	}
	return om_q > 0 && om_q >= text_q;
}

int pm_http_request(int in_fd, int out_fd, bool *head, bool *openmetrics)
{
	char buf[PM_HTTP_HEAD_MAX], method[8], target[1024];
	int major, minor, end = 0, err, status;
	char *q;

	*head = false;
	*openmetrics = false;
	err = read_head(in_fd, buf, sizeof(buf), now_ms() + PM_HTTP_TIMEOUT_MS);
	if (err == -ETIMEDOUT)
		status = 408;
	else if (err == -E2BIG)
		status = 431;
	else if (err == -EPIPE && !buf[0])
		return 1; /* closed unasked, as TCP probes do */
	else if (err)
		status = 400;
	/* request-line = method SP request-target SP HTTP-version CRLF */
	else if (sscanf(buf, "%7[A-Z] %1023[^ \r\n] HTTP/%1d.%1d%n", method,
			target, &major, &minor, &end) != 4 ||
		 !end || (buf[end] != '\r' && buf[end] != '\n') || major != 1)
		status = 400;
	else if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		status = 405;
	else {
		/* no parameters are used, and none are refused */
		q = strchr(target, '?');
		if (q)
			*q = '\0';
		status = strcmp(target, "/metrics") ? 404 : 0;
		*head = !strcmp(method, "HEAD");
		*openmetrics = wants_openmetrics(buf);
	}
	if (!status)
		return 0;
	p_debug("http: answering %d", status);
	err = pm_http_error(out_fd, status);
	return err ? err : status;
}

/* The exposition in memory, for its Content-Length or a whole-file write. */
static int render(struct pm_prom *p, char **body, size_t *len)
{
	FILE *f = open_memstream(body, len);
	int err;

	if (!f)
		return -errno;
	err = pm_prom_print(p, f);
	if (fclose(f) && !err)
		err = -errno;
	if (err) {
		free(*body);
		*body = NULL;
	}
	return err;
}

int pm_http_send_metrics(struct pm_prom *p, int out_fd, bool head)
{
	char *body = NULL;
	size_t len = 0;
	int err;

	err = render(p, &body, &len);
	if (err) {
		p_err("http: cannot render the exposition: %s", strerror(-err));
		pm_http_error(out_fd, 500);
		return err;
	}
	err = send_response(out_fd, 200,
			    pm_prom_is_openmetrics(p) ? OM_CONTENT_TYPE :
							PROM_CONTENT_TYPE,
			    body, len, head);
	free(body);
	return err;
}

int pm_textfile_write(struct pm_prom *p, const char *path)
{
	char tmp[PATH_MAX] = "", *body = NULL;
	size_t len = 0, plen = strlen(path);
	int fd = -1, err;

	/* node_exporter reads *.prom only, so the temporary is never read */
	if (plen < 6 || strcmp(path + plen - 5, ".prom")) {
		p_err("%s: a textfile must end in .prom, or node_exporter ignores it",
		      path);
		return -EINVAL;
	}
	err = path_fmt(tmp, sizeof(tmp), "%s.%d.tmp", path, getpid());
	if (err) {
		tmp[0] = '\0';
		goto cleanup;
	}
	err = render(p, &body, &len);
	if (err)
		goto cleanup;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	/* 0644 whatever the umask: node_exporter runs as its own user */
	err = fchmod(fd, 0644) ? -errno : 0;
	if (!err)
		err = write_all(fd, body, len, now_ms() + PM_HTTP_TIMEOUT_MS);
	if (!err && fsync(fd))
		err = -errno;
	if (err)
		goto cleanup;
	if (close(fd)) {
		fd = -1;
		err = -errno;
		goto cleanup;
	}
	fd = -1;
	if (rename(tmp, path))
		err = -errno;
cleanup:
	if (fd >= 0)
		close(fd);
	if (err) {
		p_err("%s: cannot write: %s", path, strerror(-err));
		if (tmp[0])
			unlink(tmp);
	}
	free(body);
	return err;
}
