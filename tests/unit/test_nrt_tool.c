// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of what the tools share: sizes and reasons (nrt_tool.c) and
 * the building of JSON documents (nrt_json.c).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json.h>

#include "nrt_json.h"
#include "nrt_tool.h"

#define GIB (UINT64_C(1) << 30)
#define MIB (UINT64_C(1) << 20)

/* --- sizes and reasons ---------------------------------------------------- */

static void check_size(uint64_t bytes, const char *expect)
{
	char buf[NRT_TOOL_SIZE_LEN];

	assert_ptr_equal(nrt_tool_format_size(bytes, buf, sizeof(buf)), buf);
	assert_string_equal(buf, expect);
}

static void test_format_size(void **state)
{
	(void)state;

	check_size(0, "0 B");
	check_size(1, "1 B");
	check_size(1023, "1023 B");
	check_size(1024, "1 KiB");
	check_size(1536, "1.5 KiB");
	check_size(512 * MIB, "512 MiB");
	check_size(GIB, "1 GiB");
	check_size(GIB + GIB / 2, "1.5 GiB");
	check_size(96 * GIB, "96 GiB");
	check_size(GIB + GIB / 4, "1.3 GiB");      /* 1.25 rounds up */
	check_size(GIB + GIB / 100, "1 GiB");      /* 1.01 rounds down */
	check_size(GIB - 40000, "1 GiB");          /* 1023.96 MiB */
	check_size(1023 * MIB, "1023 MiB");
	check_size(UINT64_C(1) << 40, "1 TiB");
	check_size(UINT64_C(3) << 50, "3 PiB");
	check_size(UINT64_C(1) << 60, "1 EiB");
	check_size(UINT64_MAX, "16 EiB");
}

static void test_format_size_truncates(void **state)
{
	char buf[4];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	nrt_tool_format_size(96 * GIB, buf, sizeof(buf));
	assert_string_equal(buf, "96 ");
}

static void test_parse(void **state)
{
	unsigned int u = 7;
	size_t z = 7;

	(void)state;
	assert_true(nrt_tool_parse_size("4096", &z) && z == 4096);
	assert_true(nrt_tool_parse_size("64K", &z) && z == 65536);
	assert_true(nrt_tool_parse_size("16MiB", &z) && z == 16u << 20);
	assert_true(nrt_tool_parse_size("1G", &z) && z == 1u << 30);
	assert_true(nrt_tool_parse_size("8B", &z) && z == 8);
	assert_false(nrt_tool_parse_size("-1", &z));
	assert_false(nrt_tool_parse_size("1X", &z));
	assert_false(nrt_tool_parse_size("", &z));
	assert_false(nrt_tool_parse_size("99999999999999999999", &z));
	assert_true(nrt_tool_parse_uint("12", 1, 100, &u) && u == 12);
	assert_false(nrt_tool_parse_uint("0", 1, 100, &u));
	assert_false(nrt_tool_parse_uint("101", 1, 100, &u));
	assert_false(nrt_tool_parse_uint("1x", 0, 100, &u));
	assert_false(nrt_tool_parse_uint("+1", 0, 100, &u));
	assert_int_equal(u, 12);
}

static void test_reason(void **state)
{
	(void)state;
	/* A failing call leaves a detail message: that is the reason. */
	assert_int_equal(nrt_device_open(0, NULL), NRT_INVALID);
	assert_string_equal(nrt_tool_reason(NRT_INVALID), "nrt_device_open: dev is NULL");
}

static void test_name(void **state)
{
	(void)state;
	nrt_tool_init("nrt-test");
	assert_string_equal(nrt_tool_name(), "nrt-test");
}

/* --- JSON ------------------------------------------------------------------- */

static char *text_of(struct json_object *o)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	assert_int_equal(nrt_json_print(out, o, JSON_C_TO_STRING_PLAIN), 0);
	assert_int_equal(fclose(out), 0);
	return text;
}

static void test_json_values(void **state)
{
	struct json_object *o = json_object_new_object(), *a, *c;
	bool ok = true;
	char *text;

	(void)state;
	nrt_json_i64(o, "i", -3, &ok);
	nrt_json_u64(o, "u", UINT64_MAX, &ok);
	nrt_json_bool(o, "b", true, &ok);
	nrt_json_str(o, "s", "a/b", &ok);
	nrt_json_null(o, "n", &ok);
	nrt_json_num(o, "x", 2.0 / 3, 3, &ok);
	nrt_json_num(o, "unknown", -1, 3, &ok);
	nrt_json_num(o, "inf", INFINITY, 3, &ok);
	nrt_json_add_opt(o, "opt", NULL, false, &ok);
	a = nrt_json_child(o, "a", true, &ok);
	nrt_json_i64(a, NULL, 1, &ok);
	c = nrt_json_child(a, NULL, false, &ok);
	nrt_json_str(c, "k", "v", &ok);
	assert_true(ok);
	text = text_of(o);
	assert_string_equal(text,
			    "{\"i\":-3,\"u\":18446744073709551615,\"b\":true,\"s\":\"a\\/b\","
			    "\"n\":null,\"x\":0.667,\"unknown\":null,\"inf\":null,\"opt\":null,"
			    "\"a\":[1,{\"k\":\"v\"}]}\n");
	free(text);
	json_object_put(o);
}

/* A value that could not be made fails the document; later calls add nothing. */
static void test_json_failure_sticks(void **state)
{
	struct json_object *o = json_object_new_object();
	bool ok = true;

	(void)state;
	nrt_json_add(o, "lost", NULL, &ok);
	assert_false(ok);
	nrt_json_i64(o, "after", 1, &ok);
	nrt_json_add(o, "taken", json_object_new_int(2), &ok);
	assert_null(nrt_json_child(o, "child", false, &ok));
	assert_false(ok);
	assert_int_equal(json_object_object_length(o), 0);
	/* A known value that is NULL is a failure, too. */
	ok = true;
	nrt_json_add_opt(o, "known", NULL, true, &ok);
	assert_false(ok);
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_size),
		cmocka_unit_test(test_format_size_truncates),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_reason),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_json_values),
		cmocka_unit_test(test_json_failure_sticks),
	};

	return cmocka_run_group_tests_name("nrt_tool", tests, NULL, NULL);
}
