// SPDX-License-Identifier: GPL-2.0
/*
 * pinsight-load --config: syntax errors name FILE:LINE and load nothing
 * (exit 2); a valid file loads every instance, each atomically, reports
 * per instance, survives a bad line, reloads idempotently and unloads
 * exactly its instances.
 */
#include <sys/stat.h>
#include "log.h"
#include "pin_layout.h"
#include "pinsight_helpers.h"
#include "test_progs.h"

static char dir[] = "/tmp/pinsight-config-XXXXXX";

static const char *write_conf(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return path;
	fputs(text, f);
	fclose(f);
	return path;
}

/* @text must fail `check` with exit 2, naming @line and @why. */
static void bad(const char *text, int line, const char *why)
{
	const char *path = write_conf("bad.conf", text);
	char *out = NULL, where[160];
	int err;

	err = loader_run(&out, "--config %s check", path);
	ASSERT_EQ(err, EXIT_USAGE, why);
	snprintf(where, sizeof(where), "%s:%d: ", path, line);
	ASSERT_HAS_SUBSTR(out, where, "names FILE:LINE");
	ASSERT_HAS_SUBSTR(out, why, "says why");
	free(out);
}

static void check_syntax(void)
{
	char *out = NULL;
	const char *path;
	int err;

	bad("io\nnosuchtool --x\n", 2, "no such tool");
	bad("# c\n\nio --comm \"open\n", 3, "unterminated \" quote");
	bad("io --comm 'x\n", 1, "unterminated ' quote");
	bad("io@bad.name\n", 1, "instance name not valid");
	bad("io --name a\nio@a --comm b\n", 2, "also on");
	bad("io\n--comm x\n", 2, "starts with a tool name");
	bad("io --help\n", 1, "--help has no place");
	bad("io@a --name b\n", 1, "both name the instance");
	/* a continued line is reported at its first line */
	bad("io \\\n --comm a\nio@x \\\n  \"unterminated\n", 3, "quote");

	path = write_conf("good.conf",
			  "# comment\n\n  io --comm 'a b'   # trailing\n"
			  "io@db --comm \"q\\\"uote\" \\\n   --attach tp\n"
			  "io --name=web\n");
	err = loader_run(&out, "--config %s check", path);
	ASSERT_EQ(err, 0, "check");
	ASSERT_HAS_SUBSTR(out, "good.conf:3: io\n", "instance and line");
	ASSERT_HAS_SUBSTR(out, "good.conf:4: io@db\n", "TOOL@NAME");
	ASSERT_HAS_SUBSTR(out, "good.conf:6: io@web\n", "--name=");
	ASSERT_HAS_SUBSTR(out, "3 instances", "count");
	free(out);
	out = NULL;
	err = loader_run(&out, "--config %s/none.conf check", dir);
	ASSERT_EQ(err, EXIT_NOENT, "missing file");
	ASSERT_HAS_SUBSTR(out, "none.conf: No such file", "names it");
	free(out);
	err = loader_run(NULL, "--config %s what", path);
	ASSERT_EQ(err, EXIT_USAGE, "unknown action");
}

/* The shipped examples parse. */
static void check_examples(void)
{
	char *out = NULL;
	int err;

	err = loader_run(&out, "--config %s/scripts/pinsight.conf check",
			 env_src_dir());
	ASSERT_EQ(err, 0, "scripts/pinsight.conf");
	ASSERT_HAS_SUBSTR(out, "1 instances", "io");
	free(out);
}

static bool pinned(const char *inst)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", pin_root(), inst);
	return !access(path, F_OK);
}

static void check_load(void)
{
	char text[512], comm[16], *out = NULL;
	const char *path;
	int err;

	snprintf(comm, sizeof(comm), "cfg-%d", getpid() % 100000);
	snprintf(text, sizeof(text),
		 "io --comm %s\n"
		 "io@tp --comm %s --attach tp\n"
		 "io@bad --bogus-option\n"
		 "io@novalue --comm\n",
		 comm, comm);
	path = write_conf("load.conf", text);
	err = loader_run(&out, "--config %s", path);
	ASSERT_EQ(err, EXIT_USAGE, "the bad line's exit code");
	ASSERT_HAS_SUBSTR(out, "load.conf:3: io@bad: not loaded",
			  "per instance");
	ASSERT_HAS_SUBSTR(out, "load.conf:4: io@novalue: not loaded",
			  "a missing value is not taken from elsewhere");
	ASSERT_HAS_SUBSTR(out, "2 of 4 instances loaded", "summary");
	ASSERT_TRUE(pinned("io") && pinned("io@tp"), "good lines pinned");
	ASSERT_FALSE(pinned("io@bad"), "bad line pinned nothing");
	free(out);
	out = NULL;
	err = reader_run(&out, "show io rodata");
	ASSERT_HAS_SUBSTR(out, comm, "options took effect");
	free(out);
	out = NULL;

	/* a reload swaps instances in place: still loaded, same result */
	err = loader_run(&out, "--config %s", path);
	ASSERT_EQ(err, EXIT_USAGE, "reload");
	ASSERT_HAS_SUBSTR(out, "2 of 4 instances loaded", "reload summary");
	ASSERT_TRUE(pinned("io") && pinned("io@tp"), "still pinned");
	free(out);
	out = NULL;

	/* an instance loaded by hand is not the config's to unload */
	ASSERT_EQ(loader_run(NULL, "io --name byhand --comm %s", comm), 0,
		  "by hand");
	err = loader_run(&out, "--config %s unload", path);
	ASSERT_EQ(err, 0, "unload");
	ASSERT_HAS_SUBSTR(out, "io@bad: not loaded", "absent is fine");
	ASSERT_FALSE(pinned("io") || pinned("io@tp"), "unloaded");
	ASSERT_TRUE(pinned("io@byhand"), "others kept");
	free(out);
	ASSERT_EQ(loader_run(NULL, "--config %s unload", path), 0,
		  "unload twice");
	loader_run(NULL, "unload io@byhand");
}

void test_config(void)
{
	if (!mkdtemp(dir)) {
		test__fail();
		return;
	}
	if (test__start_subtest("syntax"))
		check_syntax();
	if (test__start_subtest("examples"))
		check_examples();
	if (test__start_subtest("load")) {
		if (geteuid())
			test__skip("needs root to load io");
		else if (private_bpffs())
			test__skip("cannot mount a private bpffs");
		else
			check_load();
	}
	run_cmd(NULL, "rm -rf %s", dir);
}
