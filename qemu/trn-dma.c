/*
 * trn: execution of descriptors by the queues' workers.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A worker (trn-queue.c) executes a descriptor in steps, without
 * TrnState.lock: it fetches it from the ring and checks it, then moves at
 * most a budget of bytes of a COPY or FILL per step, so that a long one
 * continues in the next turn of its queue. EXEC descriptors run their
 * program in trn-core.c. NOP, CONTEXT and the semaphore operations take
 * effect when the step is committed, under the lock (trn-queue.c).
 *
 * Data moves through the runs of the MMU (trn-mmu.c) and the views of host
 * memory (trn-mem.c). Runs into a peer's HBM are only used within an RCU
 * read-side critical section: a peer that is unplugged stays allocated
 * until every section that could have reached it is over (trn-link.c).
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/rcu.h"
#include "hw/pci/pci_device.h"
#include "system/dma.h"
#include "trace.h"
#include "trn.h"
#include "trn-core.h"
#include "trn-dma.h"
#include "trn-queue.h"

#define TRN_RING_MIN            16
#define TRN_RING_MAX            65536

/* Read the descriptor at HEAD from the ring. */
static uint32_t trn_dma_fetch(TrnState *s, TrnStep *st)
{
    uint8_t buf[TRN_DMA_DESC_SIZE];
    uint64_t addr;
    TrnDesc *d = &st->desc;

    if (!is_power_of_2(st->ring_size) || st->ring_size < TRN_RING_MIN ||
        st->ring_size > TRN_RING_MAX) {
        trn_step_log(s, st, "RING_SIZE %u is not a power of two in %u..%u",
                     st->ring_size, TRN_RING_MIN, TRN_RING_MAX);
        return TRN_DMA_ERR_RING;
    }
    if (st->ring_base & 63) {
        trn_step_log(s, st, "RING_BASE 0x%" PRIx64 " is not 64-byte aligned",
                     st->ring_base);
        return TRN_DMA_ERR_RING;
    }
    if (st->wb_addr & (TRN_DMA_WB_SIZE - 1)) {
        trn_step_log(s, st, "WB_ADDR 0x%" PRIx64 " is not 8-byte aligned",
                     st->wb_addr);
        return TRN_DMA_ERR_RING;
    }
    if (st->tail - st->index > st->ring_size) {
        trn_step_log(s, st, "TAIL %u is more than RING_SIZE ahead of HEAD",
                     st->tail);
        return TRN_DMA_ERR_RING;
    }
    addr = st->ring_base +
           (uint64_t)(st->index & (st->ring_size - 1)) * TRN_DMA_DESC_SIZE;
    if (pci_dma_read(PCI_DEVICE(s), addr, buf, sizeof(buf)) != MEMTX_OK) {
        trn_step_log(s, st, "cannot read the ring at 0x%" PRIx64, addr);
        return TRN_DMA_ERR_RING;
    }
    d->opcode = buf[TRN_DMA_D_OPCODE];
    d->flags = buf[TRN_DMA_D_FLAGS];
    d->rsvd = lduw_le_p(buf + TRN_DMA_D_RSVD);
    d->aux = ldl_le_p(buf + TRN_DMA_D_AUX);
    d->src = ldq_le_p(buf + TRN_DMA_D_SRC);
    d->dst = ldq_le_p(buf + TRN_DMA_D_DST);
    d->len = ldq_le_p(buf + TRN_DMA_D_LEN);
    st->done = 0;
    st->exec_ns = 0;
    return TRN_DMA_ERR_NONE;
}

/* Check a freshly fetched descriptor. */
static uint32_t trn_dma_check(TrnState *s, TrnStep *st)
{
    const TrnDesc *d = &st->desc;

    if (d->rsvd || (d->flags & ~TRN_DMA_F_ALL)) {
        trn_step_log(s, st, "reserved bits set (flags 0x%x, rsvd 0x%x)",
                     d->flags, d->rsvd);
        return TRN_DMA_ERR_BAD_DESC;
    }
    switch (d->opcode) {
    case TRN_DMA_OP_NOP:
        if (d->aux) {
            goto bad_aux;
        }
        return TRN_DMA_ERR_NONE;
    case TRN_DMA_OP_COPY:
    case TRN_DMA_OP_FILL:
        if (d->aux) {
            goto bad_aux;
        }
        break;
    case TRN_DMA_OP_WRITE:
        if (d->aux) {
            goto bad_aux;
        }
        if (d->dst & 7) {
            trn_step_log(s, st, "WRITE to unaligned 0x%" PRIx64, d->dst);
            return TRN_DMA_ERR_BAD_DESC;
        }
        break;
    case TRN_DMA_OP_SEM_SIGNAL:
    case TRN_DMA_OP_SEM_WAIT:
        if (d->aux >= s->nsems) {
            trn_step_log(s, st, "semaphore %u, the device has %u", d->aux,
                         s->nsems);
            return TRN_DMA_ERR_BAD_DESC;
        }
        break;
    case TRN_DMA_OP_EXEC: {
        uint32_t err;

        if (!trn_queue_is_core(s, st->q)) {
            trn_step_log(s, st, "EXEC on a DMA queue");
            return TRN_DMA_ERR_BAD_DESC;
        }
        if (d->aux) {
            goto bad_aux;
        }
        err = trn_core_check_exec(s, st);
        if (err) {
            return err;
        }
        break;
    }
    case TRN_DMA_OP_CONTEXT:
        if (d->aux >= s->asids) {
            trn_step_log(s, st, "ASID %u, the device has %u", d->aux,
                         s->asids);
            return TRN_DMA_ERR_BAD_DESC;
        }
        if ((d->src & (TRN_PAGE_SIZE - 1)) || d->src >= s->hbm_bytes) {
            trn_step_log(s, st, "page table root 0x%" PRIx64 " is not a "
                         "4 KiB aligned HBM offset", d->src);
            return TRN_DMA_ERR_BAD_PT;
        }
        return TRN_DMA_ERR_NONE;
    default:
        trn_step_log(s, st, "unknown opcode 0x%x", d->opcode);
        return TRN_DMA_ERR_BAD_DESC;
    }
    if (!st->ctx.valid) {
        trn_step_log(s, st, "opcode 0x%x before any CONTEXT", d->opcode);
        return TRN_DMA_ERR_NO_CONTEXT;
    }
    return TRN_DMA_ERR_NONE;

bad_aux:
    trn_step_log(s, st, "AUX 0x%x must be 0 for opcode 0x%x", d->aux,
                 d->opcode);
    return TRN_DMA_ERR_BAD_DESC;
}

/* The first byte of the step that is left to do, and the end of the slice. */
static uint64_t trn_dma_end(const TrnStep *st, uint64_t budget)
{
    return st->desc.len - st->done > budget ? st->done + budget
                                            : st->desc.len;
}

static void trn_dma_advance(TrnStep *st, TrnRun *a, TrnRun *b, uint64_t n)
{
    trn_run_advance(a, n);
    if (b) {
        trn_run_advance(b, n);
    }
    st->done += n;
    st->bytes += n;
}

/*
 * COPY. Overlapping source and destination ranges give an undefined result
 * (the model uses memmove() per piece, which is not the same as memmove()
 * of the whole range).
 */
static TrnStepResult trn_dma_copy(TrnState *s, TrnStep *st, uint64_t budget)
{
    const TrnDesc *d = &st->desc;
    uint64_t end = trn_dma_end(st, budget);
    TrnRun src = { 0 }, dst = { 0 };
    uint32_t err;

    while (st->done < end) {
        uint64_t n;

        if (trn_step_remap(s, st)) {
            src.len = 0;
            dst.len = 0;
        }
        if (!src.len) {
            err = trn_mmu_run(s, st->ctx.root, d->src + st->done,
                              end - st->done, false, &src);
            if (err) {
                return trn_step_fault(st, err, d->src + st->done);
            }
        }
        if (!dst.len) {
            err = trn_mmu_run(s, st->ctx.root, d->dst + st->done,
                              end - st->done, true, &dst);
            if (err) {
                return trn_step_fault(st, err, d->dst + st->done);
            }
        }
        n = MIN(src.len, dst.len);

        if (!src.system && !dst.system) {
            memmove(dst.hbm + dst.addr, src.hbm + src.addr, n);
            if (dst.hbm_mr) {
                memory_region_set_dirty(dst.hbm_mr, dst.addr, n);
            }
            trn_run_count(&src, n, false);
            trn_run_count(&dst, n, true);
            trn_dma_advance(st, &src, &dst, n);
            continue;
        }
        while (n) {
            TrnView sv, dv;
            bool ok;

            if (!trn_view_get(s, &st->sys[0], &src, n, false, st->bounce[0],
                              &sv)) {
                trn_step_log(s, st, "cannot read host memory at 0x%" PRIx64,
                             src.addr);
                return trn_step_fault(st, TRN_DMA_ERR_BAD_PT,
                                      d->src + st->done);
            }
            trn_view_get(s, &st->sys[1], &dst, sv.len, true, st->bounce[1],
                         &dv);
            memmove(dv.ptr, sv.ptr, dv.len);
            ok = trn_view_put(s, &dst, &dv, dv.len, true);
            trn_view_put(s, &src, &sv, dv.len, false);
            if (!ok) {
                trn_step_log(s, st, "cannot write host memory at 0x%" PRIx64,
                             dst.addr);
                return trn_step_fault(st, TRN_DMA_ERR_BAD_PT,
                                      d->dst + st->done);
            }
            n -= dv.len;
            trn_dma_advance(st, &src, &dst, dv.len);
        }
    }
    return st->done == d->len ? TRN_STEP_DONE : TRN_STEP_PARTIAL;
}

/* Fill @n bytes at @p with @pattern, starting at byte @phase of it. */
static void trn_fill_pattern(uint8_t *p, uint64_t n, uint64_t pattern,
                             unsigned phase)
{
    uint64_t done, i;

    if (pattern == 0x0101010101010101ULL * (pattern & 0xff)) {
        memset(p, pattern & 0xff, n);
        return;
    }
    done = MIN(n, 64);
    for (i = 0; i < done; i++) {
        p[i] = pattern >> (8 * ((phase + i) % 8));
    }
    /* Double the filled part: it stays a multiple of 8 bytes long. */
    while (done < n) {
        uint64_t c = MIN(done, n - done);

        memcpy(p + done, p, c);
        done += c;
    }
}

static TrnStepResult trn_dma_fill(TrnState *s, TrnStep *st, uint64_t budget)
{
    const TrnDesc *d = &st->desc;
    uint64_t end = trn_dma_end(st, budget);
    TrnRun dst = { 0 };
    uint32_t err;

    while (st->done < end) {
        TrnView dv;

        if (trn_step_remap(s, st)) {
            dst.len = 0;
        }
        if (!dst.len) {
            err = trn_mmu_run(s, st->ctx.root, d->dst + st->done,
                              end - st->done, true, &dst);
            if (err) {
                return trn_step_fault(st, err, d->dst + st->done);
            }
        }
        trn_view_get(s, &st->sys[1], &dst, dst.len, true, st->bounce[1],
                     &dv);
        trn_fill_pattern(dv.ptr, dv.len, d->src, st->done % 8);
        if (!trn_view_put(s, &dst, &dv, dv.len, true)) {
            trn_step_log(s, st, "cannot write host memory at 0x%" PRIx64,
                         dst.addr);
            return trn_step_fault(st, TRN_DMA_ERR_BAD_PT, d->dst + st->done);
        }
        trn_dma_advance(st, &dst, NULL, dv.len);
    }
    return st->done == d->len ? TRN_STEP_DONE : TRN_STEP_PARTIAL;
}

static TrnStepResult trn_dma_write(TrnState *s, TrnStep *st)
{
    const TrnDesc *d = &st->desc;
    TrnRun dst;
    TrnView dv;
    uint32_t err;

    err = trn_mmu_run(s, st->ctx.root, d->dst, 8, true, &dst);
    if (err) {
        return trn_step_fault(st, err, d->dst);
    }
    /* Everything the queue wrote before, then this value */
    smp_wmb();
    trn_view_get(s, &st->sys[1], &dst, 8, true, st->bounce[1], &dv);
    stq_le_p(dv.ptr, d->len);
    if (!trn_view_put(s, &dst, &dv, 8, true)) {
        trn_step_log(s, st, "cannot write host memory at 0x%" PRIx64,
                     dst.addr);
        return trn_step_fault(st, TRN_DMA_ERR_BAD_PT, d->dst);
    }
    st->bytes += 8;
    return TRN_STEP_DONE;
}

TrnStepResult trn_dma_run(TrnState *s, TrnStep *st, uint64_t budget)
{
    const TrnDesc *d = &st->desc;
    uint32_t err;

    if (!st->has_cur) {
        err = trn_dma_fetch(s, st);
        if (err) {
            return trn_step_fault(st, err, 0);
        }
        trace_trn_dma_desc_start(s->chip_id, st->queue, st->index, d->opcode,
                                 d->src, d->dst, d->len);
        err = trn_dma_check(s, st);
        if (err) {
            return trn_step_fault(st, err, 0);
        }
    }
    if (d->opcode == TRN_DMA_OP_EXEC) {
        return trn_core_exec(s, st);
    }
    /* Runs into a peer's HBM are valid within this section only */
    RCU_READ_LOCK_GUARD();
    switch (d->opcode) {
    case TRN_DMA_OP_COPY:
        return trn_dma_copy(s, st, budget);
    case TRN_DMA_OP_FILL:
        return trn_dma_fill(s, st, budget);
    case TRN_DMA_OP_WRITE:
        return trn_dma_write(s, st);
    default:
        return TRN_STEP_DONE;
    }
}
