// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "json_writer.h"

struct json_writer {
	FILE *out;
	unsigned int depth;
	bool pretty;
	/* a value was already written at this depth: the next needs a comma */
	bool sep;
};

static void jsonw_indent(json_writer_t *self)
{
	unsigned int i;

	for (i = 0; i < self->depth; i++)
		fputs("    ", self->out);
}

static void jsonw_eol(json_writer_t *self)
{
	if (!self->pretty)
		return;
	putc('\n', self->out);
	jsonw_indent(self);
}

/* Before any value or name: the comma, and a new line when pretty. */
static void jsonw_eor(json_writer_t *self)
{
	if (self->sep)
		putc(',', self->out);
	self->sep = true;
}

static void jsonw_puts(json_writer_t *self, const char *s, size_t len)
{
	size_t i;

	putc('"', self->out);
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		switch (c) {
		case '"':
			fputs("\\\"", self->out);
			break;
		case '\\':
			fputs("\\\\", self->out);
			break;
		case '\n':
			fputs("\\n", self->out);
			break;
		case '\t':
			fputs("\\t", self->out);
			break;
		case '\r':
			fputs("\\r", self->out);
			break;
		case '\b':
			fputs("\\b", self->out);
			break;
		case '\f':
			fputs("\\f", self->out);
			break;
		default:
			if (c < 0x20)
				fprintf(self->out, "\\u%04x", c);
			else
				putc(c, self->out);
		}
	}
	putc('"', self->out);
}

json_writer_t *jsonw_new(FILE *f, bool pretty)
{
	json_writer_t *self = calloc(1, sizeof(*self));

	if (!self)
		return NULL;
	self->out = f;
	self->pretty = pretty;
	return self;
}

void jsonw_destroy(json_writer_t **self)
{
	if (!*self)
		return;
	putc('\n', (*self)->out);
	fflush((*self)->out);
	free(*self);
	*self = NULL;
}

void jsonw_name(json_writer_t *self, const char *name)
{
	jsonw_eor(self);
	jsonw_eol(self);
	/* the value that follows the name takes no comma of its own */
	self->sep = false;
	/* BTF names of a bad offset are NULL: print them as "" */
	name = name ?: "";
	jsonw_puts(self, name, strlen(name));
	putc(':', self->out);
	if (self->pretty)
		putc(' ', self->out);
}

static void jsonw_begin(json_writer_t *self, char c)
{
	jsonw_eor(self);
	putc(c, self->out);
	self->depth++;
	self->sep = false;
}

static void jsonw_end(json_writer_t *self, char c)
{
	self->depth--;
	if (self->sep)
		jsonw_eol(self);
	putc(c, self->out);
	self->sep = true;
}

void jsonw_start_object(json_writer_t *self)
{
	jsonw_begin(self, '{');
}

void jsonw_end_object(json_writer_t *self)
{
	jsonw_end(self, '}');
}

void jsonw_start_array(json_writer_t *self)
{
	jsonw_begin(self, '[');
}

void jsonw_end_array(json_writer_t *self)
{
	jsonw_end(self, ']');
}

void jsonw_printf(json_writer_t *self, const char *fmt, ...)
{
	va_list ap;

	jsonw_eor(self);
	va_start(ap, fmt);
	vfprintf(self->out, fmt, ap);
	va_end(ap);
}

void jsonw_string_len(json_writer_t *self, const char *s, size_t len)
{
	jsonw_eor(self);
	jsonw_puts(self, s, len);
}

void jsonw_string(json_writer_t *self, const char *s)
{
	s = s ?: "";
	jsonw_string_len(self, s, strlen(s));
}

void jsonw_u64(json_writer_t *self, uint64_t v)
{
	jsonw_printf(self, "%llu", (unsigned long long)v);
}

void jsonw_i64(json_writer_t *self, int64_t v)
{
	jsonw_printf(self, "%lld", (long long)v);
}

void jsonw_double(json_writer_t *self, double v)
{
	/* JSON has no NaN or infinity */
	if (!isfinite(v))
		jsonw_null(self);
	else
		jsonw_printf(self, "%.17g", v);
}

void jsonw_bool(json_writer_t *self, bool v)
{
	jsonw_printf(self, "%s", v ? "true" : "false");
}

void jsonw_null(json_writer_t *self)
{
	jsonw_printf(self, "null");
}

void jsonw_string_field(json_writer_t *self, const char *name, const char *s)
{
	jsonw_name(self, name);
	jsonw_string(self, s);
}

void jsonw_u64_field(json_writer_t *self, const char *name, uint64_t v)
{
	jsonw_name(self, name);
	jsonw_u64(self, v);
}

void jsonw_i64_field(json_writer_t *self, const char *name, int64_t v)
{
	jsonw_name(self, name);
	jsonw_i64(self, v);
}

void jsonw_bool_field(json_writer_t *self, const char *name, bool v)
{
	jsonw_name(self, name);
	jsonw_bool(self, v);
}
