/*
 * trn: the host memory the device's workers reach: HBM and host RAM.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The workers (trn-queue.c) move data without the BQL. HBM, this device's
 * or a peer's, is accessed through the host pointer of its RAM block. Host
 * memory (pages with TRN_PTE_SYSTEM) is reached through a MemoryRegionCache
 * of the device's bus-master address space that covers the whole RAM
 * section behind the first page touched (a window, TrnSysCache), so that
 * the guest's scattered pages cost a bounds check each; written ranges are
 * marked dirty through it. Anything that is not direct RAM goes through
 * pci_dma_read()/pci_dma_write() and a bounce page, which report errors
 * (the memory core takes the BQL for MMIO).
 *
 * The MMU's translations and the windows are kept for a piece of work at
 * most; when the mappings change (TLB invalidation, bus mastering off, a
 * peer's export space), the generation of trn_mem_remap() moves on and
 * every worker drops what it holds at its next piece of work.
 */

#include "qemu/osdep.h"
#include "qemu/rcu.h"
#include "qemu/units.h"
#include "hw/pci/pci_device.h"
#include "trn.h"
#include "trn-mem.h"

static AddressSpace *trn_as(TrnState *s)
{
    return pci_get_address_space(PCI_DEVICE(s));
}

/*
 * Direct RAM only: anything else (MMIO, nothing, an IOMMU fault) goes
 * through pci_dma_read()/pci_dma_write(), which report errors, rather than
 * through a bounce buffer of the memory core, which does not.
 */
void *trn_sys_map(TrnState *s, dma_addr_t addr, dma_addr_t *len, bool write)
{
    AddressSpace *as = trn_as(s);
    MemTxAttrs attrs = MEMTXATTRS_UNSPECIFIED;
    MemoryRegion *mr;
    hwaddr xlat, l = *len;
    bool direct;

    WITH_RCU_READ_LOCK_GUARD() {
        mr = address_space_translate(as, addr, &xlat, &l, write, attrs);
        direct = memory_access_is_direct(mr, write, attrs);
    }
    if (!direct) {
        return NULL;
    }
    return dma_memory_map(as, addr, len, write ? DMA_DIRECTION_FROM_DEVICE
                                               : DMA_DIRECTION_TO_DEVICE,
                          attrs);
}

void trn_sys_unmap(TrnState *s, void *ptr, dma_addr_t len, bool write,
                   dma_addr_t used)
{
    dma_memory_unmap(trn_as(s), ptr, len, write ? DMA_DIRECTION_FROM_DEVICE
                                                : DMA_DIRECTION_TO_DEVICE,
                     used);
}

void trn_sys_cache_drop(TrnSysCache *sc)
{
    if (sc->valid) {
        address_space_cache_destroy(&sc->mrc);
        sc->valid = false;
    }
}

/*
 * Point @sc at the RAM section around bus address @addr. The window starts
 * at a 1 GiB or 2 MiB boundary below @addr if the same section reaches down
 * there, so that pages below @addr, which come as often as those above it,
 * do not need a window of their own.
 */
static void trn_sys_cache_init(TrnState *s, TrnSysCache *sc, uint64_t addr,
                               bool write)
{
    static const uint64_t aligns[] = { 1 * GiB, 2 * MiB };
    unsigned i;

    trn_sys_cache_drop(sc);
    for (i = 0; i < ARRAY_SIZE(aligns); i++) {
        uint64_t base = addr & ~(aligns[i] - 1);

        if (base == addr) {
            break;
        }
        address_space_cache_init(&sc->mrc, trn_as(s), base,
                                 MAX(HWADDR_MAX - base, 1), write);
        if (sc->mrc.ptr && addr - base < sc->mrc.len) {
            sc->base = base;
            sc->valid = true;
            return;
        }
        address_space_cache_destroy(&sc->mrc);
    }
    sc->base = addr;
    address_space_cache_init(&sc->mrc, trn_as(s), addr,
                             MAX(HWADDR_MAX - addr, 1), write);
    sc->valid = true;
}

uint8_t *trn_sys_ptr(TrnState *s, TrnSysCache *sc, uint64_t addr,
                     bool write, uint64_t *avail)
{
    if (!sc->valid || addr < sc->base ||
        addr - sc->base >= sc->mrc.len) {
        trn_sys_cache_init(s, sc, addr, write);
    }
    if (!sc->mrc.ptr || addr - sc->base >= sc->mrc.len) {
        return NULL;
    }
    *avail = sc->mrc.len - (addr - sc->base);
    return sc->mrc.ptr + (addr - sc->base);
}

bool trn_view_get(TrnState *s, TrnSysCache *sc, const TrnRun *run,
                  uint64_t n, bool write, uint8_t *bounce, TrnView *v)
{
    uint64_t avail;

    v->sc = NULL;
    if (!run->system) {
        v->ptr = run->hbm + run->addr;
        v->len = n;
        return true;
    }
    v->ptr = trn_sys_ptr(s, sc, run->addr, write, &avail);
    if (v->ptr) {
        v->sc = sc;
        v->len = MIN(n, avail);
        return true;
    }
    v->ptr = bounce;
    v->len = MIN(n, TRN_PAGE_SIZE - (run->addr & (TRN_PAGE_SIZE - 1)));
    return write ||
           pci_dma_read(PCI_DEVICE(s), run->addr, bounce, v->len) == MEMTX_OK;
}

void trn_run_count(const TrnRun *run, uint64_t n, bool write)
{
    if (run->link && n) {
        stat64_add(write ? &run->link->tx_bytes : &run->link->rx_bytes, n);
        stat64_add(write ? run->far_rx : run->far_tx, n);
    }
}

bool trn_view_put(TrnState *s, const TrnRun *run, TrnView *v, uint64_t used,
                  bool write)
{
    if (!run->system) {
        if (write && run->hbm_mr) {
            memory_region_set_dirty(run->hbm_mr, run->addr, used);
        }
        trn_run_count(run, used, write);
        return true;
    }
    if (v->sc) {
        if (write && used) {
            address_space_cache_invalidate(&v->sc->mrc,
                                           run->addr - v->sc->base, used);
        }
        return true;
    }
    return !write ||
           pci_dma_write(PCI_DEVICE(s), run->addr, v->ptr, used) == MEMTX_OK;
}

void trn_mem_remap(TrnState *s)
{
    qatomic_inc(&s->map_gen);
}

uint32_t trn_mem_gen(TrnState *s)
{
    return qatomic_read(&s->map_gen);
}

bool trn_mem_remapped(TrnState *s, uint32_t *gen)
{
    uint32_t now = qatomic_load_acquire(&s->map_gen);

    if (likely(now == *gen)) {
        return false;
    }
    *gen = now;
    return true;
}
