// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of nrt-top's snapshots (nrt_top_snap.c): the collection from
 * fake sysfs and /proc trees (top_tree.c) and the rates between two.
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

/* --- collection -------------------------------------------------------------- */

static void collect_nothing(void **state)
{
	struct nrt_top_snap s;

	(void)state;
	collect(&s);
	assert_int_equal(s.num_devs, 0);
	assert_int_equal(s.num_procs, 0);
	assert_string_equal(s.error, "");
	assert_false(s.have_rates);
	nrt_top_snap_free(&s);
}

static void collect_devices(void **state)
{
	struct tree *t = *state;
	const struct nrt_top_dev *d;
	struct nrt_top_snap s;

	standard_tree(t);
	collect(&s);
	assert_int_equal(s.num_devs, 2);
	/* Indexed by PCI address, as libnrt does; the other driver's is left out. */
	d = &s.devs[0];
	assert_string_equal(d->pci_bdf, "0000:01:00.0");
	assert_string_equal(d->accel, "accel1");
	assert_int_equal(d->index, 0);
	assert_int_equal(d->minor, 1);
	assert_int_equal(d->chip_id, 11);
	assert_int_equal(d->num_cores, 2);
	assert_int_equal(d->hbm_size, GIB);
	assert_int_equal(d->hbm_used, 256 * MIB);
	assert_int_equal(d->host_used, 8 * MIB);
	assert_int_equal(d->buffer_objects, 12);
	assert_int_equal(d->ctr[NRT_TOP_DEV_JOBS_COMPLETED], 100);
	assert_int_equal(d->ctr[NRT_TOP_DEV_HBM_PEAK], 600);
	assert_int_equal(d->ctr[NRT_TOP_DEV_ECC_UNCORRECTED], 800);
	assert_int_equal(d->cores[1].ctr[NRT_TOP_CORE_BUSY_NS], 2000);
	assert_int_equal(d->cores[1].ctr[NRT_TOP_CORE_JOBS_TIMED_OUT], 2011);
	assert_true(d->cores[0].util < 0);
	assert_true(d->have_temp);
	assert_int_equal(d->temp_mc, 51500);
	assert_int_equal(d->temp_max_mc, 95000);
	assert_int_equal(d->temp_crit_mc, 105000);
	assert_int_equal(d->power_uw, 23400000);
	assert_int_equal(d->power_max_uw, 75000000);
	assert_int_equal(d->num_links, 0);

	d = &s.devs[1];
	assert_string_equal(d->pci_bdf, "0000:02:00.0");
	assert_int_equal(d->num_links, 2);
	assert_string_equal(d->links[0].state, "up");
	assert_int_equal(d->links[0].peer_chip, 3);
	assert_int_equal(d->links[0].peer_port, 1);
	assert_string_equal(d->links[0].peer_device, "accel3");
	assert_int_equal(d->links[0].speed_gbps, 100);
	assert_int_equal(d->links[0].tx_bytes, 1000);
	/* Empty peer files of a port that is down. */
	assert_string_equal(d->links[1].state, "down");
	assert_int_equal(d->links[1].peer_chip, -1);
	assert_int_equal(d->links[1].peer_port, -1);
	assert_string_equal(d->links[1].peer_device, "");
	assert_int_equal(d->links[1].err_crc, 1);

	/* Processes by pid, with their device; one on no known device. */
	assert_int_equal(s.num_procs, 3);
	assert_int_equal(s.procs[0].c.pid, 200);
	assert_int_equal(s.procs[0].dev, 1);
	assert_int_equal(s.procs[1].c.pid, 300);
	assert_int_equal(s.procs[1].dev, 0);
	assert_int_equal(s.procs[1].c.fd.hbm_resident, 64 * MIB);
	assert_int_equal(s.procs[2].dev, -1);
	nrt_top_snap_free(&s);
}

/* A driver without the new counters, a device with odd attributes. */
static void collect_old_driver(void **state)
{
	struct tree *t = *state;
	const struct nrt_top_dev *d;
	struct nrt_top_snap s;
	unsigned int i;

	add_accel(t, 0, "0000:01:00.0", "trn", 2, 1);
	attr(t, "0000:01:00.0", "hbm_used", "garbage");
	attr(t, "0000:01:00.0", "link0/tx_bytes", "-5");
	/* More cores than nrt-top keeps. */
	attr(t, "0000:01:00.0", "neuron_cores", "1000");
	collect(&s);
	assert_int_equal(s.num_devs, 1);
	d = &s.devs[0];
	assert_int_equal(d->num_cores, NRT_TOP_MAX_CORES);
	assert_int_equal(d->hbm_used, NRT_TOP_NA);
	assert_int_equal(d->links[0].tx_bytes, NRT_TOP_NA);
	for (i = 0; i < NRT_TOP_DEV_NCTRS; i++)
		assert_int_equal(d->ctr[i], NRT_TOP_NA);
	for (i = 0; i < NRT_TOP_CORE_NCTRS; i++)
		assert_int_equal(d->cores[1].ctr[i], NRT_TOP_NA);
	assert_false(d->have_temp);
	assert_int_equal(d->power_uw, NRT_TOP_NA);
	assert_int_equal(d->temp_max_mc, NRT_TOP_NA);
	nrt_top_snap_free(&s);
}

/* --- rates ------------------------------------------------------------------- */

static void rates(void **state)
{
	(void)state;
	assert_true(fabs(nrt_top_rate(100, 600, SEC / 2) - 1000) < 1e-9);
	/* Cleared or wrapped counters: zero, never negative. */
	assert_true(nrt_top_rate(600, 100, SEC) == 0);
	assert_true(nrt_top_rate(UINT64_MAX - 1, 5, SEC) == 0);
	/* Unknown. */
	assert_true(nrt_top_rate(NRT_TOP_NA, 5, SEC) < 0);
	assert_true(nrt_top_rate(5, NRT_TOP_NA, SEC) < 0);
	assert_true(nrt_top_rate(5, 6, 0) < 0);

	assert_true(fabs(nrt_top_ratio(0, SEC / 4, SEC, 1) - 0.25) < 1e-9);
	assert_true(fabs(nrt_top_ratio(0, SEC / 2, SEC, 2) - 0.25) < 1e-9);
	/* No capacity counts as one engine. */
	assert_true(fabs(nrt_top_ratio(0, SEC / 2, SEC, 0) - 0.5) < 1e-9);
	assert_true(fabs(nrt_top_ratio(0, SEC / 2, SEC, NRT_TOP_NA) - 0.5) < 1e-9);
	/* Clamped: a counter read a little later than the clock. */
	assert_true(nrt_top_ratio(0, 3 * SEC, SEC, 1) == 1);
	assert_true(nrt_top_ratio(SEC, 0, SEC, 1) == 0);
	assert_true(nrt_top_ratio(NRT_TOP_NA, 0, SEC, 1) < 0);
}

static void deltas(void **state)
{
	struct tree *t = *state;
	struct nrt_top_snap a, b;
	const struct nrt_top_dev *d;

	standard_tree(t);
	collect(&a);
	nrt_top_delta(&a, NULL);
	assert_false(a.have_rates);
	advance(t);
	collect_after(&b, &a, SEC);
	assert_true(b.have_rates);
	assert_true(fabs(b.interval_s - 1) < 1e-9);
	d = &b.devs[0];
	assert_true(fabs(d->cores[0].util - 0.5) < 1e-9);
	assert_true(d->cores[1].util == 0);
	assert_true(fabs(d->dma_bps - 3.0 * MIB) < 1e-6);
	assert_true(fabs(d->dma_util - 0.1) < 1e-9);
	/* No ports: no link rate. */
	assert_true(d->link_tx_bps < 0);
	d = &b.devs[1];
	assert_true(d->cores[0].util == 0);
	assert_true(fabs(d->links[0].tx_bps - 2.0 * MIB) < 1e-6);
	assert_true(d->links[1].tx_bps == 0);
	assert_true(fabs(d->link_tx_bps - 2.0 * MIB) < 1e-6);
	assert_true(d->link_rx_bps == 0);
	/* Process 300: one second of core time over two cores in one second. */
	assert_int_equal(b.procs[1].c.pid, 300);
	assert_true(fabs(b.procs[1].core_util - 0.5) < 1e-9);
	assert_true(b.procs[1].dma_util == 0);
	assert_true(b.procs[0].core_util == 0);

	/* A device or process that is new has no rates yet. */
	add_accel(t, 5, "0000:04:00.0", "trn", 1, 0);
	add_counters(t, "0000:04:00.0", 1);
	add_proc(t, 500, "new\n", "0000:04:00.0", 1, 4, 0);
	nrt_top_snap_free(&a);
	collect_after(&a, &b, SEC);
	assert_int_equal(a.num_devs, 3);
	assert_true(a.devs[2].cores[0].util < 0);
	assert_true(a.devs[2].dma_bps < 0);
	assert_int_equal(a.procs[3].c.pid, 500);
	assert_true(a.procs[3].core_util < 0);
	nrt_top_snap_free(&a);
	nrt_top_snap_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(collect_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(collect_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(collect_old_driver, setup, teardown),
		cmocka_unit_test(rates),
		cmocka_unit_test_setup_teardown(deltas, setup, teardown),
	};

	return cmocka_run_group_tests_name("nrt_top_snap", tests, NULL, NULL);
}
