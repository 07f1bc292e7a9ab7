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
 * the VM is paused. A throttled NeuronCore draws in proportion to its speed;
 * each tick hands the power and the temperature to the power cap's
 * controller (trn-power.c), which sets the speed again. ambient-temp may
 * change while the VM runs (qom-set), to heat the board in tests.
 *
 * The ECC counters count HBM errors; the model has none of its own, so
 * they move only when the properties inject-ecc-corrected and
 * inject-ecc-uncorrected are set (qom-set, while the VM runs): setting one
 * to N adds N errors. Each kind has two counters: one that a device reset
 * zeroes, and a total that only the end of the device (QEMU) ends, as a
 * board keeps its error history in its own flash.
 *
 * inject-ecc-uncorrected-addr poisons the page of an HBM offset (1.6): the
 * error is counted, the page is recorded in the error log and marked in a
 * bitmap that the MMU (trn-mmu.c) tests for every page it hands a worker,
 * so that any access to it fails with TRN_DMA_ERR_ECC; TRN_IRQ_ECC tells the
 * driver. A poisoned page stays so, across resets, for the life of the
 * device: the cells are broken. Only x-ecc-replace, a new board for tests,
 * forgets them. Everything here runs with the BQL held, but
 * the workers read the bitmap.
 */

#include "qemu/osdep.h"
#include <math.h>
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "trace.h"
#include "trn.h"
#include "trn-core.h"
#include "trn-health.h"
#include "trn-irq.h"
#include "trn-link.h"
#include "trn-mem.h"
#include "trn-power.h"
#include "trn-queue.h"

#define TRN_HEALTH_PERIOD_NS    (100 * 1000 * 1000)
#define TRN_HEALTH_TAU_NS       (2000LL * 1000 * 1000) /* thermal lag */
#define TRN_HEALTH_IDLE_MW      60000   /* board power at idle */
#define TRN_HEALTH_CORE_MW      90000   /* each NeuronCore, fully busy */
#define TRN_HEALTH_ENGINE_MW    15000   /* each DMA engine, fully busy */
#define TRN_HEALTH_R_MC_PER_W   150     /* millidegrees C per watt */
#define TRN_HEALTH_TEMP_CRIT_MC 95000
#define TRN_HEALTH_AMBIENT_MAX  150     /* degrees C: ambient-temp */

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

uint32_t trn_health_power_max(TrnState *s)
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
        /* A throttled core draws power in proportion to its speed */
        h->power_mw = TRN_HEALTH_IDLE_MW +
                      u_core * trn_power_speed(s) * s->cores *
                      TRN_HEALTH_CORE_MW +
                      u_dma * s->dma_engines * TRN_HEALTH_ENGINE_MW;
        target = s->ambient_temp * 1000.0 +
                 TRN_HEALTH_R_MC_PER_W * (h->power_mw / 1000.0);
        h->temp_mc += (target - h->temp_mc) *
                      (1.0 - exp(-(double)dt / TRN_HEALTH_TAU_NS));
        trace_trn_health(s->chip_id, (unsigned)(u_core * 100),
                         (unsigned)(u_dma * 100), h->power_mw,
                         (uint32_t)h->temp_mc);
    }
    trn_power_tick(s, dt, h->power_mw, s->cores * TRN_HEALTH_CORE_MW,
                   h->temp_mc);
    h->last_ns = now;
    h->last_busy[0] = busy[0];
    h->last_busy[1] = busy[1];
    timer_mod(h->timer, now + TRN_HEALTH_PERIOD_NS);
}

bool trn_health_realize_power(TrnState *s, Error **errp)
{
    return trn_power_realize(s, trn_health_power_max(s),
                             TRN_HEALTH_TEMP_CRIT_MC, errp);
}

bool trn_health_read(TrnState *s, hwaddr reg, uint64_t *val)
{
    TrnHealth *h = &s->health;

    switch (reg) {
    case TRN_REG_TEMP:
        *val = (uint32_t)h->temp_mc;
        return true;
    case TRN_REG_TEMP_MAX:
        *val = s->power.temp_max * 1000;
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
    case TRN_REG_ECC_LOG_COUNT:
        *val = h->log_count;
        return true;
    case TRN_REG_ECC_LOG_SIZE:
        *val = TRN_ECC_LOG_ENTRIES;
        return true;
    case TRN_REG_ECC_LOG_INDEX:
        *val = h->log_index;
        return true;
    default:
        return trn_power_read(s, reg, val);
    }
}

bool trn_health_read64(TrnState *s, hwaddr reg, uint64_t *val)
{
    TrnHealth *h = &s->health;

    switch (reg) {
    case TRN_REG_ECC_CORRECTED:
        *val = h->ecc[0];
        return true;
    case TRN_REG_ECC_UNCORRECTED:
        *val = h->ecc[1];
        return true;
    case TRN_REG_ECC_CORRECTED_TOTAL:
        *val = h->ecc_total[0];
        return true;
    case TRN_REG_ECC_UNCORRECTED_TOTAL:
        *val = h->ecc_total[1];
        return true;
    case TRN_REG_ECC_LOG_ADDR:
        /* Any index the guest wrote: only those the log holds have one */
        *val = h->log_index < MIN(h->log_count, TRN_ECC_LOG_ENTRIES) ?
               h->log[h->log_index] : TRN_ECC_LOG_NONE;
        return true;
    default:
        return trn_power_read64(s, reg, val);
    }
}

bool trn_health_write(TrnState *s, hwaddr reg, uint64_t val)
{
    if (reg != TRN_REG_ECC_LOG_INDEX) {
        return trn_power_write(s, reg, val);
    }
    s->health.log_index = val;
    return true;
}

/*
 * Device reset: the counters since reset to zero; the totals, the poisoned
 * pages and the log stay, and the board keeps its temperature.
 */
void trn_health_reset(TrnState *s)
{
    TrnHealth *h = &s->health;

    h->ecc[0] = h->ecc[1] = 0;
    h->log_index = 0;
    h->last_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    trn_health_busy(s, h->last_busy);
}

void trn_health_realize(TrnState *s)
{
    TrnHealth *h = &s->health;

    h->pages = DIV_ROUND_UP(s->hbm_bytes, TRN_PAGE_SIZE);
    h->poison = bitmap_new(h->pages);
    h->last_inject = TRN_ECC_LOG_NONE;

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

void trn_health_finalize(TrnState *s)
{
    s->health.pages = 0;
    g_free(s->health.poison);
    s->health.poison = NULL;
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
    s->health.ecc_total[kind] += n;
    trace_trn_ecc_inject(s->chip_id, kind ? "uncorrected" : "corrected", n,
                         s->health.ecc[kind]);
}

static void trn_health_get_ecc_addr(Object *obj, Visitor *v,
                                    const char *name, void *opaque,
                                    Error **errp)
{
    visit_type_uint64(v, name, &TRN(obj)->health.last_inject, errp);
}

/*
 * An uncorrectable error in the page of HBM offset @addr: counted, the page
 * poisoned and, the first time, logged and signalled. The workers drop the
 * translations they hold, this device's and its peers', so that the next
 * access to the page, even in a run already under way, sees the poison.
 */
static void trn_health_set_ecc_addr(Object *obj, Visitor *v,
                                    const char *name, void *opaque,
                                    Error **errp)
{
    TrnState *s = TRN(obj);
    TrnHealth *h = &s->health;
    uint64_t addr, page;
    bool logged = false;

    if (!visit_type_uint64(v, name, &addr, errp)) {
        return;
    }
    if (!DEVICE(obj)->realized) {
        error_setg(errp, "%s: only while the VM runs", name);
        return;
    }
    if (addr >= s->hbm_bytes) {
        error_setg(errp, "%s: 0x%" PRIx64 " is not in device memory "
                   "(0x%" PRIx64 " bytes)", name, addr, s->hbm_bytes);
        return;
    }
    page = addr >> TRN_PAGE_SHIFT;
    h->last_inject = addr;
    h->ecc[1]++;
    h->ecc_total[1]++;
    if (!test_bit(page, h->poison)) {
        set_bit_atomic(page, h->poison);
        if (h->log_count < TRN_ECC_LOG_ENTRIES) {
            h->log[h->log_count] = page << TRN_PAGE_SHIFT;
            logged = true;
        }
        /* Past the log's end: counted, so that software sees the loss */
        if (h->log_count < UINT32_MAX) {
            h->log_count++;
        }
        trn_mem_remap(s);
        trn_link_remap_peers(s);
        trn_irq_set(s, TRN_IRQ_ECC);
    }
    trace_trn_ecc_poison(s->chip_id, page << TRN_PAGE_SHIFT, h->log_count,
                         logged);
}

/*
 * x-ecc-replace: the board is swapped for a new one in the same slot, for
 * tests that wore the old one out: no poisoned page, an empty log, totals
 * at zero. The workers drop their translations, as after a poisoning.
 */
static void trn_health_set_replace(Object *obj, bool val, Error **errp)
{
    TrnState *s = TRN(obj);
    TrnHealth *h = &s->health;
    uint64_t i;

    if (!val) {
        return;
    }
    if (!DEVICE(obj)->realized) {
        error_setg(errp, "x-ecc-replace: only while the VM runs");
        return;
    }
    for (i = 0; i < BITS_TO_LONGS(h->pages); i++) {
        qatomic_set(&h->poison[i], 0);
    }
    memset(h->log, 0, sizeof(h->log));
    h->log_count = 0;
    h->log_index = 0;
    h->ecc[0] = h->ecc[1] = 0;
    h->ecc_total[0] = h->ecc_total[1] = 0;
    h->last_inject = TRN_ECC_LOG_NONE;
    trn_mem_remap(s);
    trn_link_remap_peers(s);
    trace_trn_ecc_replace(s->chip_id);
}

/*
 * ambient-temp: settable while the VM runs (qom-set), so that tests can heat
 * the board; the die follows with its thermal lag. Bounded, so that the
 * temperature always fits its register.
 */
static void trn_health_get_ambient(Object *obj, Visitor *v, const char *name,
                                   void *opaque, Error **errp)
{
    visit_type_uint32(v, name, &TRN(obj)->ambient_temp, errp);
}

static void trn_health_set_ambient(Object *obj, Visitor *v, const char *name,
                                   void *opaque, Error **errp)
{
    TrnState *s = TRN(obj);
    uint32_t t;

    if (!visit_type_uint32(v, name, &t, errp)) {
        return;
    }
    if (t > TRN_HEALTH_AMBIENT_MAX) {
        error_setg(errp, "%s: at most %u degrees C", name,
                   TRN_HEALTH_AMBIENT_MAX);
        return;
    }
    trace_trn_health_ambient(s->chip_id, s->ambient_temp, t);
    s->ambient_temp = t;
}

void trn_health_class_init(ObjectClass *oc)
{
    ObjectProperty *op;

    op = object_class_property_add(oc, "ambient-temp", "uint32",
                                   trn_health_get_ambient,
                                   trn_health_set_ambient, NULL, NULL);
    object_property_set_default_uint(op, 30);
    object_class_property_set_description(oc, "ambient-temp",
        "Degrees C around the board (default 30, at most 150); settable "
        "while the VM runs");
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
    object_class_property_add(oc, "inject-ecc-uncorrected-addr", "uint64",
                              trn_health_get_ecc_addr,
                              trn_health_set_ecc_addr, NULL, NULL);
    object_class_property_set_description(oc, "inject-ecc-uncorrected-addr",
        "Set to an HBM offset: an uncorrectable error poisons its page; "
        "reads the last offset set");
    object_class_property_add_bool(oc, "x-ecc-replace", NULL,
                                   trn_health_set_replace);
    object_class_property_set_description(oc, "x-ecc-replace",
        "Set to true: a new board, without poisoned pages, ECC log or "
        "ECC totals (for tests)");
}
