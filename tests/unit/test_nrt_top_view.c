// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of nrt-top's screen (nrt_top_view.c): snapshots of fake trees
 * (top_tree.c) rendered at odd sizes, in batch mode and empty, the sort of
 * processes and the keys.
 */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <json.h>

#include "fake_fs.h"
#include "top_tree.h"
#include "nrt_top_json.h"
#include "nrt_top_prom.h"
#include "nrt_top_snap.h"
#include "nrt_top_view.h"

/* --- the screen --------------------------------------------------------------- */

/* The grid as lines of text, one string. */
static char *screen_text(const struct nrt_top_grid *g)
{
	size_t size = (size_t)(g->w + 1) * (size_t)g->h + 1, o = 0;
	char *text = calloc(1, size), *line = malloc((size_t)g->w + 2);
	int y;

	assert_non_null(text);
	assert_non_null(line);
	for (y = 0; y < g->h; y++) {
		nrt_top_grid_line(g, y, line, (size_t)g->w + 1);
		o += (size_t)sprintf(text + o, "%s\n", line);
	}
	free(line);
	return text;
}

static char *render(const struct nrt_top_snap *s, const struct nrt_top_view *v,
		    int w, int h, int *rows)
{
	struct nrt_top_grid g = { 0 };
	char *text;

	assert_int_equal(nrt_top_grid_resize(&g, w, h), 0);
	*rows = nrt_top_render(&g, s, v);
	assert_true(*rows >= 0 && *rows <= (h > 0 ? h : 0));
	text = screen_text(&g);
	nrt_top_grid_free(&g);
	return text;
}

static void screen(void **state)
{
	static const int sizes[][2] = {
		{ 80, 24 }, { 40, 10 }, { 200, 60 }, { 1, 1 }, { 0, 0 }, { 2, 1 },
		{ 1, 40 }, { 300, 2 }, { 81, 3 }, { -4, -1 },
	};
	struct tree *t = *state;
	struct nrt_top_snap a, b;
	struct nrt_top_view v;
	char *text;
	size_t i;
	int rows;

	standard_tree(t);
	collect(&a);
	advance(t);
	collect_after(&b, &a, SEC);
	b.real_ms = INT64_C(1795000000123);
	nrt_top_view_init(&v, 1, "0.4.0");

	text = render(&b, &v, 80, 24, &rows);
	if (getenv("NRT_TOP_TEST_SHOW"))
		fputs(text, stderr);
	assert_int_equal(rows, 24);
	assert_non_null(strstr(text, "nrt-top 0.4.0  2 devices  3 processes  every 1s  "
				     "2026-11-18 11:06:40\n"));
	assert_non_null(strstr(text, "Devices: 0:01:00.0 25.0% 1:02:00.0 0.0%\n"));
	assert_non_null(strstr(text, "Device 0  accel1  0000:01:00.0  chip 11   51.5 C (max 95 C)  23.4 W (max 75 W)\n"));
	/* Two cores a row at 80 columns: core 0 half busy, core 1 idle. */
	assert_non_null(strstr(text, "NC0 [||||||||||||||||           50.0%]  NC1 ["));
	assert_non_null(strstr(text, "0.0%]\n"));
	assert_non_null(strstr(text, "HBM [|||||||||            256 MiB/1 GiB]"));
	assert_non_null(strstr(text, "DMA 3 MiB/s  busy 10.0%"));
	assert_non_null(strstr(text, "ECC corrected 701  uncorrected 800"));
	/* Only the picked device's process, its HBM and its share of the cores. */
	assert_non_null(strstr(text, "    300 "));
	assert_non_null(strstr(text, "64 MiB"));
	assert_non_null(strstr(text, "50.0% "));
	assert_null(strstr(text, "    200 "));
	assert_non_null(strstr(text, "h:Help q:Quit"));
	/* Not throttled: no such line */
	assert_null(strstr(text, "Throttled"));
	free(text);

	/* Every size draws without a fault, within the grid. */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		v.links = i % 2;
		v.help = i == 5;
		text = render(&b, &v, sizes[i][0], sizes[i][1], &rows);
		if (sizes[i][0] > 0 && sizes[i][1] > 0)
			assert_int_equal(text[0], 'n');
		free(text);
	}

	/* 40x10: cut, one core a row, the key bar on the last row. */
	v.links = false;
	v.help = false;
	text = render(&b, &v, 40, 10, &rows);
	if (getenv("NRT_TOP_TEST_SHOW"))
		fputs(text, stderr);
	assert_non_null(strstr(text, "NC0 [|||||||||||||||||            50.0%]\nNC1 ["));
	assert_non_null(strstr(text, "\nh:Help q:Quit Tab:Device s:Sort l:Links\n"));
	free(text);

	/* The other device with its ports, and all processes. */
	v.dev = 1;
	v.links = true;
	v.all_procs = true;
	text = render(&b, &v, 100, 40, &rows);
	assert_non_null(strstr(text, "Device 1  accel0  0000:02:00.0"));
	assert_non_null(strstr(text, "Links 1/2 up  tx 2 MiB/s  rx 0 B/s"));
	assert_non_null(strstr(text, "0    up       chip 3.1 accel3  "));
	assert_non_null(strstr(text, "1    down     -  "));
	assert_non_null(strstr(text, "    200 "));
	assert_non_null(strstr(text, "    300 "));
	assert_non_null(strstr(text, "    400 "));
	free(text);

	/* Help. */
	v.help = true;
	text = render(&b, &v, 80, 24, &rows);
	assert_non_null(strstr(text, "  q F10       quit\n"));
	assert_null(strstr(text, "Device 1"));
	free(text);
	nrt_top_snap_free(&a);
	nrt_top_snap_free(&b);
}

static void screen_batch_and_empty(void **state)
{
	struct tree *t = *state;
	struct nrt_top_grid g = { 0 };
	struct nrt_top_snap s;
	struct nrt_top_view v;
	char *text;
	int rows;

	collect(&s);
	nrt_top_view_init(&v, 2, "0.4.0");
	v.batch = true;
	text = render(&s, &v, 80, nrt_top_render_rows(&s, &v), &rows);
	assert_non_null(strstr(text, "No trn devices found"));
	assert_non_null(strstr(text, "(no process uses a trn device"));
	assert_null(strstr(text, "h:Help"));
	free(text);
	nrt_top_snap_free(&s);

	standard_tree(t);
	collect(&s);
	text = render(&s, &v, 100, nrt_top_render_rows(&s, &v), &rows);
	/* Every device, no tabs, rates not known yet. */
	assert_non_null(strstr(text, "Device 0  accel1"));
	assert_non_null(strstr(text, "Device 1  accel0"));
	assert_null(strstr(text, "Devices:"));
	assert_non_null(strstr(text, "-]"));
	assert_non_null(strstr(text, "DMA -  busy -"));
	assert_true(rows < nrt_top_render_rows(&s, &v));
	free(text);

	/* Printing stops at the rows used and leaves no trailing blanks. */
	assert_int_equal(nrt_top_grid_resize(&g, 30, 2), 0);
	nrt_top_render(&g, &s, &v);
	text = NULL;
	{
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		assert_non_null(f);
		assert_int_equal(nrt_top_grid_print(&g, 1, f), 0);
		assert_int_equal(fclose(f), 0);
	}
	assert_string_equal(text, "nrt-top 0.4.0  2 devices  3 pr\n");
	free(text);
	nrt_top_grid_free(&g);
	nrt_top_snap_free(&s);
}

static void process_sort(void **state)
{
	struct tree *t = *state;
	struct nrt_top_snap s;
	struct nrt_top_view v;
	char *text, *p200, *p300, *p400;
	int rows;

	standard_tree(t);
	collect(&s);
	nrt_top_view_init(&v, 1, "x");
	v.batch = true;
	v.sort = NRT_TOP_COL_HBM;
	text = render(&s, &v, 100, nrt_top_render_rows(&s, &v), &rows);
	p200 = strstr(text, "    200 ");
	p300 = strstr(text, "    300 ");
	p400 = strstr(text, "    400 ");
	assert_true(p200 && p300 && p400);
	/* Largest HBM first. */
	assert_true(p300 < p200 && p200 < p400);
	free(text);

	v.reverse = true;
	text = render(&s, &v, 100, nrt_top_render_rows(&s, &v), &rows);
	assert_true(strstr(text, "    400 ") < strstr(text, "    200 "));
	assert_true(strstr(text, "    200 ") < strstr(text, "    300 "));
	free(text);

	v.reverse = false;
	v.sort = NRT_TOP_COL_PID;
	text = render(&s, &v, 100, nrt_top_render_rows(&s, &v), &rows);
	assert_true(strstr(text, "    200 ") < strstr(text, "    300 "));
	assert_true(strstr(text, "    300 ") < strstr(text, "    400 "));
	free(text);
	nrt_top_snap_free(&s);
}

static void keys(void **state)
{
	struct nrt_top_view v;

	(void)state;
	nrt_top_view_init(&v, 1, "x");
	assert_int_equal(v.sort, NRT_TOP_COL_CORE);
	assert_true(v.procs);
	assert_int_equal(nrt_top_view_key(&v, '\t', 3), NRT_TOP_REDRAW);
	assert_int_equal(v.dev, 1);
	nrt_top_view_key(&v, NRT_TOP_KEY_RIGHT, 3);
	nrt_top_view_key(&v, NRT_TOP_KEY_DOWN, 3);
	assert_int_equal(v.dev, 0);
	nrt_top_view_key(&v, NRT_TOP_KEY_LEFT, 3);
	assert_int_equal(v.dev, 2);
	nrt_top_view_key(&v, NRT_TOP_KEY_BTAB, 3);
	assert_int_equal(v.dev, 1);
	assert_int_equal(nrt_top_view_key(&v, '0', 3), NRT_TOP_REDRAW);
	assert_int_equal(v.dev, 0);
	/* No such device. */
	assert_int_equal(nrt_top_view_key(&v, '5', 3), NRT_TOP_IGNORED);
	assert_int_equal(v.dev, 0);
	/* Devices went away: the pick follows. */
	v.dev = 2;
	nrt_top_view_key(&v, 'l', 1);
	assert_int_equal(v.dev, 0);
	assert_true(v.links);
	assert_int_equal(nrt_top_view_key(&v, '\t', 0), NRT_TOP_REDRAW);
	assert_int_equal(v.dev, 0);

	nrt_top_view_key(&v, 's', 1);
	assert_int_equal(v.sort, NRT_TOP_COL_DMA);
	nrt_top_view_key(&v, NRT_TOP_KEY_F6, 1);
	nrt_top_view_key(&v, '>', 1);
	assert_int_equal(v.sort, NRT_TOP_COL_PID);
	nrt_top_view_key(&v, '<', 1);
	assert_int_equal(v.sort, NRT_TOP_COL_COMMAND);
	nrt_top_view_key(&v, 'r', 1);
	assert_true(v.reverse);
	nrt_top_view_key(&v, 'p', 1);
	assert_false(v.procs);
	nrt_top_view_key(&v, 'a', 1);
	assert_true(v.all_procs);

	nrt_top_view_key(&v, '+', 1);
	assert_true(v.interval_s == 2);
	nrt_top_view_key(&v, '-', 1);
	nrt_top_view_key(&v, '-', 1);
	assert_true(v.interval_s == 0.5);
	v.interval_s = 0.7;
	nrt_top_view_key(&v, '+', 1);
	assert_true(v.interval_s == 1);
	v.interval_s = 0.1;
	nrt_top_view_key(&v, '-', 1);
	assert_true(v.interval_s == 0.1);
	v.interval_s = 60;
	nrt_top_view_key(&v, '+', 1);
	assert_true(v.interval_s == 60);

	/* Help: any key closes it, q still quits. */
	nrt_top_view_key(&v, 'h', 1);
	assert_true(v.help);
	assert_int_equal(nrt_top_view_key(&v, 'x', 1), NRT_TOP_REDRAW);
	assert_false(v.help);
	nrt_top_view_key(&v, '?', 1);
	assert_int_equal(nrt_top_view_key(&v, 'q', 1), NRT_TOP_QUIT);
	assert_int_equal(nrt_top_view_key(&v, 'x', 1), NRT_TOP_REDRAW);
	assert_int_equal(nrt_top_view_key(&v, 'x', 1), NRT_TOP_IGNORED);
	assert_int_equal(nrt_top_view_key(&v, NRT_TOP_KEY_F10, 1), NRT_TOP_QUIT);
}

/* A capped, throttled device (interface 1.8): its cap and why it is slowed. */
static void screen_throttled(void **state)
{
	struct tree *t = *state;
	struct nrt_top_snap a, b;
	struct nrt_top_view v;
	char *text;
	int rows;

	standard_tree(t);
	attr(t, "0000:01:00.0", "throttle_reasons", "power_cap");
	attr(t, "0000:01:00.0", "stats/throttled_ns", "0");
	attr(t, "0000:01:00.0", "hwmon/hwmon3/power1_cap", "50000000");
	collect(&a);
	advance(t);
	attr(t, "0000:01:00.0", "stats/throttled_ns", "%llu", (unsigned long long)(SEC / 2));
	collect_after(&b, &a, SEC);
	nrt_top_view_init(&v, 1, "0.4.0");
	text = render(&b, &v, 80, 24, &rows);
	if (getenv("NRT_TOP_TEST_SHOW"))
		fputs(text, stderr);
	assert_non_null(strstr(text, "51.5 C (max 95 C)  23.4 W (cap 50 W)\n"
				     "Throttled power_cap  50.0% of the last interval\n"
				     "NC0 ["));
	free(text);
	nrt_top_snap_free(&a);
	nrt_top_snap_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(screen, setup, teardown),
		cmocka_unit_test_setup_teardown(screen_throttled, setup, teardown),
		cmocka_unit_test_setup_teardown(screen_batch_and_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(process_sort, setup, teardown),
		cmocka_unit_test(keys),
	};

	return cmocka_run_group_tests_name("nrt_top_view", tests, NULL, NULL);
}
