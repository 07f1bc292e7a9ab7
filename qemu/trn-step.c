/*
 * trn: a step, the work a worker does on one descriptor without the lock.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A worker (trn-queue.c) copies what a step needs out of the queue under
 * TrnState.lock, then executes the descriptor without it (trn-dma.c, and
 * trn-core.c for programs), and commits the result under the lock. The
 * helpers here are what both executors share: the guest error log, the
 * translations that a TLB invalidation ends, and reads and writes through
 * the queue's address space.
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "trn.h"
#include "trn-step.h"

void trn_step_log(TrnState *s, const TrnStep *st, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    qemu_log_mask(LOG_GUEST_ERROR, "trn: chip %u queue %u: descriptor %u: "
                  "%s\n", s->chip_id, st->queue, st->index, msg);
}

TrnStepResult trn_step_fault(TrnStep *st, uint32_t err, uint64_t addr)
{
    st->err = err;
    st->err_addr = addr;
    return TRN_STEP_FAULT;
}

void trn_step_release(TrnStep *st)
{
    trn_sys_cache_drop(&st->sys[0]);
    trn_sys_cache_drop(&st->sys[1]);
}

bool trn_step_remap(TrnState *s, TrnStep *st)
{
    if (!trn_mem_remapped(s, &st->map_gen)) {
        return false;
    }
    trn_step_release(st);
    return true;
}

/* Move the bytes of @run, local memory, at @buf + *@done on. */
static uint32_t trn_step_rw_run(TrnState *s, TrnStep *st, TrnRun *run,
                                uint8_t *buf, uint64_t *done, bool write)
{
    while (run->len) {
        TrnView v;

        if (!trn_view_get(s, &st->sys[write], run, run->len, write,
                          st->bounce[write], &v)) {
            trn_step_log(s, st, "cannot read host memory at 0x%" PRIx64,
                         run->addr);
            return TRN_DMA_ERR_BAD_PT;
        }
        if (write) {
            memcpy(v.ptr, buf + *done, v.len);
        } else {
            memcpy(buf + *done, v.ptr, v.len);
        }
        if (!trn_view_put(s, run, &v, v.len, write)) {
            trn_step_log(s, st, "cannot write host memory at 0x%" PRIx64,
                         run->addr);
            return TRN_DMA_ERR_BAD_PT;
        }
        *done += v.len;
        trn_run_advance(run, v.len);
    }
    return TRN_DMA_ERR_NONE;
}

uint32_t trn_step_rw(TrnState *s, TrnStep *st, uint64_t va, uint8_t *buf,
                     uint64_t len, bool write, uint64_t *fault)
{
    uint64_t done = 0;
    uint32_t err;

    while (done < len) {
        TrnRun run;

        err = trn_mmu_run(s, st->ctx.root, va + done, len - done, write,
                          &run);
        if (!err && run.link) {
            err = TRN_DMA_ERR_REMOTE;   /* programs and records are local */
        }
        if (!err) {
            err = trn_step_rw_run(s, st, &run, buf, &done, write);
        }
        if (err) {
            *fault = va + done;
            return err;
        }
    }
    return TRN_DMA_ERR_NONE;
}
