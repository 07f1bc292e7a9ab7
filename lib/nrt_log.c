// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * The library's log: see nrt_log.h.
 *
 * The settings are read on the first message (of any level) and kept for
 * the life of the process. The destination is a file descriptor kept open
 * (stderr, or NRT_LOG_FILE opened with O_APPEND) or syslog, which the
 * library uses without openlog(): the process's own ident and facility
 * stay as the program set them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "nrt_log.h"

/* Longest line: the error detail (512) with its context fits. */
#define NRT_LOG_LINE_MAX 1024

static const struct {
	const char *name;
	int priority;           /* syslog */
} nrt_log_levels[] = {
	[NRT_LOG_OFF] = { "off", LOG_DEBUG },
	[NRT_LOG_ERROR] = { "error", LOG_ERR },
	[NRT_LOG_WARN] = { "warn", LOG_WARNING },
	[NRT_LOG_INFO] = { "info", LOG_INFO },
	[NRT_LOG_DEBUG] = { "debug", LOG_DEBUG },
};

#define NRT_LOG_UNREAD (-1)

/* The most verbose level logged, or NRT_LOG_UNREAD before the first use. */
static atomic_int nrt_log_max = NRT_LOG_UNREAD;
static pthread_mutex_t nrt_log_lock = PTHREAD_MUTEX_INITIALIZER;
/* Destination, set once under nrt_log_lock before nrt_log_max is. */
static int nrt_log_fd = STDERR_FILENO;
static bool nrt_log_syslog;

static void nrt_log_write(enum nrt_log_level level, const char *msg)
{
	char line[NRT_LOG_LINE_MAX], stamp[32];
	struct timespec ts;
	struct tm tm;
	size_t len, off = 0;
	ssize_t n;
	int ret;

	if (nrt_log_syslog) {
		syslog(nrt_log_levels[level].priority, "libnrt %s: %s",
		       nrt_log_levels[level].name, msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	ret = snprintf(line, sizeof(line), "%s.%03ldZ %s[%ld]: libnrt %s: %s",
		       stamp, ts.tv_nsec / 1000000, program_invocation_short_name,
		       (long)getpid(), nrt_log_levels[level].name, msg);
	if (ret < 0)
		return;
	len = (size_t)ret < sizeof(line) - 1 ? (size_t)ret : sizeof(line) - 2;
	line[len++] = '\n';
	while (off < len) {
		n = write(nrt_log_fd, line + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

static int nrt_log_parse_level(const char *s, bool *bad)
{
	int i;

	*bad = false;
	if (!s || !*s)
		return NRT_LOG_OFF;
	for (i = NRT_LOG_OFF; i <= NRT_LOG_DEBUG; i++) {
		if (!strcasecmp(s, nrt_log_levels[i].name))
			return i;
	}
	if (!strcasecmp(s, "none"))
		return NRT_LOG_OFF;
	if (!strcasecmp(s, "warning"))
		return NRT_LOG_WARN;
	*bad = true;
	return NRT_LOG_WARN;
}

/* Read the settings. Called with nrt_log_lock held. */
static void nrt_log_setup(void)
{
	const char *lvl = secure_getenv("NRT_LOG_LEVEL");
	const char *file = secure_getenv("NRT_LOG_FILE");
	int max, err = 0;
	bool bad;

	max = nrt_log_parse_level(lvl, &bad);
	nrt_log_fd = STDERR_FILENO;
	nrt_log_syslog = false;
	if (max != NRT_LOG_OFF && file && *file) {
		if (!strcmp(file, "syslog")) {
			nrt_log_syslog = true;
		} else {
			nrt_log_fd = open(file, O_WRONLY | O_APPEND | O_CREAT |
					  O_CLOEXEC | O_NOCTTY, 0644);
			if (nrt_log_fd < 0) {
				err = errno;
				nrt_log_fd = STDERR_FILENO;
			}
		}
	}
	if (bad)
		nrt_log_write(NRT_LOG_WARN,
			      "NRT_LOG_LEVEL: unknown level (not error, warn, info or debug): using warn");
	if (err) {
		char msg[PATH_MAX + 128];

		snprintf(msg, sizeof(msg), "NRT_LOG_FILE: cannot open %s: %s; logging to stderr",
			 file, strerror(err));
		nrt_log_write(NRT_LOG_WARN, msg);
	}
	atomic_store_explicit(&nrt_log_max, max, memory_order_release);
}

bool nrt_log_enabled(enum nrt_log_level level)
{
	int max = atomic_load_explicit(&nrt_log_max, memory_order_acquire);

	if (max == NRT_LOG_UNREAD) {
		pthread_mutex_lock(&nrt_log_lock);
		max = atomic_load_explicit(&nrt_log_max, memory_order_relaxed);
		if (max == NRT_LOG_UNREAD) {
			nrt_log_setup();
			max = atomic_load_explicit(&nrt_log_max, memory_order_relaxed);
		}
		pthread_mutex_unlock(&nrt_log_lock);
	}
	return level != NRT_LOG_OFF && (int)level <= max;
}

void nrt_log(enum nrt_log_level level, const char *fmt, ...)
{
	char msg[NRT_LOG_LINE_MAX];
	va_list ap;

	if (!nrt_log_enabled(level))
		return;
	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		snprintf(msg, sizeof(msg), "(message could not be formatted)");
	va_end(ap);
	nrt_log_write(level, msg);
}

void nrt_log_reinit(void)
{
	pthread_mutex_lock(&nrt_log_lock);
	if (nrt_log_fd != STDERR_FILENO)
		close(nrt_log_fd);
	nrt_log_fd = STDERR_FILENO;
	nrt_log_syslog = false;
	atomic_store_explicit(&nrt_log_max, NRT_LOG_UNREAD, memory_order_release);
	pthread_mutex_unlock(&nrt_log_lock);
}
