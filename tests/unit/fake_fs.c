// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026 The trn authors
 *
 * Helpers of the unit tests that build fake sysfs and /dev trees.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
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

void xsnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	assert_true(len >= 0 && (size_t)len < size);
}

void mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	char *p;

	xsnprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			fail_msg("mkdir %s: %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		fail_msg("mkdir %s: %s", buf, strerror(errno));
}

void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0)
		fail_msg("create %s: %s", path, strerror(errno));
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
	assert_int_equal(chmod(path, mode), 0);
}

void make_link(const char *target, const char *path)
{
	if (symlink(target, path))
		fail_msg("symlink %s: %s", path, strerror(errno));
}

int fake_fs_tmpdir(char *buf, size_t size, const char *prefix)
{
	int len = snprintf(buf, size, "/tmp/%s-XXXXXX", prefix);

	if (len < 0 || (size_t)len >= size || !mkdtemp(buf) || chmod(buf, 0755))
		return -1;
	return 0;
}

static int fake_fs_remove_entry(const char *path, const struct stat *st,
				int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

int fake_fs_remove(const char *root)
{
	return nftw(root, fake_fs_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
