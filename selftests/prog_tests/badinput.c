// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile input for pinsight-load, its config file and pinsight: empty,
 * huge, binary and non-UTF-8 values, missing values, unknown keys,
 * out-of-range numbers, a pin root off bpffs, pins pinsight did not make
 * where it expects its own, maps whose type, sizes or BTF differ from what
 * the reader expects. Each gives a clear error naming the object and
 * cause, a documented exit code, pins nothing and removes nothing it did
 * not make.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "log.h"
#include "pin_layout.h"
#include "pinsight_helpers.h"
#include "test_progs.h"

struct bad_case {
	const char *args, *msg;
	int code;
};

/* Instances and temporaries under the root; none when it is not there. */
static int root_count(void)
{
	int n = dir_count(pin_root());

	return n == -ENOENT ? 0 : n;
}

/* Run every case; each must fail as said and leave the root as it was. */
static void run_cases(int (*run)(char **, const char *, ...),
		      const struct bad_case *c, int n)
{
	int i, before = root_count(), err;
	char *out = NULL;

	for (i = 0; i < n; i++, c++) {
		char what[64]; /* some args are huge */

		snprintf(what, sizeof(what), "%s", c->args);

		err = run(&out, "%s", c->args);
		ASSERT_EQ(err, c->code, what);
		/* Huge input must not come back whole in the message. */
		if (!ASSERT_LT(out ? strlen(out) : 0, 4096, "short message") ||
		    !ASSERT_OK_PTR(out ? strstr(out, c->msg) : NULL, what))
			printf("%s: expected \"%s\" in: %.300s\n", what, c->msg,
			       out ?: "");
		ASSERT_EQ(root_count(), before, "nothing pinned");
		ASSERT_EQ(root_temporaries(), 0, "no temporaries");
		free(out);
		out = NULL;
	}
}

#define HUGE_LEN 100000

static void check_loader_args(void)
{
	static char huge[HUGE_LEN + 64], huge_name[HUGE_LEN + 64];
	const struct bad_case cases[] = {
		{ "io --comm ''", "io: --comm: ", EXIT_USAGE },
		{ "io --pid ''", "io: --pid: ", EXIT_USAGE },
		{ "io --name ''", "io: --name '' is not valid", EXIT_USAGE },
		{ "''", "unknown tool", EXIT_NOENT },
		{ huge, "io: --comm: ", EXIT_USAGE },
		{ huge_name, "is not valid", EXIT_USAGE },
		{ "io --pid \"$(printf '\\377\\376')\"", "io: --pid: ", EXIT_USAGE },
		{ "io --name \"$(printf 'x\\377')\"", "is not valid", EXIT_USAGE },
		{ "\"$(printf 'i\\001o')\"", "unknown tool", EXIT_NOENT },
		{ "io --pid 99999999999999999999", "io: --pid: ", EXIT_USAGE },
		{ "io --pid -5", "io: --pid: ", EXIT_USAGE },
		{ "io --comm", "requires an argument", EXIT_USAGE },
		{ "io --max-entries io_comm=0", "io: --max-entries io_comm: '0' is not a number",
		  EXIT_USAGE },
		{ "io --max-entries io_comm=4294967296", "is not a number in 1..4294967295",
		  EXIT_USAGE },
		{ "io --max-entries io_comm=12abc", "is not a number", EXIT_USAGE },
		{ "io --max-entries =5", "expected MAP=N", EXIT_USAGE },
		{ "io --max-entries nosuch=5", "io: --max-entries nosuch: no such map",
		  EXIT_NOENT },
		{ "io --max-entries rodata=5", "no such map", EXIT_NOENT },
		{ "io --group nosuchgroup-xyz", "io: --group nosuchgroup-xyz: no such group",
		  EXIT_NOENT },
		{ "unload ''", "not a valid instance name", EXIT_USAGE },
		{ "unload ../../etc", "not a valid instance name", EXIT_USAGE },
	};

	snprintf(huge, sizeof(huge), "io --comm %0*d", HUGE_LEN, 0);
	snprintf(huge_name, sizeof(huge_name), "io --name %0*d", HUGE_LEN, 0);
	run_cases(loader_run, cases, sizeof(cases) / sizeof(cases[0]));
}

/* A pin root that is not on bpffs: refused before anything is made. */
static void check_root_not_bpffs(void)
{
	char dir[] = "/tmp/pinsight-badinput-XXXXXX", *out = NULL;
	int err;

	if (!ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	err = run_cmd(&out, "PINSIGHT_PIN_ROOT=%s/root %s/pinsight-load io",
		      dir, env_output_dir());
	ASSERT_EQ(err, EXIT_PERM, "load refused");
	ASSERT_HAS_SUBSTR(out, "not on a bpf filesystem", "says why");
	ASSERT_HAS_SUBSTR(out, dir, "names the root");
	ASSERT_EQ(dir_count(dir), 0, "nothing created there");
	free(out);
	out = NULL;
	err = run_cmd(&out, "PINSIGHT_PIN_ROOT=%s/root %s/pinsight-load unload io",
		      dir, env_output_dir());
	ASSERT_EQ(err, EXIT_PERM, "unload refused");
	free(out);
	rmdir(dir);
}

/* A map pinsight did not make, pinned at @path. */
static int pin_foreign_map(const char *path, enum bpf_map_type type,
			   __u32 key_sz, __u32 val_sz, __u32 entries)
{
	int fd = bpf_map_create(type, "foreign", key_sz, val_sz, entries, NULL);
	int err;

	if (fd < 0)
		return -errno;
	err = bpf_obj_pin(fd, path) ? -errno : 0;
	close(fd);
	return err;
}

/* Where the instance should be, something else: refused, left alone. */
static void check_foreign_at_instance(void)
{
	char path[4096], sub[4200], *out = NULL;
	int err;

	mkdir(pin_root(), 0700);
	snprintf(path, sizeof(path), "%s/io@foreign", pin_root());
	if (!ASSERT_OK(pin_foreign_map(path, BPF_MAP_TYPE_ARRAY, 4, 8, 1),
		       "pin a map as the instance"))
		return;
	err = loader_run(&out, "io --name foreign");
	ASSERT_EQ(err, EXIT_CONTRACT, "load refuses");
	ASSERT_HAS_SUBSTR(out, "io@foreign: ", "names the instance");
	ASSERT_HAS_SUBSTR(out, "not made by pinsight", "says why");
	free(out);
	out = NULL;
	err = loader_run(&out, "io --name foreign --replace");
	ASSERT_EQ(err, EXIT_CONTRACT, "--replace refuses");
	ASSERT_HAS_SUBSTR(out, "not made by pinsight", "says why");
	free(out);
	out = NULL;
	err = loader_run(&out, "unload io@foreign");
	ASSERT_EQ(err, EXIT_CONTRACT, "unload refuses");
	ASSERT_HAS_SUBSTR(out, "not made by pinsight", "says why");
	free(out);
	out = NULL;
	err = reader_run(&out, "show io@foreign");
	ASSERT_EQ(err, EXIT_CONTRACT, "reader refuses");
	ASSERT_HAS_SUBSTR(out, "io@foreign: ", "names it");
	free(out);
	out = NULL;
	struct stat st;

	ASSERT_OK(stat(path, &st), "foreign pin kept");
	ASSERT_TRUE(S_ISREG(st.st_mode), "still the foreign file");
	ASSERT_EQ(root_temporaries(), 0, "no temporaries");
	unlink(path);

	/* A directory of someone else's pins at the instance's name. */
	ASSERT_OK(mkdir(path, 0700), "mkdir");
	snprintf(sub, sizeof(sub), "%s/theirs", path);
	ASSERT_OK(pin_foreign_map(sub, BPF_MAP_TYPE_ARRAY, 4, 8, 1), "pin");
	err = loader_run(&out, "io --name foreign --replace");
	ASSERT_EQ(err, EXIT_CONTRACT, "--replace refuses a foreign directory");
	ASSERT_HAS_SUBSTR(out, "theirs was not made by pinsight", "names it");
	free(out);
	ASSERT_OK(access(sub, F_OK), "foreign pin kept");
	unlink(sub);
	rmdir(path);
}

/*
 * A BTF of its own in the kernel: int (id 1) and struct bogus of @size
 * bytes (id 2), for a map whose type ids then mean something else in the
 * instance's btf pin. The BTF fd, or -errno.
 */
static int bogus_btf(__u32 size)
{
	struct btf *btf = btf__new_empty();
	int fd = -EINVAL, id;

	if (!btf)
		return -ENOMEM;
	id = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	if (id == 1 && btf__add_struct(btf, "bogus", size) == 2 &&
	    !btf__add_field(btf, "x", 1, 0, 0) && !btf__load_into_kernel(btf))
		fd = dup(btf__fd(btf));
	btf__free(btf);
	return fd;
}

/* Replace maps/<map> (or btf) of the loaded io with something else. */
static int swap_pin(const char *rel, int fd)
{
	char path[4096];
	int err;

	snprintf(path, sizeof(path), "%s/io/%s", pin_root(), rel);
	unlink(path);
	err = bpf_obj_pin(fd, path) ? -errno : 0;
	close(fd);
	return err;
}

static void expect_reader(const char *args, int code, const char *msg1,
			  const char *msg2)
{
	char *out = NULL;
	int err = reader_run(&out, "%s", args);

	/* -1: a contract mismatch, or a map of a kind that has no rows */
	if (code == -1)
		ASSERT_TRUE(err == EXIT_CONTRACT || err == EXIT_UNSUPP, args);
	else
		ASSERT_EQ(err, code, args);
	ASSERT_HAS_SUBSTR(out, msg1, args);
	if (msg2)
		ASSERT_HAS_SUBSTR(out, msg2, args);
	free(out);
}

static void check_crafted_pins(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .btf_key_type_id = 1,
		    .btf_value_type_id = 2);
	__u32 key = 0, val[16] = {};
	int fd, btf_fd;

	if (!ASSERT_EQ(loader_run(NULL, "io"), 0, "load"))
		return;

	/* A map with a different value size and no BTF. */
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "io_comm", 20, 16, 8, NULL);
	if (ASSERT_GE(fd, 0, "map") &&
	    ASSERT_OK(swap_pin("maps/io_comm", fd), "pin"))
		expect_reader("show io io_comm", EXIT_CONTRACT, "io: maps/io_comm: ",
			      "without BTF");

	/* Its own BTF, whose type ids mean other types in the btf pin. */
	btf_fd = bogus_btf(24);
	if (ASSERT_GE(btf_fd, 0, "bogus BTF")) {
		opts.btf_fd = btf_fd;
		fd = bpf_map_create(BPF_MAP_TYPE_HASH, "io_comm", 4, 24, 8,
				    &opts);
		close(btf_fd);
		if (ASSERT_GE(fd, 0, "map with BTF") &&
		    ASSERT_OK(swap_pin("maps/io_comm", fd), "pin"))
			expect_reader("show io", EXIT_CONTRACT, "io: maps/io_comm: ",
				      "size");
	}

	/* A pinned map of another type where a hash should be. */
	fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "io_comm", 0, 0, 4096, NULL);
	if (ASSERT_GE(fd, 0, "ringbuf") &&
	    ASSERT_OK(swap_pin("maps/io_comm", fd), "pin"))
		expect_reader("show io io_comm", -1, "io: maps/io_comm: ",
			      "ringbuf");

	/* btf pins: wrong magic, garbage BTF, another map type. */
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pinsight_btf", 4, 64, 1, NULL);
	if (ASSERT_GE(fd, 0, "btf map")) {
		memset(val, 0xa5, sizeof(val));
		bpf_map_update_elem(fd, &key, val, 0);
		if (ASSERT_OK(swap_pin(PIN_BTF_NAME, fd), "pin"))
			expect_reader("show io", EXIT_CONTRACT, "io: btf: ",
				      "bad header");
	}
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pinsight_btf", 4, 64, 1, NULL);
	if (ASSERT_GE(fd, 0, "btf map")) {
		val[0] = 0x46544250; /* the right magic, then garbage */
		val[1] = 56;
		bpf_map_update_elem(fd, &key, val, 0);
		if (ASSERT_OK(swap_pin(PIN_BTF_NAME, fd), "pin"))
			expect_reader("show io", EXIT_CONTRACT, "io: btf: ",
				      "invalid BTF");
	}
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "pinsight_btf", 4, 64, 1, NULL);
	if (ASSERT_GE(fd, 0, "hash") && ASSERT_OK(swap_pin(PIN_BTF_NAME, fd), "pin"))
		expect_reader("metrics io", EXIT_CONTRACT, "io: btf: ",
			      "not a BTF pin");
	ASSERT_EQ(loader_run(NULL, "unload io"), 0, "unload");
}

/* Reader arguments. */
static void check_reader_args(void)
{
	static char huge[HUGE_LEN + 64];
	const struct bad_case cases[] = {
		{ "show ''", "not an instance name", EXIT_USAGE },
		{ huge, "not an instance name", EXIT_USAGE },
		{ "show \"$(printf 'io\\377')\"", "not an instance name", EXIT_USAGE },
		{ "metrics ../x", "not an instance name", EXIT_USAGE },
		{ "show io \"$(printf '\\377')\"", "no such map", EXIT_NOENT },
	};

	if (!ASSERT_EQ(loader_run(NULL, "io"), 0, "load"))
		return;
	snprintf(huge, sizeof(huge), "show %0*d", HUGE_LEN, 0);
	run_cases(reader_run, cases, sizeof(cases) / sizeof(cases[0]));
	loader_run(NULL, "unload io");
}

/* The config file, loaded (not only checked): each bad line named. */
static void check_config(void)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "io --comm\n", ":1: " },
		{ "io --bogus 1\n", ":1: " },
		{ "io --pid 99999999999999999999\n", ":1: " },
		{ "io --comm \"unterminated\n", ":1: " },
		{ "nosuch\n", ":1: " },
		{ "\377\376\001\n", ":1: " },
		{ "# ok\n\nio --max-entries io_comm=0\n", ":3: " },
	};
	char path[] = "/tmp/pinsight-conf-XXXXXX", *out = NULL;
	size_t i;
	int fd, err;

	if (access("loader/config.c", F_OK) &&
	    run_cmd(NULL, "%s/pinsight-load --help | grep -q -- --config",
		    env_output_dir())) {
		test__skip("pinsight-load has no --config yet");
		return;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fd = mkstemp(path);
		if (!ASSERT_GE(fd, 0, "mkstemp"))
			return;
		ASSERT_EQ(write(fd, cases[i].text, strlen(cases[i].text)),
			  (ssize_t)strlen(cases[i].text), "write");
		close(fd);
		err = loader_run(&out, "--config %s", path);
		ASSERT_TRUE(err == EXIT_USAGE || err == EXIT_NOENT,
			    "bad config line: usage or not found");
		ASSERT_HAS_SUBSTR(out, path, "names the file");
		ASSERT_HAS_SUBSTR(out, cases[i].msg, "and the line");
		ASSERT_EQ(root_count(), 0, "nothing pinned");
		unlink(path);
		strcpy(path, "/tmp/pinsight-conf-XXXXXX");
		free(out);
		out = NULL;
	}
	/* Huge and binary files, and no file at all. */
	err = run_cmd(&out, "head -c 3000000 /dev/urandom > %s.bin; "
		      "%s/pinsight-load --config %s.bin; e=$?; rm -f %s.bin; exit $e",
		      path, env_output_dir(), path, path);
	ASSERT_TRUE(err == EXIT_USAGE || err == EXIT_NOENT, "binary file");
	ASSERT_HAS_SUBSTR(out, ".bin:", "names the file");
	ASSERT_EQ(root_count(), 0, "nothing pinned");
	free(out);
	out = NULL;
	err = loader_run(&out, "--config /nonexistent/pinsight.conf");
	ASSERT_EQ(err, EXIT_NOENT, "missing file");
	ASSERT_HAS_SUBSTR(out, "/nonexistent/pinsight.conf", "names it");
	free(out);
}

void test_badinput(void)
{
	if (!ASSERT_OK(private_bpffs(), "private bpffs"))
		return;
	if (test__start_subtest("loader_args"))
		check_loader_args();
	if (test__start_subtest("root_not_bpffs"))
		check_root_not_bpffs();
	if (test__start_subtest("foreign_pin_at_instance"))
		check_foreign_at_instance();
	if (test__start_subtest("reader_args"))
		check_reader_args();
	if (test__start_subtest("crafted_pins"))
		check_crafted_pins();
	if (test__start_subtest("config_file"))
		check_config();
}
