// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of rack files (tools/nrt_rack.c): every error of the parser
 * with its line, the generated shapes (valid, symmetrical, the in-host
 * part as nrt-ls's torus:4x4), the normalised list; and nrt-ls --expect
 * FILE (tools/nrt_ls_rack.c) against made-up wiring of one host.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nrt_ls_rack.h"
#include "nrt_ls_topo.h"
#include "nrt_rack.h"

/* Parse @text; return 0 or -1, the message in @err. */
static int parse(const char *text, struct nrt_rack *r, char *err, size_t size)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	int ret;

	assert_non_null(in);
	err[0] = '\0';
	ret = nrt_rack_parse(in, "t.rack", r, err, size);
	fclose(in);
	return ret;
}

#define HEAD "hosts 2\nchips 2\nports 3\n"

static void test_parse_ok(void **state)
{
	static const char text[] =
		"# a rack\n"
		"rack small   # named\n"
		HEAD
		"host 0 node-a\n"
		"host 1 node-b\n"
		"\n"
		"cable 0.0.0 0.1.1\n"
		"   cable 0.0.2 1.0.2\t# across\n";
	struct nrt_rack r;
	struct nrt_rack_end e = { 1, 0, 2 }, far;
	char err[NRT_RACK_ERR_LEN];

	(void)state;
	assert_int_equal(parse(text, &r, err, sizeof(err)), 0);
	assert_string_equal(r.name, "small");
	assert_int_equal(r.hosts, 2);
	assert_int_equal(r.chips, 2);
	assert_int_equal(r.ports, 3);
	assert_int_equal(r.n_cables, 2);
	assert_int_equal(r.cables[1].line, 10);
	assert_true(nrt_rack_far(&r, &e, &far));
	assert_int_equal(far.host, 0);
	assert_int_equal(far.chip, 0);
	assert_int_equal(far.port, 2);
	e = (struct nrt_rack_end){ 1, 1, 0 };
	assert_false(nrt_rack_far(&r, &e, &far));
	e = (struct nrt_rack_end){ 2, 0, 0 };
	assert_false(nrt_rack_far(&r, &e, &far));
	assert_int_equal(nrt_rack_host_by_name(&r, "node-b"), 1);
	assert_int_equal(nrt_rack_host_by_name(&r, "node-c"), -1);
	nrt_rack_free(&r);
}

static void test_parse_errors(void **state)
{
	static const struct {
		const char *text, *message;
	} cases[] = {
		{ "bogus 1\n", "t.rack:1: unknown keyword 'bogus'" },
		{ "hosts\n", "t.rack:1: 'hosts' takes one number" },
		{ "hosts 0\n", "t.rack:1: 'hosts 0': want a number from 1 to 1024" },
		{ "chips x\n", "t.rack:1: 'chips x': want a number from 1 to 4096" },
		{ "ports -1\n", "t.rack:1: 'ports -1': want a number from 1 to 256" },
		{ "hosts 1\nhosts 2\n", "t.rack:2: 'hosts' given twice" },
		{ "rack a\nrack b\n", "t.rack:2: 'rack' given twice" },
		{ "rack a b\n", "t.rack:1: 'rack' takes one name of at most 63 characters" },
		{ "hosts 1\ncable 0.0.0 0.1.0\n",
		  "t.rack:2: 'cable' before the 'hosts', 'chips' and 'ports' lines" },
		{ "hosts 1\nchips 1\nports 1\n", NULL },
		{ "hosts 1\nchips 2\n", "t.rack: 'the end of the file' before the 'hosts', 'chips' and 'ports' lines" },
		{ HEAD "cable 0.0.0 1.0.0\nhosts 3\n",
		  "t.rack:5: 'hosts' after the first 'host' or 'cable' line" },
		{ HEAD "cable 0.0.0\n",
		  "t.rack:4: 'cable' takes two ends, HOST.CHIP.PORT HOST.CHIP.PORT" },
		{ HEAD "cable 0.0 1.0.0\n", "t.rack:4: bad cable end '0.0' (want HOST.CHIP.PORT)" },
		{ HEAD "cable 0.0.0.0 1.0.0\n",
		  "t.rack:4: bad cable end '0.0.0.0' (want HOST.CHIP.PORT)" },
		{ HEAD "cable 0..0 1.0.0\n", "t.rack:4: bad cable end '0..0' (want HOST.CHIP.PORT)" },
		{ HEAD "cable 0.0.0 1.0.x\n", "t.rack:4: bad cable end '1.0.x' (want HOST.CHIP.PORT)" },
		{ HEAD "cable 0.0.0 2.0.0\n",
		  "t.rack:4: cable end 2.0.0: host 2 out of range (the rack has 2 hosts)" },
		{ HEAD "cable 0.2.0 1.0.0\n",
		  "t.rack:4: cable end 0.2.0: chip 2 out of range (a host has 2 chips)" },
		{ HEAD "cable 0.0.3 1.0.0\n",
		  "t.rack:4: cable end 0.0.3: port 3 out of range (a chip has 3 ports)" },
		{ HEAD "cable 0.1.0 0.1.2\n",
		  "t.rack:4: cable 0.1.0 0.1.2: both ends on chip 0.1" },
		{ HEAD "cable 0.0.0 1.0.0\n# gap\ncable 1.1.1 1.0.0\n",
		  "t.rack:6: port 1.0.0 is used twice (also on line 4)" },
		{ HEAD "cable 0.0.0 0.0.0\n", "t.rack:4: cable 0.0.0 0.0.0: both ends on chip 0.0" },
		{ HEAD "host 2 x\n", "t.rack:4: host 2 out of range (the rack has 2 hosts)" },
		{ HEAD "host a x\n", "t.rack:4: 'host a': not a host number" },
		{ HEAD "host 1\n", "t.rack:4: 'host' takes a host number and a name" },
		{ HEAD "host 1 x\nhost 1 y\n", "t.rack:5: host 1 named twice" },
		{ HEAD "host 1 x\nhost 0 x\n", "t.rack:5: name 'x' given to hosts 1 and 0" },
		{ "host 0 x\n", "t.rack:1: 'host' before the 'hosts', 'chips' and 'ports' lines" },
		{ "a b c d e f g h i\n", "t.rack:1: too many words" },
		{ "hosts 1000\nchips 4096\nports 256\ncable 0.0.0 0.1.0\n",
		  "t.rack:4: 1000 hosts of 4096 chips of 256 ports: more than 4194304 port ends" },
	};
	char err[NRT_RACK_ERR_LEN];
	struct nrt_rack r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = parse(cases[i].text, &r, err, sizeof(err));

		if (!cases[i].message) {
			assert_int_equal(ret, 0);
			nrt_rack_free(&r);
			continue;
		}
		if (ret != -1 || strcmp(err, cases[i].message))
			fail_msg("case %zu: got %d \"%s\", want \"%s\"", i, ret, err,
				 cases[i].message);
		assert_null(r.cables);
	}
	assert_int_equal(nrt_rack_load("/nonexistent/x.rack", &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/x.rack: "));
}

/* Every end the rack cables leads back to itself; the counts add up. */
static void check_symmetric(const struct nrt_rack *r)
{
	struct nrt_rack_end e, far, back;
	size_t ends = 0, inner, outer;

	for (e.host = 0; e.host < r->hosts; e.host++)
		for (e.chip = 0; e.chip < r->chips; e.chip++)
			for (e.port = 0; e.port < r->ports; e.port++) {
				if (!nrt_rack_far(r, &e, &far))
					continue;
				ends++;
				assert_true(nrt_rack_far(r, &far, &back));
				assert_memory_equal(&back, &e, sizeof(e));
			}
	assert_int_equal(ends, 2 * r->n_cables);
	nrt_rack_count(r, &inner, &outer);
	assert_int_equal(inner + outer, r->n_cables);
}

/* Write @r as a rack file and parse it again: the same cables. */
static void check_round_trip(const struct nrt_rack *r)
{
	char *text = NULL, err[NRT_RACK_ERR_LEN];
	struct nrt_rack again;
	size_t len = 0, i;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	assert_int_equal(nrt_rack_write(out, r, "test"), 0);
	assert_int_equal(fclose(out), 0);
	if (parse(text, &again, err, sizeof(err)))
		fail_msg("%s", err);
	assert_string_equal(again.name, r->name);
	assert_int_equal(again.n_cables, r->n_cables);
	for (i = 0; i < r->n_cables; i++) {
		assert_memory_equal(&again.cables[i].a, &r->cables[i].a, sizeof(r->cables[i].a));
		assert_memory_equal(&again.cables[i].b, &r->cables[i].b, sizeof(r->cables[i].b));
	}
	nrt_rack_free(&again);
	free(text);
}

static void test_gen_ultraserver(void **state)
{
	struct nrt_topo_shape torus = { NRT_TOPO_TORUS, 4, 4 };
	struct nrt_rack_end e, far;
	char err[NRT_RACK_ERR_LEN];
	size_t inner, outer;
	struct nrt_rack r;
	uint32_t pc;
	unsigned int pp;

	(void)state;
	assert_int_equal(nrt_rack_gen("ultraserver", &r, err, sizeof(err)), 0);
	assert_string_equal(r.name, "ultraserver");
	assert_int_equal(r.hosts, 4);
	assert_int_equal(r.chips, 16);
	assert_int_equal(r.ports, 6);
	nrt_rack_count(&r, &inner, &outer);
	assert_int_equal(inner, 4 * 32);
	assert_int_equal(outer, 4 * 16);
	check_symmetric(&r);
	check_round_trip(&r);
	/* Within every host, ports 0 to 3: exactly nrt-ls's torus:4x4. */
	for (e.host = 0; e.host < 4; e.host++)
		for (e.chip = 0; e.chip < 16; e.chip++)
			for (e.port = 0; e.port < 4; e.port++) {
				assert_true(nrt_rack_far(&r, &e, &far));
				assert_true(nrt_topo_expected_peer(&torus, e.chip, e.port,
								   &pc, &pp));
				assert_int_equal(far.host, e.host);
				assert_int_equal(far.chip, pc);
				assert_int_equal(far.port, pp);
			}
	/* Ports 4 and 5: a ring of the hosts through each chip position. */
	e = (struct nrt_rack_end){ 3, 5, 4 };
	assert_true(nrt_rack_far(&r, &e, &far));
	assert_int_equal(far.host, 0);
	assert_int_equal(far.chip, 5);
	assert_int_equal(far.port, 5);
	nrt_rack_free(&r);
}

static void test_gen_shapes(void **state)
{
	static const char *const bad[] = {
		"torus-ring:", "torus-ring:4x4", "torus-ring:4x4x4x4", "torus-ring:0x4x4",
		"torus-ring:2x1x4", "torus-ring:2x4x", "torus-ring:x2x4x4", "torus-ring:2xx4",
		"torus-ring:2000x2x2", "torus-ring:1x128x64", "mesh", "",
	};
	char err[NRT_RACK_ERR_LEN];
	struct nrt_rack r;
	size_t i;

	(void)state;
	assert_int_equal(nrt_rack_gen("rack144", &r, err, sizeof(err)), 0);
	assert_int_equal(r.hosts * r.chips, 144);
	check_symmetric(&r);
	check_round_trip(&r);
	nrt_rack_free(&r);

	/* Two hosts: two cables between same-position chips; one: no ring. */
	assert_int_equal(nrt_rack_gen("torus-ring:2x2x3", &r, err, sizeof(err)), 0);
	assert_string_equal(r.name, "torus-ring-2x2x3");
	assert_int_equal(r.n_cables, 2 * 12 + 2 * 6);
	check_symmetric(&r);
	nrt_rack_free(&r);
	assert_int_equal(nrt_rack_gen("torus-ring:1x2x2", &r, err, sizeof(err)), 0);
	assert_int_equal(r.ports, 4);
	assert_int_equal(r.n_cables, 8);
	check_symmetric(&r);
	nrt_rack_free(&r);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (nrt_rack_gen(bad[i], &r, err, sizeof(err)) != -1)
			fail_msg("shape '%s' accepted", bad[i]);
		assert_non_null(strstr(err, "nrt-rack gen: "));
	}
}

static void test_list(void **state)
{
	static const char text[] = "rack x\nhosts 2\nchips 2\nports 2\n"
				   "cable 1.1.1 0.0.0\ncable 0.1.0 0.0.1\n";
	char err[NRT_RACK_ERR_LEN], *out_text = NULL;
	struct nrt_rack r;
	size_t len = 0;
	FILE *out = open_memstream(&out_text, &len);

	(void)state;
	assert_non_null(out);
	assert_int_equal(parse(text, &r, err, sizeof(err)), 0);
	assert_int_equal(nrt_rack_list(out, &r), 0);
	assert_int_equal(fclose(out), 0);
	assert_string_equal(out_text, "hosts 2 chips 2 ports 2\n"
				      "cable 0.0.0 1.1.1\n"
				      "cable 0.0.1 0.1.0\n");
	free(out_text);
	nrt_rack_free(&r);
}

/* --- nrt-ls --expect FILE ------------------------------------------------ */

#define NL 16

/* Host @host as the rack file says, seen from its devices: all up. */
static size_t wire_host(const struct nrt_rack *r, uint32_t host, nrt_link *v)
{
	struct nrt_rack_end e = { host, 0, 0 }, far;
	size_t n = 0;

	for (e.chip = 0; e.chip < r->chips; e.chip++)
		for (e.port = 0; e.port < r->ports; e.port++) {
			nrt_link *l = &v[n++];

			memset(l, 0, sizeof(*l));
			l->device = e.chip;
			l->chip_id = e.chip;
			l->host = host;
			l->port = e.port;
			l->peer_device = -1;
			if (!nrt_rack_far(r, &e, &far))
				continue;
			l->state = NRT_LINK_UP;
			l->has_peer = true;
			l->peer_host = far.host;
			l->peer_chip = far.chip;
			l->peer_port = far.port;
		}
	return n;
}

static void test_expect_rack(void **state)
{
	static const char text[] =
		"hosts 3\nchips 2\nports 3\n"
		"cable 1.0.0 1.1.0\n"
		"cable 1.0.1 0.0.1\n"
		"cable 1.1.1 2.1.1\n";
	struct nrt_topo_mismatch *mm;
	char err[NRT_RACK_ERR_LEN];
	struct nrt_rack r;
	nrt_link v[NL];
	uint32_t host;
	size_t n, nm;

	(void)state;
	assert_int_equal(parse(text, &r, err, sizeof(err)), 0);
	n = wire_host(&r, 1, v);
	assert_int_equal(nrt_ls_rack_host(&r, v, n, &host, err, sizeof(err)), 0);
	assert_int_equal(host, 1);
	assert_int_equal(nrt_ls_rack_chips(&r, 1), 2);
	assert_int_equal(nrt_ls_rack_compare(&r, 1, v, n, &mm, &nm), 0);
	assert_int_equal(nm, 0);
	assert_null(mm);

	/* The cable to host 2 lands on host 0 instead; another one is down. */
	v[4].peer_host = 0;     /* chip 1 port 1 */
	v[1].state = NRT_LINK_DOWN;
	v[1].has_peer = false;
	/* An up port the rack does not cable. */
	v[2].state = NRT_LINK_UP;
	v[2].has_peer = true;
	v[2].peer_host = 2;
	v[2].peer_chip = 0;
	v[2].peer_port = 2;
	assert_int_equal(nrt_ls_rack_compare(&r, 1, v, n, &mm, &nm), 0);
	assert_int_equal(nm, 3);
	assert_int_equal(mm[0].kind, NRT_TOPO_DOWN);
	assert_string_equal(mm[0].message,
			    "chip 0 port 1: down (expected host 0 chip 0 port 1)");
	assert_int_equal(mm[1].kind, NRT_TOPO_UNEXPECTED);
	assert_string_equal(mm[1].message,
			    "chip 0 port 2: unexpected link to host 2 chip 0 port 2");
	assert_int_equal(mm[2].kind, NRT_TOPO_MISWIRED);
	assert_true(mm[2].has_hosts);
	assert_int_equal(mm[2].expected_host, 2);
	assert_int_equal(mm[2].found_host, 0);
	assert_string_equal(mm[2].message,
			    "chip 1 port 1: expected host 2 chip 1 port 1, found host 0 chip 1 port 1");
	free(mm);

	/* Chip 1 has no ports here at all; chip 0 lost port 1. */
	n = wire_host(&r, 1, v);
	v[1] = v[0];
	v[1].port = 2;
	v[1].state = NRT_LINK_DOWN;
	v[1].has_peer = false;
	assert_int_equal(nrt_ls_rack_compare(&r, 1, v, 3, &mm, &nm), 0);
	assert_int_equal(nm, 2);
	assert_string_equal(mm[0].message,
			    "chip 0 port 1: missing (expected host 0 chip 0 port 1)");
	assert_string_equal(mm[1].message,
			    "chip 1: missing (no device with this chip id has link ports)");
	free(mm);

	/* The devices must agree on their host, which the rack must have. */
	n = wire_host(&r, 1, v);
	v[3].host = 2;
	assert_int_equal(nrt_ls_rack_host(&r, v, n, &host, err, sizeof(err)), -1);
	assert_string_equal(err, "the devices disagree on their host: device 0 is on host 1, device 1 on host 2");
	n = wire_host(&r, 2, v);
	v[0].host = v[1].host = v[2].host = v[3].host = v[4].host = v[5].host = 7;
	assert_int_equal(nrt_ls_rack_host(&r, v, n, &host, err, sizeof(err)), -1);
	assert_string_equal(err, "this is host 7, and the rack has 3 hosts");
	nrt_rack_free(&r);
}

/* A torus shape is one host's: a far end on another host does not match. */
static void test_shape_other_host(void **state)
{
	struct nrt_topo_shape ring = { NRT_TOPO_RING, 1, 2 };
	struct nrt_topo_mismatch *mm;
	nrt_link v[5];
	size_t nm, i;

	(void)state;
	memset(v, 0, sizeof(v));
	for (i = 0; i < 4; i++) {
		v[i].device = (unsigned int)i / 2;
		v[i].chip_id = (uint32_t)i / 2;
		v[i].port = (unsigned int)i % 2;
		v[i].state = NRT_LINK_UP;
		v[i].has_peer = true;
		v[i].peer_chip = 1 - (uint32_t)i / 2;
		v[i].peer_port = 1 - (uint32_t)i % 2;
		v[i].peer_device = -1;
	}
	assert_int_equal(nrt_topo_compare(&ring, v, 4, &mm, &nm), 0);
	assert_int_equal(nm, 0);
	v[0].peer_host = 3;
	assert_int_equal(nrt_topo_compare(&ring, v, 4, &mm, &nm), 0);
	assert_int_equal(nm, 1);
	assert_string_equal(mm[0].message,
			    "chip 0 port 0: expected chip 1 port 1, found host 3 chip 1 port 1");
	free(mm);
	/* A port the shape does not use, up to another host. */
	v[4] = v[0];
	v[4].port = 2;
	v[4].peer_chip = 5;
	assert_int_equal(nrt_topo_compare(&ring, v, 5, &mm, &nm), 0);
	assert_int_equal(nm, 2);
	assert_string_equal(mm[1].message,
			    "chip 0 port 2: unexpected link to host 3 chip 5 port 1");
	assert_true(mm[1].has_hosts);
	free(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_gen_ultraserver),
		cmocka_unit_test(test_gen_shapes),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_expect_rack),
		cmocka_unit_test(test_shape_other_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
