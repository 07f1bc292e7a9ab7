/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * What the tools share (nrt_tool.c): messages that name the tool, usage
 * and fatal errors with the exit statuses of the man pages (2 for a usage
 * error, 1 for a failure), libnrt's reason for a failure, the end of the
 * output, and sizes for people.
 *
 * A tool calls nrt_tool_init() with its name before anything else.
 */
#ifndef NRT_TOOL_H
#define NRT_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nrt.h"

#define NRT_TOOL_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/* Buffer size that always holds a formatted size. */
#define NRT_TOOL_SIZE_LEN 32

/* nrt_tool_init() - the name messages begin with, e.g. "nrt-ls" */
void nrt_tool_init(const char *name);

/* nrt_tool_name() - the name given to nrt_tool_init() */
const char *nrt_tool_name(void);

/* nrt_tool_error() - print "<name>: <message>" on stderr */
void nrt_tool_error(const char *fmt, ...) NRT_TOOL_PRINTF(1, 2);

/* nrt_tool_die() - nrt_tool_error(), then exit with status 1 */
void nrt_tool_die(const char *fmt, ...) NRT_TOOL_PRINTF(1, 2)
	__attribute__((noreturn));

/*
 * nrt_tool_usage_error() - a usage error: print "<name>: <message>" (none
 * for a NULL @fmt: getopt_long() has already said what was wrong) and a
 * hint at --help on stderr, then exit with status 2
 */
void nrt_tool_usage_error(const char *fmt, ...) NRT_TOOL_PRINTF(1, 2)
	__attribute__((noreturn));

/*
 * nrt_tool_version() - print "<name> <libnrt version>" for --version
 * Return: the exit status, as nrt_tool_flush().
 */
int nrt_tool_version(void);

/*
 * nrt_tool_flush() - flush stdout
 * Return: 0, or 1 after a message if the output failed.
 */
int nrt_tool_flush(void);

/*
 * nrt_tool_reason() - why a libnrt call failed: its detail message
 * (nrt_last_error()), or the text of @st when there is none
 */
const char *nrt_tool_reason(nrt_status st);

/* nrt_tool_xmalloc() - malloc(), or nrt_tool_die() when out of memory */
void *nrt_tool_xmalloc(size_t size);

/*
 * nrt_tool_format_size() - format a byte count in binary units
 * @bytes: the count
 * @buf: output buffer
 * @size: size of @buf, at least NRT_TOOL_SIZE_LEN for no truncation
 *
 * Uses the largest unit (B, KiB, ..., EiB) the count reaches, with at most
 * one decimal, rounded to nearest, and no ".0": "512 MiB", "1.5 GiB".
 *
 * Return: @buf.
 */
char *nrt_tool_format_size(uint64_t bytes, char *buf, size_t size);

/*
 * nrt_tool_parse_size() - a byte count with an optional binary suffix:
 * 4096, 64K, 16M, 1G, 1GiB, 8B
 * Return: false if @s is not one (or too large for size_t).
 */
bool nrt_tool_parse_size(const char *s, size_t *out);

/*
 * nrt_tool_parse_uint() - a decimal number from @min to @max
 * Return: false if @s is not one.
 */
bool nrt_tool_parse_uint(const char *s, unsigned int min, unsigned int max,
			 unsigned int *out);

#endif /* NRT_TOOL_H */
