/*
 * trn: the memory of instruction operands, and element conversions.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Part of the instruction interpreter (trn-interp.h), which depends on
 * nothing of QEMU: C11, glib and the headers of include/hw.
 */

#ifndef HW_MISC_TRN_TRN_OPERAND_H
#define HW_MISC_TRN_TRN_OPERAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "trn-insn.h"
#include "trn_regs.h"

#define TRN_CHUNK               1024    /* elements per row piece */
#define TRN_TLB_SIZE            256     /* pages cached per operand */

/* Where a page of an operand is, as the memory's owner translated it. */
typedef struct TrnPage {
    uint8_t *host;              /* the page in host memory, or NULL: then */
                                /* only TrnMemOps.access reaches it */
    uint64_t addr;              /* for the owner: the page's address */
    bool system;                /* for the owner: the kind of memory */
} TrnPage;

/*
 * The memory instructions run against, and the world around them: what the
 * owner of the interpreter (QEMU's NeuronCore, or a unit test) provides.
 * Called from the thread that runs the instruction.
 */
typedef struct TrnMemOps {
    /*
     * Translate the page of @va, in operand slot @slot, for a write if
     * @write: fill in @pg, or return the TRN_DMA_ERR_* of the access. May
     * call trn_exec_evict_system() first.
     */
    uint32_t (*map)(void *opaque, unsigned slot, uint64_t va, bool write,
                    TrnPage *pg);
    /*
     * Move @len bytes at offset @off of page @pg (without a host pointer)
     * from or to @buf. Returns false if the memory could not be accessed;
     * the instruction then fails with TRN_DMA_ERR_BAD_PT.
     */
    bool (*access)(void *opaque, const TrnPage *pg, unsigned off, void *buf,
                   unsigned len, bool write);
    /* @len bytes at offset @off of @pg were written through its pointer */
    void (*dirty)(void *opaque, unsigned slot, const TrnPage *pg,
                  unsigned off, unsigned len);
    /*
     * Between pieces of work of an instruction, when no page pointer is in
     * use: false ends the instruction (TrnExec.abort). May call
     * trn_exec_flush().
     */
    bool (*poll)(void *opaque);
    /* What is wrong with the instruction, for the guest error log */
    void (*log)(void *opaque, const char *msg);
} TrnMemOps;

/* One cached translation of a page of an operand. */
typedef struct TrnTlbEntry {
    uint64_t tag;               /* page number + 1, 0 if empty */
    TrnPage pg;
    uint16_t dirty_lo;          /* bytes written through host, if lo < hi */
    uint16_t dirty_hi;
} TrnTlbEntry;

/* The translations of one operand. */
typedef struct TrnTlb {
    bool write;                 /* translated for writing (the output) */
    TrnTlbEntry e[TRN_TLB_SIZE];
} TrnTlb;

/*
 * The state of the interpreter: its memory, the instruction being executed
 * and the buffers it works in, of a fixed size (the matmul blocks are
 * allocated at the first MATMUL): they never grow.
 */
typedef struct TrnExec {
    const TrnMemOps *ops;
    void *opaque;

    /* The instruction being executed */
    uint64_t va;                /* its address, for its errors */
    const char *name;           /* of its opcode, if there is one */
    bool decoded;               /* it passed the checks of trn-insn.c */
    uint32_t err;               /* the error, if it failed */
    uint64_t fault;             /* ... and the address */
    bool abort;                 /* ended by TrnMemOps.poll */
    uint64_t flops;

    TrnTlb tlb[TRN_I_NOPERANDS];
    double row[TRN_I_NOPERANDS][TRN_CHUNK];
    uint8_t raw[TRN_CHUNK * sizeof(double)];
    float *mm[3];               /* matmul blocks of a, b and out */
} TrnExec;

/* Fail the instruction with @err at @addr; returns false. */
bool trn_exec_fail(TrnExec *ex, uint32_t err, uint64_t addr);

/* Tell the log what is wrong with the instruction. */
void G_GNUC_PRINTF(2, 3) trn_exec_log(TrnExec *ex, const char *fmt, ...);

/* Whether the instruction may go on (TrnMemOps.poll). */
bool trn_exec_poll(TrnExec *ex);

/* Forget every translation, reporting what was written. */
void trn_exec_flush(TrnExec *ex);

/* Forget the translations of @slot to pages with TrnPage.system set. */
void trn_exec_evict_system(TrnExec *ex, unsigned slot);

/*
 * Move the @n elements of @esz bytes at @va, @va + @sb, @va + 2 * @sb...
 * (byte stride @sb, any sign) of operand @slot between memory and @buf,
 * where they are packed. An element never crosses a page: it is aligned to
 * its size.
 */
bool trn_raw(TrnExec *ex, unsigned slot, uint64_t va, int64_t sb,
             unsigned esz, size_t n, uint8_t *buf, bool write);

/* Read @n <= TRN_CHUNK elements of @op (in @slot) as doubles. */
bool trn_read_f64(TrnExec *ex, unsigned slot, const TrnOperand *op,
                  uint64_t va, int64_t stride, size_t n, double *o);

/* Write @n <= TRN_CHUNK doubles to elements of @op (in @slot). */
bool trn_write_f64(TrnExec *ex, unsigned slot, const TrnOperand *op,
                   uint64_t va, int64_t stride, size_t n, const double *x);

/* Read @n elements of @op (in @slot) as fp32, any @n. */
bool trn_read_f32(TrnExec *ex, unsigned slot, const TrnOperand *op,
                  uint64_t va, int64_t stride, size_t n, float *o);

/* Build the conversion tables; once, before the first instruction. */
void trn_operand_init(void);

#endif /* HW_MISC_TRN_TRN_OPERAND_H */
