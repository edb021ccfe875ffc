/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Daemonless export of `pinsight metrics`: one HTTP request answered on
 * stdin/stdout (inetd style, for a systemd socket unit with Accept=yes),
 * or a .prom file for node_exporter's textfile collector, replaced
 * atomically.
 */
#ifndef __PINSIGHT_HTTP_H
#define __PINSIGHT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct pm_prom;

/* Prometheus' own default scrape timeout: longer is a client's fault. */
#define PM_HTTP_TIMEOUT_MS 10000
/* Request line and headers; a scraper sends a few hundred bytes. */
#define PM_HTTP_HEAD_MAX 8192

/*
 * Read one request head from @in_fd. Returns 0 when it is GET or HEAD of
 * /metrics (*head set for HEAD, *openmetrics when its Accept header
 * prefers OpenMetrics 1.0 to the text format); otherwise the error response has been
 * sent on @out_fd and the HTTP status (400, 404, 405, 408, 431) is
 * returned; 1 when the client closed without a request (a TCP health
 * check); -errno when no answer could be sent.
 */
int pm_http_request(int in_fd, int out_fd, bool *head, bool *openmetrics);
/* Send an error response with a one-line plain-text body. */
int pm_http_error(int out_fd, int status);
/*
 * Send @p as the 200 response (headers only when @head), with the content
 * type of its format (pm_prom_set_openmetrics()). 0 or -errno.
 */
int pm_http_send_metrics(struct pm_prom *p, int out_fd, bool head);
/*
 * Write @p to @path through a temporary file in the same directory and
 * rename() it into place, so node_exporter never reads half a file.
 */
int pm_textfile_write(struct pm_prom *p, const char *path);

#endif /* __PINSIGHT_HTTP_H */
