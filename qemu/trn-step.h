/*
 * trn: a step, the work a worker does on one descriptor without the lock.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_TRN_TRN_STEP_H
#define HW_MISC_TRN_TRN_STEP_H

#include "trn-mem.h"

typedef struct TrnQueue TrnQueue;

/* A decoded descriptor. */
typedef struct TrnDesc {
    uint8_t opcode;
    uint8_t flags;
    uint16_t rsvd;
    uint32_t aux;
    uint64_t src;
    uint64_t dst;
    uint64_t len;
} TrnDesc;

/* The address space a queue works in, set by a CONTEXT descriptor. */
typedef struct TrnCtx {
    bool valid;
    uint32_t asid;
    uint64_t root;              /* HBM offset of the level 0 table */
} TrnCtx;

typedef enum TrnStepResult {
    TRN_STEP_DONE,              /* the descriptor completed */
    TRN_STEP_PARTIAL,           /* a slice is done, more is left */
    TRN_STEP_FAULT,             /* the descriptor failed */
    TRN_STEP_WAIT,              /* EXEC: blocked in a SEM_WAIT instruction */
} TrnStepResult;

/*
 * What a worker works on while it does not hold TrnState.lock: a copy of
 * the queue's state taken under the lock (trn-queue.c), the descriptor,
 * and what the step did, committed under the lock afterwards.
 */
typedef struct TrnStep {
    TrnQueue *q;
    unsigned queue;
    uint32_t gen;
    uint32_t index;             /* ring index of the descriptor (HEAD) */
    uint32_t tail;
    uint64_t ring_base;
    uint32_t ring_size;
    uint64_t wb_addr;
    TrnCtx ctx;
    bool has_cur;               /* desc was fetched by an earlier step */
    TrnDesc desc;
    uint64_t done;              /* bytes (EXEC: instructions) done so far */
    uint64_t bytes;             /* bytes transferred by this step */
    uint32_t err;
    uint64_t err_addr;
    TrnSysCache sys[2];         /* host RAM last read [0] and written [1] */
    uint32_t map_gen;           /* trn_mem_gen() the step translated at */
    uint8_t (*bounce)[TRN_PAGE_SIZE];   /* the worker's, [0] and [1] */
    /* EXEC */
    bool program;               /* the step ran part of a program */
    uint32_t err_insn;          /* TRN_DMA_Q_ERROR_INSN on a fault */
    uint64_t exec_ns;           /* nanoseconds the program has run */
    uint32_t wait_sem;          /* TRN_STEP_WAIT: what it waits for */
    uint64_t wait_value;
} TrnStep;

/* A guest error in the descriptor of @st, for -d guest_errors. */
void G_GNUC_PRINTF(3, 4) trn_step_log(TrnState *s, const TrnStep *st,
                   const char *fmt, ...);

/* Fail the step with @err at @addr. */
TrnStepResult trn_step_fault(TrnStep *st, uint32_t err, uint64_t addr);

/*
 * Whether the mappings changed since @st last looked: if so, its windows
 * into host RAM are dropped, and the caller must translate again what it
 * had translated.
 */
bool trn_step_remap(TrnState *s, TrnStep *st);

/* Drop what the step holds of host memory. */
void trn_step_release(TrnStep *st);

/*
 * Read (or write) @len bytes at @va through the address space of @st, in
 * local memory only: the instructions and status records of programs.
 * Returns TRN_DMA_ERR_NONE, or the error with its address in *@fault.
 */
uint32_t trn_step_rw(TrnState *s, TrnStep *st, uint64_t va, uint8_t *buf,
                     uint64_t len, bool write, uint64_t *fault);

#endif /* HW_MISC_TRN_TRN_STEP_H */
