// SPDX-License-Identifier: GPL-2.0
/*
 * Crash consistency: pinsight-load SIGKILLed at random points of a load, a
 * --replace and an unload. After every kill the instance is whole or
 * absent (a dead loader's _tmp-* may stay until the next loader run, which
 * must remove it), a reader can read a present instance, the next
 * load/unload succeeds, and at the end the kernel's program, map and link
 * counts are back at their baseline.
 *
 * PINSIGHT_CRASH_ITERS sets the number of kills (default 100) and
 * PINSIGHT_CRASH_SEED the random seed; selftests/benchs/soak_crash.sh runs
 * this with thousands.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <time.h>
#include <sys/wait.h>
#include "log.h"
#include "pin_layout.h"
#include "pinsight_helpers.h"
#include "test_progs.h"

#define TOOL "io"
#define NAME "crash"
#define INST TOOL "@" NAME
#define MAX_STATES 64

/* What a directory of pins holds: the observable "kill point". */
struct shape {
	int links, maps;
	bool btf;
};

struct state_count {
	char what[64];
	int n;
};

struct crash_env {
	char dir[4096]; /* <root>/INST */
	char tag[16]; /* --comm of our loads: tells our BPF objects apart */
	struct shape whole; /* a complete instance */
	long load_us, unload_us; /* how long an uninterrupted run takes */
	struct state_count states[MAX_STATES];
	int nstates, kills, finished;
	bool failed; /* stop at the first broken invariant */
};

static struct shape shape_of(const char *dir)
{
	char path[4200];
	struct shape s;

	snprintf(path, sizeof(path), "%s/links", dir);
	s.links = dir_count(path);
	snprintf(path, sizeof(path), "%s/maps", dir);
	s.maps = dir_count(path);
	snprintf(path, sizeof(path), "%s/" PIN_BTF_NAME, dir);
	s.btf = !access(path, F_OK);
	return s;
}

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

/*
 * Run pinsight-load with @args (NULL-terminated) and SIGKILL it after
 * @delay_us, or let it finish when @delay_us < 0. Returns the wait status;
 * *took the run time in microseconds.
 */
static int run_loader(const char *const *args, long delay_us, long *took)
{
	char bin[4096];
	const char *argv[8] = { bin };
	int status = 0, i, fd;
	long t0 = now_us();
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/pinsight-load", env_output_dir());
	for (i = 0; args[i] && i < 6; i++)
		argv[i + 1] = args[i];
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	if (delay_us >= 0) {
		usleep(delay_us);
		kill(pid, SIGKILL);
	}
	waitpid(pid, &status, 0);
	if (took)
		*took = now_us() - t0;
	return status;
}

static void note_state(struct crash_env *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note_state(struct crash_env *e, const char *fmt, ...)
{
	char what[64];
	va_list ap;
	int i;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	for (i = 0; i < e->nstates; i++)
		if (!strcmp(e->states[i].what, what))
			break;
	if (i == e->nstates) {
		if (i == MAX_STATES)
			return;
		snprintf(e->states[e->nstates++].what, sizeof(what), "%s", what);
	}
	e->states[i].n++;
}

/*
 * The invariant after any kill: the instance is absent or whole (and
 * readable), and the root holds nothing but it and temporaries.
 * Records which state the kill left. Returns whether the instance is there.
 */
static bool check_after_kill(struct crash_env *e, const char *op)
{
	char path[4200];
	struct dirent *de;
	bool present;
	DIR *d;

	present = !access(e->dir, F_OK);
	if (present) {
		struct shape s = shape_of(e->dir);

		e->failed |= !ASSERT_EQ(s.links, e->whole.links,
					"instance links whole");
		e->failed |= !ASSERT_EQ(s.maps, e->whole.maps,
					"instance maps whole");
		e->failed |= !ASSERT_TRUE(s.btf, "instance btf pin there");
		e->failed |= !ASSERT_EQ(reader_run(NULL, "show " INST
						   " >/dev/null"), 0,
					"a present instance reads");
	}
	d = opendir(pin_root());
	if (!d) {
		note_state(e, "%s: no pin root yet", op);
		return present;
	}
	while ((de = readdir(d))) {
		struct shape s;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, INST))
			continue;
		if (e->failed |= !ASSERT_EQ(strncmp(de->d_name, PIN_TMP_PREFIX,
				       strlen(PIN_TMP_PREFIX)), 0,
			       "only the instance and temporaries")) {
			printf("unexpected %s\n", de->d_name);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", pin_root(), de->d_name);
		s = shape_of(path);
		note_state(e, "%s: temporary with links %d maps %d btf %d", op,
			   s.links, s.maps, s.btf);
	}
	closedir(d);
	note_state(e, "%s: instance %s", op, present ? "present" : "absent");
	return present;
}

/* The next uninterrupted operation must succeed and clean up after kills. */
static bool recover(struct crash_env *e, bool present)
{
	int err;

	/* loader_run() logs the output, which says what went wrong. */
	if (present)
		err = loader_run(NULL, "unload " INST);
	else
		err = loader_run(NULL, TOOL " --name " NAME " --comm %s",
				 e->tag);
	e->failed |= !ASSERT_EQ(err, 0, present ? "unload after a kill" :
						  "load after a kill");
	e->failed |= !ASSERT_EQ(root_temporaries(), 0, "temporaries removed");
	e->failed |= !ASSERT_EQ(!access(e->dir, F_OK), !present,
				"instance state");
	return !present;
}

static int cmp_long(const void *a, const void *b)
{
	return (*(const long *)a > *(const long *)b) -
	       (*(const long *)a < *(const long *)b);
}

/* Time @args between @before and @after (either may be NULL). */
static long calibrate(const char *const *before, const char *const *args,
		      const char *const *after)
{
	long took[5];
	int i;

	/* The median of five: one slow run must not stretch the window. */
	for (i = 0; i < 5; i++) {
		if ((before && run_loader(before, -1, NULL)) ||
		    run_loader(args, -1, &took[i]) ||
		    (after && run_loader(after, -1, NULL)))
			return -1;
	}
	qsort(took, 5, sizeof(took[0]), cmp_long);
	return took[2];
}

static int env_int(const char *name, int def)
{
	const char *v = getenv(name);

	return v && *v ? atoi(v) : def;
}

/*
 * Nothing of ours may outlive the pins: objects are freed after an RCU
 * grace period, so wait up to 5 s for the count to reach zero.
 */
static bool no_orphans(struct crash_env *e)
{
	struct bpf_ids c;
	int i;

	for (i = 0; i < 250; i++) {
		bpf_ids_tagged(e->tag, &c);
		if (!c.progs && !c.maps && !c.links)
			return true;
		usleep(20000);
	}
	e->failed |= !ASSERT_EQ(c.progs, 0, "no orphan programs");
	e->failed |= !ASSERT_EQ(c.links, 0, "no orphan links");
	e->failed |= !ASSERT_EQ(c.maps, 0, "no orphan maps");
	return false;
}

void test_crash(void)
{
	static const char *const unload[] = { "unload", INST, NULL };
	int iters = env_int("PINSIGHT_CRASH_ITERS", 100), i, status;
	unsigned int seed = env_int("PINSIGHT_CRASH_SEED", time(NULL));
	struct bpf_ids before, after, c;
	struct crash_env *e;
	bool present = false;

	e = calloc(1, sizeof(*e));
	if (!ASSERT_OK_PTR(e, "calloc") ||
	    !ASSERT_OK(private_bpffs(), "private bpffs"))
		goto cleanup;
	snprintf(e->dir, sizeof(e->dir), "%s/%s", pin_root(), INST);
	snprintf(e->tag, sizeof(e->tag), "crash%d", getpid());
	const char *const load[] = { TOOL, "--name", NAME, "--comm", e->tag,
				     NULL };
	const char *const replace[] = { TOOL, "--name", NAME, "--comm",
					e->tag, "--replace", NULL };

	bpf_ids_settled(&before);

	/* A whole instance's shape, and how long load and unload take. */
	if (!ASSERT_EQ(run_loader(load, -1, NULL), 0, "reference load"))
		goto cleanup;
	e->whole = shape_of(e->dir);
	ASSERT_GT(e->whole.links, 0, "reference links");
	ASSERT_GT(e->whole.maps, 0, "reference maps");
	bpf_ids_tagged(e->tag, &c);
	ASSERT_GT(c.progs, 0, "our programs are told apart");
	ASSERT_EQ(c.links, e->whole.links, "our links are told apart");
	ASSERT_EQ(run_loader(unload, -1, NULL), 0, "reference unload");
	e->load_us = calibrate(NULL, load, unload);
	e->unload_us = calibrate(load, unload, NULL);
	if (!ASSERT_GT(e->load_us, 0, "calibrate load") ||
	    !ASSERT_GT(e->unload_us, 0, "calibrate unload"))
		goto cleanup;
	printf("seed %u, %d iterations; uninterrupted load %ld us, unload %ld us\n",
	       seed, iters, e->load_us, e->unload_us);
	srand(seed);

	for (i = 0; i < iters && !e->failed; i++) {
		const char *const *args = load;
		const char *op = "load";
		long span = e->load_us, delay;

		if (present && rand() % 2) {
			args = replace;
			op = "replace";
		} else if (present) {
			args = unload;
			op = "unload";
			span = e->unload_us;
		}
		/*
		 * Half the kills anywhere in the run (a little past it: some
		 * runs finish), half in its last third, where the pins are
		 * made: exec and BPF load take most of the time before it.
		 */
		delay = rand() % (span + span / 8 + 1);
		if (rand() % 2)
			delay = span * 2 / 3 + rand() % (span / 3 + 1);
		status = run_loader(args, delay, NULL);
		if (WIFSIGNALED(status))
			e->kills++;
		else
			e->finished++;
		present = check_after_kill(e, op);
		if (rand() % 2)
			present = recover(e, present);
		/* Now and then, with nothing pinned: nothing orphaned either. */
		if (!present && !root_temporaries() && i % 25 == 24)
			no_orphans(e);
	}

	/* The last word: a clean unload (or load and unload) then baseline. */
	if (!present)
		present = recover(e, present);
	recover(e, present);
	ASSERT_EQ(dir_count(pin_root()), 0, "pin root empty");
	no_orphans(e);
	/* The host's totals, for the log: other tests may load meanwhile. */
	bpf_ids_settled(&after);
	printf("bpftool totals before/after: progs %d/%d maps %d/%d links %d/%d\n",
	       before.progs, after.progs, before.maps, after.maps,
	       before.links, after.links);

	printf("%d killed, %d finished before the kill; states seen:\n",
	       e->kills, e->finished);
	for (i = 0; i < e->nstates; i++)
		printf("  %5d  %s\n", e->states[i].n, e->states[i].what);
	ASSERT_GE(e->nstates, 4, "kill points spread over the run");
cleanup:
	free(e);
}
