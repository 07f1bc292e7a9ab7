// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of nrt-top's machine outputs: the JSON documents
 * (nrt_top_json.c) and the Prometheus exposition (nrt_top_prom.c) of
 * snapshots of fake trees (top_tree.c).
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

/* --- JSON --------------------------------------------------------------------- */

static struct json_object *json_of(const struct nrt_top_snap *s)
{
	struct json_object *doc;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(nrt_top_json_print(f, s), 0);
	assert_int_equal(fclose(f), 0);
	/* One document, one line. */
	assert_true(len > 0 && text[len - 1] == '\n');
	assert_null(memchr(text, '\n', len - 1));
	doc = json_tokener_parse(text);
	assert_non_null(doc);
	free(text);
	return doc;
}

static struct json_object *get(struct json_object *o, const char *path)
{
	char buf[256], *save = NULL, *tok;

	xsnprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
		if (isdigit((unsigned char)*tok)) {
			assert_true(json_object_is_type(o, json_type_array));
			assert_true((size_t)atoi(tok) < json_object_array_length(o));
			o = json_object_array_get_idx(o, (size_t)atoi(tok));
		} else if (!json_object_object_get_ex(o, tok, &o)) {
			fail_msg("no member %s in %s", tok, path);
		}
	}
	return o;
}

static void json_document(void **state)
{
	struct tree *t = *state;
	struct nrt_top_snap a, b;
	struct json_object *doc;
	const char *ts;

	standard_tree(t);
	collect(&a);
	advance(t);
	collect_after(&b, &a, SEC);
	b.real_ms = INT64_C(1795000000123);
	doc = json_of(&b);
	assert_int_equal(json_object_get_int(get(doc, "schema_version")),
			 NRT_TOP_JSON_SCHEMA_VERSION);
	ts = json_object_get_string(get(doc, "timestamp"));
	assert_string_equal(ts, "2026-11-18T11:06:40.123Z");
	assert_true(fabs(json_object_get_double(get(doc, "interval_s")) - 1) < 1e-9);
	assert_int_equal(json_object_array_length(get(doc, "devices")), 2);
	assert_string_equal(json_object_get_string(get(doc, "devices.0.pci_bdf")),
			    "0000:01:00.0");
	assert_string_equal(json_object_get_string(get(doc, "devices.0.accel")), "accel1");
	assert_int_equal(json_object_get_int(get(doc, "devices.0.chip_id")), 11);
	assert_true(fabs(json_object_get_double(get(doc, "devices.0.cores.0.utilization"))
			 - 0.5) < 1e-9);
	assert_int_equal(json_object_get_double(get(doc, "devices.0.cores.1.utilization")), 0);
	assert_int_equal(json_object_get_int64(get(doc, "devices.0.cores.1.busy_ns")), 5);
	assert_int_equal(json_object_get_int64(get(doc, "devices.0.cores.1.flops")), 2007);
	assert_int_equal(json_object_get_int64(get(doc, "devices.0.memory.hbm_total")),
			 (int64_t)GIB);
	assert_int_equal(json_object_get_int64(get(doc, "devices.0.memory.hbm_peak")), 600);
	assert_int_equal(json_object_get_int64(get(doc, "devices.0.errors.ecc_corrected")),
			 701);
	assert_int_equal(json_object_get_int64(get(doc, "devices.0.jobs.timed_out")), 300);
	assert_true(fabs(json_object_get_double(get(doc, "devices.0.temperature_c")) - 51.5)
		    < 1e-9);
	assert_true(fabs(json_object_get_double(get(doc, "devices.0.power_w")) - 23.4) < 1e-9);
	assert_true(fabs(json_object_get_double(get(doc, "devices.0.dma.bytes_per_s")) -
			 3.0 * MIB) < 1);
	assert_int_equal(json_object_array_length(get(doc, "devices.0.links")), 0);
	assert_string_equal(json_object_get_string(get(doc, "devices.1.links.0.state")), "up");
	assert_int_equal(json_object_get_int(get(doc, "devices.1.links.0.peer_chip")), 3);
	assert_null(get(doc, "devices.1.links.1.peer_chip"));
	assert_null(get(doc, "devices.1.links.1.peer_device"));
	assert_int_equal(json_object_array_length(get(doc, "processes")), 3);
	assert_int_equal(json_object_get_int(get(doc, "processes.1.pid")), 300);
	assert_int_equal(json_object_get_int(get(doc, "processes.1.device")), 0);
	assert_string_equal(json_object_get_string(get(doc, "processes.1.command")), "train");
	assert_int_equal(json_object_get_int64(get(doc, "processes.1.hbm_bytes")),
			 (int64_t)(64 * MIB));
	assert_int_equal(json_object_get_int64(get(doc, "processes.1.host_bytes")),
			 (int64_t)MIB);
	assert_int_equal(json_object_get_int64(get(doc, "processes.1.client_id")), 7);
	assert_true(fabs(json_object_get_double(get(doc, "processes.1.core_util")) - 0.5)
		    < 1e-9);
	assert_null(get(doc, "processes.2.device"));
	json_object_put(doc);
	nrt_top_snap_free(&a);
	nrt_top_snap_free(&b);
}

/* Unknown values are null, not missing; no devices is an empty array. */
static void json_unknown(void **state)
{
	struct tree *t = *state;
	struct json_object *doc;
	struct nrt_top_snap s;

	collect(&s);
	doc = json_of(&s);
	assert_null(get(doc, "interval_s"));
	assert_int_equal(json_object_array_length(get(doc, "devices")), 0);
	assert_int_equal(json_object_array_length(get(doc, "processes")), 0);
	json_object_put(doc);
	nrt_top_snap_free(&s);

	add_accel(t, 0, "0000:01:00.0", "trn", 1, 0);
	attr(t, "0000:01:00.0", "hwmon/hwmon0/name", "trn");
	attr(t, "0000:01:00.0", "hwmon/hwmon0/temp1_input", "-2500");
	collect(&s);
	doc = json_of(&s);
	assert_null(get(doc, "devices.0.cores.0.utilization"));
	assert_null(get(doc, "devices.0.cores.0.busy_ns"));
	assert_null(get(doc, "devices.0.memory.hbm_peak"));
	assert_null(get(doc, "devices.0.errors.ecc_corrected"));
	assert_null(get(doc, "devices.0.power_w"));
	assert_null(get(doc, "devices.0.dma.bytes_per_s"));
	/* Below zero is a temperature, not "unknown". */
	assert_true(fabs(json_object_get_double(get(doc, "devices.0.temperature_c")) + 2.5)
		    < 1e-9);
	json_object_put(doc);
	nrt_top_snap_free(&s);
}

/* --- Prometheus --------------------------------------------------------------- */

static bool prom_name_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' || c == ':' ||
	       (!first && isdigit((unsigned char)c));
}

/*
 * Check one sample line against the text format 0.0.4:
 * name [ "{" label="value" { "," label="value" } [","] "}" ] value
 * and return its metric name in @name.
 */
static void prom_check_sample(const char *line, char *name, size_t size)
{
	const char *p = line;
	size_t n = 0;
	char *end;

	while (prom_name_char(*p, p == line)) {
		assert_true(n + 1 < size);
		name[n++] = *p++;
	}
	name[n] = '\0';
	if (!n)
		fail_msg("no metric name: %s", line);
	if (*p == '{') {
		p++;
		while (*p != '}') {
			const char *l = p;

			while (prom_name_char(*p, p == l))
				p++;
			if (p == l || *p++ != '=' || *p++ != '"')
				fail_msg("bad label in: %s", line);
			while (*p && *p != '"') {
				if (*p == '\\') {
					p++;
					if (*p != '\\' && *p != '"' && *p != 'n')
						fail_msg("bad escape in: %s", line);
				}
				if (!*p || *p == '\n')
					fail_msg("bad label value in: %s", line);
				p++;
			}
			if (*p++ != '"')
				fail_msg("unterminated label in: %s", line);
			if (*p == ',')
				p++;
			else if (*p != '}')
				fail_msg("bad label list in: %s", line);
		}
		p++;
	}
	if (*p++ != ' ')
		fail_msg("no value in: %s", line);
	strtod(p, &end);
	if (end == p || *end)
		fail_msg("bad value in: %s", line);
}

/* Check the whole exposition; return it (free()). */
static char *prom_text(const struct nrt_top_snap *s)
{
	char *text = NULL, *line, *save = NULL, *copy;
	char typed[256][64], name[128];
	size_t len = 0, ntyped = 0, i;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(nrt_top_prom_write(f, s), 0);
	assert_int_equal(fclose(f), 0);
	assert_true(len > 0 && text[len - 1] == '\n');
	copy = strdup(text);
	assert_non_null(copy);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		bool found = false;

		if (!strncmp(line, "# HELP ", 7))
			continue;
		if (!strncmp(line, "# TYPE ", 7)) {
			char type[32];

			assert_int_equal(sscanf(line + 7, "%63s %31s", typed[ntyped], type), 2);
			assert_true(!strcmp(type, "gauge") || !strcmp(type, "counter"));
			/* Counters, and only they, end in _total. */
			len = strlen(typed[ntyped]);
			assert_int_equal(!strcmp(type, "counter"),
					 len > 6 && !strcmp(typed[ntyped] + len - 6, "_total"));
			assert_int_equal(strncmp(typed[ntyped], "trn_", 4), 0);
			for (i = 0; i < ntyped; i++)
				assert_string_not_equal(typed[i], typed[ntyped]);
			assert_true(++ntyped < 256);
			continue;
		}
		assert_true(line[0] != '#');
		prom_check_sample(line, name, sizeof(name));
		/* Samples follow the TYPE line of their family. */
		assert_true(ntyped > 0);
		found = !strcmp(typed[ntyped - 1], name);
		if (!found)
			fail_msg("sample of %s under TYPE %s", name, typed[ntyped - 1]);
	}
	free(copy);
	return text;
}

static void prometheus(void **state)
{
	struct tree *t = *state;
	struct nrt_top_snap a, b;
	char *text;

	standard_tree(t);
	/* Device 0 is host 2 of a rack; device 1 is of a driver without hosts. */
	attr(t, "0000:01:00.0", "host_id", "2");
	collect(&a);
	advance(t);
	collect_after(&b, &a, SEC);
	text = prom_text(&b);
	assert_non_null(strstr(text, "# TYPE trn_core_busy_seconds_total counter\n"));
	assert_non_null(strstr(text, "# HELP trn_hbm_used_bytes "));
	assert_non_null(strstr(text,
		"trn_core_utilization_ratio{device=\"0\",pci_bdf=\"0000:01:00.0\",core=\"0\"} 0.5\n"));
	assert_non_null(strstr(text,
		"trn_core_utilization_ratio{device=\"0\",pci_bdf=\"0000:01:00.0\",core=\"1\"} 0\n"));
	assert_non_null(strstr(text,
		"trn_core_busy_seconds_total{device=\"0\",pci_bdf=\"0000:01:00.0\",core=\"0\"} 0.500001\n"));
	assert_non_null(strstr(text,
		"trn_hbm_used_bytes{device=\"0\",pci_bdf=\"0000:01:00.0\"} 268435456\n"));
	assert_non_null(strstr(text,
		"trn_hbm_total_bytes{device=\"1\",pci_bdf=\"0000:02:00.0\"} 1073741824\n"));
	assert_non_null(strstr(text,
		"trn_ecc_corrected_errors_total{device=\"0\",pci_bdf=\"0000:01:00.0\"} 701\n"));
	assert_non_null(strstr(text,
		"trn_temperature_celsius{device=\"0\",pci_bdf=\"0000:01:00.0\"} 51.5\n"));
	assert_non_null(strstr(text,
		"trn_power_watts{device=\"0\",pci_bdf=\"0000:01:00.0\"} 23.4\n"));
	assert_non_null(strstr(text,
		"trn_link_tx_bytes_total{device=\"1\",pci_bdf=\"0000:02:00.0\",port=\"0\","
		"peer_host=\"0\"} 2098152\n"));
	assert_non_null(strstr(text,
		"trn_link_up{device=\"1\",pci_bdf=\"0000:02:00.0\",port=\"1\",peer_host=\"\"} 0\n"));
	assert_non_null(strstr(text, "trn_device_info{device=\"0\",pci_bdf=\"0000:01:00.0\","
				     "accel=\"accel1\",chip_id=\"11\",host_id=\"2\"} 1\n"));
	assert_non_null(strstr(text, "trn_device_info{device=\"1\",pci_bdf=\"0000:02:00.0\","
				     "accel=\"accel0\",chip_id=\"10\",host_id=\"0\"} 1\n"));
	assert_non_null(strstr(text, "trn_process_hbm_bytes{device=\"0\",pci_bdf=\"0000:01:00.0\","
				     "pid=\"300\",command=\"train\","));
	assert_non_null(strstr(text, "trn_devices 2\n"));
	/* A process on no known device has no samples. */
	assert_null(strstr(text, "pid=\"400\""));
	free(text);
	nrt_top_snap_free(&a);

	/* A cable of device 1 that leaves for host 3 of the rack. */
	attr(t, "0000:02:00.0", "link0/peer_host", "3");
	collect(&a);
	text = prom_text(&a);
	assert_non_null(strstr(text,
		"trn_link_up{device=\"1\",pci_bdf=\"0000:02:00.0\",port=\"0\",peer_host=\"3\"} 1\n"));
	free(text);
	nrt_top_snap_free(&a);
	nrt_top_snap_free(&b);
}

/*
 * Throttling (interface 1.8): the cap, the reasons, the throttled time and
 * its share of the interval, in JSON and Prometheus; a device without them
 * has null and no samples.
 */
static void throttle(void **state)
{
	struct tree *t = *state;
	struct nrt_top_snap a, b;
	struct json_object *doc;
	char *text;

	standard_tree(t);
	attr(t, "0000:01:00.0", "throttle_reasons", "thermal,power_cap");
	attr(t, "0000:01:00.0", "stats/throttled_ns", "1000");
	attr(t, "0000:01:00.0", "hwmon/hwmon3/power1_cap", "50000000");
	collect(&a);
	advance(t);
	attr(t, "0000:01:00.0", "stats/throttled_ns", "%llu",
	     (unsigned long long)(1000 + SEC / 4));
	collect_after(&b, &a, SEC);
	doc = json_of(&b);
	assert_true(fabs(json_object_get_double(get(doc, "devices.0.power_cap_w")) - 50) < 1e-9);
	assert_int_equal(json_object_array_length(get(doc, "devices.0.throttle.reasons")), 2);
	assert_string_equal(json_object_get_string(get(doc, "devices.0.throttle.reasons.0")),
			    "power_cap");
	assert_string_equal(json_object_get_string(get(doc, "devices.0.throttle.reasons.1")),
			    "thermal");
	assert_int_equal(json_object_get_int64(get(doc, "devices.0.throttle.throttled_ns")),
			 1000 + SEC / 4);
	assert_true(fabs(json_object_get_double(get(doc, "devices.0.throttle.ratio")) - 0.25)
		    < 1e-9);
	assert_null(get(doc, "devices.1.throttle"));
	assert_null(get(doc, "devices.1.power_cap_w"));
	json_object_put(doc);

	text = prom_text(&b);
	assert_non_null(strstr(text, "# TYPE trn_throttle_active gauge\n"));
	assert_non_null(strstr(text,
		"trn_throttle_active{device=\"0\",pci_bdf=\"0000:01:00.0\",reason=\"power_cap\"} 1\n"));
	assert_non_null(strstr(text,
		"trn_throttle_active{device=\"0\",pci_bdf=\"0000:01:00.0\",reason=\"thermal\"} 1\n"));
	assert_non_null(strstr(text,
		"trn_throttle_active{device=\"0\",pci_bdf=\"0000:01:00.0\",reason=\"unknown\"} 0\n"));
	assert_non_null(strstr(text,
		"trn_throttle_seconds_total{device=\"0\",pci_bdf=\"0000:01:00.0\"} 0.250001\n"));
	assert_non_null(strstr(text,
		"trn_throttle_ratio{device=\"0\",pci_bdf=\"0000:01:00.0\"} 0.25\n"));
	assert_non_null(strstr(text,
		"trn_power_cap_watts{device=\"0\",pci_bdf=\"0000:01:00.0\"} 50\n"));
	assert_null(strstr(text, "trn_throttle_active{device=\"1\""));
	assert_null(strstr(text, "trn_throttle_seconds_total{device=\"1\""));
	free(text);
	nrt_top_snap_free(&a);
	nrt_top_snap_free(&b);
}

/*
 * What the driver does not provide has no sample; labels are escaped, and
 * a process name (which any process sets) reaches them printable only.
 */
static void prometheus_unknown(void **state)
{
	struct tree *t = *state;
	struct nrt_top_snap s;
	char *text, buf[16];

	add_accel(t, 0, "0000:01:00.0", "trn", 1, 0);
	add_proc(t, 10, "w\"\\\n\x1b[1m\xff\xfe", "0000:01:00.0", 1, 4, 0);
	collect(&s);
	text = prom_text(&s);
	assert_null(strstr(text, "trn_ecc_corrected_errors_total{"));
	assert_null(strstr(text, "trn_core_busy_seconds_total{"));
	assert_null(strstr(text, "trn_core_utilization_ratio{"));
	assert_null(strstr(text, "trn_temperature_celsius{"));
	assert_non_null(strstr(text, "# TYPE trn_temperature_celsius gauge\n"));
	assert_non_null(strstr(text, "trn_hbm_used_bytes{device=\"0\",pci_bdf=\"0000:01:00.0\"} "));
	assert_non_null(strstr(text, "command=\"w\\\"\\\\??[1m??\""));
	free(text);
	nrt_top_snap_free(&s);

	/* Cut to fit, never in the middle of an escape or a character. */
	assert_string_equal(nrt_top_prom_escape("ab\"cd", buf, 4), "ab");
	assert_string_equal(nrt_top_prom_escape("a\xc3\xa9z", buf, 3), "a");
	assert_string_equal(nrt_top_prom_escape("a\xc3\xa9z", buf, 16), "a\xc3\xa9z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(json_document, setup, teardown),
		cmocka_unit_test_setup_teardown(json_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(prometheus, setup, teardown),
		cmocka_unit_test_setup_teardown(throttle, setup, teardown),
		cmocka_unit_test_setup_teardown(prometheus_unknown, setup, teardown),
	};

	return cmocka_run_group_tests_name("nrt_top_fmt", tests, NULL, NULL);
}
