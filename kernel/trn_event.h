/* SPDX-License-Identifier: GPL-2.0-only */
/* Copyright (c) 2026 The trn authors */

#ifndef __TRN_EVENT_H__
#define __TRN_EVENT_H__

#include <linux/dev_printk.h>
#include <linux/ratelimit.h>
#include <drm/trn_accel.h>

#include "trn_drv.h"

/*
 * The kernel log lines an operator acts on carry a stable code, enum
 * drm_trn_event; Documentation/operator-guide.rst, "Event codes", is the
 * catalogue. A line reads "trn <bdf>: event <code>: <message>" whatever the
 * code, so that log monitors (node-problem-detector, journalctl -g) match
 * one pattern.
 *
 * Lines that a device or a user can cause in a loop are rate limited per
 * device and per group of codes (the hundreds: memory, thermal and power,
 * NeuronLink, jobs and resets), so that neither one device nor one group
 * takes the log from the others: trn_event(). Those that cannot repeat
 * faster than an administrator acts, or that must never be lost (an audit
 * line), are not: trn_event_always().
 */

/*
 * The device's rate limit of the group of @code, a valid event: one per
 * hundred, and one of their own for the thermal events, so that a power
 * cap crossed again and again cannot hide the heat.
 */
static inline struct ratelimit_state *
trn_event_rs(struct trn_device *tdev, unsigned int code)
{
	unsigned int group = code / 100 - 1;

	if (code == DRM_TRN_EVENT_THERMAL_THROTTLE ||
	    code == DRM_TRN_EVENT_THERMAL_THROTTLE_END)
		return &tdev->event_rs[TRN_EVENT_GROUPS - 1];
	return &tdev->event_rs[min(group, TRN_EVENT_GROUPS - 2)];
}

/*
 * trn_event() - log an event with its code, rate limited
 * @tdev: the device
 * @level: err, warn, notice or info
 * @name: the code, without DRM_TRN_EVENT_
 * @fmt: the message, ending with a newline
 */
#define trn_event(tdev, level, name, fmt, ...)				\
	do {								\
		struct trn_device *__tdev = (tdev);			\
									\
		if (__ratelimit(trn_event_rs(__tdev,			\
					     DRM_TRN_EVENT_##name)))	\
			trn_event_always(__tdev, level, name, fmt,	\
					 ##__VA_ARGS__);		\
	} while (0)

/* The same, never rate limited. */
#define trn_event_always(tdev, level, name, fmt, ...)			\
	dev_##level((tdev)->drm.dev, "event %u: " fmt,			\
		    DRM_TRN_EVENT_##name, ##__VA_ARGS__)

/* Before the first event of @tdev. */
static inline void trn_event_init(struct trn_device *tdev)
{
	unsigned int i;

	for (i = 0; i < TRN_EVENT_GROUPS; i++)
		ratelimit_state_init(&tdev->event_rs[i],
				     DEFAULT_RATELIMIT_INTERVAL,
				     DEFAULT_RATELIMIT_BURST);
}

#endif /* __TRN_EVENT_H__ */
