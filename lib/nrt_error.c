// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * Status codes, the per-thread error detail message and the log of the
 * failures of public calls.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nrt_error.h"

/*
 * The calling thread's message; its generation, which every new message
 * (or prefix) advances; the log level of the failure it describes; and
 * how deep the thread is in public calls (NRT_API_SCOPE()).
 */
static _Thread_local char nrt_error_buf[NRT_ERROR_MAX];
static _Thread_local unsigned int nrt_error_gen;
static _Thread_local enum nrt_log_level nrt_error_level = NRT_LOG_ERROR;
static _Thread_local unsigned int nrt_api_depth;

NRT_API const char *nrt_strerror(nrt_status s)
{
	switch (s) {
	case NRT_SUCCESS:
		return "success";
	case NRT_FAILURE:
		return "failure";
	case NRT_INVALID:
		return "invalid argument";
	case NRT_INVALID_HANDLE:
		return "invalid handle";
	case NRT_RESOURCE:
		return "out of resources";
	case NRT_TIMEOUT:
		return "timed out";
	case NRT_HW_ERROR:
		return "hardware error";
	case NRT_QUEUE_FULL:
		return "queue full";
	case NRT_NO_DEVICE:
		return "no such device";
	case NRT_NO_DRIVER:
		return "driver not loaded";
	case NRT_PERMISSION:
		return "permission denied";
	case NRT_UNSUPPORTED:
		return "not supported";
	case NRT_NO_LINK:
		return "link down";
	case NRT_PEER_LOST:
		return "peer lost";
	}
	return "unknown status";
}

NRT_API const char *nrt_last_error(void)
{
	return nrt_error_buf;
}

static void nrt_set_error(int err, const char *fmt, va_list ap)
{
	int len;

	nrt_error_gen++;
	nrt_error_level = NRT_LOG_ERROR;

	len = vsnprintf(nrt_error_buf, sizeof(nrt_error_buf), fmt, ap);
	if (len < 0) {
		/* Only an invalid format can get here; keep something useful. */
		snprintf(nrt_error_buf, sizeof(nrt_error_buf), "%s",
			 "(error message could not be formatted)");
		return;
	}
	if (err && (size_t)len < sizeof(nrt_error_buf)) {
		char ebuf[128];

		/* GNU strerror_r: returns a string, possibly not ebuf. */
		snprintf(nrt_error_buf + len, sizeof(nrt_error_buf) - (size_t)len,
			 ": %s", strerror_r(err, ebuf, sizeof(ebuf)));
	}
}

nrt_status nrt_fail(nrt_status status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nrt_set_error(0, fmt, ap);
	va_end(ap);
	return status;
}

nrt_status nrt_fail_errno(nrt_status status, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nrt_set_error(err, fmt, ap);
	va_end(ap);
	return status;
}

nrt_status nrt_fail_quiet(nrt_status status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nrt_set_error(0, fmt, ap);
	va_end(ap);
	nrt_error_level = NRT_LOG_DEBUG;
	return status;
}

nrt_status nrt_fail_prefix(nrt_status status, const char *fmt, ...)
{
	char old[NRT_ERROR_MAX];
	size_t len, n;
	va_list ap;
	int ret;

	if (status == NRT_SUCCESS)
		return status;
	nrt_error_gen++;
	memcpy(old, nrt_error_buf, sizeof(old));
	va_start(ap, fmt);
	ret = vsnprintf(nrt_error_buf, sizeof(nrt_error_buf), fmt, ap);
	va_end(ap);
	if (ret < 0) {
		memcpy(nrt_error_buf, old, sizeof(old));
		return status;
	}

	/* Append ": <old>", truncated to what fits. */
	len = (size_t)ret;
	if (len + 2 >= sizeof(nrt_error_buf))
		return status;
	memcpy(nrt_error_buf + len, ": ", 2);
	len += 2;
	n = strlen(old);
	if (n > sizeof(nrt_error_buf) - 1 - len)
		n = sizeof(nrt_error_buf) - 1 - len;
	memcpy(nrt_error_buf + len, old, n);
	nrt_error_buf[len + n] = '\0';
	return status;
}

void nrt_error_save(struct nrt_error_saved *s)
{
	memcpy(s->msg, nrt_error_buf, sizeof(nrt_error_buf));
	s->gen = nrt_error_gen;
	s->level = nrt_error_level;
}

void nrt_error_restore(const struct nrt_error_saved *s)
{
	memcpy(nrt_error_buf, s->msg, sizeof(nrt_error_buf));
	nrt_error_gen = s->gen;
	nrt_error_level = s->level;
}

struct nrt_api_scope nrt_api_enter(const char *fn)
{
	struct nrt_api_scope s = { fn, nrt_error_gen };

	nrt_api_depth++;
	return s;
}

void nrt_api_leave(const struct nrt_api_scope *s)
{
	if (--nrt_api_depth || s->gen == nrt_error_gen)
		return;
	if (nrt_log_enabled(nrt_error_level))
		nrt_log(nrt_error_level, "%s() failed: %s", s->fn, nrt_error_buf);
}

nrt_status nrt_status_from_errno(int err)
{
	switch (err) {
	case EACCES:
	case EPERM:
		return NRT_PERMISSION;
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return NRT_NO_DEVICE;
	case ENOMEM:
	case EDQUOT:	/* over the user's quota of the device */
		return NRT_RESOURCE;
	default:
		return NRT_FAILURE;
	}
}
