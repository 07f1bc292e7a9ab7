// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * What the tools share: see nrt_tool.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nrt_tool.h"

static const char *nrt_tool_progname = "nrt";

void nrt_tool_init(const char *name)
{
	nrt_tool_progname = name;
}

const char *nrt_tool_name(void)
{
	return nrt_tool_progname;
}

/*
 * One line, written at once: processes of one tool (the ranks of
 * nrt-ccl-test) that share stderr do not mix their lines.
 */
static void nrt_tool_verror(const char *fmt, va_list ap)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "%s: ", nrt_tool_progname);

	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	n = (int)strlen(line);
	if ((size_t)n == sizeof(line) - 1)
		n--;
	line[n++] = '\n';
	fwrite(line, 1, (size_t)n, stderr);
}

void nrt_tool_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nrt_tool_verror(fmt, ap);
	va_end(ap);
}

void nrt_tool_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nrt_tool_verror(fmt, ap);
	va_end(ap);
	exit(1);
}

void nrt_tool_usage_error(const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		nrt_tool_verror(fmt, ap);
		va_end(ap);
	}
	fprintf(stderr, "Try '%s --help' for more information.\n",
		nrt_tool_progname);
	exit(2);
}

int nrt_tool_version(void)
{
	printf("%s %d.%d.%d\n", nrt_tool_progname, NRT_VERSION_MAJOR,
	       NRT_VERSION_MINOR, NRT_VERSION_PATCH);
	return nrt_tool_flush();
}

int nrt_tool_flush(void)
{
	if (fflush(stdout) || ferror(stdout)) {
		nrt_tool_error("cannot write the output");
		return 1;
	}
	return 0;
}

const char *nrt_tool_reason(nrt_status st)
{
	const char *detail = nrt_last_error();

	return *detail ? detail : nrt_strerror(st);
}

void *nrt_tool_xmalloc(size_t size)
{
	void *p = malloc(size);

	if (!p)
		nrt_tool_die("out of memory allocating %zu bytes", size);
	return p;
}

char *nrt_tool_format_size(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"
	};
	const unsigned int last = sizeof(units) / sizeof(units[0]) - 1;
	unsigned int u = 0;
	uint64_t unit, whole, rem, tenths;

	while (u < last && bytes >> (10 * (u + 1)))
		u++;
	if (u == 0) {
		snprintf(buf, size, "%llu B", (unsigned long long)bytes);
		return buf;
	}

	unit = UINT64_C(1) << (10 * u);
	whole = bytes >> (10 * u);
	rem = bytes & (unit - 1);
	/* rem < 2^60, so this cannot overflow even for EiB. */
	tenths = (rem * 10 + unit / 2) / unit;
	if (tenths == 10) {
		whole++;
		tenths = 0;
	}
	if (whole == 1024 && u < last) {
		/* Rounded up to the next unit, e.g. 1023.96 MiB. */
		u++;
		whole = 1;
	}

	if (tenths)
		snprintf(buf, size, "%llu.%llu %s", (unsigned long long)whole,
			 (unsigned long long)tenths, units[u]);
	else
		snprintf(buf, size, "%llu %s", (unsigned long long)whole,
			 units[u]);
	return buf;
}

bool nrt_tool_parse_size(const char *s, size_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	switch (*end) {
	case 'k': case 'K':
		shift = 10;
		end++;
		break;
	case 'm': case 'M':
		shift = 20;
		end++;
		break;
	case 'g': case 'G':
		shift = 30;
		end++;
		break;
	default:
		break;
	}
	if (shift && !strcmp(end, "iB"))
		end += 2;
	else if (!strcmp(end, "B"))
		end++;
	if (*end || v > (SIZE_MAX >> shift))
		return false;
	*out = (size_t)v << shift;
	return true;
}

bool nrt_tool_parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = (unsigned int)v;
	return true;
}
