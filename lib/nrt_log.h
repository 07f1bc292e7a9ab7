/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * The library's log (nrt_log.c), and the attributes every source file of
 * libnrt uses (visibility, printf formats).
 *
 * The log is off unless NRT_LOG_LEVEL is set (error, warn, info or debug;
 * read once, with secure_getenv()). It goes to stderr, or to the file
 * NRT_LOG_FILE names (opened for appending), or to syslog when
 * NRT_LOG_FILE is "syslog". Each message is one line written with one
 * write(), so lines of several threads and processes do not mix.
 */
#ifndef NRT_LOG_H
#define NRT_LOG_H

#include <stdbool.h>

#include "nrt.h"

#define NRT_HIDDEN __attribute__((visibility("hidden")))
#define NRT_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/* Levels of NRT_LOG_LEVEL, most severe first; a level logs those before it. */
enum nrt_log_level {
	NRT_LOG_OFF = 0,
	NRT_LOG_ERROR,          /* a call failed */
	NRT_LOG_WARN,           /* a setting was ignored, or partly */
	NRT_LOG_INFO,           /* a device was opened; what a process sees */
	NRT_LOG_DEBUG,          /* expected failures: a poll of a running job */
};

/* Whether messages of @level are logged. */
NRT_HIDDEN bool nrt_log_enabled(enum nrt_log_level level);

/*
 * nrt_log() - log one message at @level (nothing if the level is off)
 *
 * The line is "<UTC time> <program>[<pid>]: libnrt <level>: <message>",
 * or, to syslog, "libnrt <level>: <message>" with the priority of @level.
 */
NRT_HIDDEN void nrt_log(enum nrt_log_level level, const char *fmt, ...)
	NRT_PRINTF(2, 3);

/*
 * nrt_log_reinit() - read NRT_LOG_LEVEL and NRT_LOG_FILE again, for the
 * unit tests; no other thread may log at the same time
 */
NRT_HIDDEN void nrt_log_reinit(void);

#endif /* NRT_LOG_H */
