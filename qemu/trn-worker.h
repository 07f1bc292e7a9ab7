/*
 * trn: the worker threads that serve the queues.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_TRN_TRN_WORKER_H
#define HW_MISC_TRN_TRN_WORKER_H

#include "qemu/thread.h"
#include "trn_regs.h"

typedef struct TrnState TrnState;

/*
 * A thread that executes the descriptors of a set of queues: one for all
 * DMA queues, one for the queue of each NeuronCore. Its condition variable
 * wakes it, with TrnState.lock: new work, a reset, a semaphore.
 */
typedef struct TrnWorker {
    TrnState *s;
    unsigned first;             /* queues first .. first + count - 1 */
    unsigned count;
    unsigned rr;                /* next queue it looks at */
    QemuCond *work;             /* TrnState.wake[i]: it sleeps on it */
    QemuThread thread;
    bool started;
    /* Bounce buffers for host memory that cannot be mapped */
    uint8_t bounce[2][TRN_PAGE_SIZE];
} TrnWorker;

/* Create the workers of the queues; after trn_queue_realize(). */
bool trn_worker_realize(TrnState *s, Error **errp);

/* Start the workers, once the device is otherwise complete. */
void trn_worker_start(TrnState *s);

/* Stop the workers and wait until they are gone, then free them. */
void trn_worker_unrealize(TrnState *s);

#endif /* HW_MISC_TRN_TRN_WORKER_H */
