/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * What every source file of libnrt uses (nrt_error.c): the calling
 * thread's error detail message that nrt_last_error() returns, and the log
 * of the failures of public calls.
 *
 * A failing function records its message with nrt_fail() or
 * nrt_fail_errno() and returns the status. A caller that adds context to
 * the failure of a call it made puts it in front with nrt_fail_prefix():
 * the public functions put their own name there ("nrt_copy: ..."), so the
 * functions below them need not know who called them.
 *
 * Every public function that can fail starts with NRT_API_SCOPE(). When
 * the outermost public call of a thread returns (public functions call
 * each other) and the detail message was set during it, the message is
 * logged at level error (nrt_log.h): the same text as nrt_last_error(),
 * once, whatever the function called on the way. A failure that is an
 * expected answer (a poll of a job still running) is recorded with
 * nrt_fail_quiet() and logged at level debug. Internal work whose failure
 * is not the caller's keeps the message with nrt_error_save() and
 * nrt_error_restore(), which also keep it out of the log.
 */
#ifndef NRT_ERROR_H
#define NRT_ERROR_H

#include "nrt_log.h"

/* Length of the per-thread error detail buffer, including the NUL. */
#define NRT_ERROR_MAX 512

/*
 * nrt_fail() - record the error detail for the calling thread
 * @status: status to return
 * @fmt: printf format of the detail message
 *
 * Return: @status, so that callers can write "return nrt_fail(...)".
 */
NRT_HIDDEN nrt_status nrt_fail(nrt_status status, const char *fmt, ...)
	NRT_PRINTF(2, 3);

/*
 * nrt_fail_errno() - like nrt_fail(), with ": <strerror(err)>" appended
 * @status: status to return
 * @err: errno value describing the cause
 * @fmt: printf format of the detail message
 */
NRT_HIDDEN nrt_status nrt_fail_errno(nrt_status status, int err,
				     const char *fmt, ...) NRT_PRINTF(3, 4);

/*
 * nrt_fail_quiet() - like nrt_fail(), for a failure that is an expected
 * answer, logged at level debug only
 */
NRT_HIDDEN nrt_status nrt_fail_quiet(nrt_status status, const char *fmt, ...)
	NRT_PRINTF(2, 3);

/*
 * nrt_fail_prefix() - put "<prefix>: " in front of the current detail
 * @status: status to return
 * @fmt: printf format of the prefix
 *
 * For a caller that adds context to the failure of a call it made. Does
 * nothing for NRT_SUCCESS, so that a public function can end with
 * "return nrt_fail_prefix(st, "nrt_copy");".
 */
NRT_HIDDEN nrt_status nrt_fail_prefix(nrt_status status, const char *fmt, ...)
	NRT_PRINTF(2, 3);

/* Generic mapping of an errno value of an ioctl to a status. */
NRT_HIDDEN nrt_status nrt_status_from_errno(int err);

/* The calling thread's error detail, as nrt_error_save() keeps it. */
struct nrt_error_saved {
	char msg[NRT_ERROR_MAX];
	unsigned int gen;
	enum nrt_log_level level;
};

/*
 * Save the calling thread's error detail in @s and put it back, around
 * internal work whose failure is not the caller's.
 */
NRT_HIDDEN void nrt_error_save(struct nrt_error_saved *s);
NRT_HIDDEN void nrt_error_restore(const struct nrt_error_saved *s);

/* What NRT_API_SCOPE() keeps: the function and the message's generation. */
struct nrt_api_scope {
	const char *fn;
	unsigned int gen;
};

NRT_HIDDEN struct nrt_api_scope nrt_api_enter(const char *fn);
NRT_HIDDEN void nrt_api_leave(const struct nrt_api_scope *s);

/*
 * NRT_API_SCOPE() - the first statement of a public function that can
 * fail: logs the failure recorded during the call when it returns (after
 * its return expression, e.g. an nrt_fail_prefix(), is evaluated)
 */
#define NRT_API_SCOPE() \
	const struct nrt_api_scope nrt_api_scope_ \
	__attribute__((cleanup(nrt_api_leave), unused)) = nrt_api_enter(__func__)

#endif /* NRT_ERROR_H */
