// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of the nrt-ls output formatting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json.h>

#include "nrt_ls_fmt.h"

#define GIB (UINT64_C(1) << 30)
#define MIB (UINT64_C(1) << 20)

static int table(FILE *out, const struct nrt_ls_row *rows, size_t n)
{
	return nrt_ls_print_table(out, rows, n, false);
}

static int json(FILE *out, const struct nrt_ls_row *rows, size_t n)
{
	return nrt_ls_print_json(out, rows, n, NULL);
}

/* Run a printer into memory and return what it printed (caller frees). */
static char *capture(int (*print)(FILE *, const struct nrt_ls_row *, size_t),
		     const struct nrt_ls_row *rows, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	out = open_memstream(&text, &len);
	assert_non_null(out);
	assert_int_equal(print(out, rows, n), 0);
	assert_int_equal(fclose(out), 0);
	assert_non_null(text);
	return text;
}

static struct nrt_ls_row make_row(unsigned int index, const char *bdf,
				  uint32_t cores, uint64_t hbm, int numa,
				  unsigned int speed_dgts, unsigned int width)
{
	struct nrt_ls_row r;

	memset(&r, 0, sizeof(r));
	nrt_facts_init(&r.facts);
	r.index = index;
	r.minor = index;
	snprintf(r.pci_bdf, sizeof(r.pci_bdf), "%s", bdf);
	snprintf(r.device_node, sizeof(r.device_node), "/dev/accel/accel%u",
		 index);
	r.chip_id = index;
	r.neuron_cores = cores;
	r.hbm_bytes = hbm;
	r.numa_node = numa;
	r.link_speed_dgts = speed_dgts;
	r.link_width = width;
	r.hw_version_major = 1;
	r.hw_version_minor = 0;
	r.driver_version_major = 0;
	r.driver_version_minor = 1;
	r.driver_version_patch = 0;
	return r;
}

/* --- links ------------------------------------------------------------ */

/* The PCI core's link speeds and AER counts (tools/nrt_facts.c). */
static void test_sysfs_formats(void **state)
{
	(void)state;

	assert_int_equal(nrt_facts_parse_speed("2.5 GT/s PCIe"), 25);
	assert_int_equal(nrt_facts_parse_speed("8.0 GT/s PCIe"), 80);
	assert_int_equal(nrt_facts_parse_speed("32.0 GT/s PCIe"), 320);
	assert_int_equal(nrt_facts_parse_speed("5 GT/s"), 50);
	assert_int_equal(nrt_facts_parse_speed("64.0 GT/s PCIe\n"), 640);
	assert_int_equal(nrt_facts_parse_speed("Unknown"), 0);
	assert_int_equal(nrt_facts_parse_speed(""), 0);
	assert_int_equal(nrt_facts_parse_speed("8.0 MT/s"), 0);
	assert_true(nrt_facts_parse_aer("RxErr 0\nBadTLP 2\nTOTAL_ERR_COR 7\n") == 7);
	assert_true(nrt_facts_parse_aer("Undefined 0\nTOTAL_ERR_FATAL 0") == 0);
	assert_true(nrt_facts_parse_aer("RxErr 0\n") == NRT_FACT_NA);
	assert_true(nrt_facts_parse_aer("") == NRT_FACT_NA);
}

/* throttle_reasons (interface 1.8): parsed to bits and written back. */
static void test_throttle_reasons(void **state)
{
	static const struct {
		const char *text;
		bool ok;
		uint32_t mask;
		const char *back;
	} cases[] = {
		{ "none", true, 0, "none" },
		{ "power_cap", true, NRT_THROTTLE_POWER_CAP, "power_cap" },
		{ "thermal", true, NRT_THROTTLE_THERMAL, "thermal" },
		{ "power_cap,thermal", true, NRT_THROTTLE_POWER_CAP | NRT_THROTTLE_THERMAL,
		  "power_cap,thermal" },
		/* Any order in; bit order out */
		{ "thermal,power_cap", true, NRT_THROTTLE_POWER_CAP | NRT_THROTTLE_THERMAL,
		  "power_cap,thermal" },
		/* The driver's "unknown", and a newer driver's names */
		{ "power_cap,unknown", true, NRT_THROTTLE_POWER_CAP | NRT_THROTTLE_UNKNOWN,
		  "power_cap,unknown" },
		{ "sync_boost", true, NRT_THROTTLE_UNKNOWN, "unknown" },
		{ "thermal,sync_boost,hw_slowdown", true,
		  NRT_THROTTLE_THERMAL | NRT_THROTTLE_UNKNOWN, "thermal,unknown" },
		/* Not a reasons line */
		{ "", false, 0, "none" },
		{ ",", false, 0, "none" },
		{ "thermal,", false, 0, "none" },
		{ ",thermal", false, 0, "none" },
		{ "power_cap,,thermal", false, 0, "none" },
	};
	char buf[64], small[8];
	uint32_t m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m = 0xdead;
		assert_int_equal(nrt_facts_parse_throttle(cases[i].text, &m), cases[i].ok);
		assert_int_equal(m, cases[i].mask);
		assert_string_equal(nrt_facts_format_throttle(m, buf, sizeof(buf)),
				    cases[i].back);
	}
	assert_false(nrt_facts_parse_throttle(NULL, &m));
	/* Cut short, never overrun */
	nrt_facts_format_throttle(NRT_THROTTLE_POWER_CAP | NRT_THROTTLE_THERMAL, small,
				  sizeof(small));
	assert_string_equal(small, "power_c");
	nrt_facts_format_throttle(NRT_THROTTLE_THERMAL, small, 0);
}

static void check_link(unsigned int speed, unsigned int width,
		       const char *expect)
{
	char buf[NRT_LS_LINK_LEN];

	assert_ptr_equal(nrt_ls_format_link(speed, width, buf, sizeof(buf)), buf);
	assert_string_equal(buf, expect);
}

static void test_format_link(void **state)
{
	(void)state;

	check_link(320, 16, "32 GT/s x16");
	check_link(25, 1, "2.5 GT/s x1");
	check_link(50, 4, "5 GT/s x4");
	check_link(80, 8, "8 GT/s x8");
	check_link(160, 2, "16 GT/s x2");
	check_link(640, 32, "64 GT/s x32");
	check_link(0, 16, "-");
	check_link(320, 0, "-");
	check_link(0, 0, "-");
}

/* --- table ------------------------------------------------------------ */

static void test_table_one(void **state)
{
	struct nrt_ls_row row = make_row(0, "0000:01:00.0", 2, GIB, 0, 320, 16);
	char *text;

	(void)state;
	text = capture(table, &row, 1);
	assert_string_equal(text,
		"+--------+--------------+--------------+-------+-----------+-------------+--------+-------------------+\n"
		"| DEVICE | PCI BDF      | NEURON CORES | HBM   | NUMA NODE | PCIE LINK   | DRIVER | CONNECTED DEVICES |\n"
		"+--------+--------------+--------------+-------+-----------+-------------+--------+-------------------+\n"
		"| 0      | 0000:01:00.0 | 2            | 1 GiB | 0         | 32 GT/s x16 | 0.1.0  | -                 |\n"
		"+--------+--------------+--------------+-------+-----------+-------------+--------+-------------------+\n");
	free(text);
}

static void test_table_four(void **state)
{
	struct nrt_ls_row rows[4] = {
		make_row(0, "0000:01:00.0", 2, GIB, 0, 320, 16),
		make_row(1, "0000:02:00.0", 8, 96 * GIB, 1, 25, 1),
		make_row(2, "0000:81:00.0", 16, GIB + GIB / 2, -1, 0, 0),
		make_row(3, "0001:00:01.0", 128, 512 * MIB, 12, 80, 4),
	};
	char *text;

	(void)state;
	rows[3].driver_version_major = 10;
	rows[3].driver_version_minor = 20;
	rows[3].driver_version_patch = 300;

	text = capture(table, rows, 4);
	assert_string_equal(text,
		"+--------+--------------+--------------+---------+-----------+-------------+-----------+-------------------+\n"
		"| DEVICE | PCI BDF      | NEURON CORES | HBM     | NUMA NODE | PCIE LINK   | DRIVER    | CONNECTED DEVICES |\n"
		"+--------+--------------+--------------+---------+-----------+-------------+-----------+-------------------+\n"
		"| 0      | 0000:01:00.0 | 2            | 1 GiB   | 0         | 32 GT/s x16 | 0.1.0     | -                 |\n"
		"| 1      | 0000:02:00.0 | 8            | 96 GiB  | 1         | 2.5 GT/s x1 | 0.1.0     | -                 |\n"
		"| 2      | 0000:81:00.0 | 16           | 1.5 GiB | -         | -           | 0.1.0     | -                 |\n"
		"| 3      | 0001:00:01.0 | 128          | 512 MiB | 12        | 8 GT/s x4   | 10.20.300 | -                 |\n"
		"+--------+--------------+--------------+---------+-----------+-------------+-----------+-------------------+\n");
	free(text);
}

static void test_table_empty(void **state)
{
	char *text;

	(void)state;
	text = capture(table, NULL, 0);
	assert_string_equal(text,
		"+--------+---------+--------------+-----+-----------+-----------+--------+-------------------+\n"
		"| DEVICE | PCI BDF | NEURON CORES | HBM | NUMA NODE | PCIE LINK | DRIVER | CONNECTED DEVICES |\n"
		"+--------+---------+--------------+-----+-----------+-----------+--------+-------------------+\n"
		"+--------+---------+--------------+-----+-----------+-----------+--------+-------------------+\n");
	free(text);
}

/* --- JSON ------------------------------------------------------------- */

static struct json_object *get(struct json_object *obj, const char *key,
			       enum json_type type)
{
	struct json_object *val = NULL;

	if (!json_object_object_get_ex(obj, key, &val))
		fail_msg("key \"%s\" missing", key);
	if (!json_object_is_type(val, type))
		fail_msg("key \"%s\" has type %s, expected %s", key,
			 json_type_to_name(json_object_get_type(val)),
			 json_type_to_name(type));
	return val;
}

static void check_int(struct json_object *obj, const char *key, int64_t v)
{
	assert_int_equal(json_object_get_int64(get(obj, key, json_type_int)), v);
}

static void check_str(struct json_object *obj, const char *key, const char *v)
{
	assert_string_equal(json_object_get_string(get(obj, key, json_type_string)), v);
}

static struct json_object *parse(const char *text)
{
	enum json_tokener_error err;
	struct json_object *root;

	root = json_tokener_parse_verbose(text, &err);
	if (!root)
		fail_msg("invalid JSON (%s):\n%s", json_tokener_error_desc(err), text);
	return root;
}

static void test_json_devices(void **state)
{
	struct nrt_ls_row rows[3] = {
		make_row(0, "0000:01:00.0", 2, GIB, 0, 320, 16),
		make_row(1, "0000:02:00.0", 8, 96 * GIB, -1, 0, 0),
		make_row(2, "0000:03:00.0", 4, UINT64_MAX, 3, 25, 1),
	};
	struct json_object *root, *devices, *dev, *link, *speed, *ecc;
	char *text;

	(void)state;
	rows[1].minor = 7;
	rows[1].chip_id = UINT32_MAX;
	/* Device 0: the whole inventory; 1: none of it; 2: a degraded link. */
	snprintf(rows[0].facts.serial_number, 64, "TRN0000000A");
	snprintf(rows[0].facts.uuid, 64, "b5c2a0c4-1e64-4a5e-9d2a-0000000000c3");
	snprintf(rows[0].facts.firmware_version, 64, "1.2.3");
	rows[0].facts.link_speed_dgts = rows[0].facts.link_max_speed_dgts = 320;
	rows[0].facts.link_width = rows[0].facts.link_max_width = 16;
	rows[0].facts.aer_fatal = rows[0].facts.aer_nonfatal = 0;
	rows[0].facts.aer_correctable = 3;
	snprintf(rows[0].facts.local_cpulist, 256, "0-3");
	snprintf(rows[0].facts.compute_mode, 32, "shared");
	rows[0].facts.core_modes_known = true;
	rows[0].facts.exclusive_cores = (UINT64_C(1) << 1) | (UINT64_C(1) << 63);
	rows[0].facts.reset_count = 2;
	rows[0].facts.wedged = 0;
	rows[0].facts.ecc_corrected = 4;
	rows[0].facts.ecc_uncorrected = 1;
	rows[0].facts.ecc_corrected_aggregate = 9;
	rows[0].facts.ecc_uncorrected_aggregate = 3;
	rows[0].facts.retired_pages = 2;
	rows[0].facts.retired_pending = 1;
	rows[0].facts.power = 100500000;
	rows[0].facts.power_cap = 100000000;
	rows[0].facts.power_cap_min = 65000000;
	rows[0].facts.power_cap_max = 270000000;
	rows[0].facts.throttled_ns = 5000000000ULL;
	snprintf(rows[0].facts.throttle_reasons, 128, "power_cap");
	/* Device 2: a driver from before interface 1.6 */
	rows[2].facts.ecc_corrected = 0;
	rows[2].facts.ecc_uncorrected = 0;
	rows[2].facts.link_speed_dgts = 25;
	rows[2].facts.link_width = 1;
	rows[2].facts.link_max_speed_dgts = 80;
	rows[2].facts.link_max_width = 4;

	text = capture(json, rows, 3);
	/* Pretty printed, one document, paths not escaped. */
	assert_non_null(strchr(text, '\n'));
	assert_int_equal(text[strlen(text) - 1], '\n');
	assert_null(strstr(text, "\\/"));
	assert_non_null(strstr(text, "\"/dev/accel/accel0\""));

	root = parse(text);
	assert_true(json_object_is_type(root, json_type_object));
	assert_int_equal(json_object_object_length(root), 2);
	check_int(root, "schema_version", 5);
	devices = get(root, "devices", json_type_array);
	assert_int_equal(json_object_array_length(devices), 3);

	/* Everything known. */
	dev = json_object_array_get_idx(devices, 0);
	assert_true(json_object_is_type(dev, json_type_object));
	assert_int_equal(json_object_object_length(dev), 23);
	link = get(dev, "exclusive_cores", json_type_array);
	assert_int_equal(json_object_array_length(link), 2);
	assert_int_equal(json_object_get_int(json_object_array_get_idx(link, 0)), 1);
	assert_int_equal(json_object_get_int(json_object_array_get_idx(link, 1)), 63);
	check_str(dev, "serial_number", "TRN0000000A");
	/* Version 3: volatile and aggregate counts, retired pages */
	ecc = get(dev, "ecc", json_type_object);
	assert_int_equal(json_object_object_length(ecc), 6);
	check_int(ecc, "corrected", 4);
	check_int(ecc, "uncorrected", 1);
	check_int(ecc, "corrected_aggregate", 9);
	check_int(ecc, "uncorrected_aggregate", 3);
	check_int(ecc, "retired_pages", 2);
	check_int(ecc, "retired_pages_pending", 1);
	check_str(dev, "uuid", "b5c2a0c4-1e64-4a5e-9d2a-0000000000c3");
	check_str(dev, "firmware_version", "1.2.3");
	check_str(dev, "cpu_affinity", "0-3");
	check_int(get(dev, "aer", json_type_object), "fatal", 0);
	check_int(get(dev, "aer", json_type_object), "nonfatal", 0);
	check_int(get(dev, "aer", json_type_object), "correctable", 3);
	check_str(dev, "compute_mode", "shared");
	check_int(dev, "reset_count", 2);
	assert_false(json_object_get_boolean(get(dev, "wedged", json_type_boolean)));
	check_str(dev, "throttle_reasons", "power_cap");
	/* Version 4: the power cap, in watts */
	ecc = get(dev, "power", json_type_object);
	assert_int_equal(json_object_object_length(ecc), 5);
	assert_true(json_object_get_double(get(ecc, "power_w", json_type_double)) == 100.5);
	check_int(ecc, "cap_w", 100);
	check_int(ecc, "cap_min_w", 65);
	check_int(ecc, "cap_max_w", 270);
	check_int(ecc, "throttled_ns", 5000000000LL);
	check_int(dev, "index", 0);
	check_int(dev, "minor", 0);
	check_str(dev, "device_node", "/dev/accel/accel0");
	check_str(dev, "pci_bdf", "0000:01:00.0");
	check_int(dev, "chip_id", 0);
	check_int(dev, "neuron_cores", 2);
	check_int(dev, "hbm_bytes", (int64_t)GIB);
	check_int(dev, "numa_node", 0);
	link = get(dev, "pcie_link", json_type_object);
	assert_int_equal(json_object_object_length(link), 5);
	speed = get(link, "speed_gts", json_type_int);
	assert_int_equal(json_object_get_int(speed), 32);
	check_int(link, "width", 16);
	check_int(link, "max_speed_gts", 32);
	check_int(link, "max_width", 16);
	assert_false(json_object_get_boolean(get(link, "degraded", json_type_boolean)));
	check_str(dev, "hw_version", "1.0");
	check_str(dev, "driver_version", "0.1.0");

	/* NUMA node and link unknown: null, still present. */
	dev = json_object_array_get_idx(devices, 1);
	assert_int_equal(json_object_object_length(dev), 23);
	get(dev, "ecc", json_type_null);
	get(dev, "power", json_type_null);
	get(dev, "exclusive_cores", json_type_null);
	get(dev, "serial_number", json_type_null);
	get(dev, "uuid", json_type_null);
	get(dev, "firmware_version", json_type_null);
	get(dev, "cpu_affinity", json_type_null);
	get(dev, "aer", json_type_null);
	get(dev, "compute_mode", json_type_null);
	get(dev, "reset_count", json_type_null);
	get(dev, "wedged", json_type_null);
	get(dev, "throttle_reasons", json_type_null);
	check_int(dev, "index", 1);
	check_int(dev, "minor", 7);
	check_int(dev, "chip_id", UINT32_MAX);
	check_int(dev, "hbm_bytes", (int64_t)(96 * GIB));
	get(dev, "numa_node", json_type_null);
	get(dev, "pcie_link", json_type_null);

	/* Fractional link speed, HBM beyond INT64_MAX. */
	dev = json_object_array_get_idx(devices, 2);
	check_int(dev, "numa_node", 3);
	ecc = get(dev, "ecc", json_type_object);
	check_int(ecc, "uncorrected", 0);
	get(ecc, "uncorrected_aggregate", json_type_null);
	get(ecc, "retired_pages", json_type_null);
	link = get(dev, "pcie_link", json_type_object);
	speed = get(link, "speed_gts", json_type_double);
	assert_true(json_object_get_double(speed) == 2.5);
	check_int(link, "width", 1);
	check_int(link, "max_speed_gts", 8);
	check_int(link, "max_width", 4);
	assert_true(json_object_get_boolean(get(link, "degraded", json_type_boolean)));
	assert_true(json_object_get_uint64(get(dev, "hbm_bytes", json_type_int)) ==
		    UINT64_MAX);

	json_object_put(root);
	free(text);
}

static void test_json_empty(void **state)
{
	struct json_object *root, *devices;
	char *text;

	(void)state;
	text = capture(json, NULL, 0);
	root = parse(text);
	check_int(root, "schema_version", 5);
	devices = get(root, "devices", json_type_array);
	assert_int_equal(json_object_array_length(devices), 0);
	json_object_put(root);
	free(text);
}

/* --wide: the PROCESSES column and the "processes" members. */
static void test_wide(void **state)
{
	struct nrt_ls_json_extra x = { NULL, NULL, NULL };
	struct json_object *procs[2], *root, *devices, *p;
	struct nrt_ls_row rows[2];
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	memset(rows, 0, sizeof(rows));
	nrt_facts_init(&rows[0].facts);
	nrt_facts_init(&rows[1].facts);
	snprintf(rows[0].facts.uuid, 64, "b5c2a0c4-1e64-4a5e-9d2a-0000000000c3");
	snprintf(rows[0].facts.local_cpulist, 256, "0-3");
	rows[0].facts.aer_fatal = 1;
	rows[0].facts.aer_nonfatal = 0;
	rows[0].facts.aer_correctable = 12;
	rows[0].facts.wedged = 1;
	snprintf(rows[0].facts.compute_mode, 32, "exclusive_process");
	rows[0].facts.ecc_uncorrected = 0;
	rows[0].facts.ecc_uncorrected_aggregate = 2;
	rows[0].facts.retired_pages = 2;
	rows[0].facts.retired_pending = 0;
	snprintf(rows[0].pci_bdf, sizeof(rows[0].pci_bdf), "0000:01:00.0");
	snprintf(rows[0].processes, sizeof(rows[0].processes), "2417 python3, 2533 nrt_load");
	snprintf(rows[1].pci_bdf, sizeof(rows[1].pci_bdf), "0000:02:00.0");
	rows[1].index = 1;
	/* Cores in exclusive_process mode follow the device's mode. */
	snprintf(rows[1].facts.compute_mode, 32, "shared");
	rows[1].facts.core_modes_known = true;
	rows[1].facts.exclusive_cores = (UINT64_C(1) << 0) | (UINT64_C(1) << 3);

	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(nrt_ls_print_table(f, rows, 2, true), 0);
	assert_int_equal(nrt_ls_print_table(f, rows, 2, false), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(text,
			       "| CONNECTED DEVICES | SERIAL | UUID                                 | FIRMWARE | PCIE MAX | AER F/NF/C | CPU AFFINITY | MODE                                | ECC UE NOW/LIFE | PROCESSES                   |\n"));
	assert_non_null(strstr(text,
			       "| -                 | -      | b5c2a0c4-1e64-4a5e-9d2a-0000000000c3 | -        | -        | 1/0/12     | 0-3          | exclusive_process wedged            | 0/2 2 retired   | 2417 python3, 2533 nrt_load |\n"));
	assert_non_null(strstr(text,
			       "| -                 | -      | -                                    | -        | -        | -          | -            | shared, cores 0,3 exclusive_process | -               | -                           |\n"));
	/* The narrow table has no such column. */
	assert_non_null(strstr(text, "| CONNECTED DEVICES |\n"));
	free(text);

	procs[0] = json_object_new_array();
	p = json_object_new_object();
	json_object_object_add(p, "pid", json_object_new_int(2417));
	json_object_array_add(procs[0], p);
	procs[1] = NULL;
	x.dev_procs = procs;
	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(nrt_ls_print_json(f, rows, 2, &x), 0);
	assert_int_equal(fclose(f), 0);
	assert_null(procs[0]);
	root = parse(text);
	devices = get(root, "devices", json_type_array);
	p = get(json_object_array_get_idx(devices, 0), "processes", json_type_array);
	check_int(json_object_array_get_idx(p, 0), "pid", 2417);
	assert_false(json_object_object_get_ex(json_object_array_get_idx(devices, 1),
					       "processes", NULL));
	json_object_put(root);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sysfs_formats),
		cmocka_unit_test(test_throttle_reasons),
		cmocka_unit_test(test_format_link),
		cmocka_unit_test(test_table_one),
		cmocka_unit_test(test_table_four),
		cmocka_unit_test(test_table_empty),
		cmocka_unit_test(test_json_devices),
		cmocka_unit_test(test_json_empty),
		cmocka_unit_test(test_wide),
	};

	return cmocka_run_group_tests_name("nrt_ls_fmt", tests, NULL, NULL);
}
