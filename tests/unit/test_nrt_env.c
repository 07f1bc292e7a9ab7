// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of what the environment tells libnrt: the devices and cores a
 * process sees (its device nodes, NRT_VISIBLE_DEVICES and
 * NRT_VISIBLE_CORES) and the log (NRT_LOG_LEVEL and NRT_LOG_FILE).
 *
 * Each test builds a fake sysfs and /dev tree in a temporary directory, as
 * test_nrt_device.c does, with the fake DRM driver of fake_device.c behind
 * its device nodes.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nrt.h"
#include "nrt_log.h"
#include "fake_device.h"
#include "fake_fs.h"

/* --- the devices and cores a process sees -------------------------------- */

/* The PCI addresses of the devices listed, joined by spaces. */
static void listed(char *buf, size_t size)
{
	nrt_device_list *l;
	size_t i, len = 0;

	buf[0] = '\0';
	assert_int_equal(nrt_device_list_get(&l), NRT_SUCCESS);
	for (i = 0; i < nrt_device_list_count(l); i++) {
		const nrt_device_entry *e = nrt_device_list_entry(l, i);

		assert_int_equal(e->index, i);
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? " " : "",
					e->pci_bdf);
		assert_true(len < size);
	}
	nrt_device_list_free(l);
}

static void tree_four(struct fake_device_tree *t)
{
	fake_device_load_module(t);
	fake_device_add_accel(t, 0, "0000:01:00.0", "trn", NULL);
	fake_device_add_accel(t, 1, "0000:02:00.0", "trn", NULL);
	fake_device_add_accel(t, 2, "0000:03:00.0", "trn", NULL);
	fake_device_add_accel(t, 3, "0000:04:00.0", "trn", NULL);
}

/* A container given one node of four, with the host's sysfs. */
static void test_visible_nodes(void **state)
{
	struct fake_device_tree *t = *state;
	char path[PATH_MAX], got[256];
	nrt_device_info info;
	unsigned int count;
	nrt_device *dev;

	tree_four(t);
	xsnprintf(path, sizeof(path), "%s/accel/accel0", t->dev);
	assert_int_equal(unlink(path), 0);
	xsnprintf(path, sizeof(path), "%s/accel/accel1", t->dev);
	assert_int_equal(unlink(path), 0);
	xsnprintf(path, sizeof(path), "%s/accel/accel3", t->dev);
	assert_int_equal(unlink(path), 0);

	assert_int_equal(nrt_device_count(&count), NRT_SUCCESS);
	assert_int_equal(count, 1);
	listed(got, sizeof(got));
	assert_string_equal(got, "0000:03:00.0");
	dev = fake_device_open_ok(0);
	fake_device_get_info_ok(dev, &info);
	assert_int_equal(info.index, 0);
	assert_int_equal(info.minor, 2);
	xsnprintf(path, sizeof(path), "%s/accel/accel2", t->dev);
	assert_string_equal(info.device_node, path);
	nrt_device_close(dev);
	assert_int_equal(nrt_device_open(1, &dev), NRT_NO_DEVICE);

	/* No node at all: none seen, but the driver is there. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(nrt_device_count(&count), NRT_SUCCESS);
	assert_int_equal(count, 0);
	xsnprintf(path, sizeof(path), "%s/accel", t->dev);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(nrt_device_count(&count), NRT_SUCCESS);
	assert_int_equal(count, 0);
}

static void test_visible_devices(void **state)
{
	static const struct {
		const char *value;
		const char *want;
	} cases[] = {
		{ "2,0", "0000:03:00.0 0000:01:00.0" },
		{ " 3 ,\t1", "0000:04:00.0 0000:02:00.0" },
		{ "01", "0000:02:00.0" },
		{ "1,x,0", "0000:02:00.0" },          /* stops at x */
		{ "1,4,0", "0000:02:00.0" },          /* 4 does not exist */
		{ "1,1,0", "0000:02:00.0" },          /* twice */
		{ "1,,0", "0000:02:00.0" },           /* empty entry */
		{ "-1", "" },
		{ "+1", "" },
		{ "", "" },
		{ "0,1,2,3", "0000:01:00.0 0000:02:00.0 0000:03:00.0 0000:04:00.0" },
		{ "3,", "0000:04:00.0" },
		{ "b5c2a0c4-1e64-4a5e-9d2a-0000000000c3,0",
		  "0000:03:00.0 0000:01:00.0" },
		{ "B5C2A0C4-1E64-4A5E-9D2A-0000000000C3", "0000:03:00.0" },
		{ "b5c2a0c4-1e64-4a5e-9d2a-000000000000", "" },
		/* A UUID that begins with digits is not an index (trn.ko's do). */
		{ "1af410f0-0000-8000-8000-54524e000001,2", "0000:02:00.0 0000:03:00.0" },
		{ "1x", "" },
	};
	struct fake_device_tree *t = *state;
	char path[PATH_MAX], got[256];
	nrt_device_info info;
	unsigned int count;
	nrt_device *dev;
	size_t i;

	tree_four(t);
	xsnprintf(path, sizeof(path), "%s/devices/pci0000:00/0000:03:00.0/uuid", t->sysfs);
	write_file(path, "b5c2a0c4-1e64-4a5e-9d2a-0000000000c3\n", 0444);
	xsnprintf(path, sizeof(path), "%s/devices/pci0000:00/0000:02:00.0/uuid", t->sysfs);
	write_file(path, "1af410f0-0000-8000-8000-54524e000001\n", 0444);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(setenv("NRT_VISIBLE_DEVICES", cases[i].value, 1), 0);
		listed(got, sizeof(got));
		if (strcmp(got, cases[i].want))
			fail_msg("NRT_VISIBLE_DEVICES=\"%s\": \"%s\", want \"%s\"",
				 cases[i].value, got, cases[i].want);
	}

	/* Count, list and open agree, numbered from 0. */
	assert_int_equal(setenv("NRT_VISIBLE_DEVICES", "3,1", 1), 0);
	assert_int_equal(nrt_device_count(&count), NRT_SUCCESS);
	assert_int_equal(count, 2);
	dev = fake_device_open_ok(0);
	fake_device_get_info_ok(dev, &info);
	assert_int_equal(info.index, 0);
	assert_string_equal(info.pci_bdf, "0000:04:00.0");
	nrt_device_close(dev);
	dev = fake_device_open_ok(1);
	fake_device_get_info_ok(dev, &info);
	assert_string_equal(info.pci_bdf, "0000:02:00.0");
	nrt_device_close(dev);
	assert_int_equal(nrt_device_open(2, &dev), NRT_NO_DEVICE);

	/* Only devices with a node can be selected. */
	xsnprintf(path, sizeof(path), "%s/accel/accel3", t->dev);
	assert_int_equal(unlink(path), 0);
	listed(got, sizeof(got));
	assert_string_equal(got, "");
	assert_int_equal(setenv("NRT_VISIBLE_DEVICES", "2", 1), 0);
	listed(got, sizeof(got));
	assert_string_equal(got, "0000:03:00.0");
	unsetenv("NRT_VISIBLE_DEVICES");
}

static void test_visible_cores(void **state)
{
	static const struct {
		const char *value;
		unsigned int cores;
	} cases[] = {
		{ NULL, 2 }, { "1", 1 }, { "1,0", 2 }, { "0-1", 2 }, { "1-1", 1 },
		{ "0,0", 1 }, { "2", 0 }, { "0,2,1", 1 }, { "1-0", 0 }, { "x", 0 },
		{ "", 0 }, { " 1 ", 1 }, { "0-2", 0 }, { "0,0-1", 1 },
	};
	struct fake_device_tree *t = *state;
	nrt_device_info info;
	nrt_device *dev;
	size_t i;

	fake_device_load_module(t);
	fake_device_add_accel(t, 0, "0000:01:00.0", "trn", NULL);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].value)
			assert_int_equal(setenv("NRT_VISIBLE_CORES", cases[i].value, 1), 0);
		else
			unsetenv("NRT_VISIBLE_CORES");
		dev = fake_device_open_ok(0);
		fake_device_get_info_ok(dev, &info);
		if (info.core_queues != cases[i].cores || info.num_cores != cases[i].cores)
			fail_msg("NRT_VISIBLE_CORES=\"%s\": %u cores, %u queues, want %u",
				 cases[i].value ? cases[i].value : "(unset)", info.num_cores,
				 info.core_queues, cases[i].cores);
		nrt_device_close(dev);
	}
	unsetenv("NRT_VISIBLE_CORES");
}

/* --- the log --------------------------------------------------------------- */

/* Point the log at a file of the tree at @level; return its path. */
static const char *log_to_file(struct fake_device_tree *t, const char *level)
{
	static char path[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s/nrt.log", t->root);
	unlink(path);
	assert_int_equal(setenv("NRT_LOG_LEVEL", level, 1), 0);
	assert_int_equal(setenv("NRT_LOG_FILE", path, 1), 0);
	nrt_log_reinit();
	return path;
}

static void log_off(void)
{
	unsetenv("NRT_LOG_LEVEL");
	unsetenv("NRT_LOG_FILE");
	nrt_log_reinit();
}

/* The contents of @path ("" if it does not exist). */
static char *slurp(const char *path)
{
	static char buf[256 * 1024];
	ssize_t n = 0;
	int fd = open(path, O_RDONLY);

	buf[0] = '\0';
	if (fd < 0)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static size_t count_lines(const char *s, const char *needle)
{
	size_t n = 0;
	const char *p = s;

	while ((p = strstr(p, needle))) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static void test_log_failures(void **state)
{
	struct fake_device_tree *t = *state;
	char want[1024];
	const char *path, *text;
	nrt_device *dev;
	unsigned int count;

	tree_four(t);
	path = log_to_file(t, "error");
	/* A success logs nothing. */
	assert_int_equal(nrt_device_count(&count), NRT_SUCCESS);
	dev = fake_device_open_ok(0);
	nrt_device_close(dev);
	assert_string_equal(slurp(path), "");

	/* A failure is one line, with the text of nrt_last_error(). */
	assert_int_equal(nrt_device_open(7, &dev), NRT_NO_DEVICE);
	xsnprintf(want, sizeof(want), "]: libnrt error: nrt_device_open() failed: %s\n",
		  nrt_last_error());
	text = slurp(path);
	assert_non_null(strstr(text, want));
	assert_int_equal(count_lines(text, "\n"), 1);
	/* "YYYY-MM-DDTHH:MM:SS.mmmZ prog[pid]: " */
	assert_true(strlen(text) > 25 && text[10] == 'T' && text[23] == 'Z');

	/* info: the opens too; off: nothing. */
	path = log_to_file(t, "INFO");
	dev = fake_device_open_ok(1);
	nrt_device_close(dev);
	assert_non_null(strstr(slurp(path), "libnrt info: device 1 (0000:02:00.0, "));
	path = log_to_file(t, "off");
	assert_int_equal(nrt_device_open(7, &dev), NRT_NO_DEVICE);
	assert_string_equal(slurp(path), "");

	/* An unknown level: warn, and says so. */
	path = log_to_file(t, "loud");
	assert_int_equal(nrt_device_open(7, &dev), NRT_NO_DEVICE);
	text = slurp(path);
	assert_non_null(strstr(text, "libnrt warn: NRT_LOG_LEVEL: unknown level"));
	assert_non_null(strstr(text, "libnrt error: nrt_device_open() failed: "));
	log_off();
}

static void test_log_visible_warning(void **state)
{
	struct fake_device_tree *t = *state;
	const char *path;
	unsigned int count;

	tree_four(t);
	path = log_to_file(t, "warn");
	assert_int_equal(setenv("NRT_VISIBLE_DEVICES", "1,7,0", 1), 0);
	assert_int_equal(nrt_device_count(&count), NRT_SUCCESS);
	assert_int_equal(count, 1);
	unsetenv("NRT_VISIBLE_DEVICES");
	assert_non_null(strstr(slurp(path),
			       "libnrt warn: NRT_VISIBLE_DEVICES=1,7,0: entry \"7\" names no device"));
	log_off();
}

struct log_thread {
	unsigned int failures;
};

static void *log_thread(void *arg)
{
	struct log_thread *lt = arg;
	nrt_device *dev;
	unsigned int i;

	for (i = 0; i < 200; i++)
		if (nrt_device_open(9, &dev) == NRT_NO_DEVICE)
			lt->failures++;
	return NULL;
}

/* Four threads fail at once: every failure is one whole line. */
static void test_log_threads(void **state)
{
	struct fake_device_tree *t = *state;
	struct log_thread lt[4];
	pthread_t th[4];
	const char *path, *text;
	unsigned int i;

	tree_four(t);
	path = log_to_file(t, "error");
	memset(lt, 0, sizeof(lt));
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, log_thread, &lt[i]), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(lt[i].failures, 200);
	}
	text = slurp(path);
	assert_int_equal(count_lines(text, "\n"), 800);
	assert_int_equal(count_lines(text,
				     "]: libnrt error: nrt_device_open() failed: no trn device with index 9 (4 present)\n"),
			 800);
	log_off();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		FAKE_DEVICE_TEST(test_visible_nodes),
		FAKE_DEVICE_TEST(test_visible_devices),
		FAKE_DEVICE_TEST(test_visible_cores),
		FAKE_DEVICE_TEST(test_log_failures),
		FAKE_DEVICE_TEST(test_log_visible_warning),
		FAKE_DEVICE_TEST(test_log_threads),
	};

	return cmocka_run_group_tests_name("nrt_env", tests, NULL, NULL);
}
