/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Helpers of the unit tests that build fake sysfs and /dev trees. Each
 * fails the current cmocka test on error.
 */
#ifndef FAKE_FS_H
#define FAKE_FS_H

#include <stddef.h>
#include <sys/types.h>

/* snprintf() that fails the test if the result does not fit. */
void xsnprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* mkdir -p */
void mkdir_p(const char *path);
/* Create @path with @text and @mode. */
void write_file(const char *path, const char *text, mode_t mode);
/* ln -s @target @path */
void make_link(const char *target, const char *path);

/*
 * A new directory /tmp/<prefix>-XXXXXX (mode 0755) in @buf, or -1 (not a
 * test failure: for setup functions).
 */
int fake_fs_tmpdir(char *buf, size_t size, const char *prefix);
/* rm -rf @root without following links. Return: 0, or -1. */
int fake_fs_remove(const char *root);

#endif /* FAKE_FS_H */
