/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Declarations shared between the source files of libnrt. Not installed.
 */
#ifndef NRT_INTERNAL_H
#define NRT_INTERNAL_H

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

#endif /* NRT_INTERNAL_H */
