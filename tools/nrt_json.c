// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * Building JSON documents: see nrt_json.h.
 */
#include <math.h>

#include "nrt_json.h"

void nrt_json_add_opt(struct json_object *o, const char *key,
		      struct json_object *v, bool known, bool *ok)
{
	int ret;

	if (!*ok || (known && !v)) {
		json_object_put(v);
		*ok = false;
		return;
	}
	ret = key ? json_object_object_add(o, key, v) : json_object_array_add(o, v);
	if (ret) {
		json_object_put(v);
		*ok = false;
	}
}

void nrt_json_add(struct json_object *o, const char *key, struct json_object *v,
		  bool *ok)
{
	nrt_json_add_opt(o, key, v, true, ok);
}

void nrt_json_null(struct json_object *o, const char *key, bool *ok)
{
	nrt_json_add_opt(o, key, NULL, false, ok);
}

void nrt_json_i64(struct json_object *o, const char *key, int64_t v, bool *ok)
{
	nrt_json_add(o, key, *ok ? json_object_new_int64(v) : NULL, ok);
}

void nrt_json_u64(struct json_object *o, const char *key, uint64_t v, bool *ok)
{
	nrt_json_add(o, key, *ok ? json_object_new_uint64(v) : NULL, ok);
}

void nrt_json_bool(struct json_object *o, const char *key, bool v, bool *ok)
{
	nrt_json_add(o, key, *ok ? json_object_new_boolean(v) : NULL, ok);
}

void nrt_json_str(struct json_object *o, const char *key, const char *v, bool *ok)
{
	nrt_json_add(o, key, *ok ? json_object_new_string(v) : NULL, ok);
}

void nrt_json_num(struct json_object *o, const char *key, double v, int digits,
		  bool *ok)
{
	bool known = v >= 0 && isfinite(v);
	struct json_object *j = NULL;
	char buf[32];

	if (known && *ok) {
		snprintf(buf, sizeof(buf), "%.*g", digits, v);
		j = json_object_new_double_s(v, buf);
	}
	nrt_json_add_opt(o, key, j, known, ok);
}

struct json_object *nrt_json_child(struct json_object *o, const char *key,
				   bool array, bool *ok)
{
	struct json_object *c = NULL;

	if (*ok)
		c = array ? json_object_new_array() : json_object_new_object();
	nrt_json_add(o, key, c, ok);
	return *ok ? c : NULL;
}

int nrt_json_print(FILE *out, struct json_object *doc, int flags)
{
	const char *text = json_object_to_json_string_ext(doc, flags);

	if (!text || fputs(text, out) == EOF || fputc('\n', out) == EOF)
		return -1;
	return 0;
}
