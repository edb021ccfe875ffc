// SPDX-License-Identifier: GPL-2.0
/*
 * OpenTelemetry trace ids on slow calls (issue 18): funclat and io alerts
 * carry the trace and span id the calling thread published (OTEP 4947),
 * the latency histograms keep them as exemplars in OpenMetrics output
 * (`pinsight metrics --openmetrics`, and over --http when Accept prefers
 * it), and a process that publishes nothing gets no ids.
 *
 * The workloads publish known ids: vector-studio's request ids
 * (trace 7673..00<op>, span <connection>:<request on it>), and
 * otelread's, given on its command line, around one slow read().
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include "pinsight_helpers.h"
#include "test_progs.h"

#define VS_DIM 64 /* vector-studio's default dimension */
#define VS_OP_SEARCH 2
#define SLOW_MS 40

static int count_substr(const char *s, const char *sub)
{
	int n = 0;

	while (s && (s = strstr(s, sub))) {
		n++;
		s += strlen(sub);
	}
	return n;
}

static int read_all(int fd, void *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = read(fd, buf, len);
		if (n <= 0)
			return -1;
		buf = (char *)buf + n;
		len -= n;
	}
	return 0;
}

/* @n searches on one connection to vector-studio at @port: 0 or -1. */
static int vs_searches(int port, int n)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	struct {
		__u32 op, len, k;
		float q[VS_DIM];
	} __attribute__((packed)) req = { .op = VS_OP_SEARCH,
					   .len = 4 + sizeof(req.q), .k = 1 };
	__u32 rep[2];
	char body[256];
	int fd, i, ret = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto out;
	for (i = 0; i < n; i++) {
		if (write(fd, &req, sizeof(req)) != sizeof(req) ||
		    read_all(fd, rep, sizeof(rep)) || rep[0] ||
		    rep[1] > sizeof(body) || read_all(fd, body, rep[1]))
			goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * Three searches over funclat's threshold on one connection: each alert
 * names the search trace (op 2) and that request's span (connection 1,
 * requests 1, 2, 3), exactly as vector-studio published them.
 */
static void check_funclat_alert_ids(void)
{
	char portf[64], *out = NULL, buf[32] = "", id[64];
	const char *w = env_output_dir();
	int err, i, port = 0;
	pid_t vs;
	FILE *f;

	snprintf(portf, sizeof(portf), "/tmp/pinsight-oa-vs-%d.port",
		 getpid());
	unlink(portf);
	vs = spawn_sh("exec %s/workloads/vector-studio -f %s -P 2000 -t 1",
		      w, portf);
	if (!ASSERT_GT(vs, 0, "vector-studio"))
		return;
	for (i = 0; i < 100 && !port; i++) {
		usleep(50000);
		f = fopen(portf, "r");
		if (f && fgets(buf, sizeof(buf), f))
			port = atoi(buf);
		if (f)
			fclose(f);
	}
	if (!ASSERT_GT(port, 0, "server up"))
		goto cleanup;
	/*
	 * by pid, after start: the loader resolves the TLS of the process
	 * that is there; 1us is below any search, so each one is slow
	 */
	err = loader_run(
		NULL,
		"funclat --name oa --pid %d --binary %s/workloads/vector-studio --func search_vectors --threshold 1us",
		vs, w);
	if (!ASSERT_EQ(err, 0, "load funclat"))
		goto cleanup;
	ASSERT_OK(vs_searches(port, 3), "three searches");
	err = reader_run(&out, "-j alerts funclat@oa");
	ASSERT_EQ(err, 0, "alerts -j");
	ASSERT_EQ(count_substr(out, "\"what\":\"search_vectors\""), 3,
		  "three alerts");
	ASSERT_EQ(count_substr(
			  out,
			  "\"trace_id\":\"76730000000000000000000000000002\""),
		  3, "the search trace on each");
	for (i = 1; i <= 3; i++) {
		snprintf(id, sizeof(id), "\"span_id\":\"00000001%08x\"", i);
		ASSERT_EQ(count_substr(out, id), 1, id);
	}
	loader_run(NULL, "unload funclat@oa");
cleanup:
	free(out);
	kill(vs, SIGTERM);
	waitpid(vs, NULL, 0);
	unlink(portf);
}

static char trace_hex[33], span_hex[17];
static pid_t traced_pid, untraced_pid;

/* otelread waiting for SIGUSR1, its context published (or not). */
static pid_t start_otelread(bool traced)
{
	pid_t pid;

	if (traced)
		pid = spawn_sh(
			"exec %s/workloads/otelread --slow-ms %d --trace %s --span %s",
			env_output_dir(), SLOW_MS, trace_hex, span_hex);
	else
		pid = spawn_sh("exec %s/workloads/otelread --untraced --slow-ms %d",
			       env_output_dir(), SLOW_MS);
	if (pid > 0)
		waits_for_usr1(pid, 2000);
	return pid;
}

/* The slow reads, each process traced by its own io instance. */
static int io_setup(void)
{
	int status, err;

	srand(time(NULL) ^ getpid());
	/* ids of this run only: nothing left over can match them */
	snprintf(trace_hex, sizeof(trace_hex), "%08x%08x%08x%08x", rand(),
		 rand(), rand(), rand() | 1);
	snprintf(span_hex, sizeof(span_hex), "%08x%08x", rand(), rand() | 1);
	traced_pid = start_otelread(true);
	untraced_pid = start_otelread(false);
	if (!ASSERT_GT(traced_pid, 0, "otelread") ||
	    !ASSERT_GT(untraced_pid, 0, "otelread --untraced"))
		return -1;
	err = loader_run(NULL, "io --name ox --pid %d --alert-latency 10ms",
			 traced_pid) ?:
	      loader_run(NULL, "io --name ux --pid %d --alert-latency 10ms",
			 untraced_pid);
	if (!ASSERT_EQ(err, 0, "load io"))
		return -1;
	kill(traced_pid, SIGUSR1);
	kill(untraced_pid, SIGUSR1);
	waitpid(traced_pid, &status, 0);
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status), "traced read");
	waitpid(untraced_pid, &status, 0);
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status),
		    "untraced read");
	traced_pid = untraced_pid = 0;
	return 0;
}

/* "le" of a bucket line: {..,le="X"} N ... */
static double line_le(const char *line)
{
	const char *le = strstr(line, "le=\"");

	if (!le)
		return NAN;
	le += 4;
	return !strncmp(le, "+Inf", 4) ? INFINITY : strtod(le, NULL);
}

/*
 * OpenMetrics samples carry no timestamps, and promtool 2.42's `check
 * metrics` reads the text format only (prometheus#8932); its OpenMetrics
 * parser is reached through `tsdb create-blocks-from openmetrics`, which
 * wants a timestamp on every sample: given one, it parses the rest, the
 * exemplars and # EOF included, as a scrape would.
 */
static void promtool_check_om(const char *om)
{
	char path[64], dir[64], *out = NULL;
	const char *line, *nl, *ex;
	struct statvfs vfs;
	FILE *f;
	int err;

	if (run_cmd(NULL, "command -v promtool >/dev/null")) {
		printf("%s: promtool missing, OpenMetrics not parsed\n",
		       __func__);
		return;
	}
	/*
	 * Its block writer preallocates a 512 MiB chunk segment, which a
	 * VM's 1 GiB initramfs cannot hold: the exemplar itself is still
	 * checked from the text below.
	 */
	if (!statvfs("/tmp", &vfs) &&
	    (double)vfs.f_bavail * vfs.f_frsize < 640.0 * (1 << 20)) {
		printf("%s: /tmp has %.0f MiB free, less than promtool's 512 MiB chunk segment: OpenMetrics not parsed\n",
		       __func__, (double)vfs.f_bavail * vfs.f_frsize / (1 << 20));
		return;
	}
	snprintf(path, sizeof(path), "/tmp/pinsight-oa-%d.om", getpid());
	snprintf(dir, sizeof(dir), "/tmp/pinsight-oa-%d.tsdb", getpid());
	f = fopen(path, "w");
	if (!ASSERT_OK_PTR(f, "om file"))
		return;
	for (line = om; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		if (line[0] == '#') {
			fwrite(line, 1, nl - line + 1, f);
			continue;
		}
		ex = strstr(line, " # {");
		ex = ex && ex < nl ? ex : nl;
		fwrite(line, 1, ex - line, f);
		fprintf(f, " 1700000000%.*s\n", (int)(nl - ex), ex);
	}
	fclose(f);
	err = run_cmd(&out,
		      "promtool tsdb create-blocks-from openmetrics %s %s 2>&1",
		      path, dir);
	ASSERT_EQ(err, 0, "promtool parses the OpenMetrics");
	if (err)
		printf("%s\n", out);
	free(out);
	run_cmd(NULL, "rm -rf %s %s", path, dir);
}

/*
 * The slow read's bucket carries its trace: the one exemplar with this
 * run's ids sits on the first bucket whose le holds its value, the value
 * is the read's (>= SLOW_MS), its time is now; the alert names it too.
 */
static void check_io_exemplar(void)
{
	char *out = NULL, *err_out = NULL, want[128], *line, *nl, *a;
	unsigned long long alert_ns = 0;
	double le, prev_le = -1, v = -1, ts = 0, lo = NAN, hi = NAN;
	int err, n = 0;

	err = run_cmd_sep(&out, &err_out, "%s/pinsight metrics --openmetrics io@ox",
			  env_output_dir());
	if (!ASSERT_EQ(err, 0, "metrics --openmetrics"))
		goto out;
	snprintf(want, sizeof(want),
		 "# {trace_id=\"%s\",span_id=\"%s\"} ", trace_hex, span_hex);
	ASSERT_EQ(count_substr(out, want), 1, "one exemplar of the read");
	for (line = out; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (strncmp(line, "ebpf_io_duration_seconds_bucket{", 32) ||
		    !strstr(line, "op=\"read\""))
			continue;
		le = line_le(line);
		if (strstr(line, want) && (!nl || strstr(line, want) < nl)) {
			n = sscanf(strstr(line, want) + strlen(want), "%lf %lf",
				   &v, &ts);
			lo = prev_le;
			hi = le;
			break;
		}
		prev_le = le;
	}
	if (ASSERT_EQ(n, 2, "exemplar value and timestamp")) {
		/* doubles: the ASSERT_LT family compares integers */
		/* the timer was armed just before the read began */
		ASSERT_TRUE(v >= 0.9 * SLOW_MS / 1e3, "the read's duration");
		ASSERT_TRUE(lo < v, "not in an earlier bucket");
		ASSERT_TRUE(v <= hi, "within its bucket's le");
		ASSERT_TRUE(fabs(ts - time(NULL)) < 120, "timestamped now");
	}
	/* the OpenMetrics framing */
	ASSERT_HAS_SUBSTR(out, "# TYPE ebpf_io_ops counter\n", "counter family");
	ASSERT_HAS_SUBSTR(out, "\nebpf_io_ops_total{", "counter sample");
	ASSERT_HAS_SUBSTR(out,
			  "# UNIT ebpf_io_duration_seconds seconds\n", "unit");
	ASSERT_HAS_SUBSTR(out, "# TYPE ebpf_instance info\n", "info family");
	ASSERT_TRUE(strlen(out) > 6 &&
			    !strcmp(out + strlen(out) - 6, "# EOF\n"),
		    "ends with # EOF");
	promtool_check_om(out);
	free(out);
	out = NULL;

	/* the text format stays as it was: no exemplars, no EOF */
	err = reader_run(&out, "metrics io@ox");
	ASSERT_EQ(err, 0, "metrics");
	ASSERT_FALSE(strstr(out, "# {") || strstr(out, "# EOF"),
		     "text format without OpenMetrics");
	free(out);
	out = NULL;

	err = reader_run(&out, "alerts io@ox");
	ASSERT_EQ(err, 0, "alerts");
	snprintf(want, sizeof(want), "trace_id=%s span_id=%s", trace_hex,
		 span_hex);
	ASSERT_HAS_SUBSTR(out, want, "the read's alert names its span");
	/* and the exemplar is that very call */
	a = out ? strstr(out, "value=") : NULL;
	if (ASSERT_OK_PTR(a, "alert value") &&
	    ASSERT_EQ(sscanf(a, "value=%llu", &alert_ns), 1, "value"))
		ASSERT_EQ((unsigned long long)(v * 1e9 + 0.5), alert_ns,
			  "exemplar value = alert's");
out:
	free(out);
	free(err_out);
}

/* One request to `pinsight metrics --http` with Accept header @accept. */
static int http_get(char **out, const char *accept)
{
	return run_cmd(out,
		       "printf 'GET /metrics HTTP/1.1\\r\\nHost: t\\r\\n%s%s\\r\\n' | %s/pinsight metrics --http io@ox",
		       accept ? accept : "", accept ? "\\r\\n" : "",
		       env_output_dir());
}

static void check_http_negotiation(void)
{
	const char *om_type =
		"Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\n";
	const char *text_type =
		"Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n";
	char *out = NULL;
	int err;

	/* Prometheus' own Accept header */
	err = http_get(
		&out,
		"Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
	ASSERT_EQ(err, 0, "scrape");
	ASSERT_HAS_SUBSTR(out, om_type, "OpenMetrics content type");
	ASSERT_HAS_SUBSTR(out, trace_hex, "with the exemplar");
	ASSERT_TRUE(out && strlen(out) > 6 &&
			    !strcmp(out + strlen(out) - 6, "# EOF\n"),
		    "ends with # EOF");
	free(out);
	out = NULL;
	/* no Accept, text preferred, or an OpenMetrics draft: text */
	err = http_get(&out, NULL);
	ASSERT_EQ(err, 0, "no Accept");
	ASSERT_HAS_SUBSTR(out, text_type, "text without Accept");
	free(out);
	out = NULL;
	err = http_get(
		&out,
		"accept: application/openmetrics-text; version=1.0.0; q=0.2, text/plain; q=0.5");
	ASSERT_EQ(err, 0, "text preferred");
	ASSERT_HAS_SUBSTR(out, text_type, "text when preferred");
	free(out);
	out = NULL;
	err = http_get(&out,
		       "Accept: application/openmetrics-text;version=0.0.1");
	ASSERT_EQ(err, 0, "OpenMetrics 0.0.1");
	ASSERT_HAS_SUBSTR(out, text_type, "not 1.0.0: text");
	ASSERT_FALSE(out && strstr(out, "# EOF"), "no EOF in text");
	free(out);
}

/* A process that publishes no context: its alert has no ids at all. */
static void check_untraced(void)
{
	char *out = NULL;
	int err;

	err = reader_run(&out, "-j alerts io@ux");
	ASSERT_EQ(err, 0, "alerts -j");
	ASSERT_EQ(count_substr(out, "\"what\":\"read\""), 1, "its slow read");
	ASSERT_EQ(count_substr(out, "\"trace_id\":\""), 0, "no trace id");
	ASSERT_EQ(count_substr(out, "\"span_id\":\""), 0, "no span id");
	free(out);
	out = NULL;
	err = reader_run(&out, "metrics --openmetrics io@ux");
	ASSERT_EQ(err, 0, "metrics --openmetrics");
	ASSERT_EQ(count_substr(out, " # {"), 0, "no exemplars");
	free(out);
}

void test_otel_alerts(void)
{
	if (!ASSERT_OK(private_bpffs(), "private bpffs"))
		return;
	if (test__start_subtest("funclat_alert_ids"))
		check_funclat_alert_ids();
	if (!io_setup()) {
		if (test__start_subtest("io_exemplar_openmetrics"))
			check_io_exemplar();
		if (test__start_subtest("http_openmetrics_accept"))
			check_http_negotiation();
		if (test__start_subtest("untraced_no_ids"))
			check_untraced();
	}
	if (traced_pid > 0) {
		kill(traced_pid, SIGKILL);
		waitpid(traced_pid, NULL, 0);
	}
	if (untraced_pid > 0) {
		kill(untraced_pid, SIGKILL);
		waitpid(untraced_pid, NULL, 0);
	}
	loader_run(NULL, "unload io@ox");
	loader_run(NULL, "unload io@ux");
}
