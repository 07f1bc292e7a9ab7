/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Helpers for the tools that run as root in the debug guest kernel (the
 * fault-injection sweep tests/vm/fault_sweep.c and the fuzzer
 * tests/fuzz/trn-fuzz.c): where trn.ko's code lies, the kernel log and its
 * reports, small sysfs and debugfs accessors.
 */
#ifndef KDEBUG_H
#define KDEBUG_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* One executable section of a loaded module. */
struct kd_section {
	char name[32];
	uint64_t addr;
	uint64_t size;
};

#define KD_MAX_SECTIONS	16

/* The loaded code of a module: [start, end) covers its text sections. */
struct kd_text {
	uint64_t start;
	uint64_t end;
	struct kd_section sec[KD_MAX_SECTIONS];
	unsigned int nsec;
};

/*
 * kd_module_text() - where the text of @module, loaded from the file @ko,
 * lies: the executable sections of the ELF file (init sections excepted,
 * they are gone after loading), placed at the addresses
 * /sys/module/@module/sections/ gives. Returns 0 or -errno.
 */
int kd_module_text(const char *ko, const char *module, struct kd_text *t);

/*
 * The kernel log, read through /dev/kmsg from the point where it was
 * opened. Report lines are those tests/vm/kernel-reports lists.
 */
struct kd_kmsg {
	int fd;
	regex_t report;
	regex_t allow;
	bool have_allow;
	bool expect_trace;	/* an allowed line came: its trace is expected */
};

/*
 * kd_kmsg_open() - start reading the kernel log at its end
 * @k: the reader
 * @reports: the file of report patterns (tests/vm/kernel-reports)
 * @allow: extended regular expression of expected report lines (their
 *	stack trace is expected too), or NULL
 *
 * Return: 0 or -errno.
 */
int kd_kmsg_open(struct kd_kmsg *k, const char *reports, const char *allow);
void kd_kmsg_close(struct kd_kmsg *k);

/*
 * kd_kmsg_poll() - read what the kernel logged since the last call
 * @k: the reader
 * @log: where every line read goes (or NULL)
 * @first: receives the first report line (or NULL), @len bytes
 *
 * Return: the number of report lines, or -errno.
 */
int kd_kmsg_poll(struct kd_kmsg *k, FILE *log, char *first, size_t len);

/* A line "trn-debug: ..." in the kernel log, to tell reports apart. */
void kd_kmsg_mark(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write a formatted string to a (sysfs, debugfs, proc) file; 0 or -errno. */
int kd_write(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Read an unsigned number (decimal or 0x hex) from a file; 0 or -errno. */
int kd_read_u64(const char *path, uint64_t *val);

/* Whether the file exists. */
bool kd_exists(const char *path);

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t kd_now_ms(void);

#endif /* KDEBUG_H */
