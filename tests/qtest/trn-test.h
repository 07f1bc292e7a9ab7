/*
 * QTest testcase for the trn accelerator model: the test's driver
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * What trn-test.c plays the driver with: register and device memory
 * accessors, starting QEMU and finding a device, page tables in device
 * memory and descriptor rings in guest RAM. Included by trn-test.c only;
 * copied next to it into QEMU's tree with it.
 */
#ifndef TRN_TEST_H
#define TRN_TEST_H

#include "qemu/bswap.h"
#include "libqtest.h"
#include "libqos/libqos-malloc.h"
#include "libqos/malloc-pc.h"
#include "libqos/pci-pc.h"
#include "hw/misc/trn/trn_regs.h"

#define MiB_ (1024 * 1024)
#define RING_ENTRIES 64
#define WAIT_US (20 * 1000 * 1000)

/* Where the test puts a device's page tables in its HBM. */
#define PT_BASE 0x100000

typedef struct TrnDev {
    QPCIDevice *pdev;
    QPCIBar bar0, bar2;
    uint64_t hbm;               /* bytes */
    uint64_t pt_next;           /* next free page table page in HBM */
    uint64_t root;              /* the page table of ASID 1 */
} TrnDev;

typedef struct TrnTest {
    QTestState *qts;
    QPCIBus *bus;
    QGuestAllocator alloc;
} TrnTest;

/* A queue's ring, write-back record and descriptors, in guest RAM. */
typedef struct TrnRing {
    TrnDev *d;
    unsigned q;
    uint64_t ring, wb;
    uint32_t tail;
} TrnRing;

static uint32_t rd32(TrnDev *d, uint64_t reg)
{
    return qpci_io_readl(d->pdev, d->bar0, reg);
}

static uint64_t rd64(TrnDev *d, uint64_t reg)
{
    return qpci_io_readq(d->pdev, d->bar0, reg);
}

static void wr32(TrnDev *d, uint64_t reg, uint32_t val)
{
    qpci_io_writel(d->pdev, d->bar0, reg, val);
}

static void wr64(TrnDev *d, uint64_t reg, uint64_t val)
{
    qpci_io_writeq(d->pdev, d->bar0, reg, val);
}

static uint32_t qrd(TrnDev *d, unsigned q, uint64_t reg)
{
    return rd32(d, TRN_DMA_Q_REG(q, reg));
}

static void qwr(TrnDev *d, unsigned q, uint64_t reg, uint32_t val)
{
    wr32(d, TRN_DMA_Q_REG(q, reg), val);
}

static void hbm_wr64(TrnDev *d, uint64_t off, uint64_t val)
{
    qpci_io_writeq(d->pdev, d->bar2, off, val);
}

static uint64_t hbm_rd64(TrnDev *d, uint64_t off)
{
    return qpci_io_readq(d->pdev, d->bar2, off);
}

static void trn_start(TrnTest *t, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void trn_start(TrnTest *t, const char *fmt, ...)
{
    g_autofree char *args = NULL;
    va_list ap;

    va_start(ap, fmt);
    args = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* Debian's firmware: the +ds tarball has none */
    t->qts = qtest_initf("-machine q35 -nodefaults -L /usr/share/qemu "
                         "-L /usr/share/seabios %s", args);
    pc_alloc_init(&t->alloc, t->qts, ALLOC_NO_FLAGS);
    t->bus = qpci_new_pc(t->qts, &t->alloc);
}

static void trn_stop(TrnTest *t)
{
    qpci_free_pc(t->bus);
    alloc_destroy(&t->alloc);
    qtest_quit(t->qts);
}

/* The device at @devfn, its BARs mapped (of @bar2 bytes), enabled. */
static void trn_map(TrnTest *t, TrnDev *d, int devfn, uint64_t *bar2)
{
    d->pdev = qpci_device_find(t->bus, devfn);
    g_assert(d->pdev);
    g_assert_cmphex(qpci_config_readw(d->pdev, PCI_VENDOR_ID), ==,
                    TRN_PCI_VENDOR_ID);
    g_assert_cmphex(qpci_config_readw(d->pdev, PCI_DEVICE_ID), ==,
                    TRN_PCI_DEVICE_ID);
    d->bar0 = qpci_iomap(d->pdev, TRN_BAR_REGS, NULL);
    d->bar2 = qpci_iomap(d->pdev, TRN_BAR_HBM, bar2);
    qpci_device_enable(d->pdev);
    d->pt_next = PT_BASE;
    d->root = 0;
}

static void trn_open(TrnTest *t, TrnDev *d, int devfn)
{
    trn_map(t, d, devfn, NULL);
    d->hbm = rd64(d, TRN_REG_HBM_SIZE);
}

static void trn_close(TrnDev *d)
{
    g_free(d->pdev);
    d->pdev = NULL;
}

/* --- Page tables in HBM --- */

static uint64_t pt_alloc(TrnDev *d)
{
    uint64_t t = d->pt_next;
    unsigned i;

    d->pt_next += TRN_PAGE_SIZE;
    g_assert_cmpuint(d->pt_next, <=, d->hbm);
    for (i = 0; i < TRN_PT_ENTRIES; i++) {
        hbm_wr64(d, t + 8 * i, 0);
    }
    return t;
}

/* Map @va in the table at @root to the leaf entry @leaf. */
static void pt_map(TrnDev *d, uint64_t root, uint64_t va, uint64_t leaf)
{
    uint64_t table = root, pte;
    int level;

    for (level = 0; level < TRN_PT_LEVELS - 1; level++) {
        uint64_t e = table + 8 * TRN_PT_INDEX(va, level);

        pte = hbm_rd64(d, e);
        if (!(pte & TRN_PTE_VALID)) {
            pte = pt_alloc(d) | TRN_PTE_VALID;
            hbm_wr64(d, e, pte);
        }
        table = pte & TRN_PTE_ADDR_MASK;
    }
    hbm_wr64(d, table + 8 * TRN_PT_INDEX(va, TRN_PT_LEVELS - 1), leaf);
}

/* Map @n bytes at @va to HBM at @hbm, writable. */
static void pt_map_hbm(TrnDev *d, uint64_t va, uint64_t hbm, uint64_t n)
{
    uint64_t o;

    if (!d->root) {
        d->root = pt_alloc(d);
    }
    for (o = 0; o < n; o += TRN_PAGE_SIZE) {
        pt_map(d, d->root, va + o, (hbm + o) | TRN_PTE_VALID | TRN_PTE_WRITE);
    }
}

/* --- Queues --- */

static void ring_open(TrnTest *t, TrnRing *r, TrnDev *d, unsigned q)
{
    r->d = d;
    r->q = q;
    r->ring = guest_alloc(&t->alloc, RING_ENTRIES * TRN_DMA_DESC_SIZE + 64);
    r->ring = QEMU_ALIGN_UP(r->ring, 64);
    r->wb = guest_alloc(&t->alloc, TRN_DMA_WB_SIZE);
    r->tail = 0;
    qtest_memset(t->qts, r->ring, 0, RING_ENTRIES * TRN_DMA_DESC_SIZE);
    qtest_writeq(t->qts, r->wb, 0);
    qwr(d, q, TRN_DMA_Q_CONTROL, TRN_DMA_Q_CTRL_RESET);
    wr64(d, TRN_DMA_Q_REG(q, TRN_DMA_Q_RING_BASE), r->ring);
    qwr(d, q, TRN_DMA_Q_RING_SIZE, RING_ENTRIES);
    wr64(d, TRN_DMA_Q_REG(q, TRN_DMA_Q_WB_ADDR), r->wb);
    qwr(d, q, TRN_DMA_Q_IRQ_MASK, TRN_DMA_Q_IRQ_DONE | TRN_DMA_Q_IRQ_ERROR);
    qwr(d, q, TRN_DMA_Q_CONTROL, TRN_DMA_Q_CTRL_ENABLE);
}

/* Put a descriptor at TAIL, without ringing the doorbell. */
static void ring_put(TrnTest *t, TrnRing *r, uint8_t opcode, uint8_t flags,
                     uint32_t aux, uint64_t src, uint64_t dst, uint64_t len)
{
    uint8_t desc[TRN_DMA_DESC_SIZE] = { 0 };
    uint64_t at = r->ring + (r->tail % RING_ENTRIES) * TRN_DMA_DESC_SIZE;

    desc[TRN_DMA_D_OPCODE] = opcode;
    desc[TRN_DMA_D_FLAGS] = flags;
    stl_le_p(desc + TRN_DMA_D_AUX, aux);
    stq_le_p(desc + TRN_DMA_D_SRC, src);
    stq_le_p(desc + TRN_DMA_D_DST, dst);
    stq_le_p(desc + TRN_DMA_D_LEN, len);
    qtest_memwrite(t->qts, at, desc, sizeof(desc));
    r->tail++;
}

static void ring_doorbell(TrnRing *r)
{
    qwr(r->d, r->q, TRN_DMA_Q_TAIL, r->tail);
}

/*
 * Wait until the queue has done everything up to TAIL or stopped on an
 * error; returns TRN_DMA_Q_ERROR.
 */
static uint32_t ring_wait(TrnRing *r)
{
    gint64 end = g_get_monotonic_time() + WAIT_US;

    for (;;) {
        uint32_t sts = qrd(r->d, r->q, TRN_DMA_Q_STATUS);

        if (sts & TRN_DMA_Q_STS_ERROR) {
            return qrd(r->d, r->q, TRN_DMA_Q_ERROR);
        }
        if (qrd(r->d, r->q, TRN_DMA_Q_HEAD) == r->tail &&
            !(sts & TRN_DMA_Q_STS_BUSY)) {
            return TRN_DMA_ERR_NONE;
        }
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
}

/* Ring the doorbell and wait (ring_wait()). */
static uint32_t ring_run(TrnRing *r)
{
    ring_doorbell(r);
    return ring_wait(r);
}

static void ring_context(TrnTest *t, TrnRing *r, uint32_t asid, uint64_t root)
{
    ring_put(t, r, TRN_DMA_OP_CONTEXT, 0, asid, root, 0, 0);
}

#endif /* TRN_TEST_H */
