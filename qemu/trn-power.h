/*
 * trn: model of the board's power cap and the NeuronCores' throttling.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_TRN_TRN_POWER_H
#define HW_MISC_TRN_TRN_POWER_H

#include "qemu/atomic.h"
#include "trn_regs.h"

typedef struct TrnState TrnState;
typedef struct TrnQueue TrnQueue;

/* Speed of the NeuronCores, in 1/TRN_SPEED_ONE of full speed */
#define TRN_SPEED_ONE           1024
#define TRN_SPEED_MIN           (TRN_SPEED_ONE / 8)     /* never slower */
#define TRN_SPEED_HOT           (TRN_SPEED_ONE / 2)     /* above temp-max */
#define TRN_POWER_TEMP_MAX_MIN  40      /* degrees C: the lowest temp-max */

/*
 * The power controller's state: with the BQL held, but @speed, which the
 * core workers read without it.
 */
typedef struct TrnPower {
    /* Properties, in milliwatts; fixed at realize */
    uint32_t cap_min_mw;        /* power-cap-min */
    uint32_t cap_max_mw;        /* power-cap-max, 0: rated power */
    uint32_t cap_init_mw;       /* power-cap, 0: power-cap-max */
    uint32_t temp_max;          /* temp-max, degrees C */

    uint32_t cap_mw;            /* TRN_REG_POWER_CAP */
    double avg_mw;              /* board power, averaged over ~1 s */
    double power_speed;         /* what the cap allows, 1/8 .. 1 */
    bool hot;                   /* thermal throttling, with hysteresis */
    uint32_t reasons;           /* TRN_REG_THROTTLE */
    uint64_t throttled_ns;      /* TRN_REG_THROTTLE_NS, up to last_ns */
    int64_t last_ns;            /* time of the last tick */
    uint32_t speed;             /* TRN_SPEED_*, atomic */
} TrnPower;

/*
 * Check the properties against the rated power @rated_mw and the shutdown
 * temperature @crit_mc; false on error.
 */
bool trn_power_realize(TrnState *s, uint32_t rated_mw, uint32_t crit_mc,
                       Error **errp);
/* Device reset: the cap the properties give, full speed, no time counted. */
void trn_power_reset(TrnState *s);

/*
 * A tick of the sensors (BQL held): @power_mw was the board's power over
 * the last @dt ns, of which the NeuronCores draw up to @cores_mw at full
 * speed, and the die is at @temp_mc millidegrees now. Updates the speed
 * and the reasons; raises TRN_IRQ_THROTTLE when they change.
 */
void trn_power_tick(TrnState *s, int64_t dt, uint32_t power_mw,
                    uint32_t cores_mw, double temp_mc);

/* The speed of the NeuronCores now, for the power model: 1/8 .. 1. */
double trn_power_speed(TrnState *s);

/* The registers of the power cap and throttling. */
bool trn_power_read(TrnState *s, hwaddr reg, uint64_t *val);
bool trn_power_read64(TrnState *s, hwaddr reg, uint64_t *val);
bool trn_power_write(TrnState *s, hwaddr reg, uint64_t val);

/*
 * A core's worker ran an instruction for @dt ns at full speed: slow it
 * down as the speed asks, adding to the time it owes, *@debt (its own),
 * and paying it by waiting on the condition of its queue @q, with
 * TrnState.lock taken here. The wait ends early when the queue is reset
 * (its generation is no longer @gen), the VM stops or the device goes
 * away. Returns the ns it waited.
 */
int64_t trn_power_throttle(TrnState *s, TrnQueue *q, int64_t *debt,
                           uint32_t gen, int64_t dt);

#endif /* HW_MISC_TRN_TRN_POWER_H */
