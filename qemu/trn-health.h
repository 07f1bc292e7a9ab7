/*
 * trn: model of the device's sensors and HBM error counters.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_TRN_TRN_HEALTH_H
#define HW_MISC_TRN_TRN_HEALTH_H

#include "qemu/atomic.h"
#include "qemu/bitops.h"
#include "qemu/timer.h"
#include "trn_regs.h"

typedef struct TrnState TrnState;

/* Entries of the ECC error log (TRN_REG_ECC_LOG_SIZE) */
#define TRN_ECC_LOG_ENTRIES     64

/* Sensors and error counters; used with the BQL held. */
typedef struct TrnHealth {
    QEMUTimer *timer;
    int64_t last_ns;            /* time of the last sample */
    uint64_t last_busy[2];      /* DMA engine, NeuronCore busy ns then */
    uint32_t power_mw;
    double temp_mc;
    uint64_t ecc[2];            /* corrected, uncorrected, since reset */
    uint64_t ecc_total[2];      /* the same since realize: kept by resets */
    /*
     * Poisoned HBM pages, one bit each: set with the BQL (injection), read
     * by the workers without it; never cleared while the device exists.
     */
    unsigned long *poison;
    uint64_t pages;             /* bits of poison: HBM pages */
    uint64_t log[TRN_ECC_LOG_ENTRIES];  /* HBM offsets of poisoned pages */
    uint32_t log_count;         /* pages recorded, may exceed the log */
    uint32_t log_index;         /* TRN_REG_ECC_LOG_INDEX */
    uint64_t last_inject;       /* inject-ecc-uncorrected-addr */
} TrnHealth;

/*
 * The properties inject-ecc-corrected, inject-ecc-uncorrected and
 * inject-ecc-uncorrected-addr.
 */
void trn_health_class_init(ObjectClass *oc);

void trn_health_realize(TrnState *s);
/* Check the power cap's properties against the board's ratings. */
bool trn_health_realize_power(TrnState *s, Error **errp);
/* The rated board power, milliwatts (TRN_REG_POWER_MAX). */
uint32_t trn_health_power_max(TrnState *s);
void trn_health_unrealize(TrnState *s);
void trn_health_reset(TrnState *s);
/* Frees what realize allocated; at finalize, when no peer can reach @s. */
void trn_health_finalize(TrnState *s);

/*
 * The sensor and counter registers, 32 and 64 bits wide, and those of the
 * power cap (trn-power.h).
 */
bool trn_health_read(TrnState *s, hwaddr reg, uint64_t *val);
bool trn_health_read64(TrnState *s, hwaddr reg, uint64_t *val);
bool trn_health_write(TrnState *s, hwaddr reg, uint64_t val);

/*
 * Whether the page of HBM offset @addr is poisoned: an access to it fails
 * with TRN_DMA_ERR_ECC. An offset past the memory is not. Any thread.
 */
static inline bool trn_health_poisoned(const TrnHealth *h, uint64_t addr)
{
    uint64_t page = addr >> TRN_PAGE_SHIFT;

    return page < h->pages &&
           (qatomic_read(&h->poison[BIT_WORD(page)]) & BIT_MASK(page));
}

#endif /* HW_MISC_TRN_TRN_HEALTH_H */
