/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small JSON writer in the style of bpftool's json_writer: the caller
 * says what comes next (object, array, name, value) and the writer handles
 * commas, quoting and indentation. Compact by default, indented when
 * pretty (-p).
 */
#ifndef __PM_JSON_WRITER_H
#define __PM_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct json_writer json_writer_t;

json_writer_t *jsonw_new(FILE *f, bool pretty);
/* Ends the output with a newline and frees the writer. */
void jsonw_destroy(json_writer_t **self);

void jsonw_name(json_writer_t *self, const char *name);
void jsonw_start_object(json_writer_t *self);
void jsonw_end_object(json_writer_t *self);
void jsonw_start_array(json_writer_t *self);
void jsonw_end_array(json_writer_t *self);

void jsonw_string(json_writer_t *self, const char *s);
/* A string of @len bytes, which may hold NULs (escaped as \u0000). */
void jsonw_string_len(json_writer_t *self, const char *s, size_t len);
void jsonw_u64(json_writer_t *self, uint64_t v);
void jsonw_i64(json_writer_t *self, int64_t v);
void jsonw_double(json_writer_t *self, double v);
void jsonw_bool(json_writer_t *self, bool v);
void jsonw_null(json_writer_t *self);
/* A value printed verbatim: the caller guarantees it is valid JSON. */
void jsonw_printf(json_writer_t *self, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* name + value in one call */
void jsonw_string_field(json_writer_t *self, const char *name, const char *s);
void jsonw_u64_field(json_writer_t *self, const char *name, uint64_t v);
void jsonw_i64_field(json_writer_t *self, const char *name, int64_t v);
void jsonw_bool_field(json_writer_t *self, const char *name, bool v);

#endif /* __PM_JSON_WRITER_H */
