// SPDX-License-Identifier: GPL-2.0
/*
 * python: Python frames in profiles (progs/python.bpf.h, merged by
 * pinned-maps/symbolize.c), for Debian's /usr/bin/python3.11 (which has
 * no frame pointers). The workloads are started before the load, so
 * their images have tables and the interpreter is known:
 * - ratio_reference: burn_hot and burn_cold in 3:1 by name, within 5
 *   points, under their Python callers, named in --top and pprof (file,
 *   first line) after the process exited; and the inclusive shares against
 *   the interpreter's own view in the same window (a thread of the
 *   workload reading sys._current_frames() about every 2 ms) within 5 points;
 * - mixed: Python callers above native frames (zlib's deflate under
 *   py_native_caller), and Python under native (a ctypes comparator
 *   called back from libc's qsort);
 * - pyvdb: the pyvdb stand-in driving vector-studio, both profiled at
 *   once, each with its own language's frames;
 * - unknown_version: a copy of the interpreter named python3.10 is
 *   refused by name and version at load, and keeps its native frames;
 * - misnamed: a copy named python3.12 is refused by its Py_Version;
 * - pyenv_3_12, pyenv_3_13: pyenv's builds (libpython3.X.so), where
 *   installed: no refusal, burn_hot:burn_cold 3:1 within 5 points;
 *   pyenv_mixed_3_12, pyenv_mixed_3_13: mixed stacks under them;
 * - own_offsets: a libpython3.13 whose _Py_DebugOffsets differ from the
 *   table is refused, naming the field;
 * - no_python: --no-python gives python3.11 native frames only;
 * - after_refresh: a Python process started after the load gets its
 *   Python frames once `refresh` compiled its images;
 * - abi_table: the loader's layout table against CPython's own headers
 *   (3.11's, and pyenv's 3.12 and 3.13), and 3.13's _Py_DebugOffsets.
 * In the VMs (Debian's python3.11 only) DENYLIST.vmtest leaves out what
 * does not depend on the kernel: the refusals and the layout check.
 */
#include <math.h>
#include <signal.h>
#include <sys/wait.h>
#include "pinsight_helpers.h"
#include "pprof.pb-c.h"
#include "test_progs.h"

#define PYTHON "/usr/bin/python3.11"

static bool have_python(void)
{
	if (access(PYTHON, X_OK)) {
		test__skip("no %s", PYTHON);
		return false;
	}
	return true;
}

/* pyenv's CPython builds this test also profiles, where installed */
static const char *const pyenv_versions[] = { "3.12", "3.13" };

/*
 * The prefix of pyenv's build of @ver (/root/.pyenv/versions/3.12.1)
 * into @buf: true when its bin/python@ver is there.
 */
static bool pyenv_prefix(const char *ver, char *buf, size_t size)
{
	char *out = NULL, *nl;
	bool ok;

	ok = !run_cmd(
		     &out,
		     "ls -d /root/.pyenv/versions/%s.[0-9]* 2>/dev/null | grep -v -- '-\\|t$' | sort -V | tail -1",
		     ver) &&
	     out && out[0] == '/';
	if (ok) {
		nl = strchr(out, '\n');
		if (nl)
			*nl = '\0';
		snprintf(buf, size, "%s", out);
	}
	free(out);
	return ok;
}

/* pyenv's python@ver into @buf: false (the test skipped) without it. */
static bool pyenv_python(const char *ver, char *buf, size_t size)
{
	char prefix[256];

	if (!pyenv_prefix(ver, prefix, sizeof(prefix))) {
		test__skip("no pyenv build of CPython %s", ver);
		return false;
	}
	snprintf(buf, size, "%s/bin/python%s", prefix, ver);
	if (access(buf, X_OK)) {
		test__skip("no %s", buf);
		return false;
	}
	return true;
}

/* Start pyburn.py @mode under @py with comm @comm: its pid. */
static pid_t start_burn(const char *py, const char *mode, const char *comm,
			const char *args)
{
	pid_t pid = spawn_sh(
		"exec %s %s/workloads/pyvdb/pyburn.py %s --seconds 600 --comm %s %s",
		py, env_output_dir(), mode, comm, args);

	ASSERT_GT(pid, 0, "spawn pyburn.py");
	usleep(500000); /* the interpreter and its modules mapped */
	return pid;
}

static void stop(pid_t pid, int sig)
{
	if (pid <= 0)
		return;
	kill(pid, sig);
	waitpid(pid, NULL, 0);
}

/* "name share" from the reference file: the share, or -1. */
static double ref_share(const char *path, const char *name)
{
	char line[256], n[200];
	double v, r = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%199s %lf", n, &v) == 2 && !strcmp(n, name))
			r = v;
	fclose(f);
	return r;
}

/* The line of "def @fn(" in the workload's pyburn.py, or -1. */
static int def_line(const char *fn)
{
	char path[512], line[256], want[64];
	int n = 0, r = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/workloads/pyvdb/pyburn.py",
		 env_output_dir());
	snprintf(want, sizeof(want), "def %s(", fn);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (r < 0 && fgets(line, sizeof(line), f)) {
		n++;
		if (!strncmp(line, want, strlen(want)))
			r = n;
	}
	fclose(f);
	return r;
}

/*
 * --top names burn_hot as a Python function, with about its folded
 * share; pprof has it as a function with its file and first line.
 */
static void check_top_pprof(const char *comm, const char *dir)
{
	Perftools__Profiles__Profile *p = NULL;
	char name[128], pb[128], *top = NULL, *l;
	unsigned char *buf = NULL;
	bool found = false;
	int line = def_line("burn_hot");
	size_t len = 0, i;
	const char *file;

	if (!ASSERT_GT(line, 0, "def burn_hot in pyburn.py"))
		return;
	snprintf(name, sizeof(name), "burn_hot (pyvdb/pyburn.py:%d) [py]",
		 line);
	if (ASSERT_EQ(reader_run(&top, "profile profile --comm %s --top 100000",
				 comm),
		      0, "--top")) {
		l = strstr(top, name);
		ASSERT_OK_PTR(l, "--top names burn_hot (file:first line) [py]");
	}
	snprintf(pb, sizeof(pb), "%s/p.pb.gz", dir);
	if (!ASSERT_EQ(reader_run(NULL, "profile profile --comm %s --pprof %s",
				  comm, pb),
		       0, "--pprof") ||
	    !ASSERT_OK(gunzip_file(pb, &buf, &len), "gunzip pprof"))
		goto cleanup;
	p = perftools__profiles__profile__unpack(NULL, len, buf);
	if (!ASSERT_OK_PTR(p, "pprof decodes"))
		goto cleanup;
	for (i = 0; i < p->n_function && !found; i++) {
		const Perftools__Profiles__Function *f = p->function[i];

		if (f->name >= (int64_t)p->n_string_table ||
		    f->filename >= (int64_t)p->n_string_table ||
		    strcmp(p->string_table[f->name], name))
			continue;
		found = true;
		file = p->string_table[f->filename];
		ASSERT_OK_PTR(strstr(file, "/workloads/pyvdb/pyburn.py"),
			      "pprof function's filename");
		ASSERT_EQ(f->start_line, line, "pprof function's start_line");
	}
	ASSERT_TRUE(found, "pprof has the burn_hot Python function");
cleanup:
	if (p)
		perftools__profiles__profile__free_unpacked(p, NULL);
	free(buf);
	free(top);
}

/*
 * burn_hot and burn_cold of `pyburn.py ratio` (@comm, under @py) in the
 * folded @out, into *@hot and *@cold: @min samples or more, 99 % of them
 * under their Python caller, burn_hot's share 75 % within 5 points.
 * False when there are too few samples to judge.
 */
static bool check_burn_ratio(const char *out, const char *comm, const char *py,
			     unsigned long long min, struct folded_share *hot,
			     struct folded_share *cold)
{
	double share;

	*hot = folded_count(out, comm,
			    ";burn_hot (pyvdb/pyburn.py:", ";ratio_loop (");
	*cold = folded_count(out, comm,
			     ";burn_cold (pyvdb/pyburn.py:", ";ratio_loop (");
	printf("%s: burn_hot %llu (%llu under ratio_loop), burn_cold %llu (%llu)\n",
	       py, hot->with, hot->above, cold->with, cold->above);
	if (!ASSERT_GE(hot->with + cold->with, min, "enough samples"))
		return false;
	ASSERT_GE(100.0 * (hot->above + cold->above) / (hot->with + cold->with),
		  99.0, ">= 99% under their Python caller");
	share = 100.0 * hot->with / (hot->with + cold->with);
	ASSERT_GE(share, 70.0, "burn_hot share >= 70% (75% expected)");
	ASSERT_LE(share, 80.0, "burn_hot share <= 80% (75% expected)");
	return true;
}

static void test_ratio_reference(void)
{
	char comm[16], dir[] = "/tmp/pinsight-py-XXXXXX", ref[64], *out = NULL;
	struct folded_share hot, cold, all;
	double p_hot, p_cold, r_hot, r_cold;
	pid_t pid;

	if (!ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	snprintf(ref, sizeof(ref), "%s/ref", dir);
	snprintf(comm, sizeof(comm), "pyr%d", getpid() % 100000);
	pid = spawn_sh(
		"exec %s %s/workloads/pyvdb/pyburn.py ratio --seconds 600 --comm %s --reference %s",
		PYTHON, env_output_dir(), comm, ref);
	if (!ASSERT_GT(pid, 0, "spawn"))
		goto cleanup;
	usleep(500000);
	/* 999 Hz: enough samples for 5 points in a second or two */
	if (!ASSERT_EQ(loader_run(NULL, "profile --freq 999 --comm %s", comm),
		       0, "load profile"))
		goto cleanup;
	kill(pid, SIGUSR1); /* the reference's window starts now too */
	sleep(3); /* its own samples: 2 ms apart, when it gets the GIL */
	if (folded_wait(&out, comm, "burn_", 1000))
		goto cleanup;
	stop(pid, SIGTERM); /* writes the reference */
	pid = 0;
	all = folded_count(out, comm, ";main (pyvdb/pyburn.py:", NULL);
	printf("main %llu\n", all.with);
	if (!check_burn_ratio(out, comm, PYTHON, 800, &hot, &cold))
		goto cleanup;

	/* inclusive shares of the script's main: the reference's, too */
	p_hot = 100.0 * hot.with / all.with;
	p_cold = 100.0 * cold.with / all.with;
	r_hot = ref_share(ref, "burn_hot");
	r_cold = ref_share(ref, "burn_cold");
	printf("inclusive: burn_hot pinsight %.1f%% reference %.1f%%, burn_cold pinsight %.1f%% reference %.1f%% (reference samples %.0f)\n",
	       p_hot, r_hot, p_cold, r_cold, ref_share(ref, "samples"));
	if (!ASSERT_GE(r_hot, 0.0, "reference written") ||
	    !ASSERT_GE(r_cold, 0.0, "reference has burn_cold"))
		goto cleanup;
	ASSERT_LE(fabs(p_hot - r_hot), 5.0, "burn_hot within 5 points");
	ASSERT_LE(fabs(p_cold - r_cold), 5.0, "burn_cold within 5 points");
	check_top_pprof(comm, dir);
cleanup:
	stop(pid, SIGKILL);
	free(out);
	loader_run(NULL, "unload profile");
	run_cmd(NULL, "rm -rf %s", dir);
}

/* Mixed stacks under the interpreter @py. */
static void check_mixed(const char *py)
{
	char comm[16], *out = NULL;
	struct folded_share defl, cmp, cmp_q;
	pid_t pid;

	snprintf(comm, sizeof(comm), "pym%d", getpid() % 100000);
	pid = start_burn(py, "mixed", comm, "");
	if (pid <= 0)
		return;
	if (!ASSERT_EQ(loader_run(NULL, "profile --freq 499 --comm %s", comm),
		       0, "load"))
		goto cleanup;
	/* enough of both: on a busy host one can lag the other */
	if (folded_wait(&out, comm, ";py_compare (", 40) ||
	    folded_wait(&out, comm, "deflate", 50))
		goto cleanup;
	/* Python above native: the extension's C under its Python caller */
	defl = folded_count(out, comm, "deflate", ";py_native_caller (");
	/* native above Python: qsort calling back into py_compare */
	cmp = folded_count(out, comm, ";py_compare (", ";py_sort_caller (");
	cmp_q = folded_count(out, comm, ";py_compare (", "qsort");
	printf("deflate %llu (%llu under py_native_caller), py_compare %llu (%llu under py_sort_caller, %llu under qsort)\n",
	       defl.with, defl.above, cmp.with, cmp.above, cmp_q.above);
	if (ASSERT_GE(defl.with, 50, "deflate samples"))
		ASSERT_GE(100.0 * defl.above / defl.with, 95.0,
			  "deflate under py_native_caller");
	if (ASSERT_GE(cmp.with, 40, "py_compare samples")) {
		ASSERT_GE(100.0 * cmp.above / cmp.with, 95.0,
			  "py_compare under py_sort_caller");
		ASSERT_GE(100.0 * cmp_q.above / cmp.with, 95.0,
			  "py_compare under qsort");
	}
	/* the order: py_sort_caller, then qsort, then py_compare */
	ASSERT_GE(folded_count(out, comm, "qsort", ";py_sort_caller (").above,
		  cmp_q.above, "qsort under py_sort_caller");
	/* --native: the interpreter loop as it ran, no Python frame */
	free(out);
	out = NULL;
	if (ASSERT_EQ(reader_run(&out, "profile profile --folded --native"), 0,
		      "--native")) {
		ASSERT_EQ(folded_count(out, comm, "[py]", NULL).with, 0,
			  "--native: no Python frame");
		ASSERT_GE(folded_count(out, comm, "deflate",
				       ";_PyEval_EvalFrameDefault;")
				  .above,
			  defl.above, "--native: deflate under the eval loop");
	}
cleanup:
	stop(pid, SIGKILL);
	free(out);
	loader_run(NULL, "unload profile");
}

static void test_mixed(void)
{
	check_mixed(PYTHON);
}

static void test_pyvdb(void)
{
	char dir[] = "/tmp/pinsight-pyvdb-XXXXXX", comm[16], *out = NULL;
	struct folded_share mq, rr, req, vs, vspy;
	pid_t pid = 0;
	int err;

	if (!ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	snprintf(comm, sizeof(comm), "pyvdb%d", getpid() % 100000);
	err = run_cmd(
		NULL,
		"%s/workloads/vector-studio -f %s/port -P 4000 -n 16 >/dev/null 2>&1 & "
		"echo $! > %s/pid; for i in $(seq 100); do [ -s %s/port ] && break; sleep 0.1; done",
		env_output_dir(), dir, dir, dir);
	if (!ASSERT_EQ(err, 0, "start vector-studio"))
		goto cleanup;
	pid = spawn_sh(
		"exec %s %s/workloads/pyvdb/pyvdb_load.py -f %s/port --seconds 600 --comm %s >/dev/null",
		PYTHON, env_output_dir(), dir, comm);
	if (!ASSERT_GT(pid, 0, "spawn pyvdb_load.py"))
		goto cleanup;
	usleep(500000);
	/* both processes: one instance for every process */
	if (!ASSERT_EQ(loader_run(NULL, "profile --freq 499"), 0,
		       "load profile"))
		goto cleanup;
	if (folded_wait(&out, comm, ";VectorDB.make_query (", 100))
		goto cleanup;
	mq = folded_count(out, comm, ";VectorDB.make_query (pyvdb/api.py:",
			  ";VectorDB.search (pyvdb/api.py:");
	rr = folded_count(out, comm, ";VectorDB.rerank (pyvdb/api.py:",
			  ";VectorDB.search (pyvdb/api.py:");
	req = folded_count(out, comm, ";Client.request (pyvdb/client.py:",
			   ";VectorDB.search (pyvdb/api.py:");
	vs = folded_count(out, "vector-studio;", "search_vectors", NULL);
	vspy = folded_count(out, "vector-studio;", "[py]", NULL);
	printf("pyvdb: make_query %llu (%llu under search), rerank %llu (%llu), request %llu (%llu); vector-studio: search_vectors %llu, [py] %llu\n",
	       mq.with, mq.above, rr.with, rr.above, req.with, req.above,
	       vs.with, vspy.with);
	ASSERT_GE(mq.with, 100, "make_query samples");
	ASSERT_EQ(mq.above, mq.with, "make_query under VectorDB.search");
	ASSERT_GT(rr.with, 0, "rerank samples");
	ASSERT_EQ(rr.above, rr.with, "rerank under VectorDB.search");
	ASSERT_GT(req.with, 0, "Client.request samples");
	ASSERT_GT(vs.with, 0, "vector-studio's search_vectors, native");
	ASSERT_EQ(vspy.with, 0, "no Python frame in vector-studio");
cleanup:
	stop(pid, SIGKILL);
	free(out);
	loader_run(NULL, "unload profile");
	run_cmd(NULL, "kill $(cat %s/pid) 2>/dev/null; rm -rf %s", dir, dir);
}

/*
 * Native frames only, complete to Py_BytesMain: the interpreter @name
 * (a copy of python3.11 under that name in a temporary directory, or
 * python3.11 itself when NULL) loaded with @opt; @refusal, when given, is
 * what the loader must say.
 */
static void check_native_only(const char *name, const char *opt,
			      const char *refusal)
{
	char dir[] = "/tmp/pinsight-pynat-XXXXXX", py[64], comm[16];
	char *out = NULL, *load = NULL;
	struct folded_share eval, py_fr, root;
	pid_t pid = 0;

	if (!ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	snprintf(py, sizeof(py), "%s/%s", dir, name ?: "");
	snprintf(comm, sizeof(comm), "pyn%d", getpid() % 100000);
	if (name &&
	    !ASSERT_EQ(run_cmd(NULL, "cp %s %s", PYTHON, py), 0, "copy"))
		goto cleanup;
	pid = start_burn(name ? py : PYTHON, "ratio", comm, "");
	if (pid <= 0)
		goto cleanup;
	if (!ASSERT_EQ(loader_run(&load, "profile --freq 499 --comm %s %s 2>&1",
				  comm, opt),
		       0, "load profile"))
		goto cleanup;
	if (refusal)
		ASSERT_OK_PTR(strstr(load ?: "", refusal),
			      "the refusal names the file and the version");
	if (folded_wait(&out, comm, "_PyEval_EvalFrameDefault", 100))
		goto cleanup;
	eval = folded_count(out, comm, "_PyEval_EvalFrameDefault", NULL);
	root = folded_count(out, comm, "_PyEval_EvalFrameDefault",
			    ";Py_BytesMain;");
	py_fr = folded_count(out, comm, "[py]", NULL);
	printf("%s %s: %llu samples in the eval loop, %llu under Py_BytesMain, %llu with Python frames\n",
	       name ?: PYTHON, opt, eval.with, root.above, py_fr.with);
	ASSERT_EQ(py_fr.with, 0, "no Python frame");
	ASSERT_GE(100.0 * root.above / eval.with, 95.0,
		  "native frames still reach Py_BytesMain");
cleanup:
	stop(pid, SIGKILL);
	free(out);
	free(load);
	loader_run(NULL, "unload profile");
	run_cmd(NULL, "rm -rf %s", dir);
}

static void test_unknown_version(void)
{
	check_native_only("python3.10", "",
			  "python3.10: CPython 3.10 has no frame layout");
}

/*
 * 3.13's own offsets are checked: a copy of its libpython whose
 * _Py_DebugOffsets give thread_state.current_frame as 80 (not 72) is
 * refused, naming the field, and its process keeps native frames.
 */
static void test_own_offsets(void)
{
	char dir[] = "/tmp/pinsight-py13-XXXXXX", prefix[256], py[640];
	char comm[16], *out = NULL, *load = NULL;
	struct folded_share eval, py_fr;
	pid_t pid = 0;

	if (!pyenv_prefix("3.13", prefix, sizeof(prefix))) {
		test__skip("no pyenv build of CPython 3.13");
		return;
	}
	if (!ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	/*
	 * _PyRuntime starts with the cookie and the version (3.13: 0x030d
	 * in its high half; the cookie alone is in .rodata too);
	 * current_frame's offset is at +184
	 */
	if (!ASSERT_EQ(
		    run_cmd(NULL,
			    "cp %s/lib/libpython3.13.so.1.0 %s/ && f=%s/libpython3.13.so.1.0 && "
			    "at=$(LC_ALL=C grep -obUaP 'xdebugpy[\\x00-\\xff]{2}\\x0d\\x03' $f | head -1 | cut -d: -f1) && "
			    "[ -n \"$at\" ] && "
			    "printf '\\120' | dd of=$f bs=1 seek=$((at + 184)) conv=notrunc 2>/dev/null",
			    prefix, dir, dir),
		    0, "patch a copy of libpython3.13"))
		goto cleanup;
	snprintf(py, sizeof(py), "env LD_LIBRARY_PATH=%s %s/bin/python3.13",
		 dir, prefix);
	snprintf(comm, sizeof(comm), "pyo%d", getpid() % 100000);
	pid = start_burn(py, "ratio", comm, "");
	if (pid <= 0)
		goto cleanup;
	if (!ASSERT_EQ(loader_run(&load, "profile --freq 499 --comm %s 2>&1",
				  comm),
		       0, "load profile"))
		goto cleanup;
	ASSERT_OK_PTR(
		strstr(load ?: "",
		       "libpython3.13.so.1.0: CPython 3.13's _Py_DebugOffsets give thread_state.current_frame 80, this pinsight's 3.13 layout 72"),
		"the refusal names the file and the field");
	if (folded_wait(&out, comm, "_PyEval_EvalFrameDefault", 100))
		goto cleanup;
	eval = folded_count(out, comm, "_PyEval_EvalFrameDefault", NULL);
	py_fr = folded_count(out, comm, "[py]", NULL);
	printf("patched libpython3.13: %llu samples in the eval loop, %llu with Python frames\n",
	       eval.with, py_fr.with);
	ASSERT_GE(eval.with, 100, "native frames");
	ASSERT_EQ(py_fr.with, 0, "no Python frame");
cleanup:
	stop(pid, SIGKILL);
	free(out);
	free(load);
	loader_run(NULL, "unload profile");
	run_cmd(NULL, "rm -rf %s", dir);
}

/* a file's name is no proof: the interpreter's Py_Version is checked */
static void test_misnamed(void)
{
	check_native_only(
		"python3.12", "",
		"python3.12: named CPython 3.12, but its Py_Version is 3.11");
}

static void test_no_python(void)
{
	check_native_only(NULL, "--no-python", NULL);
}

/*
 * A Python process started after the load: native frames by frame
 * pointers until `refresh` compiles its images, Python frames after;
 * `show` decodes the instance's Python maps.
 */
static void test_after_refresh(void)
{
	char comm[16], *out = NULL, *show = NULL;
	struct folded_share py_fr = {};
	pid_t pid = 0;
	int i;

	snprintf(comm, sizeof(comm), "pyf%d", getpid() % 100000);
	/* an instance for a command no process has yet: no tables for it */
	if (!ASSERT_EQ(loader_run(NULL, "profile --freq 499 --comm %s", comm),
		       0, "load"))
		return;
	pid = start_burn(PYTHON, "ratio", comm, "");
	if (pid <= 0)
		goto cleanup;
	/*
	 * BPF notes the interpreter's images as wanted from its first
	 * samples, which a slow machine (TCG) may take seconds to give:
	 * refresh until a refresh found them (it is idempotent).
	 */
	for (i = 0; i < 30; i++) {
		sleep(2);
		if (!ASSERT_EQ(loader_run(NULL, "refresh"), 0, "refresh"))
			goto cleanup;
		free(out);
		out = NULL;
		if (!ASSERT_EQ(reader_run(&out, "profile profile --folded"), 0,
			       "pinsight profile --folded"))
			goto cleanup;
		py_fr = folded_count(out, comm,
				     "burn_hot (pyvdb/pyburn.py:", NULL);
		if (py_fr.with >= 50)
			break;
	}
	printf("after refresh: %llu burn_hot samples\n", py_fr.with);
	ASSERT_GE(py_fr.with, 50, "Python frames after refresh");
	if (ASSERT_EQ(reader_run(&show, "show profile py_codes"), 0,
		      "show py_codes"))
		ASSERT_OK_PTR(strstr(show, "burn_hot"),
			      "py_codes has burn_hot");
cleanup:
	stop(pid, SIGKILL);
	free(out);
	free(show);
	loader_run(NULL, "unload profile");
}

/*
 * The loader's layout table against the interpreter's headers, where
 * they are (libpython3.11-dev, scripts/setup.sh; pyenv's 3.12 and 3.13
 * builds): built and run here, per version. 3.13's is linked with its
 * libpython, whose _Py_DebugOffsets must give the table's offsets.
 */
static void check_abi(const char *ver, const char *inc, const char *libs)
{
	char dir[] = "/tmp/pinsight-pyabi-XXXXXX", *out = NULL;

	if (!ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	if (ASSERT_EQ(
		    run_cmd(NULL,
			    "cc -I%s -I%s/loader -o %s/abi_check %s/selftests/workloads/pyvdb/abi_check.c %s",
			    inc, env_src_dir(), dir, env_src_dir(), libs),
		    0, "build abi_check")) {
		ASSERT_EQ(run_cmd(&out, "%s/abi_check", dir), 0,
			  "table == headers");
		ASSERT_FALSE(out && strstr(out, "MISMATCH"),
			     "no field differs");
		printf("%s: %s", ver, out ?: "");
	}
	free(out);
	run_cmd(NULL, "rm -rf %s", dir);
}

static void test_abi_table(void)
{
	char prefix[256], inc[320], libs[640];
	int checked = 0;
	size_t i;

	if (!access("/usr/include/python3.11/internal/pycore_frame.h", R_OK)) {
		check_abi("3.11", "/usr/include/python3.11", "");
		checked++;
	}
	for (i = 0; i < sizeof(pyenv_versions) / sizeof(pyenv_versions[0]);
	     i++) {
		const char *v = pyenv_versions[i];

		if (!pyenv_prefix(v, prefix, sizeof(prefix)))
			continue;
		snprintf(inc, sizeof(inc), "%s/include/python%s", prefix, v);
		if (access(inc, R_OK))
			continue;
		libs[0] = '\0';
		if (strcmp(v, "3.13") >= 0)
			snprintf(libs, sizeof(libs),
				 "-L%s/lib -lpython%s -Wl,-rpath,%s/lib",
				 prefix, v, prefix);
		check_abi(v, inc, libs);
		checked++;
	}
	if (!checked)
		test__skip("no CPython headers (libpython3.11-dev, pyenv)");
}

/*
 * pyenv's CPython @ver (libpython@ver.so: its _PyRuntime there): loaded
 * without a refusal, burn_hot and burn_cold in 3:1 by name within 5
 * points, under their Python caller.
 */
static void check_pyenv_ratio(const char *ver)
{
	char py[320], comm[16], *out = NULL, *load = NULL;
	struct folded_share hot, cold;
	pid_t pid;

	if (!pyenv_python(ver, py, sizeof(py)))
		return;
	snprintf(comm, sizeof(comm), "pyv%d", getpid() % 100000);
	pid = start_burn(py, "ratio", comm, "");
	if (pid <= 0)
		return;
	if (!ASSERT_EQ(loader_run(&load, "profile --freq 999 --comm %s 2>&1",
				  comm),
		       0, "load profile"))
		goto cleanup;
	ASSERT_NULL(strstr(load ?: "", "native frames only"),
		    "no refusal of the interpreter");
	if (folded_wait(&out, comm, "burn_", 600))
		goto cleanup;
	if (!check_burn_ratio(out, comm, py, 500, &hot, &cold))
		goto cleanup;
	/* libpython's eval loop replaced by the Python frames it ran */
	ASSERT_EQ(
		folded_count(out, comm, "_PyEval_EvalFrameDefault;", NULL).with,
		0, "no eval loop frame above Python frames");
cleanup:
	stop(pid, SIGKILL);
	free(out);
	free(load);
	loader_run(NULL, "unload profile");
}

/*
 * 3.12+ marks where each C call of the eval loop began by a shim frame
 * owned by the C stack: Python called back from qsort must still sit
 * over the C frames, under its Python caller.
 */
static void test_pyenv_mixed(const char *ver)
{
	char py[320];

	if (pyenv_python(ver, py, sizeof(py)))
		check_mixed(py);
}

void test_python(void)
{
	if (test__start_subtest("abi_table"))
		test_abi_table();
	if (test__start_subtest("pyenv_3_12"))
		check_pyenv_ratio("3.12");
	if (test__start_subtest("pyenv_3_13"))
		check_pyenv_ratio("3.13");
	if (test__start_subtest("pyenv_mixed_3_12"))
		test_pyenv_mixed("3.12");
	if (test__start_subtest("pyenv_mixed_3_13"))
		test_pyenv_mixed("3.13");
	if (test__start_subtest("own_offsets"))
		test_own_offsets();
	if (!have_python())
		return;
	if (test__start_subtest("ratio_reference"))
		test_ratio_reference();
	if (test__start_subtest("mixed"))
		test_mixed();
	if (test__start_subtest("pyvdb"))
		test_pyvdb();
	if (test__start_subtest("unknown_version"))
		test_unknown_version();
	if (test__start_subtest("misnamed"))
		test_misnamed();
	if (test__start_subtest("no_python"))
		test_no_python();
	if (test__start_subtest("after_refresh"))
		test_after_refresh();
}
