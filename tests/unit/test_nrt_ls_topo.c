// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of the nrt-ls topology logic: shapes, comparison, detection
 * and drawing, on made-up wiring.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nrt_ls_topo.h"

#define MAXL 256

struct wiring {
	nrt_link v[MAXL];
	size_t n;
};

/* Chip i is device i; @ports ports each, all down. */
static void wiring_init(struct wiring *w, unsigned int chips, unsigned int ports)
{
	unsigned int c, p;

	memset(w, 0, sizeof(*w));
	for (c = 0; c < chips; c++) {
		for (p = 0; p < ports; p++) {
			nrt_link *l = &w->v[w->n++];

			l->device = c;
			l->minor = c;
			l->chip_id = c;
			l->port = p;
			l->state = NRT_LINK_DOWN;
			l->peer_device = -1;
		}
	}
}

static nrt_link *port_of(struct wiring *w, uint32_t chip, unsigned int port)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (w->v[i].chip_id == chip && w->v[i].port == port)
			return &w->v[i];
	fail_msg("no chip %u port %u", chip, port);
	return NULL;
}

/* Wire (a, pa) <-> (b, pb), up, at both ends. */
static void cable(struct wiring *w, uint32_t a, unsigned int pa, uint32_t b,
		  unsigned int pb)
{
	nrt_link *x = port_of(w, a, pa), *y = port_of(w, b, pb);

	x->state = y->state = NRT_LINK_UP;
	x->has_peer = y->has_peer = true;
	x->peer_chip = b;
	x->peer_port = pb;
	x->peer_device = (int)b;
	y->peer_chip = a;
	y->peer_port = pa;
	y->peer_device = (int)a;
}

static void cut(struct wiring *w, uint32_t a, unsigned int pa)
{
	nrt_link *x = port_of(w, a, pa);

	x->state = NRT_LINK_DOWN;
	x->has_peer = false;
	x->peer_device = -1;
}

static void wire_shape(struct wiring *w, const struct nrt_topo_shape *s)
{
	unsigned int chips = nrt_topo_shape_chips(s), c, p;
	unsigned int ports = s->kind == NRT_TOPO_TORUS ? 4 : 2;

	wiring_init(w, chips, ports);
	for (c = 0; c < chips; c++) {
		for (p = 0; p < ports; p++) {
			uint32_t pc;
			unsigned int pp;

			assert_true(nrt_topo_expected_peer(s, c, p, &pc, &pp));
			cable(w, c, p, pc, pp);
		}
	}
}

static char *draw(const struct wiring *w, const struct nrt_topo_shape *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	assert_int_equal(nrt_topo_draw(out, w->v, w->n, s), 0);
	assert_int_equal(fclose(out), 0);
	return text;
}

static void test_parse_shape(void **state)
{
	struct nrt_topo_shape s;
	char name[NRT_TOPO_NAME_LEN];

	(void)state;
	assert_int_equal(nrt_topo_parse_shape("torus:4x4", &s), 0);
	assert_int_equal(s.kind, NRT_TOPO_TORUS);
	assert_int_equal(s.rows, 4);
	assert_int_equal(s.cols, 4);
	assert_string_equal(nrt_topo_shape_name(&s, name, sizeof(name)), "torus:4x4");
	assert_int_equal(nrt_topo_parse_shape("ring:8", &s), 0);
	assert_int_equal(s.kind, NRT_TOPO_RING);
	assert_int_equal(nrt_topo_shape_chips(&s), 8);
	assert_string_equal(nrt_topo_shape_name(&s, name, sizeof(name)), "ring:8");
	assert_int_equal(nrt_topo_parse_shape("torus:4", &s), -1);
	assert_int_equal(nrt_topo_parse_shape("torus:0x4", &s), -1);
	assert_int_equal(nrt_topo_parse_shape("torus:4x4x", &s), -1);
	assert_int_equal(nrt_topo_parse_shape("ring:1", &s), -1);
	assert_int_equal(nrt_topo_parse_shape("ring:", &s), -1);
	assert_int_equal(nrt_topo_parse_shape("mesh:2x2", &s), -1);
	assert_int_equal(nrt_topo_parse_shape("torus:100x100", &s), -1);
}

static void test_expected_peer(void **state)
{
	struct nrt_topo_shape s = { NRT_TOPO_TORUS, 4, 4 };
	uint32_t pc;
	unsigned int pp;

	(void)state;
	assert_true(nrt_topo_expected_peer(&s, 0, 0, &pc, &pp));
	assert_int_equal(pc, 1);
	assert_int_equal(pp, 2);
	assert_true(nrt_topo_expected_peer(&s, 3, 0, &pc, &pp)); /* wrap east */
	assert_int_equal(pc, 0);
	assert_true(nrt_topo_expected_peer(&s, 13, 1, &pc, &pp)); /* wrap south */
	assert_int_equal(pc, 1);
	assert_int_equal(pp, 3);
	assert_true(nrt_topo_expected_peer(&s, 0, 3, &pc, &pp)); /* north */
	assert_int_equal(pc, 12);
	assert_int_equal(pp, 1);
	assert_false(nrt_topo_expected_peer(&s, 0, 4, &pc, &pp));
	assert_false(nrt_topo_expected_peer(&s, 16, 0, &pc, &pp));
}

static void test_torus_match(void **state)
{
	struct nrt_topo_shape s = { NRT_TOPO_TORUS, 4, 4 }, d;
	struct nrt_topo_mismatch *mm;
	struct wiring w;
	size_t n;

	(void)state;
	wire_shape(&w, &s);
	assert_int_equal(nrt_topo_compare(&s, w.v, w.n, &mm, &n), 0);
	assert_int_equal(n, 0);
	assert_null(mm);
	assert_true(nrt_topo_detect(w.v, w.n, &d));
	assert_int_equal(d.kind, NRT_TOPO_TORUS);
	assert_int_equal(d.rows, 4);
	assert_int_equal(d.cols, 4);
	/* The other shapes of 16 chips do not match. */
	s.rows = 2;
	s.cols = 8;
	assert_int_equal(nrt_topo_compare(&s, w.v, w.n, &mm, &n), 0);
	assert_true(n > 0);
	free(mm);
}

static void test_torus_swapped(void **state)
{
	struct nrt_topo_shape s = { NRT_TOPO_TORUS, 4, 4 };
	struct nrt_topo_mismatch *mm;
	struct wiring w;
	size_t n;

	(void)state;
	wire_shape(&w, &s);
	/* Two cables swapped: 0p0-1p2 and 2p0-3p2 become 0p0-3p2, 2p0-1p2. */
	cable(&w, 0, 0, 3, 2);
	cable(&w, 2, 0, 1, 2);
	assert_int_equal(nrt_topo_compare(&s, w.v, w.n, &mm, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(mm[0].kind, NRT_TOPO_MISWIRED);
	assert_string_equal(mm[0].message,
			    "chip 0 port 0: expected chip 1 port 2, found chip 3 port 2");
	assert_string_equal(mm[1].message,
			    "chip 1 port 2: expected chip 0 port 0, found chip 2 port 0");
	assert_string_equal(mm[2].message,
			    "chip 2 port 0: expected chip 3 port 2, found chip 1 port 2");
	assert_string_equal(mm[3].message,
			    "chip 3 port 2: expected chip 2 port 0, found chip 0 port 0");
	assert_int_equal(mm[3].found_chip, 0);
	assert_int_equal(mm[3].found_port, 0);
	free(mm);
}

static void test_torus_down(void **state)
{
	struct nrt_topo_shape s = { NRT_TOPO_TORUS, 4, 4 }, d;
	struct nrt_topo_mismatch *mm;
	struct wiring w;
	size_t n;

	(void)state;
	wire_shape(&w, &s);
	cut(&w, 5, 1);
	port_of(&w, 9, 3)->state = NRT_LINK_TRAINING;
	port_of(&w, 9, 3)->has_peer = false;
	assert_int_equal(nrt_topo_compare(&s, w.v, w.n, &mm, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(mm[0].kind, NRT_TOPO_DOWN);
	assert_string_equal(mm[0].message, "chip 5 port 1: down (expected chip 9 port 3)");
	assert_string_equal(mm[1].message,
			    "chip 9 port 3: training (expected chip 5 port 1)");
	free(mm);
	/* Still recognised as the torus. */
	assert_true(nrt_topo_detect(w.v, w.n, &d));
	assert_int_equal(d.rows, 4);
}

static void test_missing_and_unexpected(void **state)
{
	struct nrt_topo_shape s = { NRT_TOPO_RING, 1, 4 };
	struct nrt_topo_mismatch *mm;
	struct wiring w;
	size_t n;

	(void)state;
	/* Chips 0..2 with 3 ports; chip 3 absent. */
	wiring_init(&w, 3, 3);
	cable(&w, 0, 0, 1, 1);
	cable(&w, 1, 0, 2, 1);
	cable(&w, 0, 2, 2, 2);
	assert_int_equal(nrt_topo_compare(&s, w.v, w.n, &mm, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(mm[0].message, "chip 0 port 1: down (expected chip 3 port 0)");
	assert_string_equal(mm[1].message,
			    "chip 0 port 2: unexpected link to chip 2 port 2");
	assert_string_equal(mm[2].message, "chip 2 port 0: down (expected chip 3 port 1)");
	assert_string_equal(mm[3].message,
			    "chip 2 port 2: unexpected link to chip 0 port 2");
	assert_int_equal(mm[4].kind, NRT_TOPO_MISSING_CHIP);
	assert_int_equal(mm[4].chip, 3);
	free(mm);
}

static void test_ring(void **state)
{
	struct nrt_topo_shape s = { NRT_TOPO_RING, 1, 4 }, d;
	struct nrt_topo_mismatch *mm;
	struct wiring w;
	size_t n;
	char *text;

	(void)state;
	wire_shape(&w, &s);
	assert_int_equal(nrt_topo_compare(&s, w.v, w.n, &mm, &n), 0);
	assert_int_equal(n, 0);
	assert_true(nrt_topo_detect(w.v, w.n, &d));
	assert_int_equal(d.kind, NRT_TOPO_RING);
	assert_int_equal(d.cols, 4);
	cut(&w, 2, 0);
	cut(&w, 3, 1);
	text = draw(&w, NULL);
	assert_string_equal(text,
		"ring:4 (detected): positions by chip id, labels are device indices\n"
		"0 --- 1 --- 2 -x- 3 --- (0)\n"
		"links: ---/| up, x down or missing, ? miswired; the edges are the wrap-around links\n");
	free(text);
}

static void test_draw_4x4(void **state)
{
	struct nrt_topo_shape s = { NRT_TOPO_TORUS, 4, 4 };
	struct wiring w;
	char *text;

	(void)state;
	wire_shape(&w, &s);
	cut(&w, 5, 0);          /* 5 - 6 down */
	cut(&w, 6, 2);
	cut(&w, 3, 0);          /* wrap of row 0 down */
	cut(&w, 0, 2);
	text = draw(&w, NULL);
	assert_string_equal(text,
		"torus:4x4 (detected): positions by chip id, labels are device indices\n"
		"    |      |      |      |\n"
		"-x  0 ---  1 ---  2 ---  3 x-\n"
		"    |      |      |      |\n"
		"--  4 ---  5 -x-  6 ---  7 --\n"
		"    |      |      |      |\n"
		"--  8 ---  9 --- 10 --- 11 --\n"
		"    |      |      |      |\n"
		"-- 12 --- 13 --- 14 --- 15 --\n"
		"    |      |      |      |\n"
		"links: ---/| up, x down or missing, ? miswired; the edges are the wrap-around links; . no device\n");
	free(text);
}

static void test_draw_2x3(void **state)
{
	struct nrt_topo_shape s = { NRT_TOPO_TORUS, 2, 3 };
	struct wiring w;
	char *text;

	(void)state;
	wire_shape(&w, &s);
	/* 1 - 4 cut. */
	cut(&w, 1, 1);
	cut(&w, 4, 3);
	text = draw(&w, NULL);
	assert_string_equal(text,
		"torus:2x3 (detected): positions by chip id, labels are device indices\n"
		"   |     |     |\n"
		"-- 0 --- 1 --- 2 --\n"
		"   |     x     |\n"
		"-- 3 --- 4 --- 5 --\n"
		"   |     |     |\n"
		"links: ---/| up, x down or missing, ? miswired; the edges are the wrap-around links; . no device\n");
	free(text);
	/* Against an expected shape, with a miswired cable. */
	wire_shape(&w, &s);
	cable(&w, 0, 0, 2, 2);
	cable(&w, 1, 2, 2, 0);
	text = draw(&w, &s);
	assert_string_equal(text,
		"torus:2x3 (expected): positions by chip id, labels are device indices\n"
		"   |     |     |\n"
		"-? 0 -?- 1 -?- 2 ?-\n"
		"   |     |     |\n"
		"-- 3 --- 4 --- 5 --\n"
		"   |     |     |\n"
		"links: ---/| up, x down or missing, ? miswired; the edges are the wrap-around links; . no device\n"
		"up links not in torus:2x3:\n"
		"  accel0:port0 <-> accel2:port2 up (not in shape)\n"
		"  accel1:port2 <-> accel2:port0 up (not in shape)\n");
	free(text);
}

static void test_list_and_connected(void **state)
{
	struct wiring w;
	char *text = NULL, buf[64];
	size_t len = 0;
	FILE *out;

	(void)state;
	wiring_init(&w, 3, 2);
	cable(&w, 0, 0, 1, 1);
	cable(&w, 0, 1, 2, 0);
	port_of(&w, 1, 0)->state = NRT_LINK_UP;        /* peer outside */
	port_of(&w, 1, 0)->has_peer = true;
	port_of(&w, 1, 0)->peer_chip = 9;
	port_of(&w, 1, 0)->peer_port = 3;
	out = open_memstream(&text, &len);
	assert_int_equal(nrt_topo_draw(out, w.v, w.n, NULL), 0);
	fclose(out);
	assert_string_equal(text,
		"accel0:port0 <-> accel1:port1 up\n"
		"accel0:port1 <-> accel2:port0 up\n"
		"accel1:port0 <-> chip9:port3 up\n"
		"accel2:port1 down\n");
	free(text);
	assert_string_equal(nrt_topo_connected(w.v, w.n, 0, buf, sizeof(buf)), "1,2");
	assert_string_equal(nrt_topo_connected(w.v, w.n, 1, buf, sizeof(buf)), "0,c9");
	assert_string_equal(nrt_topo_connected(w.v, w.n, 2, buf, sizeof(buf)), "0");
	assert_string_equal(nrt_topo_connected(w.v, w.n, 7, buf, sizeof(buf)), "-");

	/* Chip 1 of another host of the rack is not the local chip 1. */
	port_of(&w, 2, 1)->state = NRT_LINK_UP;
	port_of(&w, 2, 1)->has_peer = true;
	port_of(&w, 2, 1)->peer_host = 4;
	port_of(&w, 2, 1)->peer_chip = 1;
	port_of(&w, 2, 1)->peer_port = 0;
	port_of(&w, 1, 0)->peer_host = 2;
	/* (Without them, chips 0 to 2 now make the better part of a ring:3.) */
	text = NULL;
	out = open_memstream(&text, &len);
	assert_int_equal(nrt_topo_print_list(out, w.v, w.n), 0);
	fclose(out);
	assert_string_equal(text,
		"accel0:port0 <-> accel1:port1 up\n"
		"accel0:port1 <-> accel2:port0 up\n"
		"accel1:port0 <-> host2:chip9:port3 up\n"
		"accel2:port1 <-> host4:chip1:port0 up\n");
	free(text);
	assert_string_equal(nrt_topo_connected(w.v, w.n, 1, buf, sizeof(buf)), "0,h2c9");
	assert_string_equal(nrt_topo_connected(w.v, w.n, 2, buf, sizeof(buf)), "0,h4c1");
}

/* A host of a rack: its torus is found though cables leave it. */
static void test_detect_rack_host(void **state)
{
	struct nrt_topo_shape s = { NRT_TOPO_TORUS, 2, 2 }, found;
	struct wiring w;
	unsigned int c, p;

	(void)state;
	wire_shape(&w, &s);
	for (c = 0; c < 4; c++)
		for (p = 0; p < 4; p++)
			port_of(&w, c, p)->host = 1;
	for (c = 0; c < w.n; c++)
		w.v[c].peer_host = 1;
	/* Port 3 of chip 0 goes to host 2, where a torus chip 2 port 1 would be. */
	port_of(&w, 0, 3)->peer_host = 2;
	assert_true(nrt_topo_detect(w.v, w.n, &found));
	assert_int_equal(found.kind, NRT_TOPO_TORUS);
	assert_int_equal(found.rows, 2);
	assert_int_equal(found.cols, 2);
}

static void test_json(void **state)
{
	struct nrt_topo_shape s = { NRT_TOPO_RING, 1, 3 };
	struct nrt_topo_mismatch *mm;
	struct json_object *o, *x, *m;
	struct wiring w;
	size_t n;

	(void)state;
	wire_shape(&w, &s);
	cut(&w, 1, 0);
	assert_int_equal(nrt_topo_compare(&s, w.v, w.n, &mm, &n), 0);
	assert_int_equal(n, 1);
	o = nrt_topo_json(w.v, w.n, "sysfs", NULL, "ring:3", mm, n);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "links", &x));
	/* 2 up links once each, the down port 1p0 and 2p1 (up, to 1p0). */
	assert_int_equal(json_object_array_length(x), 4);
	assert_true(json_object_object_get_ex(o, "match", &x));
	assert_false(json_object_get_boolean(x));
	assert_true(json_object_object_get_ex(o, "mismatches", &x));
	m = json_object_array_get_idx(x, 0);
	assert_true(json_object_object_get_ex(m, "kind", &x));
	assert_string_equal(json_object_get_string(x), "down");
	assert_true(json_object_object_get_ex(m, "expected", &x));
	assert_non_null(x);
	json_object_put(o);
	free(mm);
	o = nrt_topo_json_device_links(w.v, w.n, 0);
	assert_int_equal(json_object_array_length(o), 2);
	json_object_put(o);
}

static void test_event_format(void **state)
{
	nrt_link_event ev;
	char buf[256];

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.link.device = 2;
	ev.link.port = 1;
	ev.link.state = NRT_LINK_UP;
	ev.link.has_peer = true;
	ev.link.peer_chip = 3;
	ev.link.peer_port = 3;
	ev.link.peer_device = 3;
	ev.events = NRT_LINK_EVENT_STATE;
	assert_string_equal(nrt_topo_format_event(&ev, "T", buf, sizeof(buf)),
			    "T accel2:port1 state: up <-> accel3:port3 err_crc=0 err_replay=0");
	ev.link.peer_device = -1;
	ev.link.peer_host = 1;
	assert_string_equal(nrt_topo_format_event(&ev, "T", buf, sizeof(buf)),
			    "T accel2:port1 state: up <-> host1:chip3:port3 err_crc=0 err_replay=0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_shape),
		cmocka_unit_test(test_expected_peer),
		cmocka_unit_test(test_torus_match),
		cmocka_unit_test(test_torus_swapped),
		cmocka_unit_test(test_torus_down),
		cmocka_unit_test(test_missing_and_unexpected),
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_draw_4x4),
		cmocka_unit_test(test_draw_2x3),
		cmocka_unit_test(test_list_and_connected),
		cmocka_unit_test(test_detect_rack_host),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_event_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
