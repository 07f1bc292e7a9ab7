/*
 * trn: NeuronCores, which execute programs (EXEC descriptors).
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_TRN_TRN_CORE_H
#define HW_MISC_TRN_TRN_CORE_H

#include "qemu/stats64.h"
#include "trn-step.h"

#define TRN_MAX_CORES           64

typedef struct TrnExec TrnExec;

/*
 * A NeuronCore: its counters, TRN_CORE_* / 8, written by its worker and
 * read by MMIO without locks, and the interpreter of its programs, which
 * only its worker uses.
 */
typedef struct TrnCore {
    Stat64 ctr[TRN_CORE_COUNTERS];
    TrnExec *exec;              /* allocated at the core's first program */
    int64_t throttle_debt_ns;   /* its worker's: time owed (trn-power.c) */
} TrnCore;

/* The NeuronCore whose queue @q is, or NULL for a DMA queue. */
TrnCore *trn_queue_core(TrnState *s, const TrnQueue *q);

/* Check the fields of an EXEC descriptor; SRC is checked when it runs. */
uint32_t trn_core_check_exec(TrnState *s, TrnStep *st);

/*
 * Run the program of an EXEC descriptor from instruction st->done on,
 * until it ends, an instruction fails, a SEM_WAIT blocks, or the queue must
 * pause (disabled, VM stopped) or was reset.
 */
TrnStepResult trn_core_exec(TrnState *s, TrnStep *st);

/* The NeuronCores and their counter registers; after trn_queue_realize(). */
bool trn_core_realize(TrnState *s, Error **errp);
void trn_core_unrealize(TrnState *s);

/* Device reset: set the counters to 0. Takes TrnState.lock. */
void trn_core_reset(TrnState *s);

#endif /* HW_MISC_TRN_TRN_CORE_H */
