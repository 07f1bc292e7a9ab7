// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Unit tests of the fdinfo parser and the process scan shared by nrt-top
 * and nrt-ls --wide (tools/nrt_proc.c), against fake /proc trees in a
 * temporary directory (NRT_PROC_ROOT).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
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

#include "fake_fs.h"
#include "nrt_proc.h"

#define KIB UINT64_C(1024)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)

/* The fdinfo of a trn client as trn.ko prints it. */
static const char trn_fdinfo[] =
	"pos:\t0\n"
	"flags:\t02100002\n"
	"mnt_id:\t25\n"
	"ino:\t1051\n"
	"drm-driver:\ttrn\n"
	"drm-pdev:\t0000:00:04.0\n"
	"drm-client-id:\t7\n"
	"drm-total-hbm:\t1024 KiB\n"
	"drm-resident-hbm:\t1024 KiB\n"
	"drm-total-memory:\t0 KiB\n"
	"drm-resident-memory:\t0 KiB\n"
	"drm-engine-dma:\t123456 ns\n"
	"drm-engine-capacity-dma:\t4\n"
	"drm-engine-core:\t987654 ns\n"
	"drm-engine-capacity-core:\t2\n";

static void parse_trn_client(void **state)
{
	struct nrt_proc_fdinfo f;

	(void)state;
	assert_true(nrt_proc_parse_fdinfo(trn_fdinfo, &f));
	assert_string_equal(f.driver, "trn");
	assert_string_equal(f.pdev, "0000:00:04.0");
	assert_int_equal(f.client_id, 7);
	assert_int_equal(f.hbm_total, MIB);
	assert_int_equal(f.hbm_resident, MIB);
	assert_int_equal(f.host_total, 0);
	assert_int_equal(f.host_resident, 0);
	assert_int_equal(f.dma_ns, 123456);
	assert_int_equal(f.dma_capacity, 4);
	assert_int_equal(f.core_ns, 987654);
	assert_int_equal(f.core_capacity, 2);
}

static void parse_units(void **state)
{
	struct nrt_proc_fdinfo f;

	(void)state;
	assert_true(nrt_proc_parse_fdinfo(
		"drm-driver: trn\ndrm-pdev: 0000:01:00.0\ndrm-client-id: 1\n"
		"drm-total-hbm: 3 GiB\ndrm-resident-hbm: 5 MiB\n"
		"drm-total-memory: 4096\ndrm-resident-memory: 17 B\n", &f));
	assert_int_equal(f.hbm_total, 3 * GIB);
	assert_int_equal(f.hbm_resident, 5 * MIB);
	assert_int_equal(f.host_total, 4096);
	assert_int_equal(f.host_resident, 17);
	/* Keys that are not given are unknown, not zero. */
	assert_int_equal(f.dma_ns, NRT_PROC_NA);
	assert_int_equal(f.core_ns, NRT_PROC_NA);
	assert_int_equal(f.core_capacity, NRT_PROC_NA);
}

/* Unknown keys and units, malformed values and lines are passed over. */
static void parse_robust(void **state)
{
	struct nrt_proc_fdinfo f;

	(void)state;
	assert_true(nrt_proc_parse_fdinfo(
		"drm-driver:\ttrn\n"
		"a line without a colon\n"
		"drm-engine-video:\t55 ns\n"        /* an engine we do not know */
		"drm-cycles-core:\t99\n"
		"drm-total-vram:\t1 MiB\n"
		"drm-total-hbm:\t12 XiB\n"         /* unknown unit */
		"drm-resident-hbm:\t-4 KiB\n"      /* sign */
		"drm-total-memory:\t99999999999999999999999 KiB\n" /* too large */
		"drm-resident-memory:\t18014398509481984 GiB\n"    /* overflows */
		"drm-engine-dma:\t12\n"            /* ns missing */
		"drm-engine-core:\tabc ns\n"
		"drm-pdev:\t0000:02:00.0\n"
		":\n"
		"drm-client-id:\t42", &f));        /* the last line, cut short */
	assert_string_equal(f.pdev, "0000:02:00.0");
	assert_int_equal(f.client_id, 42);
	assert_int_equal(f.hbm_total, NRT_PROC_NA);
	assert_int_equal(f.hbm_resident, NRT_PROC_NA);
	assert_int_equal(f.host_total, NRT_PROC_NA);
	assert_int_equal(f.host_resident, NRT_PROC_NA);
	assert_int_equal(f.dma_ns, NRT_PROC_NA);
	assert_int_equal(f.core_ns, NRT_PROC_NA);
}

static void parse_not_trn(void **state)
{
	struct nrt_proc_fdinfo f;

	(void)state;
	/* Another DRM driver. */
	assert_false(nrt_proc_parse_fdinfo(
		"drm-driver:\ti915\ndrm-pdev:\t0000:00:02.0\ndrm-client-id:\t3\n", &f));
	/* A plain file. */
	assert_false(nrt_proc_parse_fdinfo("pos:\t0\nflags:\t0100000\nmnt_id:\t1\n", &f));
	/* A trn file cut before its client id or device. */
	assert_false(nrt_proc_parse_fdinfo("drm-driver:\ttrn\ndrm-pdev:\t0000:00:04.0\n", &f));
	assert_false(nrt_proc_parse_fdinfo("drm-driver:\ttrn\ndrm-client-id:\t1\n", &f));
	/* A driver name that only begins with trn. */
	assert_false(nrt_proc_parse_fdinfo(
		"drm-driver:\ttrnx\ndrm-pdev:\t0000:00:04.0\ndrm-client-id:\t3\n", &f));
	assert_false(nrt_proc_parse_fdinfo("", &f));
}

/* --- the scan ------------------------------------------------------------ */

struct tree {
	char root[64];
	char proc[PATH_MAX];
};

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	if (fake_fs_tmpdir(t->root, sizeof(t->root), "nrt-proc"))
		return -1;
	snprintf(t->proc, sizeof(t->proc), "%s/proc", t->root);
	if (mkdir(t->proc, 0755) || setenv("NRT_PROC_ROOT", t->proc, 1))
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	int ret;

	unsetenv("NRT_PROC_ROOT");
	ret = fake_fs_remove(t->root);
	free(t);
	return ret;
}

/* A process with @comm and the NUL-separated @args of @args_len bytes. */
static void add_pid(struct tree *t, int pid, const char *comm, const char *args,
		    size_t args_len)
{
	char path[PATH_MAX];
	FILE *f;

	xsnprintf(path, sizeof(path), "%s/%d/fdinfo", t->proc, pid);
	mkdir_p(path);
	xsnprintf(path, sizeof(path), "%s/%d/fd", t->proc, pid);
	mkdir_p(path);
	xsnprintf(path, sizeof(path), "%s/%d/comm", t->proc, pid);
	write_file(path, comm, 0444);
	xsnprintf(path, sizeof(path), "%s/%d/cmdline", t->proc, pid);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(args, 1, args_len, f), args_len);
	assert_int_equal(fclose(f), 0);
}

static void add_fd(struct tree *t, int pid, int fd, const char *fdinfo)
{
	char path[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s/%d/fdinfo/%d", t->proc, pid, fd);
	write_file(path, fdinfo, 0400);
}

static char *client(char *buf, size_t size, const char *pdev, int id,
		    unsigned int hbm_kib)
{
	xsnprintf(buf, size,
		  "pos:\t0\ndrm-driver:\ttrn\ndrm-pdev:\t%s\ndrm-client-id:\t%d\n"
		  "drm-total-hbm:\t%u KiB\ndrm-resident-hbm:\t%u KiB\n"
		  "drm-engine-core:\t1000 ns\ndrm-engine-capacity-core:\t2\n",
		  pdev, id, hbm_kib, hbm_kib);
	return buf;
}

static void scan(void **state)
{
	struct tree *t = *state;
	static const char args[] = "./train\0--epochs\0003\0";
	struct nrt_proc_client *c;
	char buf[512], path[PATH_MAX];
	struct passwd *pw = getpwuid(getuid());
	size_t n;

	/* 100: a client dup()ed to fd 4 and a second client on another device. */
	add_pid(t, 100, "train\n", args, sizeof(args));
	add_fd(t, 100, 3, client(buf, sizeof(buf), "0000:02:00.0", 5, 2048));
	add_fd(t, 100, 4, client(buf, sizeof(buf), "0000:02:00.0", 5, 2048));
	add_fd(t, 100, 9, client(buf, sizeof(buf), "0000:01:00.0", 6, 64));
	add_fd(t, 100, 0, "pos:\t0\nflags:\t02\nmnt_id:\t1\nino:\t5\n");
	/* 42: the same client 5, inherited across fork(): counted again. */
	add_pid(t, 42, "child", "", 0);
	add_fd(t, 42, 3, client(buf, sizeof(buf), "0000:02:00.0", 5, 2048));
	/* Another DRM driver's client. */
	add_fd(t, 42, 5, "drm-driver:\tvirtio_gpu\ndrm-pdev:\t0000:00:02.0\n"
		  "drm-client-id:\t9\n");
	/* 7: a trn fdinfo behind an fd that is not an accel node (skipped). */
	add_pid(t, 7, "other", "other\0", 6);
	add_fd(t, 7, 3, client(buf, sizeof(buf), "0000:01:00.0", 8, 4));
	xsnprintf(path, sizeof(path), "%s/7/fd/3", t->proc);
	make_link("/dev/null", path);
	/* 8: an accel fd whose link names the node: read. */
	add_pid(t, 8, "linked", "linked\0", 7);
	add_fd(t, 8, 3, client(buf, sizeof(buf), "0000:01:00.0", 11, 4));
	xsnprintf(path, sizeof(path), "%s/8/fd/3", t->proc);
	make_link("/dev/accel/accel0", path);
	/* 9: an fdinfo entry that cannot be read, and 10 without fdinfo. */
	add_pid(t, 9, "odd", "", 0);
	xsnprintf(path, sizeof(path), "%s/9/fdinfo/3", t->proc);
	mkdir_p(path);
	xsnprintf(path, sizeof(path), "%s/10", t->proc);
	mkdir_p(path);
	/* Not processes. */
	xsnprintf(path, sizeof(path), "%s/self", t->proc);
	mkdir_p(path);
	xsnprintf(path, sizeof(path), "%s/sys", t->proc);
	mkdir_p(path);

	assert_int_equal(nrt_proc_scan(&c, &n), 0);
	assert_int_equal(n, 4);
	/* By pid, then PCI address. */
	assert_int_equal(c[0].pid, 8);
	assert_int_equal(c[0].fd.client_id, 11);
	assert_string_equal(c[0].comm, "linked");
	assert_int_equal(c[1].pid, 42);
	assert_int_equal(c[1].fd.client_id, 5);
	/* Without arguments, the command is the name. */
	assert_string_equal(c[1].cmdline, "child");
	assert_int_equal(c[2].pid, 100);
	assert_string_equal(c[2].fd.pdev, "0000:01:00.0");
	assert_int_equal(c[2].fd.client_id, 6);
	assert_int_equal(c[2].fd.hbm_resident, 64 * KIB);
	assert_int_equal(c[3].pid, 100);
	assert_string_equal(c[3].fd.pdev, "0000:02:00.0");
	assert_int_equal(c[3].fd.hbm_resident, 2 * MIB);
	assert_string_equal(c[3].comm, "train");
	assert_string_equal(c[3].cmdline, "./train --epochs 3");
	assert_int_equal(c[3].uid, getuid());
	if (pw)
		assert_string_equal(c[3].user, pw->pw_name);
	free(c);
}

static void scan_empty_and_missing(void **state)
{
	struct tree *t = *state;
	struct nrt_proc_client *c = (void *)1;
	char path[PATH_MAX];
	size_t n = 99;

	assert_int_equal(nrt_proc_scan(&c, &n), 0);
	assert_int_equal(n, 0);
	assert_null(c);

	xsnprintf(path, sizeof(path), "%s/missing", t->root);
	assert_int_equal(setenv("NRT_PROC_ROOT", path, 1), 0);
	assert_string_equal(nrt_proc_root(), path);
	assert_int_equal(nrt_proc_scan(&c, &n), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(n, 0);

	assert_int_equal(setenv("NRT_PROC_ROOT", "", 1), 0);
	assert_string_equal(nrt_proc_root(), "/proc");
}

static void read_text(void **state)
{
	struct tree *t = *state;
	char path[PATH_MAX], buf[8];

	xsnprintf(path, sizeof(path), "%s/f", t->root);
	write_file(path, "0123456789", 0444);
	/* Cut to the buffer, NUL-terminated. */
	assert_int_equal(nrt_proc_read_text(AT_FDCWD, path, buf, sizeof(buf)), 7);
	assert_string_equal(buf, "0123456");
	assert_int_equal(nrt_proc_read_text(AT_FDCWD, t->root, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EISDIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_trn_client),
		cmocka_unit_test(parse_units),
		cmocka_unit_test(parse_robust),
		cmocka_unit_test(parse_not_trn),
		cmocka_unit_test_setup_teardown(scan, setup, teardown),
		cmocka_unit_test_setup_teardown(scan_empty_and_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(read_text, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
