// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of nrt-diag's report (tools/nrt_diag.c) and of its level 1
 * (tools/nrt_diag_sys.c) against a fake sysfs tree: healthy devices pass,
 * an uncorrectable ECC error, a wedged device, a hot one, a degraded PCIe
 * link and an unbound function fail with the device named, and the
 * attributes a driver lacks are skipped, never failed.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json.h>

#include "fake_fs.h"
#include "nrt_diag.h"
#include "nrt_diag_sys.h"
#include "nrt_facts.h"

struct tree {
	char root[64];
	char sys[PATH_MAX];
	char dev[PATH_MAX];
};

static void put(struct tree *t, const char *bdf, const char *rel, const char *text)
{
	char path[PATH_MAX], dir[PATH_MAX];
	char *slash;

	xsnprintf(path, sizeof(path), "%s/bus/pci/devices/%s/%s", t->sys, bdf, rel);
	xsnprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	mkdir_p(dir);
	write_file(path, text, 0444);
}

/* A trn PCI function; @driver NULL: unbound. */
static void add_fn(struct tree *t, const char *bdf, const char *driver)
{
	char path[PATH_MAX], target[PATH_MAX];

	put(t, bdf, "vendor", "0x1af4\n");
	put(t, bdf, "device", "0x10f0\n");
	if (!driver)
		return;
	xsnprintf(path, sizeof(path), "%s/bus/pci/drivers/%s", t->sys, driver);
	mkdir_p(path);
	xsnprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", t->sys, bdf);
	xsnprintf(target, sizeof(target), "../../drivers/%s", driver);
	make_link(target, path);
	if (strcmp(driver, "trn"))
		return;
	/* As the driver core links it: drivers/trn/module -> the module's directory */
	xsnprintf(path, sizeof(path), "%s/bus/pci/drivers/trn/module", t->sys);
	if (access(path, F_OK))
		make_link("../../../../module/trn", path);
	put(t, bdf, "chip_id", "0\n");
	put(t, bdf, "stats/ecc_corrected", "0\n");
	put(t, bdf, "stats/ecc_uncorrected", "0\n");
	put(t, bdf, "hwmon/hwmon3/name", "trn\n");
	put(t, bdf, "hwmon/hwmon3/temp1_input", "39000\n");
	put(t, bdf, "hwmon/hwmon3/temp1_max", "85000\n");
	put(t, bdf, "hwmon/hwmon3/power1_input", "60000000\n");
	put(t, bdf, "hwmon/hwmon3/power1_rated_max", "270000000\n");
	put(t, bdf, "current_link_speed", "16.0 GT/s PCIe\n");
	put(t, bdf, "max_link_speed", "16.0 GT/s PCIe\n");
	put(t, bdf, "current_link_width", "16\n");
	put(t, bdf, "max_link_width", "16\n");
	put(t, bdf, "aer_dev_fatal", "Undefined 0\nTOTAL_ERR_FATAL 0\n");
	put(t, bdf, "aer_dev_nonfatal", "TOTAL_ERR_NONFATAL 0\n");
	put(t, bdf, "aer_dev_correctable", "RxErr 4\nTOTAL_ERR_COR 4\n");
}

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	char path[PATH_MAX];

	if (!t || fake_fs_tmpdir(t->root, sizeof(t->root), "nrt-diag"))
		return -1;
	snprintf(t->sys, sizeof(t->sys), "%s/sys", t->root);
	snprintf(t->dev, sizeof(t->dev), "%s/dev", t->root);
	xsnprintf(path, sizeof(path), "%s/module/trn", t->sys);
	mkdir_p(path);
	xsnprintf(path, sizeof(path), "%s/module/trn/version", t->sys);
	write_file(path, "0.5.0\n", 0444);
	mkdir_p(t->dev);
	/* No device nodes: libnrt lists none, level 1 reads sysfs only. */
	if (setenv("NRT_SYSFS_ROOT", t->sys, 1) || setenv("NRT_DEV_ROOT", t->dev, 1))
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	int ret;

	unsetenv("NRT_SYSFS_ROOT");
	unsetenv("NRT_DEV_ROOT");
	ret = fake_fs_remove(t->root);
	free(t);
	return ret;
}

static void run_level1(struct tree *t, struct nrt_diag_report *r, long expect_devices)
{
	struct nrt_diag_opts o = {
		.level = 1, .expect_devices = expect_devices, .min_relative = 0.25,
		.sysfs = t->sys,
	};

	memset(r, 0, sizeof(*r));
	r->level = 1;
	nrt_diag_level1(r, &o);
}

/* The result of @check for @bdf, or NULL. */
static const struct nrt_diag_result *find(const struct nrt_diag_report *r,
					  const char *check, const char *bdf)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].check, check) && !strcmp(r->v[i].pci_bdf, bdf))
			return &r->v[i];
	return NULL;
}

static void expect(const struct nrt_diag_report *r, const char *check, const char *bdf,
		   enum nrt_diag_status st, const char *text)
{
	const struct nrt_diag_result *res = find(r, check, bdf);

	if (!res)
		fail_msg("no %s result for %s", check, bdf);
	if (res->status != st || !strstr(res->message, text))
		fail_msg("%s %s: %s \"%s\", want %s with \"%s\"", check, bdf,
			 nrt_diag_status_name(res->status), res->message,
			 nrt_diag_status_name(st), text);
	if (st == NRT_DIAG_FAIL && !res->remedy[0])
		fail_msg("%s %s: a failure without a remedy", check, bdf);
}

static void test_healthy(void **state)
{
	struct tree *t = *state;
	struct nrt_diag_report r;

	add_fn(t, "0000:01:00.0", "trn");
	add_fn(t, "0000:02:00.0", "trn");
	run_level1(t, &r, 2);
	assert_int_equal(nrt_diag_verdict(&r), NRT_DIAG_HEALTHY);
	expect(&r, "bound", "0000:02:00.0", NRT_DIAG_PASS, "bound to trn 0.5.0");
	expect(&r, "devices", "", NRT_DIAG_PASS, "2 devices bound to trn");
	expect(&r, "ecc", "0000:01:00.0", NRT_DIAG_PASS, "no uncorrectable");
	expect(&r, "temperature", "0000:01:00.0", NRT_DIAG_PASS, "39.0 °C");
	expect(&r, "power", "0000:01:00.0", NRT_DIAG_PASS, "60.0 W");
	expect(&r, "pcie", "0000:01:00.0", NRT_DIAG_PASS, "16.0 GT/s x16");
	expect(&r, "aer", "0000:01:00.0", NRT_DIAG_PASS, "(4 corrected)");
	/* What this driver does not have is skipped, and says so. */
	expect(&r, "wedged", "0000:01:00.0", NRT_DIAG_SKIP, "not supported by this driver");
	expect(&r, "throttle", "0000:01:00.0", NRT_DIAG_SKIP, "no throttle_reasons");
	nrt_diag_report_free(&r);
}

static void test_failures(void **state)
{
	struct tree *t = *state;
	struct nrt_diag_report r;

	add_fn(t, "0000:01:00.0", "trn");
	add_fn(t, "0000:02:00.0", "trn");
	add_fn(t, "0000:03:00.0", "trn");
	add_fn(t, "0000:04:00.0", NULL);
	add_fn(t, "0000:05:00.0", "vfio-pci");
	put(t, "0000:01:00.0", "stats/ecc_uncorrected", "3\n");
	put(t, "0000:02:00.0", "wedged", "1\n");
	put(t, "0000:02:00.0", "throttle_reasons", "thermal,power_cap\n");
	put(t, "0000:02:00.0", "hwmon/hwmon3/temp1_input", "91000\n");
	put(t, "0000:03:00.0", "current_link_speed", "2.5 GT/s PCIe\n");
	put(t, "0000:03:00.0", "current_link_width", "4\n");
	put(t, "0000:03:00.0", "aer_dev_fatal", "TOTAL_ERR_FATAL 1\n");
	put(t, "0000:03:00.0", "wedged", "0\n");
	put(t, "0000:03:00.0", "reset_count", "2\n");
	put(t, "0000:03:00.0", "throttle_reasons", "none\n");
	run_level1(t, &r, 4);
	assert_int_equal(nrt_diag_verdict(&r), NRT_DIAG_UNHEALTHY);
	expect(&r, "ecc", "0000:01:00.0", NRT_DIAG_FAIL, "3 uncorrectable ECC errors");
	expect(&r, "wedged", "0000:02:00.0", NRT_DIAG_FAIL, "marked the device wedged");
	expect(&r, "throttle", "0000:02:00.0", NRT_DIAG_WARN, "thermal,power_cap");
	expect(&r, "temperature", "0000:02:00.0", NRT_DIAG_FAIL, "91.0 °C");
	expect(&r, "pcie", "0000:03:00.0", NRT_DIAG_FAIL,
	       "link degraded: 2.5 GT/s x4, capable of 16.0 GT/s x16");
	expect(&r, "aer", "0000:03:00.0", NRT_DIAG_FAIL, "1 fatal");
	expect(&r, "wedged", "0000:03:00.0", NRT_DIAG_PASS, "not wedged (2 resets)");
	expect(&r, "throttle", "0000:03:00.0", NRT_DIAG_PASS, "not throttled");
	expect(&r, "bound", "0000:04:00.0", NRT_DIAG_FAIL, "not bound to any driver");
	expect(&r, "bound", "0000:05:00.0", NRT_DIAG_FAIL, "bound to vfio-pci, not trn");
	expect(&r, "devices", "", NRT_DIAG_FAIL, "3 devices bound to trn, 4 expected");
	nrt_diag_report_free(&r);
}

/* Retired pages (interface 1.6): a pending one fails, retired ones do not. */
static void test_retired_pages(void **state)
{
	struct tree *t = *state;
	struct nrt_diag_report r;

	add_fn(t, "0000:01:00.0", "trn");
	add_fn(t, "0000:02:00.0", "trn");
	put(t, "0000:01:00.0", "retired_pages", "0x3fff000\n0x2000\n");
	put(t, "0000:01:00.0", "retired_pages_pending", "");
	put(t, "0000:02:00.0", "retired_pages", "");
	put(t, "0000:02:00.0", "retired_pages_pending", "0x5000\n");
	run_level1(t, &r, 2);
	assert_int_equal(nrt_diag_verdict(&r), NRT_DIAG_UNHEALTHY);
	expect(&r, "ecc", "0000:01:00.0", NRT_DIAG_PASS,
	       "no uncorrectable ECC error (0 corrected, 2 HBM pages retired)");
	expect(&r, "ecc", "0000:02:00.0", NRT_DIAG_FAIL,
	       "1 HBM page with an uncorrectable error still in use");
	nrt_diag_report_free(&r);
}

/* A full error log: pages the driver cannot retire fail, before all else. */
static void test_unlogged_pages(void **state)
{
	struct tree *t = *state;
	struct nrt_diag_report r;

	add_fn(t, "0000:01:00.0", "trn");
	add_fn(t, "0000:02:00.0", "trn");
	put(t, "0000:01:00.0", "retired_pages", "0x2000\n");
	put(t, "0000:01:00.0", "retired_pages_pending", "0x5000\n");
	put(t, "0000:01:00.0", "unlogged_pages", "3\n");
	put(t, "0000:02:00.0", "retired_pages", "0x2000\n");
	put(t, "0000:02:00.0", "retired_pages_pending", "");
	put(t, "0000:02:00.0", "unlogged_pages", "0\n");
	run_level1(t, &r, 2);
	assert_int_equal(nrt_diag_verdict(&r), NRT_DIAG_UNHEALTHY);
	expect(&r, "ecc", "0000:01:00.0", NRT_DIAG_FAIL,
	       "3 HBM pages with an uncorrectable error not retired: the device's error log is full");
	expect(&r, "ecc", "0000:02:00.0", NRT_DIAG_PASS,
	       "no uncorrectable ECC error (0 corrected, 1 HBM page retired)");
	nrt_diag_report_free(&r);
}

/*
 * The power cap (interface 1.8): throttling is a warning whose remedy names
 * its cause; power a little above the cap passes (the device holds its
 * average there), far above it for a second fails, unless the device is
 * throttled by the cap: then it is at its slowest, and that warns.
 */
static void test_power_cap(void **state)
{
	struct tree *t = *state;
	struct nrt_diag_report r;
	const struct nrt_diag_result *res;

	add_fn(t, "0000:01:00.0", "trn");
	add_fn(t, "0000:02:00.0", "trn");
	add_fn(t, "0000:03:00.0", "trn");
	add_fn(t, "0000:04:00.0", "trn");
	put(t, "0000:04:00.0", "throttle_reasons", "power_cap\n");
	put(t, "0000:04:00.0", "hwmon/hwmon3/power1_cap", "65000000\n");
	put(t, "0000:04:00.0", "hwmon/hwmon3/power1_input", "90000000\n");
	put(t, "0000:01:00.0", "throttle_reasons", "power_cap\n");
	put(t, "0000:01:00.0", "hwmon/hwmon3/power1_cap", "100000000\n");
	put(t, "0000:01:00.0", "hwmon/hwmon3/power1_input", "110000000\n");
	put(t, "0000:02:00.0", "throttle_reasons", "none\n");
	put(t, "0000:02:00.0", "hwmon/hwmon3/power1_cap", "65000000\n");
	put(t, "0000:02:00.0", "hwmon/hwmon3/power1_input", "90000000\n");
	put(t, "0000:03:00.0", "throttle_reasons", "thermal\n");
	run_level1(t, &r, 4);
	assert_int_equal(nrt_diag_verdict(&r), NRT_DIAG_UNHEALTHY);
	expect(&r, "power", "0000:04:00.0", NRT_DIAG_WARN,
	       "90.0 W, above its cap of 65.0 W while throttled by it");
	expect(&r, "throttle", "0000:01:00.0", NRT_DIAG_WARN, "throttled: power_cap");
	res = find(&r, "throttle", "0000:01:00.0");
	assert_non_null(strstr(res->remedy, "power1_cap"));
	expect(&r, "power", "0000:01:00.0", NRT_DIAG_PASS, "110.0 W, cap 100.0 W");
	expect(&r, "power", "0000:02:00.0", NRT_DIAG_FAIL,
	       "90.0 W, more than 125% of its cap of 65.0 W for 1.0 s");
	expect(&r, "throttle", "0000:03:00.0", NRT_DIAG_WARN, "throttled: thermal");
	res = find(&r, "throttle", "0000:03:00.0");
	assert_non_null(strstr(res->remedy, "cooling"));
	expect(&r, "power", "0000:03:00.0", NRT_DIAG_PASS, "60.0 W, rating 270.0 W");
	nrt_diag_report_free(&r);
}

static void test_no_driver(void **state)
{
	struct tree *t = *state;
	struct nrt_diag_report r;
	char path[PATH_MAX];

	/* No device at all: nothing to check. */
	run_level1(t, &r, -1);
	assert_int_equal(nrt_diag_verdict(&r), NRT_DIAG_NOT_RUN);
	assert_non_null(strstr(r.not_run_why, "no trn device"));
	nrt_diag_report_free(&r);

	/* A device and no module: unhealthy. */
	add_fn(t, "0000:01:00.0", NULL);
	xsnprintf(path, sizeof(path), "%s/module", t->sys);
	assert_int_equal(fake_fs_remove(path), 0);
	run_level1(t, &r, -1);
	assert_int_equal(nrt_diag_verdict(&r), NRT_DIAG_UNHEALTHY);
	expect(&r, "driver", "", NRT_DIAG_FAIL, "not loaded");
	nrt_diag_report_free(&r);
}

static char *capture_brief(const struct nrt_diag_report *r, bool json)
{
	struct json_object *doc;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	if (json) {
		doc = nrt_diag_json(r);
		assert_non_null(doc);
		fputs(json_object_to_json_string(doc), f);
		json_object_put(doc);
	} else {
		assert_int_equal(nrt_diag_print_brief(f, r), 0);
	}
	assert_int_equal(fclose(f), 0);
	return text;
}

/* Device @minor of @bdf visible to libnrt: its class link and a node. */
static void add_accel(struct tree *t, unsigned int minor, const char *bdf)
{
	char path[PATH_MAX], target[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s/class/accel/accel%u", t->sys, minor);
	mkdir_p(path);
	xsnprintf(path, sizeof(path), "%s/class/accel/accel%u/device", t->sys, minor);
	xsnprintf(target, sizeof(target), "../../../bus/pci/devices/%s", bdf);
	make_link(target, path);
	xsnprintf(path, sizeof(path), "%s/accel", t->dev);
	mkdir_p(path);
	xsnprintf(path, sizeof(path), "%s/accel/accel%u", t->dev, minor);
	write_file(path, "", 0666);
}

/*
 * --expect FILE, a rack: host 1 of two, each of one chip of two ports;
 * port 0 to the other host, port 1 unused. The cable leads to host 0 as
 * the file says; then to a chip of another host than the file's.
 */
static void test_rack(void **state)
{
	static const char text[] = "rack duo\nhosts 3\nchips 1\nports 2\ncable 0.0.0 1.0.0\n";
	struct tree *t = *state;
	char err[NRT_RACK_ERR_LEN];
	struct nrt_diag_report r;
	struct nrt_rack rack;
	unsigned int i;
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	struct nrt_diag_opts o = {
		.level = 1, .expect_devices = -1, .min_relative = 0.25,
		.sysfs = t->sys, .have_expect = true, .rack = &rack,
	};

	(void)state;
	assert_non_null(in);
	assert_int_equal(nrt_rack_parse(in, "duo", &rack, err, sizeof(err)), 0);
	fclose(in);
	add_fn(t, "0000:01:00.0", "trn");
	add_accel(t, 0, "0000:01:00.0");
	put(t, "0000:01:00.0", "host_id", "1\n");
	put(t, "0000:01:00.0", "link0/state", "up\n");
	put(t, "0000:01:00.0", "link0/peer_chip", "0\n");
	put(t, "0000:01:00.0", "link0/peer_port", "0\n");
	put(t, "0000:01:00.0", "link0/peer_host", "0\n");
	put(t, "0000:01:00.0", "link1/state", "down\n");
	for (i = 0; i < 2; i++) {
		memset(&r, 0, sizeof(r));
		r.level = 1;
		nrt_diag_level1(&r, &o);
		if (!i)
			expect(&r, "links", "", NRT_DIAG_PASS,
			       "duo host 1: all 1 chips wired as expected, all links up");
		else
			expect(&r, "links", "0000:01:00.0", NRT_DIAG_FAIL,
			       "chip 0 port 0: expected host 0 chip 0 port 0, found host 2 chip 0 port 0 (miswired, duo host 1)");
		nrt_diag_report_free(&r);
		/* Chip 0 of host 2, not of host 0: the same chip and port numbers. */
		put(t, "0000:01:00.0", "link0/peer_host", "2\n");
	}
	nrt_rack_free(&rack);
}

static void test_report(void **state)
{
	struct nrt_diag_report r = { .level = 2 };
	struct nrt_diag_result *res;
	struct json_object *doc, *checks, *v;
	char *text;

	(void)state;
	assert_int_equal(nrt_diag_verdict(&r), NRT_DIAG_HEALTHY);
	text = capture_brief(&r, false);
	assert_string_equal(text, "healthy\n");
	free(text);

	nrt_diag_add(&r, "ecc", 1, 1, "0000:02:00.0", NRT_DIAG_FAIL, "reset it",
		     "%d uncorrectable ECC errors", 3);
	res = nrt_diag_add(&r, "dma", 2, 0, "0000:01:00.0", NRT_DIAG_PASS, NULL, "fast");
	res->has_value = true;
	res->value = 1234.5;
	snprintf(res->unit, sizeof(res->unit), "MB/s");
	nrt_diag_add(&r, "links", 1, -1, NULL, NRT_DIAG_FAIL, "recable", "miswired");
	nrt_diag_not_run(&r, "no permission");
	/* A failure found outweighs what could not run. */
	assert_int_equal(nrt_diag_verdict(&r), NRT_DIAG_UNHEALTHY);
	text = capture_brief(&r, false);
	assert_string_equal(text,
			    "unhealthy: ecc: device 1 (0000:02:00.0): 3 uncorrectable ECC errors; links: node: miswired\n");
	free(text);

	text = capture_brief(&r, true);
	doc = json_tokener_parse(text);
	assert_non_null(doc);
	assert_int_equal(json_object_get_int(json_object_object_get(doc, "exit_status")), 1);
	assert_string_equal(json_object_get_string(json_object_object_get(doc, "verdict")),
			    "unhealthy");
	checks = json_object_object_get(doc, "checks");
	assert_int_equal(json_object_array_length(checks), 3);
	v = json_object_array_get_idx(checks, 1);
	assert_true(json_object_get_double(json_object_object_get(v, "value")) == 1234.5);
	assert_true(json_object_is_type(json_object_object_get(v, "remedy"), json_type_null));
	v = json_object_array_get_idx(checks, 2);
	assert_true(json_object_is_type(json_object_object_get(v, "device"), json_type_null));
	json_object_put(doc);
	free(text);
	nrt_diag_report_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_healthy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retired_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlogged_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_power_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_driver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rack, setup, teardown),
		cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
