/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (c) 2026 The trn authors
 *
 * TAP output for the test programs that print their own results (outside
 * cmocka): tap() prints one numbered "ok" or "not ok" line and counts the
 * failures; tap_plan() prints the plan and returns what main() should.
 * One program, one instance: the counters are static.
 */
#ifndef TRN_TEST_TAP_H
#define TRN_TEST_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static unsigned int tap_n, tap_failed;

__attribute__((format(printf, 2, 3)))
static inline void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %u - ", ok ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	tap_failed += !ok;
}

/* The plan, at the end; Return: the exit status, the number of failures. */
static inline int tap_plan(void)
{
	printf("1..%u\n", tap_n);
	return (int)tap_failed;
}

#endif /* TRN_TEST_TAP_H */
