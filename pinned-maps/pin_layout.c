// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pin_layout.h"

const char *pin_root(void)
{
	const char *r = getenv("PINSIGHT_PIN_ROOT");

	return r && *r ? r : PIN_ROOT_DEFAULT;
}

static int part_check(const char *s, size_t len)
{
	size_t i;

	/* A leading letter or digit keeps names apart from temporaries. */
	if (!len || s[0] == '_' || s[0] == '-')
		return -EINVAL;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return -EINVAL;
	}
	return 0;
}

int inst_name_check(const char *inst)
{
	const char *at = strchr(inst, '@');
	size_t len = strlen(inst);

	if (len > 64)
		return -ENAMETOOLONG;
	if (!at)
		return part_check(inst, len);
	if (part_check(inst, at - inst))
		return -EINVAL;
	return part_check(at + 1, len - (at - inst) - 1);
}

int inst_tool(const char *inst, char *buf, size_t sz)
{
	size_t len = strcspn(inst, "@");

	if (len >= sz)
		return -ENAMETOOLONG;
	memcpy(buf, inst, len);
	buf[len] = '\0';
	return 0;
}

int path_fmt(char *buf, size_t sz, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= sz ? -ENAMETOOLONG : 0;
}

void strv_free(char **v)
{
	char **p;

	for (p = v; p && *p; p++)
		free(*p);
	free(v);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int inst_list(char ***names)
{
	char **v = NULL, **nv;
	struct dirent *de;
	int n = 0, err = 0;
	DIR *d;

	*names = NULL;
	d = opendir(pin_root());
	if (!d) {
		if (errno != ENOENT)
			return -errno;
		/* No root yet: no instances, not an error. */
		*names = calloc(1, sizeof(char *));
		return *names ? 0 : -ENOMEM;
	}
	while ((de = readdir(d))) {
		if (inst_name_check(de->d_name))
			continue;
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv) {
			err = -ENOMEM;
			goto cleanup;
		}
		v = nv;
		v[n] = strdup(de->d_name);
		if (!v[n]) {
			err = -ENOMEM;
			goto cleanup;
		}
		v[++n] = NULL;
	}
	if (!v) {
		v = calloc(1, sizeof(char *));
		if (!v) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	qsort(v, n, sizeof(*v), cmp_str);
	*names = v;
	v = NULL;
cleanup:
	closedir(d);
	strv_free(v);
	return err ? err : n;
}

int rm_tree(const char *path)
{
	char sub[4096];
	struct dirent *de;
	int err = 0;
	DIR *d;

	d = opendir(path);
	if (!d) {
		if (errno == ENOTDIR)
			return unlink(path) ? -errno : 0;
		return errno == ENOENT ? 0 : -errno;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		err = path_fmt(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (!err)
			err = rm_tree(sub);
		if (err)
			break;
	}
	closedir(d);
	if (!err && rmdir(path) && errno != ENOENT)
		err = -errno;
	return err;
}

int pin_root_lock(void)
{
	const char *root = pin_root();
	int fd;

	if (mkdir(root, 0700) && errno != EEXIST)
		return -errno;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Whether the comma-separated @list holds @tok. */
static bool has_token(const char *list, const char *tok)
{
	size_t len = strlen(tok);
	const char *p;

	for (p = list; (p = strstr(p, tok)); p += len)
		if ((p == list || p[-1] == ',') && (!p[len] || p[len] == ','))
			return true;
	return false;
}

int inst_attach(const char *inst_dir, char *buf, size_t sz)
{
	char path[PATH_MAX], pfx[NAME_MAX + 1];
	struct dirent **ents;
	const char *sep;
	int i, n, err;

	buf[0] = '\0';
	err = path_fmt(path, sizeof(path), "%s/links", inst_dir);
	if (err)
		return err;
	/* sorted, so that several variants' order does not vary */
	n = scandir(path, &ents, NULL, alphasort);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		sep = strstr(ents[i]->d_name, "__");
		if (sep && sep != ents[i]->d_name) {
			snprintf(pfx, sizeof(pfx), "%.*s",
				 (int)(sep - ents[i]->d_name), ents[i]->d_name);
			if (!has_token(buf, pfx))
				snprintf(buf + strlen(buf), sz - strlen(buf),
					 "%s%s", buf[0] ? "," : "", pfx);
		}
		free(ents[i]);
	}
	free(ents);
	return 0;
}
