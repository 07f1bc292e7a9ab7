/*
 * trn: device MMU, translation of device virtual addresses.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Each address space (ASID) has a 3-level page table in HBM; trn_regs.h
 * defines the format. The worker thread walks the tables through the host
 * pointer of the HBM RAM block, without any lock, while the guest may be
 * changing them through BAR2: every entry is read with one aligned 8-byte
 * load. The walk keeps no translations beyond one call of trn_mmu_run(); its
 * callers keep them for a piece of a step at most (a run of a COPY or FILL,
 * the pages of an instruction's operands in trn-core.c), and drop them after
 * TRN_REG_TLB_INVALIDATE: see trn_step_remap().
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "trn.h"

/* The level 2 table of the last 2 MiB region walked: saves two loads. */
typedef struct TrnWalkCache {
    bool valid;
    uint64_t tag;               /* va >> TRN_PT_SHIFT(1) */
    uint64_t table;             /* HBM offset of its level 2 table */
} TrnWalkCache;

static uint64_t trn_pte_read(TrnState *s, uint64_t table, uint64_t va,
                             int level)
{
    return ldq_le_p(s->hbm_ptr + table +
                    TRN_PT_INDEX(va, level) * sizeof(uint64_t));
}

/*
 * Find the leaf entry that maps @va. Returns TRN_DMA_ERR_NONE and the entry
 * in *@leaf, or the error a descriptor that touches @va gets.
 */
static uint32_t trn_mmu_walk(TrnState *s, uint64_t root, uint64_t va,
                             bool write, TrnWalkCache *wc, uint64_t *leaf)
{
    uint64_t table = root;
    uint64_t pte;
    int level = 0;

    if (va >> TRN_VA_BITS) {
        return TRN_DMA_ERR_UNMAPPED;
    }
    if (wc->valid && wc->tag == va >> TRN_PT_SHIFT(1)) {
        table = wc->table;
        level = TRN_PT_LEVELS - 1;
    }
    for (;;) {
        pte = trn_pte_read(s, table, va, level);
        if (!(pte & TRN_PTE_VALID)) {
            return TRN_DMA_ERR_UNMAPPED;
        }
        if (level == TRN_PT_LEVELS - 1) {
            break;
        }
        /* A table pointer: SYSTEM is meaningless, the table must be in HBM */
        if (pte & TRN_PTE_SYSTEM) {
            return TRN_DMA_ERR_BAD_PT;
        }
        table = pte & TRN_PTE_ADDR_MASK;
        if (table >= s->hbm_bytes) {
            return TRN_DMA_ERR_BAD_PT;
        }
        level++;
    }
    wc->valid = true;
    wc->tag = va >> TRN_PT_SHIFT(1);
    wc->table = table;

    if (!(pte & TRN_PTE_SYSTEM) && (pte & TRN_PTE_ADDR_MASK) >= s->hbm_bytes) {
        return TRN_DMA_ERR_BAD_PT;
    }
    if (write && !(pte & TRN_PTE_WRITE)) {
        return TRN_DMA_ERR_READONLY;
    }
    *leaf = pte;
    return TRN_DMA_ERR_NONE;
}

/*
 * Translate @va and as many of the following bytes, up to @want (> 0), as
 * are mapped to contiguous memory of the same kind: physically consecutive
 * pages merge into one run, so that the caller moves them with one memcpy.
 *
 * Only the page of @va itself can fail; the run just ends before a page that
 * would fail, which the caller then translates on its own and so reports
 * with its exact address. All pages of a run are writable if @write.
 */
uint32_t trn_mmu_run(TrnState *s, uint64_t root, uint64_t va, uint64_t want,
                     bool write, TrnRun *run)
{
    TrnWalkCache wc = { 0 };
    uint64_t off = va & (TRN_PAGE_SIZE - 1);
    uint64_t pte, len;
    uint32_t err;

    err = trn_mmu_walk(s, root, va, write, &wc, &pte);
    if (err) {
        return err;
    }
    run->system = pte & TRN_PTE_SYSTEM;
    run->addr = (pte & TRN_PTE_ADDR_MASK) + off;
    len = TRN_PAGE_SIZE - off;
    while (len < want) {
        if (trn_mmu_walk(s, root, va + len, write, &wc, &pte) ||
            !!(pte & TRN_PTE_SYSTEM) != run->system ||
            (pte & TRN_PTE_ADDR_MASK) != run->addr + len) {
            break;
        }
        len += TRN_PAGE_SIZE;
    }
    run->len = MIN(len, want);
    return TRN_DMA_ERR_NONE;
}
