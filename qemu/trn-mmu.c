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
 *
 * A page of HBM that an uncorrectable error poisoned (trn-health.c) fails
 * with TRN_DMA_ERR_ECC, whether it holds data or a page table, and whether
 * it is this device's or a peer's.
 *
 * A peer entry (TRN_PTE_PEER) leads over a NeuronLink port into the export
 * space of the device at the other end, whose tables are walked the same
 * way in that device's HBM; its TRN_REG_TLB_INVALIDATE makes the workers of
 * the devices cabled to it drop their translations too. The device at the
 * other end is reached through the port's peer pointer, under the RCU read
 * lock: when it is unplugged, trn-link.c clears the pointer and keeps the
 * device alive until a grace period has passed.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/rcu.h"
#include "trace.h"
#include "trn.h"
#include "trn-mmu.h"

/*
 * The level 2 table of the last 2 MiB region walked: saves two loads. It
 * belongs to one page table of one device: a run may cross into the export
 * spaces of several peers, whose tables are in different memories.
 */
typedef struct TrnWalkCache {
    bool valid;
    TrnState *dev;              /* whose HBM the table is in */
    uint64_t root;              /* of the page table */
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
 * in *@leaf, or the error a descriptor that touches @va gets. Only the
 * entry's own validity is checked here, and that of the tables leading to
 * it; what its address may be depends on who walks (trn_mmu_page()).
 */
static uint32_t trn_mmu_walk(TrnState *s, uint64_t root, uint64_t va,
                             TrnWalkCache *wc, uint64_t *leaf)
{
    uint64_t table = root;
    uint64_t pte;
    int level = 0;

    if (va >> TRN_VA_BITS) {
        return TRN_DMA_ERR_UNMAPPED;
    }
    if (wc->valid && wc->dev == s && wc->root == root &&
        wc->tag == va >> TRN_PT_SHIFT(1)) {
        table = wc->table;
        level = TRN_PT_LEVELS - 1;
    }
    for (;;) {
        if (trn_health_poisoned(&s->health, table)) {
            trace_trn_ecc_fault(s->chip_id, table);
            return TRN_DMA_ERR_ECC;
        }
        pte = trn_pte_read(s, table, va, level);
        if (!(pte & TRN_PTE_VALID)) {
            return TRN_DMA_ERR_UNMAPPED;
        }
        if (level == TRN_PT_LEVELS - 1) {
            break;
        }
        /* A table pointer: SYSTEM, PEER are meaningless, it must be in HBM */
        if (pte & (TRN_PTE_SYSTEM | TRN_PTE_PEER)) {
            return TRN_DMA_ERR_BAD_PT;
        }
        table = pte & TRN_PTE_ADDR_MASK;
        if (table >= s->hbm_bytes) {
            return TRN_DMA_ERR_BAD_PT;
        }
        level++;
    }
    wc->valid = true;
    wc->dev = s;
    wc->root = root;
    wc->tag = va >> TRN_PT_SHIFT(1);
    wc->table = table;
    *leaf = pte;
    return TRN_DMA_ERR_NONE;
}

/* Where one page lives: what a run is made of. */
typedef struct TrnMmuPage {
    bool system;
    TrnState *dev;
    TrnLink *link;
    TrnLink *far;
    uint64_t addr;              /* of the first byte of the page */
} TrnMmuPage;

/*
 * The page of the export space of @p at @xva: HBM of @p, writable if
 * @write, else TRN_DMA_ERR_REMOTE whatever is wrong. Runs on a worker of
 * another device: the peer's export space root and tables are read as the
 * peer's own walks read its tables.
 */
static uint32_t trn_mmu_export(TrnState *p, uint64_t xva, bool write,
                               TrnWalkCache *wc, uint64_t *hbm)
{
    uint64_t root = qatomic_read(&p->peer_root);
    uint64_t pte;

    if (!(root & TRN_PEER_ROOT_ENABLE)) {
        return TRN_DMA_ERR_REMOTE;
    }
    root &= TRN_PEER_ROOT_ADDR_MASK;
    if (root >= p->hbm_bytes ||
        trn_mmu_walk(p, root, xva, wc, &pte) ||
        (pte & (TRN_PTE_SYSTEM | TRN_PTE_PEER)) ||
        (pte & TRN_PTE_ADDR_MASK) >= p->hbm_bytes ||
        (write && !(pte & TRN_PTE_WRITE))) {
        return TRN_DMA_ERR_REMOTE;
    }
    *hbm = pte & TRN_PTE_ADDR_MASK;
    return TRN_DMA_ERR_NONE;
}

/* A page of HBM that is poisoned fails; others pass. */
static uint32_t trn_mmu_checked(const TrnMmuPage *pg)
{
    if (!pg->system && trn_health_poisoned(&pg->dev->health, pg->addr)) {
        trace_trn_ecc_fault(pg->dev->chip_id, pg->addr);
        return TRN_DMA_ERR_ECC;
    }
    return TRN_DMA_ERR_NONE;
}

/*
 * Translate the page of @va (page aligned) into @pg, following a peer entry
 * across its link into the peer's export space.
 */
static uint32_t trn_mmu_page(TrnState *s, uint64_t root, uint64_t va,
                             bool write, TrnWalkCache wc[2], TrnMmuPage *pg)
{
    uint64_t pte, addr, chip;
    unsigned port;
    TrnState *peer;
    TrnLink *l;
    uint32_t err;

    err = trn_mmu_walk(s, root, va, &wc[0], &pte);
    if (err) {
        return err;
    }
    addr = pte & TRN_PTE_ADDR_MASK;
    pg->system = pte & TRN_PTE_SYSTEM;
    pg->dev = s;
    pg->link = NULL;
    pg->far = NULL;
    pg->addr = addr;
    if (!(pte & TRN_PTE_PEER)) {
        if ((pte & TRN_PTE_PORT_MASK) ||
            (!pg->system && addr >= s->hbm_bytes)) {
            return TRN_DMA_ERR_BAD_PT;
        }
    } else if (pg->system || addr >> TRN_VA_BITS) {
        return TRN_DMA_ERR_BAD_PT;
    }
    if (write && !(pte & TRN_PTE_WRITE)) {
        return TRN_DMA_ERR_READONLY;
    }
    if (!(pte & TRN_PTE_PEER)) {
        return trn_mmu_checked(pg);
    }
    port = (pte & TRN_PTE_PORT_MASK) >> TRN_PTE_PORT_SHIFT;
    if (port >= s->nlinks) {
        return TRN_DMA_ERR_LINK;
    }
    /* The cable goes when either end is unplugged; the state changes */
    l = &s->links[port];
    peer = qatomic_rcu_read(&l->peer);
    /* Up, and with the chip the entry was made for at the other end */
    chip = (pte & TRN_PTE_PEER_CHIP_MASK) >> TRN_PTE_PEER_CHIP_SHIFT;
    if (qatomic_read(&l->state) != TRN_LINK_STATE_UP || !peer ||
        chip != (peer->chip_id & (TRN_PTE_PEER_CHIP_MASK >>
                                  TRN_PTE_PEER_CHIP_SHIFT))) {
        return TRN_DMA_ERR_LINK;
    }
    err = trn_mmu_export(peer, addr, write, &wc[1], &pg->addr);
    if (err) {
        return err;
    }
    pg->dev = peer;
    pg->link = l;
    pg->far = &peer->links[l->peer_port];
    return trn_mmu_checked(pg);
}

/*
 * Physically consecutive pages of the same memory merge into one run, so
 * that the caller moves them with one memcpy.
 *
 * Only the page of @va itself can fail; the run just ends before a page that
 * would fail, which the caller then translates on its own and so reports
 * with its exact address. All pages of a run are writable if @write.
 */
uint32_t trn_mmu_run(TrnState *s, uint64_t root, uint64_t va, uint64_t want,
                     bool write, TrnRun *run)
{
    TrnWalkCache wc[2] = { 0 };
    uint64_t off = va & (TRN_PAGE_SIZE - 1);
    uint64_t len;
    TrnMmuPage pg;
    uint32_t err;

    RCU_READ_LOCK_GUARD();
    err = trn_mmu_page(s, root, va - off, write, wc, &pg);
    if (err) {
        return err;
    }
    run->system = pg.system;
    run->dev = pg.dev;
    run->link = pg.link;
    run->far = pg.far;
    run->addr = pg.addr + off;
    len = TRN_PAGE_SIZE - off;
    while (len < want) {
        if (trn_mmu_page(s, root, va - off + len, write, wc, &pg) ||
            pg.system != run->system || pg.dev != run->dev ||
            pg.link != run->link || pg.addr != run->addr - off + len) {
            break;
        }
        len += TRN_PAGE_SIZE;
    }
    run->len = MIN(len, want);
    return TRN_DMA_ERR_NONE;
}
