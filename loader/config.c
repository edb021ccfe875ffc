// SPDX-License-Identifier: GPL-2.0
/*
 * The boot-time config: one instance per line, written exactly as
 * pinsight-load's command line would be, so there is one syntax to learn
 * and one parser of options (main.c's). This file only splits lines into
 * words, finds each line's instance name and reports per instance.
 *
 *	# comment
 *	io --comm vector-studio
 *	io@db --comm postgres --attach tp     # TOOL@NAME is TOOL --name NAME
 *	io --name "with space" \
 *	   --comm x                           # a trailing \ continues a line
 *
 * Words split on blanks; '...' is literal, "..." takes \" and \\.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cmdline.h"
#include "config.h"
#include "instance.h"
#include "json_writer.h"
#include "log.h"
#include "pin_layout.h"

#define LINE_MAX_LEN 65536

/* Split @s into words written to @o (strlen(s) + 1 bytes suffice). */
static int split_words(const char *s, char *o, char **argv, int max, int *argc,
		       const char **why)
{
	int n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#')
			break;
		if (n == max) {
			*why = "too many words";
			return -E2BIG;
		}
		argv[n++] = o;
		while (*s && *s != ' ' && *s != '\t') {
			if (*s == '\'') {
				const char *e = strchr(s + 1, '\'');

				if (!e) {
					*why = "unterminated ' quote";
					return -EINVAL;
				}
				memcpy(o, s + 1, e - s - 1);
				o += e - s - 1;
				s = e + 1;
			} else if (*s == '"') {
				for (s++; *s && *s != '"'; s++) {
					if (*s == '\\' &&
					    (s[1] == '"' || s[1] == '\\'))
						s++;
					*o++ = *s;
				}
				if (!*s) {
					*why = "unterminated \" quote";
					return -EINVAL;
				}
				s++;
			} else {
				*o++ = *s++;
			}
		}
		*o++ = '\0';
	}
	argv[n] = NULL;
	*argc = n;
	return 0;
}

/* The --name of a line, in either spelling, or NULL. */
static const char *find_name(struct config_entry *e, const char **why)
{
	const char *name = NULL;
	int i;

	for (i = 1; i < e->argc; i++) {
		const char *a = e->argv[i];

		if (!strcmp(a, "--"))
			break;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			*why = "--help has no place in a config";
			return NULL;
		}
		if (!strcmp(a, "--name") && i + 1 < e->argc)
			name = e->argv[++i];
		else if (!strncmp(a, "--name=", 7))
			name = a + 7;
	}
	return name;
}

/* Fill @e from its words; the tool word may be TOOL@NAME. */
static int parse_entry(struct config_entry *e, const char **why)
{
	char tool[65], *at = strchr(e->argv[1], '@');
	const char *name;
	int i;

	snprintf(tool, sizeof(tool), "%.*s",
		 at ? (int)(at - e->argv[1]) : (int)strlen(e->argv[1]),
		 e->argv[1]);
	if (e->argv[1][0] == '-') {
		*why = "a line starts with a tool name, not an option";
		return -EINVAL;
	}
	e->tool = tool_find(tool);
	if (!e->tool) {
		*why = "no such tool (see pinsight-load --help)";
		return -EINVAL;
	}
	*why = NULL;
	name = find_name(e, why);
	if (*why)
		return -EINVAL;
	if (at && name) {
		*why = "TOOL@NAME and --name both name the instance";
		return -EINVAL;
	}
	if (at) {
		/* TOOL@NAME becomes TOOL --name NAME for the option parser */
		if (e->argc + 1 > CONFIG_MAX_WORDS) {
			*why = "too many words";
			return -E2BIG;
		}
		*at = '\0';
		name = at + 1;
		for (i = e->argc; i > 1; i--)
			e->argv[i + 1] = e->argv[i - 1];
		e->argv[2] = "--name";
		e->argv[3] = (char *)name;
		e->argc += 2;
		e->argv[e->argc] = NULL;
	}
	if (snprintf(e->inst, sizeof(e->inst), "%s%s%s", tool, name ? "@" : "",
		     name ?: "") >= (int)sizeof(e->inst) ||
	    inst_name_check(e->inst)) {
		*why = "instance name not valid (use [A-Za-z0-9_-], at most 64 characters in all)";
		return -EINVAL;
	}
	return 0;
}

/* One logical line: physical lines joined where they end in a backslash. */
static ssize_t read_logical(FILE *f, char **line, size_t *cap, int *lineno)
{
	char *buf = NULL;
	size_t len = 0, bcap = 0;
	ssize_t n;
	bool more = true;

	while (more && (n = getline(line, cap, f)) >= 0) {
		(*lineno)++;
		while (n && ((*line)[n - 1] == '\n' || (*line)[n - 1] == '\r'))
			n--;
		more = n && (*line)[n - 1] == '\\';
		n -= more;
		if (len + n + 1 > LINE_MAX_LEN) {
			free(buf);
			return -E2BIG;
		}
		if (len + n + 1 > bcap) {
			char *nb = realloc(buf, bcap = len + n + 1);

			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		memcpy(buf + len, *line, n);
		len += n;
		buf[len] = '\0';
	}
	if (!buf)
		return -1; /* end of file */
	free(*line);
	*line = buf;
	*cap = bcap;
	return len;
}

void config_free(struct config *cfg)
{
	int i;

	for (i = 0; i < cfg->n; i++) {
		free(cfg->e[i].where);
		free(cfg->e[i].words);
	}
	free(cfg->e);
	cfg->e = NULL;
	cfg->n = 0;
}

int config_parse(const char *path, struct config *cfg)
{
	int lineno = 0, start = 0, i, err = 0;
	const char *why = NULL;
	char *line = NULL;
	struct stat st = {};
	size_t cap = 0;
	ssize_t len;
	FILE *f;

	memset(cfg, 0, sizeof(*cfg));
	f = fopen(path, "r");
	if (!f) {
		err = -errno;
		p_err("%s: %s", path, strerror(errno));
		return err;
	}
	/* fopen() takes a directory; reading it then fails as EISDIR, EIO */
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		p_err("%s: not a regular file%s", path,
		      S_ISDIR(st.st_mode) ? " (a directory)" : "");
		fclose(f);
		return -EINVAL;
	}
	for (;;) {
		struct config_entry *e, *ne;

		start = lineno + 1;
		len = read_logical(f, &line, &cap, &lineno);
		if (len == -1)
			break;
		if (len < 0) {
			why = len == -E2BIG ? "line too long" : strerror(-len);
			goto bad;
		}
		ne = realloc(cfg->e, (cfg->n + 1) * sizeof(*ne));
		if (!ne) {
			err = -ENOMEM;
			goto cleanup;
		}
		cfg->e = ne;
		e = &cfg->e[cfg->n++];
		memset(e, 0, sizeof(*e));
		e->words = malloc(len + 1);
		if (!e->words ||
		    asprintf(&e->where, "%s:%d", path, start) < 0) {
			e->where = NULL;
			err = -ENOMEM;
			goto cleanup;
		}
		if (split_words(line, e->words, e->argv + 1,
				CONFIG_MAX_WORDS - 3, &e->argc, &why))
			goto bad;
		if (!e->argc) { /* blank or comment */
			free(e->where);
			free(e->words);
			cfg->n--;
			continue;
		}
		e->argc++;
		e->argv[0] = e->where;
		if (parse_entry(e, &why))
			goto bad;
		for (i = 0; i < cfg->n - 1; i++) {
			if (strcmp(cfg->e[i].inst, e->inst))
				continue;
			p_err("%s: %s: also on %s: one line per instance",
			      e->where, e->inst, cfg->e[i].where);
			err = -EINVAL;
			goto cleanup;
		}
	}
	if (ferror(f)) {
		err = -EIO;
		p_err("%s: %s", path, strerror(EIO));
	}
	goto cleanup;
bad:
	p_err("%s:%d: %s", path, start, why);
	err = -EINVAL;
cleanup:
	free(line);
	fclose(f);
	if (err)
		config_free(cfg);
	return err;
}

static int do_unload(const struct config *cfg)
{
	char path[PATH_MAX];
	int i, code, ret = EXIT_OK;

	/* reverse order: whatever a later line builds on goes first */
	for (i = cfg->n - 1; i >= 0; i--) {
		const struct config_entry *e = &cfg->e[i];

		prog_name = e->where;
		if (!path_fmt(path, sizeof(path), "%s/%s", pin_root(),
			      e->inst) &&
		    access(path, F_OK) && errno == ENOENT) {
			/* a stop after a failed start: nothing to undo */
			if (!json_output)
				printf("%s: not loaded\n", e->inst);
			continue;
		}
		code = exit_code_for(instance_unload(e->inst));
		if (code && !ret)
			ret = code;
	}
	return ret;
}

/* -j check: one object per instance, as a load prints one. */
static void json_checked(const struct config_entry *e, bool ok)
{
	json_writer_t *jw = jsonw_new(stdout, pretty);

	if (!jw)
		return;
	jsonw_start_object(jw);
	jsonw_string_field(jw, "instance", e->inst);
	jsonw_string_field(jw, "line", e->where); /* FILE:LINE, any bytes */
	jsonw_bool_field(jw, "ok", ok);
	jsonw_end_object(jw);
	jsonw_destroy(&jw);
}

/* Load (or only @check) every line, reporting per instance. */
static int do_load(const char *path, const struct config *cfg,
		   config_load_fn load, bool check)
{
	const char *verb = check ? "checked" : "loaded";
	char *argv[CONFIG_MAX_WORDS + 2];
	int i, code, ok = 0, ret = EXIT_OK;

	for (i = 0; i < cfg->n; i++) {
		const struct config_entry *e = &cfg->e[i];

		/*
		 * The config says what should be pinned: an instance already
		 * there is swapped atomically, so restarting or reloading the
		 * service is idempotent. --replace goes first, or a line
		 * ending in "--comm" would take it as its value. FILE:LINE is
		 * argv[0] for getopt's messages, prog_name for ours.
		 */
		argv[0] = e->where;
		argv[1] = "--replace";
		memcpy(argv + 2, e->argv + 2, (e->argc - 2) * sizeof(*argv));
		argv[e->argc] = NULL;
		/*
		 * A load says where it pinned; a check lists every instance
		 * the file names, good or not (the init script's status reads
		 * the list), before any message about it.
		 */
		if (check && !json_output) {
			printf("%s: %s\n", e->where, e->inst);
			fflush(stdout);
		}
		prog_name = e->where;
		code = load(e->tool, e->argc, argv);
		if (check && json_output)
			json_checked(e, !code);
		if (code) {
			p_err("%s: not %s (exit %d)", e->inst, verb, code);
			if (!ret)
				ret = code;
			continue;
		}
		ok++;
	}
	prog_name = "pinsight-load";
	if (!json_output)
		printf("%s: %d of %d instances %s\n", path, ok, cfg->n, verb);
	return ret;
}

int config_main(const char *path, int argc, char **argv, config_load_fn load,
		config_load_fn check)
{
	const char *what = argc ? argv[0] : "load";
	struct config cfg;
	int err, ret;

	if (argc > 1 || (strcmp(what, "load") && strcmp(what, "check") &&
			 strcmp(what, "unload"))) {
		p_err("--config %s: expected load, check or unload, not '%s'",
		      path, argc > 1 ? argv[1] : what);
		return EXIT_USAGE;
	}
	err = config_parse(path, &cfg);
	if (err)
		return exit_code_for(err);
	if (!strcmp(what, "check")) {
		/* through the load's own checks, not only its syntax */
		ret = do_load(path, &cfg, check, true);
	} else if (geteuid() != 0) {
		p_err("%s: root is needed to %s BPF programs", path, what);
		ret = EXIT_PERM;
	} else {
		ret = !strcmp(what, "unload")
			      ? do_unload(&cfg)
			      : do_load(path, &cfg, load, false);
	}
	prog_name = "pinsight-load";
	config_free(&cfg);
	return ret;
}
