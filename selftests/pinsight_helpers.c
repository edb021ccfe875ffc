// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <zlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "pin_layout.h"
#include "pinsight.h"
#include "pinsight_helpers.h"
#include "test_progs.h"

int private_bpffs(void)
{
	if (unshare(CLONE_NEWNS))
		return -errno;
	/* Keep our mounts from propagating back to the host's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		return -errno;
	/* tracefs may be unmounted on a fresh boot; the loader mounts it too */
	mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	unsetenv("PINSIGHT_PIN_ROOT");
	return 0;
}

const char *out_path(char *buf, size_t sz, const char *name)
{
	snprintf(buf, sz, "%s/%s", env_output_dir(), name);
	return buf;
}

static int run_bin(char **out, const char *bin, const char *fmt, va_list ap)
{
	char args[4096];

	vsnprintf(args, sizeof(args), fmt, ap);
	return run_cmd(out, "%s/%s %s", env_output_dir(), bin, args);
}

int loader_run(char **out, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = run_bin(out, "pinsight-load", fmt, ap);
	va_end(ap);
	return ret;
}

int reader_run(char **out, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = run_bin(out, "pinsight", fmt, ap);
	va_end(ap);
	return ret;
}

int pin_open(const char *inst, const char *rel)
{
	char path[4096];
	/* Maps open read-only, as readers do; links take no flags. */
	LIBBPF_OPTS(bpf_obj_get_opts, opts,
		    .file_flags = strncmp(rel, "maps/", 5) ? 0 : BPF_F_RDONLY);
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s", pin_root(), inst, rel);
	fd = bpf_obj_get_opts(path, &opts);
	return fd < 0 ? -errno : fd;
}

int map_lookup_sum(int fd, const void *key, void *out, size_t value_size)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int ncpu = 1, cpu, err;
	__u64 *vals, *sum = out;
	size_t i, words = value_size / 8;

	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (err)
		return -errno;
	if (info.value_size != value_size)
		return -EINVAL;
	if (info.type == BPF_MAP_TYPE_PERCPU_HASH ||
	    info.type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	    info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH)
		ncpu = libbpf_num_possible_cpus();
	vals = calloc(ncpu, (value_size + 7) & ~7UL);
	if (!vals)
		return -ENOMEM;
	err = bpf_map_lookup_elem(fd, key, vals) ? -errno : 0;
	memset(out, 0, value_size);
	for (cpu = 0; !err && cpu < ncpu; cpu++)
		for (i = 0; i < words; i++)
			sum[i] += vals[cpu * ((value_size + 7) / 8) + i];
	free(vals);
	return err;
}

int pin_lookup_sum(const char *inst, const char *map_rel, const void *key,
		   void *out, size_t value_size)
{
	int fd = pin_open(inst, map_rel), err;

	if (fd < 0)
		return fd;
	err = map_lookup_sum(fd, key, out, value_size);
	close(fd);
	return err;
}

__u64 hist_samples(const struct hist *h)
{
	__u64 n = 0;
	int i;

	for (i = 0; i < HIST_SLOTS; i++)
		n += h->slots[i];
	return n;
}

/* The "Example:" options of a tool's --help: they load on any host. */
void tool_example(const char *tool, char *buf, size_t sz)
{
	char *out = NULL, *p;

	buf[0] = '\0';
	loader_run(&out, "%s --help", tool);
	p = out ? strstr(out, "Example: pinsight-load ") : NULL;
	if (p) {
		p += strlen("Example: pinsight-load ") + strlen(tool);
		snprintf(buf, sz, "%.*s", (int)strcspn(p, "\n"), p);
	}
	free(out);
}

int dir_count(const char *path)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(path);

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* @gate: NULL, or a pipe whose EOF the child waits for before exec */
static pid_t vspawn_sh(const int *gate, const char *fmt, va_list ap)
{
	char cmd[4096], c;
	pid_t pid;

	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	pid = fork();
	if (pid == 0) {
		if (gate && (close(gate[1]) || read(gate[0], &c, 1) < 0))
			_exit(126);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid < 0 ? -errno : pid;
}

bool in_vmtest(void)
{
	const char *v = getenv("PINSIGHT_VMTEST");

	return v && *v == '1';
}

int fentry_allowed(const char *func, const char **why)
{
	const struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 }, /* r0 = 0 */
		{ .code = 0x95 }, /* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = BPF_TRACE_FENTRY);
	static char no_btf[96];
	struct btf *vmlinux;
	int fd;

	vmlinux = btf__load_vmlinux_btf();
	fd = vmlinux ? btf__find_by_name_kind(vmlinux, func, BTF_KIND_FUNC) :
		       -ENOENT;
	btf__free(vmlinux);
	if (fd < 0) {
		snprintf(no_btf, sizeof(no_btf), "no BTF for %s", func);
		*why = no_btf;
		return fd;
	}
	opts.attach_btf_id = fd;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", insns, 2, &opts);
	if (fd < 0) {
		fd = -errno;
		*why = strerror(-fd);
		return fd;
	}
	close(fd);
	return 0;
}

void check_variant_refused(const char *tool, const char *name,
			   const char *variant, const char *why,
			   const char *dflt)
{
	char *out = NULL, path[4096], msg[160];
	int err;

	printf("--attach %s: kernel says %s\n", variant, why);
	snprintf(path, sizeof(path), "%s/%s@%s", pin_root(), tool, name);
	err = loader_run(&out, "%s --name %s --attach %s", tool, name, variant);
	ASSERT_EQ(err, EXIT_UNSUPP, "exit 7: unsupported by this kernel");
	snprintf(msg, sizeof(msg),
		 "%s@%s: --attach %s: this kernel cannot run %s programs (",
		 tool, name, variant, variant);
	ASSERT_HAS_SUBSTR(out, msg, "names the instance and the variant");
	ASSERT_HAS_SUBSTR(out, why, "says why");
	snprintf(msg, sizeof(msg), "the default, --attach %s, loads here",
		 dflt);
	ASSERT_HAS_SUBSTR(out, msg, "says what works");
	ASSERT_NEQ(access(path, F_OK), 0, "nothing pinned");
	ASSERT_EQ(root_temporaries(), 0, "no temporary left");
	free(out);
}

pid_t spawn_sh(const char *fmt, ...)
{
	va_list ap;
	pid_t pid;

	va_start(ap, fmt);
	pid = vspawn_sh(NULL, fmt, ap);
	va_end(ap);
	return pid;
}

pid_t spawn_sh_gated(int *release, const char *fmt, ...)
{
	int gate[2];
	va_list ap;
	pid_t pid;

	if (pipe2(gate, O_CLOEXEC))
		return -errno;
	va_start(ap, fmt);
	pid = vspawn_sh(gate, fmt, ap);
	va_end(ap);
	close(gate[0]);
	if (pid < 0)
		close(gate[1]);
	else
		*release = gate[1];
	return pid;
}

int loopback_tcp(int family, bool listening, int *port)
{
	struct sockaddr_storage ss = { .ss_family = family };
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	socklen_t len = family == AF_INET ? sizeof(*s4) : sizeof(*s6);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return -errno;
	if (family == AF_INET)
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		s6->sin6_addr = in6addr_loopback;
	if (bind(fd, (struct sockaddr *)&ss, len) ||
	    (listening && listen(fd, 64)) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len)) {
		err = -errno;
		close(fd);
		return err;
	}
	*port = ntohs(family == AF_INET ? s4->sin_port : s6->sin6_port);
	return fd;
}

int root_temporaries(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(pin_root());

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)))
		n += !strncmp(de->d_name, PIN_TMP_PREFIX,
			      strlen(PIN_TMP_PREFIX));
	closedir(d);
	return n;
}

void bpf_ids_count(struct bpf_ids *c)
{
	__u32 id;

	memset(c, 0, sizeof(*c));
	for (id = 0; !bpf_prog_get_next_id(id, &id);)
		c->progs++;
	for (id = 0; !bpf_map_get_next_id(id, &id);)
		c->maps++;
	for (id = 0; !bpf_link_get_next_id(id, &id);)
		c->links++;
}

void bpf_ids_settled(struct bpf_ids *c)
{
	struct bpf_ids prev;
	int i, stable = 0;

	/* Stable for 300 ms, within 5 s: RCU frees can take a while. */
	bpf_ids_count(c);
	for (i = 0; i < 250 && stable < 15; i++) {
		usleep(20000);
		prev = *c;
		bpf_ids_count(c);
		stable = memcmp(&prev, c, sizeof(prev)) ? 0 : stable + 1;
	}
}

/* Whether prog @id uses a .rodata map whose value contains @comm. */
static bool prog_tagged(__u32 id, const char *comm, __u32 *map_ids,
			__u32 *nr_maps)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), i, key = 0;
	bool found = false;
	int fd, mfd;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return false;
	info.nr_map_ids = *nr_maps;
	info.map_ids = (unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		goto cleanup;
	*nr_maps = info.nr_map_ids < *nr_maps ? info.nr_map_ids : *nr_maps;
	for (i = 0; i < *nr_maps && !found; i++) {
		struct bpf_map_info mi = {};
		__u32 mlen = sizeof(mi);
		char *val;

		mfd = bpf_map_get_fd_by_id(map_ids[i]);
		if (mfd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(mfd, &mi, &mlen) &&
		    strstr(mi.name, ".rodata") && mi.value_size &&
		    (val = calloc(1, mi.value_size))) {
			found = !bpf_map_lookup_elem(mfd, &key, val) &&
				memmem(val, mi.value_size, comm, strlen(comm));
			free(val);
		}
		close(mfd);
	}
cleanup:
	close(fd);
	return found;
}

void bpf_ids_tagged(const char *comm, struct bpf_ids *c)
{
	__u32 id, ids[64], nr, progs[256], nprogs = 0, i, j;
	__u32 maps[1024], nmaps = 0;

	memset(c, 0, sizeof(*c));
	for (id = 0; !bpf_prog_get_next_id(id, &id);) {
		nr = 64;
		if (!prog_tagged(id, comm, ids, &nr))
			continue;
		c->progs++;
		if (nprogs < 256)
			progs[nprogs++] = id;
		for (i = 0; i < nr; i++) {
			for (j = 0; j < nmaps && maps[j] != ids[i]; j++)
				;
			if (j == nmaps && nmaps < 1024)
				maps[nmaps++] = ids[i];
		}
	}
	c->maps = nmaps;
	for (id = 0; !bpf_link_get_next_id(id, &id);) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			for (i = 0; i < nprogs; i++)
				c->links += progs[i] == info.prog_id;
		close(fd);
	}
}

long long json_num(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = json ? strstr(json, pat) : NULL;
	return p ? atoll(p + strlen(pat)) : -1;
}

struct folded_share folded_count(const char *out, const char *comm,
				 const char *need, const char *pre)
{
	struct folded_share r = {};
	const char *line, *eol, *sp, *n, *p;
	unsigned long long c;
	char *buf;

	for (line = out; line && *line; line = eol ? eol + 1 : NULL) {
		eol = strchr(line, '\n');
		buf = strndup(line, eol ? (size_t)(eol - line) : strlen(line));
		if (!buf)
			break;
		sp = strrchr(buf, ' ');
		if (sp && (!comm || !strncmp(buf, comm, strlen(comm)))) {
			c = strtoull(sp + 1, NULL, 10);
			n = need ? strstr(buf, need) : buf;
			p = pre ? strstr(buf, pre) : NULL;
			r.all += c;
			if (n)
				r.with += c;
			if (n && p && p < n)
				r.above += c;
		}
		free(buf);
	}
	return r;
}

int folded_wait(char **out, const char *comm, const char *need,
		unsigned long long min)
{
	int err = 0, i;

	for (i = 0; i < 60; i++) {
		sleep(1);
		free(*out);
		*out = NULL;
		err = reader_run(out, "profile profile --folded");
		if (err || folded_count(*out, comm, need, NULL).with >= min)
			break;
	}
	ASSERT_EQ(err, 0, "pinsight profile --folded");
	return err;
}

int gunzip_file(const char *path, unsigned char **buf, size_t *len)
{
	size_t cap = 1 << 16;
	gzFile gz = gzopen(path, "rb");
	int n;

	if (!gz)
		return -errno;
	*len = 0;
	*buf = malloc(cap);
	while (*buf && (n = gzread(gz, *buf + *len, cap - *len)) > 0) {
		*len += n;
		if (*len == cap)
			*buf = realloc(*buf, cap *= 2);
	}
	gzclose(gz);
	return *buf ? 0 : -ENOMEM;
}

/* Whether process @pid catches SIGUSR1 (allocgen --wait-signal waiting). */
static bool catches_usr1(pid_t pid)
{
	char path[64], line[256];
	bool yes = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "SigCgt:", 7))
			yes = strtoull(line + 7, NULL, 16) &
			      (1ULL << (SIGUSR1 - 1));
	fclose(f);
	return yes;
}

bool waits_for_usr1(pid_t pid, int ms)
{
	for (; ms > 0 && !catches_usr1(pid); ms -= 20)
		usleep(20000);
	return catches_usr1(pid);
}

char *file_wait(const char *path, const char *need, int ms)
{
	char *buf = NULL;
	size_t sz = 0;
	FILE *f;

	for (;; ms -= 20) {
		f = fopen(path, "re");
		if (f) {
			free(buf);
			buf = NULL;
			sz = 0;
			if (getdelim(&buf, &sz, '\0', f) < 0) {
				free(buf);
				buf = NULL;
			}
			fclose(f);
		}
		if (buf && strstr(buf, need))
			return buf;
		if (ms <= 0)
			break;
		usleep(20000);
	}
	free(buf);
	return NULL;
}
