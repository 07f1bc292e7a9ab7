/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * What every source file of libnrt uses (nrt_error.c): the visibility and
 * format attributes, and the calling thread's error detail message that
 * nrt_last_error() returns.
 *
 * A failing function records its message with nrt_fail() or
 * nrt_fail_errno() and returns the status. A caller that adds context to
 * the failure of a call it made puts it in front with nrt_fail_prefix():
 * the public functions put their own name there ("nrt_copy: ..."), so the
 * functions below them need not know who called them.
 */
#ifndef NRT_ERROR_H
#define NRT_ERROR_H

#include "nrt.h"

#define NRT_HIDDEN __attribute__((visibility("hidden")))
#define NRT_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

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

/*
 * Save the calling thread's error detail in @buf (NRT_ERROR_MAX bytes) and
 * put it back, around internal work whose failure is not the caller's.
 */
NRT_HIDDEN void nrt_error_save(char *buf);
NRT_HIDDEN void nrt_error_restore(const char *buf);

#endif /* NRT_ERROR_H */
