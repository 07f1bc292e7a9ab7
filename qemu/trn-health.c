/*
 * trn: model of the device's sensors and HBM error counters.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Every TRN_HEALTH_PERIOD_NS of virtual time, a timer (with the BQL) takes
 * the busy time the DMA engines and NeuronCores added since the last tick,
 * turns it into board power (idle power plus a share per busy engine), and
 * moves the die temperature towards ambient + TRN_HEALTH_R_MC_PER_W * power
 * with a first-order lag: the figures rise with load and settle back when
 * the device idles, as a real board's sensors do, and stand still while
 * the VM is paused.
 *
 * The ECC counters count HBM errors; the model has none of its own, so
 * they move only when the properties inject-ecc-corrected and
 * inject-ecc-uncorrected are set (qom-set, while the VM runs): setting one
 * to N adds N errors. Everything here runs with the BQL held.
 */

#include "qemu/osdep.h"
#include <math.h>
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "trace.h"
#include "trn.h"
#include "trn-core.h"
#include "trn-health.h"
#include "trn-queue.h"

#define TRN_HEALTH_PERIOD_NS    (100 * 1000 * 1000)
#define TRN_HEALTH_TAU_NS       (2000LL * 1000 * 1000) /* thermal lag */
#define TRN_HEALTH_IDLE_MW      60000   /* board power at idle */
#define TRN_HEALTH_CORE_MW      90000   /* each NeuronCore, fully busy */
#define TRN_HEALTH_ENGINE_MW    15000   /* each DMA engine, fully busy */
#define TRN_HEALTH_R_MC_PER_W   150     /* millidegrees C per watt */
#define TRN_HEALTH_TEMP_MAX_MC  85000
#define TRN_HEALTH_TEMP_CRIT_MC 95000

/* Busy nanoseconds of the DMA engines [0] and the NeuronCores [1]. */
static void trn_health_busy(TrnState *s, uint64_t busy[2])
{
    unsigned i;

    busy[0] = busy[1] = 0;
    for (i = 0; i < s->dma_engines; i++) {
        busy[0] += stat64_get(&s->engines[i].busy_ns);
    }
    for (i = 0; i < s->cores; i++) {
        busy[1] += stat64_get(&s->core_stats[i].ctr[TRN_CORE_BUSY_NS / 8]);
    }
}

static uint32_t trn_health_power_max(TrnState *s)
{
    return TRN_HEALTH_IDLE_MW + s->cores * TRN_HEALTH_CORE_MW +
           s->dma_engines * TRN_HEALTH_ENGINE_MW;
}

static void trn_health_tick(void *opaque)
{
    TrnState *s = opaque;
    TrnHealth *h = &s->health;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    int64_t dt = now - h->last_ns;
    uint64_t busy[2];
    double u_dma, u_core, target;

    trn_health_busy(s, busy);
    if (dt > 0) {
        /* Counters only grow between resets; a reset restarts the sample */
        u_dma = busy[0] >= h->last_busy[0] ?
                (double)(busy[0] - h->last_busy[0]) / dt / s->dma_engines : 0;
        u_core = busy[1] >= h->last_busy[1] ?
                 (double)(busy[1] - h->last_busy[1]) / dt / s->cores : 0;
        u_dma = MIN(u_dma, 1.0);
        u_core = MIN(u_core, 1.0);
        h->power_mw = TRN_HEALTH_IDLE_MW +
                      u_core * s->cores * TRN_HEALTH_CORE_MW +
                      u_dma * s->dma_engines * TRN_HEALTH_ENGINE_MW;
        target = s->ambient_temp * 1000.0 +
                 TRN_HEALTH_R_MC_PER_W * (h->power_mw / 1000.0);
        h->temp_mc += (target - h->temp_mc) *
                      (1.0 - exp(-(double)dt / TRN_HEALTH_TAU_NS));
        trace_trn_health(s->chip_id, (unsigned)(u_core * 100),
                         (unsigned)(u_dma * 100), h->power_mw,
                         (uint32_t)h->temp_mc);
    }
    h->last_ns = now;
    h->last_busy[0] = busy[0];
    h->last_busy[1] = busy[1];
    timer_mod(h->timer, now + TRN_HEALTH_PERIOD_NS);
}

bool trn_health_read(TrnState *s, hwaddr reg, uint64_t *val)
{
    TrnHealth *h = &s->health;

    switch (reg) {
    case TRN_REG_TEMP:
        *val = (uint32_t)h->temp_mc;
        return true;
    case TRN_REG_TEMP_MAX:
        *val = TRN_HEALTH_TEMP_MAX_MC;
        return true;
    case TRN_REG_TEMP_CRIT:
        *val = TRN_HEALTH_TEMP_CRIT_MC;
        return true;
    case TRN_REG_POWER:
        *val = h->power_mw;
        return true;
    case TRN_REG_POWER_MAX:
        *val = trn_health_power_max(s);
        return true;
    default:
        return false;
    }
}

bool trn_health_read64(TrnState *s, hwaddr reg, uint64_t *val)
{
    switch (reg) {
    case TRN_REG_ECC_CORRECTED:
        *val = s->health.ecc[0];
        return true;
    case TRN_REG_ECC_UNCORRECTED:
        *val = s->health.ecc[1];
        return true;
    default:
        return false;
    }
}

/* Device reset: counters to zero; the board keeps its temperature. */
void trn_health_reset(TrnState *s)
{
    TrnHealth *h = &s->health;

    h->ecc[0] = h->ecc[1] = 0;
    h->last_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    trn_health_busy(s, h->last_busy);
}

void trn_health_realize(TrnState *s)
{
    TrnHealth *h = &s->health;

    h->power_mw = TRN_HEALTH_IDLE_MW;
    h->temp_mc = s->ambient_temp * 1000.0 +
                 TRN_HEALTH_R_MC_PER_W * (TRN_HEALTH_IDLE_MW / 1000.0);
    h->timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, trn_health_tick, s);
    h->last_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    timer_mod(h->timer, h->last_ns + TRN_HEALTH_PERIOD_NS);
}

void trn_health_unrealize(TrnState *s)
{
    timer_free(s->health.timer);
    s->health.timer = NULL;
}

/* --- Fault injection: inject-ecc-corrected, inject-ecc-uncorrected */

static void trn_health_get_ecc(Object *obj, Visitor *v, const char *name,
                               void *opaque, Error **errp)
{
    TrnState *s = TRN(obj);
    uint64_t total = s->health.ecc[GPOINTER_TO_UINT(opaque)];

    visit_type_uint64(v, name, &total, errp);
}

static void trn_health_set_ecc(Object *obj, Visitor *v, const char *name,
                               void *opaque, Error **errp)
{
    TrnState *s = TRN(obj);
    unsigned kind = GPOINTER_TO_UINT(opaque);
    uint64_t n;

    if (!visit_type_uint64(v, name, &n, errp)) {
        return;
    }
    if (!DEVICE(obj)->realized) {
        error_setg(errp, "%s: only while the VM runs", name);
        return;
    }
    s->health.ecc[kind] += n;
    trace_trn_ecc_inject(s->chip_id, kind ? "uncorrected" : "corrected", n,
                         s->health.ecc[kind]);
}

void trn_health_class_init(ObjectClass *oc)
{
    object_class_property_add(oc, "inject-ecc-corrected", "uint64",
                              trn_health_get_ecc, trn_health_set_ecc, NULL,
                              GUINT_TO_POINTER(0));
    object_class_property_set_description(oc, "inject-ecc-corrected",
        "Set to N to count N more corrected HBM errors; reads the total");
    object_class_property_add(oc, "inject-ecc-uncorrected", "uint64",
                              trn_health_get_ecc, trn_health_set_ecc, NULL,
                              GUINT_TO_POINTER(1));
    object_class_property_set_description(oc, "inject-ecc-uncorrected",
        "Set to N to count N more uncorrectable HBM errors; reads the total");
}
