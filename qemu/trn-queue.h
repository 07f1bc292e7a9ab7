/*
 * trn: queues, DMA engine counters and the threads that serve the queues.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_TRN_TRN_QUEUE_H
#define HW_MISC_TRN_TRN_QUEUE_H

#include "qemu/stats64.h"
#include "qemu/thread.h"
#include "trn-step.h"

#define TRN_MAX_DMA_ENGINES     16
#define TRN_MAX_DMA_QUEUES      16      /* per engine */

/* Value of TRN_DMA_Q_ASID while a queue has no context. */
#define TRN_ASID_NONE           UINT32_MAX

/*
 * One queue: a DMA queue, or the queue of a NeuronCore. Everything here is
 * protected by TrnState.lock; the worker thread works on a copy while it
 * executes a descriptor (TrnStep).
 */
typedef struct TrnQueue {
    unsigned index;
    QemuCond *wake;             /* signalled to wake the worker serving it */

    /* Registers */
    uint64_t ring_base;
    uint32_t ring_size;
    bool enabled;               /* CONTROL.ENABLE, STATUS.ENABLED */
    bool stopped;               /* STATUS.ERROR */
    uint32_t tail;
    uint32_t head;
    uint32_t error;
    uint32_t error_index;
    uint32_t error_insn;
    uint64_t error_addr;
    uint64_t wb_addr;
    uint32_t irq_status;
    uint32_t irq_mask;
    TrnCtx ctx;

    /* Execution state */
    uint32_t gen;               /* incremented by every reset of the queue */
    bool has_cur;               /* cur was fetched and is not finished */
    bool waiting;               /* cur waits for semaphore wait_sem */
    uint32_t wait_sem;
    uint64_t wait_value;        /* ... to reach this value */
    TrnDesc cur;
    uint64_t cur_done;          /* bytes done, EXEC: instructions */
    uint64_t cur_ns;            /* EXEC: nanoseconds the program has run */
    bool active;                /* the worker is executing a step */
    uint32_t active_gen;        /* gen when that step began */
    int64_t busy_until;         /* x-reset-busy-ms: BUSY until then (ms) */
} TrnQueue;

/* Per-engine counters: written by the worker, read by MMIO without locks. */
typedef struct TrnEngine {
    Stat64 bytes;
    Stat64 descs;
    Stat64 busy_ns;
} TrnEngine;

/* Check the properties, create the queues and their register blocks. */
bool trn_queue_realize(TrnState *s, Error **errp);

/* Free the queues, once the workers are gone (trn_worker_unrealize()). */
void trn_queue_unrealize(TrnState *s);

/* The queues' properties (x-reset-busy-ms). */
void trn_queue_class_init(ObjectClass *oc);

/* Device reset: every queue, the semaphores and the engines' counters. */
void trn_queue_reset_all(TrnState *s);

/*
 * False while a worker is still executing a step of a queue that was reset
 * after the step began: its memory accesses are not over yet.
 */
bool trn_queue_quiescent(TrnState *s);

/* Whether @q is the queue of a NeuronCore. */
bool trn_queue_is_core(TrnState *s, const TrnQueue *q);

/* The DMA engine of @q, or NULL for the queue of a NeuronCore. */
TrnEngine *trn_queue_engine(TrnState *s, TrnQueue *q);

/* Whether a worker should take up @q. Called with TrnState.lock held. */
bool trn_queue_runnable(TrnState *s, TrnQueue *q);

/*
 * Stop @q on the error @err at @addr of step @st. Called with
 * TrnState.lock held; returns the interrupt causes to signal.
 */
uint32_t trn_queue_fault(TrnState *s, TrnQueue *q, const TrnStep *st,
                         uint32_t err, uint64_t addr);

/*
 * The descriptor of @st completed: its effect on @q (CONTEXT, SEM_SIGNAL),
 * HEAD, the counters. Called with TrnState.lock held; returns the
 * interrupt causes to signal.
 */
uint32_t trn_queue_complete(TrnState *s, TrnQueue *q, TrnStep *st);

#endif /* HW_MISC_TRN_TRN_QUEUE_H */
