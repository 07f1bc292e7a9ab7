/*
 * trn: model of the device's sensors and HBM error counters.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_TRN_TRN_HEALTH_H
#define HW_MISC_TRN_TRN_HEALTH_H

#include "qemu/timer.h"

typedef struct TrnState TrnState;

/* Sensors and error counters; used with the BQL held. */
typedef struct TrnHealth {
    QEMUTimer *timer;
    int64_t last_ns;            /* time of the last sample */
    uint64_t last_busy[2];      /* DMA engine, NeuronCore busy ns then */
    uint32_t power_mw;
    double temp_mc;
    uint64_t ecc[2];            /* corrected, uncorrected */
} TrnHealth;

/* The properties inject-ecc-corrected and inject-ecc-uncorrected. */
void trn_health_class_init(ObjectClass *oc);

void trn_health_realize(TrnState *s);
void trn_health_unrealize(TrnState *s);
void trn_health_reset(TrnState *s);

/* The sensor and counter registers, 32 and 64 bits wide. */
bool trn_health_read(TrnState *s, hwaddr reg, uint64_t *val);
bool trn_health_read64(TrnState *s, hwaddr reg, uint64_t *val);

#endif /* HW_MISC_TRN_TRN_HEALTH_H */
