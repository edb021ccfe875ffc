// SPDX-License-Identifier: GPL-2.0
/* Loops that fire one hook per iteration, for the per-event benchmark. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "bench.h"
#include "log.h"

enum loop_kind { L_READ, L_MALLOC, L_FUNC, L_CONNECT, L_SWITCH, L_CPU, L_EXEC,
		 L_GETPPID, L_FUNC5 };

static const char *const kinds[] = { "read",	"malloc",  "func",
				     "connect", "switch",  "cpu",
				     "exec",	"getppid", "func5" };

struct loop {
	enum loop_kind kind;
	int fd; /* read: /dev/zero; connect: the listener */
	struct sockaddr_in addr;
	int ping[2], pong[2]; /* switch */
	pthread_t thread;
	bool thread_on;
};

/*
 * The uprobe target: exported and starting with push %rbp like vector-
 * studio's functions (built with frame pointers). The kernel emulates that
 * instruction; one like lea or test must be single-stepped out of line,
 * which costs ~20 µs more per hit on this VM and would swamp what the
 * programs cost. Hence assembly: gcc drops the frame of a leaf function.
 */
int bench_uprobe_target(int x);
#if defined(__x86_64__)
asm(".text\n"
    ".globl bench_uprobe_target\n"
    ".type bench_uprobe_target, @function\n"
    "bench_uprobe_target:\n"
    "	push %rbp\n"
    "	mov %rsp, %rbp\n"
    "	lea 1(%rdi), %eax\n"
    "	pop %rbp\n"
    "	ret\n"
    ".size bench_uprobe_target, .-bench_uprobe_target\n");
#else
__attribute__((noinline, used)) int bench_uprobe_target(int x)
{
	asm volatile("" : "+r"(x) : : "memory");
	return x + 1;
}
#endif

/*
 * The same, opening with the 5-byte nop that -fpatchable-function-entry
 * or -pg -mnop-mcount put at function entry: on x86 kernels with uprobe
 * optimization (sys_uprobe in kallsyms; this 6.18 host has it) a uprobe
 * there becomes a call into a trampoline after its first hit, no int3
 * trap. Only the entry: the return still goes through the uretprobe
 * trampoline. Other architectures: the plain target again.
 */
int bench_uprobe_target_nop5(int x);
#if defined(__x86_64__)
asm(".text\n"
    ".globl bench_uprobe_target_nop5\n"
    ".type bench_uprobe_target_nop5, @function\n"
    "bench_uprobe_target_nop5:\n"
    "	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n" /* nopl 0x0(%rax,%rax,1) */
    "	push %rbp\n"
    "	mov %rsp, %rbp\n"
    "	lea 1(%rdi), %eax\n"
    "	pop %rbp\n"
    "	ret\n"
    ".size bench_uprobe_target_nop5, .-bench_uprobe_target_nop5\n");
#else
int bench_uprobe_target_nop5(int x)
	__attribute__((alias("bench_uprobe_target")));
#endif

static void *pong_thread(void *arg)
{
	struct loop *l = arg;
	char c;

	while (read(l->ping[0], &c, 1) == 1)
		if (write(l->pong[1], &c, 1) != 1)
			break;
	return NULL;
}

int loop_new(const char *kind, struct loop **out)
{
	socklen_t alen = sizeof(struct sockaddr_in);
	struct loop *l;
	size_t i;
	int err = 0;

	*out = NULL;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kind, kinds[i]))
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0])) {
		p_err("%s: unknown loop kind", kind);
		return -EINVAL;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->kind = i;
	l->fd = -1;
	l->ping[0] = l->ping[1] = l->pong[0] = l->pong[1] = -1;
	switch (l->kind) {
	case L_READ:
		l->fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
		if (l->fd < 0)
			err = -errno;
		break;
	case L_CONNECT:
		l->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		l->addr.sin_family = AF_INET;
		l->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (l->fd < 0 ||
		    bind(l->fd, (struct sockaddr *)&l->addr, sizeof(l->addr)) ||
		    listen(l->fd, 128) ||
		    getsockname(l->fd, (struct sockaddr *)&l->addr, &alen))
			err = -errno;
		break;
	case L_SWITCH:
		if (pipe2(l->ping, O_CLOEXEC) || pipe2(l->pong, O_CLOEXEC)) {
			err = -errno;
			break;
		}
		err = -pthread_create(&l->thread, NULL, pong_thread, l);
		l->thread_on = !err;
		break;
	default:
		break;
	}
	if (err) {
		p_err("loop %s: setup: %s", kind, strerror(-err));
		loop_free(l);
		return err;
	}
	*out = l;
	return 0;
}

static int connect_once(struct loop *l)
{
	int c, s, err = 0;

	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0)
		return -errno;
	if (connect(c, (struct sockaddr *)&l->addr, sizeof(l->addr))) {
		err = -errno;
		goto cleanup;
	}
	s = accept(l->fd, NULL, NULL);
	if (s < 0) {
		err = -errno;
		goto cleanup;
	}
	close(s);
cleanup:
	close(c);
	return err;
}

static int exec_once(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (!pid) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -ECHILD;
}

static int loop_once(struct loop *l, long i)
{
	volatile unsigned long acc = 0;
	char c = 0;
	void *p;
	int k;

	switch (l->kind) {
	case L_READ:
		return read(l->fd, &c, 1) == 1 ? 0 : -EIO;
	case L_MALLOC:
		p = malloc(64 + (i & 63));
		/* keep the pair: without the barrier it may be elided */
		asm volatile("" : : "r"(p) : "memory");
		free(p);
		return 0;
	case L_FUNC:
		bench_uprobe_target(i);
		return 0;
	case L_FUNC5:
		bench_uprobe_target_nop5(i);
		return 0;
	case L_CONNECT:
		return connect_once(l);
	case L_SWITCH:
		if (write(l->ping[1], &c, 1) != 1 || read(l->pong[0], &c, 1) != 1)
			return -EIO;
		return 0;
	case L_CPU:
		for (k = 0; k < 1000; k++)
			acc += k ^ i;
		return 0;
	case L_EXEC:
		return exec_once();
	case L_GETPPID:
		syscall(SYS_getppid); /* not cached by libc, unlike getpid */
		return 0;
	}
	return -EINVAL;
}

int loop_run(struct loop *l, long n, double *ns_per_op)
{
	struct timespec t0, t1;
	long i;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		err = loop_once(l, i);
		if (err) {
			p_err("loop %s: iteration %ld: %s", kinds[l->kind], i,
			      strerror(-err));
			return err;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*ns_per_op = ((t1.tv_sec - t0.tv_sec) * 1e9 +
		      (t1.tv_nsec - t0.tv_nsec)) / (n > 0 ? n : 1);
	return 0;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	if (l->ping[1] >= 0)
		close(l->ping[1]); /* ends pong_thread's read */
	if (l->thread_on)
		pthread_join(l->thread, NULL);
	if (l->ping[0] >= 0)
		close(l->ping[0]);
	if (l->pong[0] >= 0)
		close(l->pong[0]);
	if (l->pong[1] >= 0)
		close(l->pong[1]);
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}
