// SPDX-License-Identifier: GPL-2.0
/*
 * Daemonless Prometheus export: `pinsight metrics --http` answers one
 * request per process (what pinsight-metrics.socket runs), --textfile
 * replaces a .prom file atomically, a real Prometheus server scrapes the
 * pins through systemd-socket-activate --inetd on loopback and answers
 * the user's guide's I/O latency query, and the Grafana dashboard asks
 * only for series pinsight exports.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include "pinsight_helpers.h"
#include "test_progs.h"

/* One exchange with `pinsight metrics --http` over a pipe. */
static int http_pipe(char **out, const char *request)
{
	return run_cmd(out, "printf '%s' | %s/pinsight metrics --http", request,
		       env_output_dir());
}

static void check_http(void)
{
	char *out = NULL, *body;
	long clen;
	int err;

	err = http_pipe(&out, "GET /metrics HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n");
	ASSERT_EQ(err, 0, "exit");
	ASSERT_HAS_SUBSTR(out, "HTTP/1.1 200 OK\r\n", "status");
	ASSERT_HAS_SUBSTR(out, "Content-Type: text/plain; version=0.0.4",
			  "type");
	body = out ? strstr(out, "\r\n\r\n") : NULL;
	if (ASSERT_OK_PTR(body, "head ends") &&
	    ASSERT_OK_PTR(strstr(out, "Content-Length: "), "length")) {
		clen = atol(strstr(out, "Content-Length: ") + 16);
		ASSERT_EQ(clen, (long)strlen(body + 4),
			  "Content-Length is the body");
	}
	free(out);
	out = NULL;
	http_pipe(&out, "HEAD /metrics HTTP/1.0\\r\\n\\r\\n");
	ASSERT_HAS_SUBSTR(out, "200 OK", "HEAD");
	body = out ? strstr(out, "\r\n\r\n") : NULL;
	ASSERT_TRUE(body && !body[4], "HEAD has no body");
	free(out);
	out = NULL;
	err = http_pipe(&out, "GET / HTTP/1.1\\r\\n\\r\\n");
	ASSERT_EQ(err, 0, "a 404 is an answer");
	ASSERT_HAS_SUBSTR(out, "HTTP/1.1 404 Not Found", "other paths");
	free(out);
	out = NULL;
	http_pipe(&out, "POST /metrics HTTP/1.1\\r\\n\\r\\n");
	ASSERT_HAS_SUBSTR(out, "405 Method Not Allowed", "POST");
	ASSERT_HAS_SUBSTR(out, "Allow: GET, HEAD", "Allow");
	free(out);
	out = NULL;
	http_pipe(&out, "GET /metrics\\r\\n\\r\\n");
	ASSERT_HAS_SUBSTR(out, "400 Bad Request", "HTTP/0.9");
	free(out);
	out = NULL;
	err = run_cmd(&out, "%s/pinsight metrics --http < /dev/null",
		      env_output_dir());
	ASSERT_EQ(err, 0, "a TCP probe's close is no error");
	ASSERT_STREQ(out, "", "and gets no answer");
	free(out);
	out = NULL;
	/* more than the 8 KiB a request head may take */
	run_cmd(&out,
		"head -c 9000 /dev/zero | tr '\\0' a | %s/pinsight metrics --http",
		env_output_dir());
	ASSERT_HAS_SUBSTR(out, "431 ", "head too large");
	free(out);
}

static void check_textfile(void)
{
	char dir[] = "/tmp/pinsight-textfile-XXXXXX", path[128], *out = NULL;
	struct stat st;
	int err;

	if (!ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	snprintf(path, sizeof(path), "%s/pinsight.prom", dir);
	err = reader_run(NULL, "metrics --textfile %s", path);
	ASSERT_EQ(err, 0, "write");
	if (ASSERT_OK(stat(path, &st), "file"))
		ASSERT_EQ(st.st_mode & 0777, 0644, "readable by node_exporter");
	err = run_cmd(&out, "ls -A %s", dir);
	ASSERT_STREQ(out, "pinsight.prom\n", "no temporary left");
	free(out);
	err = run_cmd(NULL, "promtool check metrics < %s", path);
	ASSERT_EQ(err, 0, "promtool check metrics");
	err = reader_run(NULL, "metrics --textfile %s/pinsight.txt", dir);
	ASSERT_EQ(err, 2, "a name node_exporter ignores");
	run_cmd(NULL, "rm -rf %s", dir);
}

/* A loopback port free now, for a server started next; or -errno. */
static int free_port(void)
{
	int port, fd = loopback_tcp(AF_INET, false, &port);

	if (fd < 0)
		return fd;
	close(fd);
	return port;
}

/* GET @path from 127.0.0.1:@port; the status, the body in *body. */
static int http_get(int port, const char *path, char **body)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 5 };
	char req[8192], *buf = NULL, *p;
	size_t len = 0, cap = 0;
	int fd, n, status = -EIO;

	*body = NULL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		status = -errno;
		goto cleanup;
	}
	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	if (write(fd, req, n) != n)
		goto cleanup;
	for (;;) {
		if (cap - len < 4096) {
			if (cap > (16 << 20))
				goto cleanup;
			p = realloc(buf, cap = cap * 2 + 65536);
			if (!p)
				goto cleanup;
			buf = p;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0)
			goto cleanup;
		if (!n)
			break;
		len += n;
	}
	if (!buf)
		goto cleanup;
	buf[len] = '\0';
	p = strstr(buf, "\r\n\r\n");
	if (!p || sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		goto cleanup;
	*body = strdup(p + 4);
cleanup:
	free(buf);
	close(fd);
	return status;
}

/* Prometheus' instant query API; the JSON answer in *json. */
static int prom_query(int port, const char *q, char **json)
{
	char path[4096] = "/api/v1/query?query=", *o = path + strlen(path);

	for (; *q && o < path + sizeof(path) - 4; q++) {
		if (isalnum((unsigned char)*q) || strchr("-_.~", *q))
			*o++ = *q;
		else
			o += sprintf(o, "%%%02X", (unsigned char)*q);
	}
	*o = '\0';
	return http_get(port, path, json);
}

/* The first sample's value of a vector result; NAN when there is none. */
static double first_value(const char *json)
{
	const char *p = json ? strstr(json, "\"value\":[") : NULL;

	p = p ? strstr(p, ",\"") : NULL;
	return p ? strtod(p + 2, NULL) : NAN;
}

struct procs {
	pid_t exporter, prometheus;
	char dir[64];
};

/* Start @cmd in the background, output to @log; its pid or -1. */
static pid_t spawn(const char *dir, const char *log, const char *cmd)
{
	char *out = NULL;
	pid_t pid;

	run_cmd(&out, "%s >%s/%s 2>&1 & echo $!", cmd, dir, log);
	pid = out ? atoi(out) : -1;
	free(out);
	return pid > 0 ? pid : -1;
}

static void stop(struct procs *p)
{
	if (p->exporter > 0)
		kill(p->exporter, SIGTERM);
	if (p->prometheus > 0)
		kill(p->prometheus, SIGTERM);
	/* the runner kills what is left in our process group as well */
	run_cmd(NULL, "sleep 0.5; rm -rf %s", p->dir);
}

static void query_dashboard(int port, const char *exprs)
{
	char line[2048], *json = NULL;
	int n = 0, status;
	FILE *f = fopen(exprs, "r");

	if (!ASSERT_OK_PTR(f, "expressions"))
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		status = prom_query(port, line, &json);
		if (!ASSERT_EQ(status, 200, line))
			printf("%s\n", json ?: "");
		ASSERT_HAS_SUBSTR(json, "\"status\":\"success\"", line);
		free(json);
		json = NULL;
		n++;
	}
	fclose(f);
	ASSERT_GT(n, 10, "dashboard expressions queried");
}

static void check_scrape(void)
{
	const char *q99 =
		"histogram_quantile(0.99, rate(ebpf_io_duration_seconds_bucket[1m]))";
	struct procs p = { .dir = "/tmp/pinsight-prom-XXXXXX" };
	char comm[16], cmd[1024], q[256], *json = NULL;
	int eport = free_port(), wport = free_port(), i, err;
	double v = NAN;

	if (!ASSERT_OK_PTR(mkdtemp(p.dir), "mkdtemp") ||
	    !ASSERT_GT(eport, 0, "port") || !ASSERT_GT(wport, 0, "port"))
		return;
	snprintf(comm, sizeof(comm), "prom-%d", getpid() % 100000);
	err = loader_run(NULL, "io --comm %s", comm);
	if (!ASSERT_EQ(err, 0, "load io"))
		goto cleanup;
	err = run_cmd(
		NULL,
		"printf 'global:\\n  scrape_interval: 1s\\n  scrape_timeout: 1s\\n"
		"scrape_configs:\\n  - job_name: pinsight\\n    static_configs:\\n"
		"      - targets: [\"127.0.0.1:%d\"]\\n' > %s/prometheus.yml",
		eport, p.dir);
	ASSERT_EQ(err, 0, "config");
	/* PID 1 is not systemd here: systemd-socket-activate plays the socket
	 * unit */
	snprintf(
		cmd, sizeof(cmd),
		"systemd-socket-activate --inetd --accept --listen=127.0.0.1:%d %s/pinsight metrics --http",
		eport, env_output_dir());
	p.exporter = spawn(p.dir, "exporter.log", cmd);
	snprintf(
		cmd, sizeof(cmd),
		"prometheus --config.file=%s/prometheus.yml --storage.tsdb.path=%s/data "
		"--web.listen-address=127.0.0.1:%d --log.level=warn",
		p.dir, p.dir, wport);
	p.prometheus = spawn(p.dir, "prometheus.log", cmd);
	if (!ASSERT_GT(p.exporter, 0, "exporter") ||
	    !ASSERT_GT(p.prometheus, 0, "prometheus"))
		goto cleanup;
	/* I/O between scrapes, until the rate over two or more scrapes is a
	 * number */
	for (i = 0; i < 60 && !isfinite(v); i++) {
		run_cmd(NULL,
			"%s/workloads/iogen --comm %s --count 20 >/dev/null",
			env_output_dir(), comm);
		usleep(500000);
		free(json);
		json = NULL;
		if (prom_query(wport, q99, &json) == 200)
			v = first_value(json);
	}
	printf("%s = %s after %d s\n", q99, json ?: "(none)", i / 2);
	ASSERT_TRUE(isfinite(v), "p99 I/O latency is a number");
	ASSERT_TRUE(v > 0 && v < 10, "p99 in (0, 10 s)");
	free(json);
	json = NULL;

	prom_query(wport, "up{job=\"pinsight\"}", &json);
	ASSERT_TRUE(first_value(json) == 1, "target up");
	free(json);
	json = NULL;
	snprintf(q, sizeof(q), "ebpf_io_ops_total{service=\"%s\",op=\"read\"}",
		 comm);
	prom_query(wport, q, &json);
	ASSERT_TRUE(first_value(json) >= 20, "series arrived with the counts");
	free(json);
	json = NULL;

	/* every dashboard query parses and runs on the real server */
	snprintf(cmd, sizeof(cmd), "%s/exprs.txt", p.dir);
	err = run_cmd(
		NULL,
		"%s/scripts/grafana/check-dashboard.py %s/scripts/grafana/pinsight.json "
		"%s/scripts/grafana/metrics.txt --dump %s",
		env_src_dir(), env_src_dir(), env_src_dir(), cmd);
	ASSERT_EQ(err, 0, "dump dashboard expressions");
	query_dashboard(wport, cmd);
cleanup:
	free(json);
	stop(&p);
	loader_run(NULL, "unload io");
}

static void check_dashboard(void)
{
	char dir[] = "/tmp/pinsight-dash-XXXXXX", comm[16], *out = NULL;
	const char *g = "scripts/grafana";
	int err;

	if (!ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	snprintf(comm, sizeof(comm), "dash-%d", getpid() % 100000);
	err = loader_run(NULL, "io --comm %s", comm);
	if (!ASSERT_EQ(err, 0, "load io"))
		goto cleanup;
	run_cmd(NULL, "%s/workloads/iogen --comm %s --count 5 >/dev/null",
		env_output_dir(), comm);
	err = reader_run(NULL, "metrics > %s/live.prom", dir);
	ASSERT_EQ(err, 0, "exposition");
	err = run_cmd(
		&out,
		"cd %s && %s/check-dashboard.py %s/pinsight.json %s/metrics.txt "
		"--promtool promtool --exposition %s/live.prom --progs progs",
		env_src_dir(), g, g, g, dir);
	ASSERT_EQ(err, 0, "every query parses and names exported series");
	ASSERT_HAS_SUBSTR(out, " 0 problems", "summary");
	free(out);
	out = NULL;
	/* names follow the tools' headers: a renamed field is caught */
	err = run_cmd(
		&out,
		"cd %s && sed 's/runq_val.latency_ns/runq_val.latency_us/' "
		"%s/metrics.txt > %s/m.txt && %s/check-dashboard.py "
		"%s/pinsight.json %s/m.txt --progs progs",
		env_src_dir(), g, dir, g, g, dir);
	ASSERT_EQ(err, 1, "a stale source fails");
	ASSERT_HAS_SUBSTR(out, "no field runq_val.latency_us", "names it");
	free(out);
	out = NULL;
	/* the check can fail: an unknown series, and a query that does not
	 * parse */
	err = run_cmd(
		&out,
		"cd %s && sed 's/ebpf_io_ops_total/ebpf_io_opz_total/; "
		"s/histogram_quantile(0.99, /histogram_quantile(0.99 /' %s/pinsight.json > %s/bad.json && "
		"%s/check-dashboard.py %s/bad.json %s/metrics.txt --promtool promtool",
		env_src_dir(), g, dir, g, dir, g);
	ASSERT_EQ(err, 1, "a bad dashboard fails");
	ASSERT_HAS_SUBSTR(out, "ebpf_io_opz_total: not a documented",
			  "unknown name");
	ASSERT_HAS_SUBSTR(out, "could not parse expression", "parse error");
	free(out);
	out = NULL;
	err = run_cmd(
		&out,
		"cd %s && python3 -c 'import json; d = json.load(open(\"%s/pinsight.json\")); "
		"print(sorted(v[\"name\"] for v in d[\"templating\"][\"list\"]), "
		"[p[\"title\"] for p in d[\"panels\"] if p[\"type\"] == \"row\"])'",
		env_src_dir(), g);
	ASSERT_EQ(err, 0, "dashboard is JSON");
	ASSERT_HAS_SUBSTR(out, "'datasource'", "datasource variable");
	ASSERT_HAS_SUBSTR(out, "'service'", "service variable");
	for (const char *row =
		     "profile\0memalloc\0io\0tcpconnlat\0pktstat\0runqlat\0Alerts\0";
	     *row; row += strlen(row) + 1)
		ASSERT_HAS_SUBSTR(out, row, "a row per tool");
	free(out);
cleanup:
	loader_run(NULL, "unload io");
	run_cmd(NULL, "rm -rf %s", dir);
}

/*
 * HELP says what a series means (the __help tags of progs/ headers, not the
 * "<tool> <map>.<field>" fallback), and ebpf_instance_info tells an empty
 * scrape from a wrong pin root.
 */
static void check_help_info(void)
{
	char *out = NULL, path[64];
	int err;

	/*
	 * A wrong root (or nothing loaded) is a scrape without series, as
	 * before any load at boot; a loaded instance has its info series
	 * even before it counts anything (below).
	 */
	err = run_cmd(&out, "PINSIGHT_PIN_ROOT=/sys/fs/bpf/prom-nosuch %s/pinsight metrics",
		      env_output_dir());
	ASSERT_EQ(err, 0, "a wrong root: exit 0");
	ASSERT_STREQ(out, "", "and nothing, not even an info series");
	free(out);
	out = NULL;
	if (!ASSERT_EQ(loader_run(NULL,
				  "io --name hp --attach tp --comm prom-help"),
		       0, "load io@hp") ||
	    !ASSERT_EQ(loader_run(NULL,
				  "io --name hr --attach raw --comm prom-help"),
		       0, "load io@hr"))
		goto cleanup;
	/* nothing counted yet: only the info series and the zero drops */
	err = reader_run(&out, "metrics io@hp io@hr");
	ASSERT_EQ(err, 0, "metrics");
	ASSERT_HAS_SUBSTR(out,
			  "# TYPE ebpf_instance_info gauge\n"
			  "ebpf_instance_info{instance=\"io@hp\",tool=\"io\",attach=\"tp\"} 1\n"
			  "ebpf_instance_info{instance=\"io@hr\",tool=\"io\",attach=\"raw\"} 1\n",
			  "one info series per instance, with its variant");
	ASSERT_HAS_SUBSTR(out,
			  "# HELP ebpf_io_drops_total Events that could not be stored",
			  "a variable's tag");
	free(out);
	out = NULL;
	ASSERT_EQ(run_cmd(NULL, "%s/workloads/iogen --comm prom-help --count 3",
			  env_output_dir()),
		  0, "iogen");
	snprintf(path, sizeof(path), "/tmp/pinsight-help-%d.prom", getpid());
	ASSERT_EQ(reader_run(NULL, "metrics --textfile %s io@hp", path), 0,
		  "textfile");
	ASSERT_EQ(run_cmd(&out, "grep '^# HELP' %s", path), 0, "HELP");
	ASSERT_HAS_SUBSTR(out,
			  "# HELP ebpf_io_duration_seconds Time from entry to return of a read/write call, in seconds\n",
			  "a histogram's, with its unit");
	ASSERT_HAS_SUBSTR(out,
			  "# HELP ebpf_io_ops_total Read/write system calls completed\n",
			  "a counter's");
	/* every io family has a sentence, not the fallback */
	ASSERT_NULL(strstr(out ?: "", " io io_comm."), "no fallback HELP");
	ASSERT_NULL(strstr(out ?: "", " io bss."), "no fallback HELP (bss)");
	free(out);
	out = NULL;
	if (run_cmd(NULL, "command -v promtool"))
		printf("%s: promtool missing, format not checked\n", __func__);
	else
		ASSERT_EQ(run_cmd(&out, "promtool check metrics < %s 2>&1",
				  path),
			  0, "promtool check metrics");
	unlink(path);
cleanup:
	free(out);
	loader_run(NULL, "unload io@hp io@hr");
}

void test_prometheus(void)
{
	const char *missing = NULL;

	if (geteuid()) {
		test__skip("needs root to load io");
		return;
	}
	if (private_bpffs()) {
		test__skip("cannot mount a private bpffs");
		return;
	}
	if (test__start_subtest("http"))
		check_http();
	if (test__start_subtest("help_info"))
		check_help_info();
	if (test__start_subtest("textfile")) {
		if (run_cmd(NULL, "command -v promtool"))
			test__skip(
				"promtool is missing (scripts/setup.sh installs prometheus)");
		else
			check_textfile();
	}
	if (run_cmd(NULL, "command -v prometheus && command -v promtool"))
		missing = "prometheus (scripts/setup.sh installs it)";
	else if (run_cmd(NULL, "command -v systemd-socket-activate"))
		missing = "systemd-socket-activate (package systemd)";
	if (test__start_subtest("dashboard")) {
		if (missing)
			test__skip("%s is missing", missing);
		else
			check_dashboard();
	}
	if (test__start_subtest("scrape")) {
		if (missing)
			test__skip("%s is missing", missing);
		else
			check_scrape();
	}
}
