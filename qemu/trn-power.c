/*
 * trn: model of the board's power cap and the NeuronCores' throttling.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Interface 1.8 (TRN_CAP_POWER). The driver sets a cap on board power
 * (TRN_REG_POWER_CAP, clamped to [power-cap-min, power-cap-max]); at each
 * tick of the sensors (trn-health.c, every 100 ms of virtual time, with the
 * BQL) a damped controller compares the board power, averaged over about a
 * second, with the cap and moves the speed the cap allows the NeuronCores
 * down while the average is above it and up while it is below, never under
 * 1/8 of full speed. Independently, a die above temp-max runs its cores at
 * half speed until it has cooled 5 degrees C below it. The speed is the
 * lower of the two; TRN_REG_THROTTLE says which of them slows the cores,
 * TRN_REG_THROTTLE_NS for how long they have been slowed since the reset,
 * and TRN_IRQ_THROTTLE tells of every change of the reasons.
 *
 * The speed slows real execution: after each instruction a core's worker
 * owes (1 / speed - 1) times the instruction's time, and pays its debt by
 * waiting on its queue's condition, in steps of at least a millisecond, so
 * that the throughput of the cores drops by the speed. The wait counts as
 * busy time, as a core with a slowed clock is busy for longer; the power
 * model (trn-health.c) scales the cores' share of board power by the
 * speed, so that slowing them brings the power under the cap. DMA engines
 * are not throttled.
 *
 * Every value the guest writes is clamped; the debt of a worker is bounded
 * (TRN_POWER_DEBT_MAX_NS), so that no instruction waits without end.
 */

#include "qemu/osdep.h"
#include <math.h>
#include "qapi/error.h"
#include "qemu/timer.h"
#include "trace.h"
#include "trn.h"
#include "trn-irq.h"
#include "trn-power.h"
#include "trn-queue.h"

#define TRN_POWER_TAU_NS        (1000LL * 1000 * 1000)  /* averaging */
#define TRN_POWER_GAIN          0.25    /* speed per tick per dynamic range */
#define TRN_POWER_BAND          0.98    /* speed rises below this of the cap */
#define TRN_POWER_HYST_MC       5000    /* thermal hysteresis */
#define TRN_POWER_DEBT_MAX_NS   (200LL * 1000 * 1000)

bool trn_power_realize(TrnState *s, uint32_t rated_mw, uint32_t crit_mc,
                       Error **errp)
{
    TrnPower *p = &s->power;

    /*
     * The die must be able to cool 5 C below temp-max at the default
     * ambient temperature, or a device once hot would stay throttled.
     */
    if (p->temp_max < TRN_POWER_TEMP_MAX_MIN ||
        p->temp_max * 1000ULL >= crit_mc) {
        error_setg(errp, "temp-max %u: need %u <= temp-max < %u degrees C",
                   p->temp_max, TRN_POWER_TEMP_MAX_MIN, crit_mc / 1000);
        return false;
    }

    if (!p->cap_max_mw) {
        p->cap_max_mw = rated_mw;
    }
    if (!p->cap_init_mw) {
        p->cap_init_mw = p->cap_max_mw;
    }
    if (!p->cap_min_mw || p->cap_min_mw > p->cap_max_mw ||
        p->cap_max_mw > rated_mw) {
        error_setg(errp, "power-cap-min %u and power-cap-max %u mW: need "
                   "0 < min <= max <= rated power %u mW", p->cap_min_mw,
                   p->cap_max_mw, rated_mw);
        return false;
    }
    if (p->cap_init_mw < p->cap_min_mw || p->cap_init_mw > p->cap_max_mw) {
        error_setg(errp, "power-cap %u mW is outside [%u, %u] mW",
                   p->cap_init_mw, p->cap_min_mw, p->cap_max_mw);
        return false;
    }
    p->avg_mw = 0;
    p->hot = false;
    p->power_speed = 1.0;
    return true;
}

static uint32_t trn_power_speed_now(const TrnPower *p)
{
    uint32_t speed = lround(p->power_speed * TRN_SPEED_ONE);

    if (p->hot) {
        speed = MIN(speed, TRN_SPEED_HOT);
    }
    return MAX(MIN(speed, TRN_SPEED_ONE), TRN_SPEED_MIN);
}

/* The reasons the cores run slowed: what the state above says. */
static uint32_t trn_power_reasons(const TrnPower *p)
{
    return (p->power_speed < 1.0 ? TRN_THROTTLE_POWER : 0) |
           (p->hot ? TRN_THROTTLE_THERMAL : 0);
}

/* Publish the speed and the reasons; a change of reasons is signalled. */
static void trn_power_update(TrnState *s)
{
    TrnPower *p = &s->power;
    uint32_t reasons = trn_power_reasons(p);

    qatomic_set(&p->speed, trn_power_speed_now(p));
    if (reasons != p->reasons) {
        trace_trn_power_throttle(s->chip_id, p->reasons, reasons,
                                 qatomic_read(&p->speed));
        p->reasons = reasons;
        trn_irq_set(s, TRN_IRQ_THROTTLE);
    }
}

/*
 * Device reset: the cap the properties give, the controller at full speed,
 * no time counted. The die keeps its temperature, and so its thermal state;
 * the average of the board's power is a measurement and stays too. No
 * interrupt: the reset cleared the mask.
 */
void trn_power_reset(TrnState *s)
{
    TrnPower *p = &s->power;

    p->cap_mw = p->cap_init_mw;
    p->power_speed = 1.0;
    p->throttled_ns = 0;
    p->last_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    p->reasons = trn_power_reasons(p);
    qatomic_set(&p->speed, trn_power_speed_now(p));
}

double trn_power_speed(TrnState *s)
{
    return (double)qatomic_read(&s->power.speed) / TRN_SPEED_ONE;
}

void trn_power_tick(TrnState *s, int64_t dt, uint32_t power_mw,
                    uint32_t cores_mw, double temp_mc)
{
    TrnPower *p = &s->power;
    double range = MAX(cores_mw, 1000);
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    double max_mc = p->temp_max * 1000.0;

    if (p->reasons && now > p->last_ns) {
        p->throttled_ns += now - p->last_ns;
    }
    p->last_ns = now;
    if (dt <= 0) {
        return;
    }
    if (p->avg_mw <= 0) {
        p->avg_mw = power_mw;   /* the first sample */
    }
    /* A first-order average over about a second */
    p->avg_mw += (power_mw - p->avg_mw) *
                 (1.0 - exp(-(double)dt / TRN_POWER_TAU_NS));
    /*
     * Integral control, damped by the average's lag; down while above the
     * cap, up only below TRN_POWER_BAND of it, so that a load that draws
     * about the cap holds a steady speed rather than flapping in and out
     * of throttling.
     */
    if (p->avg_mw > p->cap_mw) {
        p->power_speed -= TRN_POWER_GAIN * (p->avg_mw - p->cap_mw) / range;
    } else if (p->avg_mw < p->cap_mw * TRN_POWER_BAND) {
        p->power_speed += TRN_POWER_GAIN *
                          (p->cap_mw * TRN_POWER_BAND - p->avg_mw) / range;
    }
    p->power_speed = MAX(MIN(p->power_speed, 1.0),
                         (double)TRN_SPEED_MIN / TRN_SPEED_ONE);
    if (temp_mc > max_mc) {
        p->hot = true;
    } else if (temp_mc < max_mc - TRN_POWER_HYST_MC) {
        p->hot = false;
    }
    trace_trn_power_tick(s->chip_id, p->cap_mw, (uint32_t)p->avg_mw,
                         (unsigned)(p->power_speed * 100), p->hot);
    trn_power_update(s);
}

bool trn_power_read(TrnState *s, hwaddr reg, uint64_t *val)
{
    TrnPower *p = &s->power;

    switch (reg) {
    case TRN_REG_POWER_CAP:
        *val = p->cap_mw;
        return true;
    case TRN_REG_POWER_CAP_MIN:
        *val = p->cap_min_mw;
        return true;
    case TRN_REG_POWER_CAP_MAX:
        *val = p->cap_max_mw;
        return true;
    case TRN_REG_THROTTLE:
        *val = p->reasons;
        return true;
    default:
        return false;
    }
}

bool trn_power_read64(TrnState *s, hwaddr reg, uint64_t *val)
{
    TrnPower *p = &s->power;
    int64_t now;

    if (reg != TRN_REG_THROTTLE_NS) {
        return false;
    }
    /* Up to now, not to the last tick: the count moves between ticks */
    now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    *val = p->throttled_ns +
           (p->reasons && now > p->last_ns ? now - p->last_ns : 0);
    return true;
}

/* TRN_REG_POWER_CAP: any value, clamped to what the board can do. */
bool trn_power_write(TrnState *s, hwaddr reg, uint64_t val)
{
    TrnPower *p = &s->power;
    uint32_t cap;

    if (reg != TRN_REG_POWER_CAP) {
        return false;
    }
    cap = MAX(MIN(val, (uint64_t)p->cap_max_mw), p->cap_min_mw);
    trace_trn_power_cap(s->chip_id, val, cap);
    p->cap_mw = cap;
    return true;
}

int64_t trn_power_throttle(TrnState *s, TrnQueue *q, int64_t *debt,
                           uint32_t gen, int64_t dt)
{
    uint32_t speed = qatomic_read(&s->power.speed);
    int64_t t0, waited, end;

    if (speed >= TRN_SPEED_ONE || speed < TRN_SPEED_MIN) {
        *debt = 0;              /* full speed: nothing owed */
        return 0;
    }
    if (dt <= 0) {
        return 0;
    }
    /* At most 7 times the instruction's time, and never without bound */
    dt = MIN(dt, TRN_POWER_DEBT_MAX_NS);
    *debt += dt * (TRN_SPEED_ONE - speed) / speed;
    *debt = MIN(*debt, TRN_POWER_DEBT_MAX_NS);
    if (*debt < SCALE_MS) {
        return 0;
    }
    t0 = get_clock();
    end = t0 + *debt;
    qemu_mutex_lock(&s->lock);
    while (s->running && !s->stopping && q->gen == gen) {
        int64_t left = end - get_clock();

        if (left < SCALE_MS) {
            break;
        }
        qemu_cond_timedwait(q->wake, &s->lock, left / SCALE_MS);
    }
    qemu_mutex_unlock(&s->lock);
    waited = get_clock() - t0;
    *debt = MAX(*debt - waited, 0);
    return waited;
}
