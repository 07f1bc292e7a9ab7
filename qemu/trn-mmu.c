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
 * device alive until a grace period has passed. A device in another QEMU
 * process (a cable between hosts, trn-cable.c) is reached the same way
 * through the port's far pointer: its HBM is shared memory mapped here,
 * its export root comes over the cable's socket.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/rcu.h"
#include "trace.h"
#include "trn.h"
#include "trn-mmu.h"

/*
 * Device memory that page tables and data are in: this device's HBM, a
 * peer's in this process, or that of a device in another process reached
 * through a cable (trn-cable.c), whose poisoned pages are not known here.
 */
typedef struct TrnHbm {
    uint8_t *ptr;
    uint64_t bytes;
    const TrnHealth *health;    /* NULL: another process's */
    MemoryRegion *mr;           /* NULL: another process's */
    uint32_t chip;
} TrnHbm;

static void trn_hbm_of(TrnState *s, TrnHbm *m)
{
    m->ptr = s->hbm_ptr;
    m->bytes = s->hbm_bytes;
    m->health = &s->health;
    m->mr = s->hbm;
    m->chip = s->chip_id;
}

static bool trn_hbm_poisoned(const TrnHbm *m, uint64_t addr)
{
    if (m->health && trn_health_poisoned(m->health, addr)) {
        trace_trn_ecc_fault(m->chip, addr);
        return true;
    }
    return false;
}

/*
 * The level 2 table of the last 2 MiB region walked: saves two loads. It
 * belongs to one page table of one memory: a run may cross into the export
 * spaces of several peers, whose tables are in different memories.
 */
typedef struct TrnWalkCache {
    bool valid;
    const uint8_t *mem;         /* whose HBM the table is in */
    uint64_t root;              /* of the page table */
    uint64_t tag;               /* va >> TRN_PT_SHIFT(1) */
    uint64_t table;             /* HBM offset of its level 2 table */
} TrnWalkCache;

static uint64_t trn_pte_read(const TrnHbm *m, uint64_t table, uint64_t va,
                             int level)
{
    return ldq_le_p(m->ptr + table +
                    TRN_PT_INDEX(va, level) * sizeof(uint64_t));
}

/*
 * Find the leaf entry that maps @va. Returns TRN_DMA_ERR_NONE and the entry
 * in *@leaf, or the error a descriptor that touches @va gets. Only the
 * entry's own validity is checked here, and that of the tables leading to
 * it; what its address may be depends on who walks (trn_mmu_page()).
 * @root is below @m->bytes.
 */
static uint32_t trn_mmu_walk(const TrnHbm *m, uint64_t root, uint64_t va,
                             TrnWalkCache *wc, uint64_t *leaf)
{
    uint64_t table = root;
    uint64_t pte;
    int level = 0;

    if (va >> TRN_VA_BITS) {
        return TRN_DMA_ERR_UNMAPPED;
    }
    if (wc->valid && wc->mem == m->ptr && wc->root == root &&
        wc->tag == va >> TRN_PT_SHIFT(1)) {
        table = wc->table;
        level = TRN_PT_LEVELS - 1;
    }
    for (;;) {
        if (trn_hbm_poisoned(m, table)) {
            return TRN_DMA_ERR_ECC;
        }
        pte = trn_pte_read(m, table, va, level);
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
        if (table >= m->bytes) {
            return TRN_DMA_ERR_BAD_PT;
        }
        level++;
    }
    wc->valid = true;
    wc->mem = m->ptr;
    wc->root = root;
    wc->tag = va >> TRN_PT_SHIFT(1);
    wc->table = table;
    *leaf = pte;
    return TRN_DMA_ERR_NONE;
}

/* Where one page lives: what a run is made of. */
typedef struct TrnMmuPage {
    bool system;
    TrnHbm mem;                 /* !system: the memory it is in */
    TrnLink *link;
    Stat64 *far_tx;
    Stat64 *far_rx;
    uint64_t addr;              /* of the first byte of the page */
} TrnMmuPage;

/*
 * The page at @xva of the export space whose root register holds @root, in
 * the memory @m of the device at the other end of a link: an HBM offset,
 * writable if @write, else TRN_DMA_ERR_REMOTE whatever is wrong. Runs on a
 * worker of another device: the export tables are read as the device's own
 * walks read its tables.
 */
static uint32_t trn_mmu_export(const TrnHbm *m, uint64_t root, uint64_t xva,
                               bool write, TrnWalkCache *wc, uint64_t *hbm)
{
    uint64_t pte;

    if (!(root & TRN_PEER_ROOT_ENABLE)) {
        return TRN_DMA_ERR_REMOTE;
    }
    root &= TRN_PEER_ROOT_ADDR_MASK;
    if (root >= m->bytes ||
        trn_mmu_walk(m, root, xva, wc, &pte) ||
        (pte & (TRN_PTE_SYSTEM | TRN_PTE_PEER)) ||
        (pte & TRN_PTE_ADDR_MASK) >= m->bytes ||
        (write && !(pte & TRN_PTE_WRITE))) {
        return TRN_DMA_ERR_REMOTE;
    }
    *hbm = pte & TRN_PTE_ADDR_MASK;
    return TRN_DMA_ERR_NONE;
}

/* A page of HBM that is poisoned fails; others pass. */
static uint32_t trn_mmu_checked(const TrnMmuPage *pg)
{
    if (!pg->system && trn_hbm_poisoned(&pg->mem, pg->addr)) {
        return TRN_DMA_ERR_ECC;
    }
    return TRN_DMA_ERR_NONE;
}

/*
 * The far end of port @l for an entry made for chip @chip, if the link is
 * up: its memory, export space root and port counters. In this process (a
 * peer device) or another (trn-cable.c).
 */
static bool trn_mmu_far(TrnLink *l, uint64_t chip, TrnMmuPage *pg,
                        uint64_t *root)
{
    const uint64_t chips = TRN_PTE_PEER_CHIP_MASK >> TRN_PTE_PEER_CHIP_SHIFT;
    TrnState *peer;
    TrnFar *far;

    if (qatomic_read(&l->state) != TRN_LINK_STATE_UP) {
        return false;
    }
    peer = qatomic_rcu_read(&l->peer);
    if (peer) {
        if (chip != (peer->chip_id & chips)) {
            return false;
        }
        trn_hbm_of(peer, &pg->mem);
        *root = qatomic_read(&peer->peer_root);
        pg->far_tx = &peer->links[l->peer_port].tx_bytes;
        pg->far_rx = &peer->links[l->peer_port].rx_bytes;
        return true;
    }
    far = qatomic_rcu_read(&l->far);
    if (!far || chip != (far->chip & chips)) {
        return false;
    }
    pg->mem.ptr = far->hbm;
    pg->mem.bytes = far->hbm_bytes;
    pg->mem.health = NULL;
    pg->mem.mr = NULL;
    pg->mem.chip = far->chip;
    *root = qatomic_read(&far->root);
    pg->far_tx = &far->tx_bytes;
    pg->far_rx = &far->rx_bytes;
    return true;
}

/*
 * Translate the page of @va (page aligned) into @pg, following a peer entry
 * across its link into the export space at the other end.
 */
static uint32_t trn_mmu_page(TrnState *s, const TrnHbm *own, uint64_t root,
                             uint64_t va, bool write, TrnWalkCache wc[2],
                             TrnMmuPage *pg)
{
    uint64_t pte, addr, far_root;
    unsigned port;
    uint32_t err;

    err = trn_mmu_walk(own, root, va, &wc[0], &pte);
    if (err) {
        return err;
    }
    addr = pte & TRN_PTE_ADDR_MASK;
    pg->system = pte & TRN_PTE_SYSTEM;
    pg->mem = *own;
    pg->link = NULL;
    pg->far_tx = NULL;
    pg->far_rx = NULL;
    pg->addr = addr;
    if (!(pte & TRN_PTE_PEER)) {
        if ((pte & TRN_PTE_PORT_MASK) ||
            (!pg->system && addr >= own->bytes)) {
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
    /*
     * Up, and with the chip the entry was made for at the other end. The
     * cable goes when either end is unplugged or its process goes away.
     */
    if (!trn_mmu_far(&s->links[port], (pte & TRN_PTE_PEER_CHIP_MASK) >>
                     TRN_PTE_PEER_CHIP_SHIFT, pg, &far_root)) {
        return TRN_DMA_ERR_LINK;
    }
    err = trn_mmu_export(&pg->mem, far_root, addr, write, &wc[1], &pg->addr);
    if (err) {
        return err;
    }
    pg->link = &s->links[port];
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
    TrnHbm own;
    uint32_t err;

    trn_hbm_of(s, &own);
    RCU_READ_LOCK_GUARD();
    err = trn_mmu_page(s, &own, root, va - off, write, wc, &pg);
    if (err) {
        return err;
    }
    run->system = pg.system;
    run->hbm = pg.mem.ptr;
    run->hbm_mr = pg.mem.mr;
    run->link = pg.link;
    run->far_tx = pg.far_tx;
    run->far_rx = pg.far_rx;
    run->addr = pg.addr + off;
    len = TRN_PAGE_SIZE - off;
    while (len < want) {
        if (trn_mmu_page(s, &own, root, va - off + len, write, wc, &pg) ||
            pg.system != run->system || pg.mem.ptr != run->hbm ||
            pg.link != run->link || pg.addr != run->addr - off + len) {
            break;
        }
        len += TRN_PAGE_SIZE;
    }
    run->len = MIN(len, want);
    return TRN_DMA_ERR_NONE;
}
