/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Building JSON documents with json-c (nrt_json.c), the one way the tools
 * do it.
 *
 * Every call adds one value to a container: as member @key of an object,
 * or, with a NULL @key, at the end of an array. It takes over the value it
 * is given, and records an allocation failure (a value that could not be
 * made, or added) in *@ok; once *@ok is false a call adds nothing and
 * frees its value, so a builder makes all its calls and checks *@ok once,
 * at the end, then frees the whole document. A value that is unknown is
 * JSON null, never left out.
 */
#ifndef NRT_JSON_H
#define NRT_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json.h>

/* nrt_json_add() - add @v; a NULL @v is an allocation failure */
void nrt_json_add(struct json_object *o, const char *key, struct json_object *v,
		  bool *ok);

/*
 * nrt_json_add_opt() - add @v if @known, else JSON null (then @v is NULL);
 * a NULL @v that is known is an allocation failure
 */
void nrt_json_add_opt(struct json_object *o, const char *key,
		      struct json_object *v, bool known, bool *ok);

/* Values of C types. */
void nrt_json_null(struct json_object *o, const char *key, bool *ok);
void nrt_json_i64(struct json_object *o, const char *key, int64_t v, bool *ok);
void nrt_json_u64(struct json_object *o, const char *key, uint64_t v, bool *ok);
void nrt_json_bool(struct json_object *o, const char *key, bool v, bool *ok);
void nrt_json_str(struct json_object *o, const char *key, const char *v, bool *ok);

/*
 * nrt_json_num() - a measured number printed with @digits significant
 * digits; JSON null for @v < 0 or not finite (not measured, unknown)
 */
void nrt_json_num(struct json_object *o, const char *key, double v, int digits,
		  bool *ok);

/*
 * nrt_json_child() - add a new empty object (or array, if @array)
 * Return: it, to add to; NULL when *@ok is or becomes false.
 */
struct json_object *nrt_json_child(struct json_object *o, const char *key,
				   bool array, bool *ok);

/*
 * nrt_json_print() - print @doc (json_object_to_json_string_ext() @flags)
 * and a newline on @out
 * Return: 0, or -1 if out of memory or writing failed.
 */
int nrt_json_print(FILE *out, struct json_object *doc, int flags);

#endif /* NRT_JSON_H */
