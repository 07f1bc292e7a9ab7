/*
 * trn: interrupts, the misc cause register and MSI-X messages.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Vector TRN_MSIX_VEC_MISC signals the causes of TRN_REG_IRQ_CAUSE (the
 * test interrupt, link events), vector TRN_MSIX_VEC_DMA_QUEUE(q) those of
 * queue q. Every message is sent with the BQL held; a masked vector keeps
 * its message pending in the PBA (msix_notify()).
 */

#include "qemu/osdep.h"
#include "hw/pci/msix.h"
#include "trace.h"
#include "trn.h"
#include "trn-irq.h"

void trn_irq_update(TrnState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint32_t pending = s->irq_cause & s->irq_mask;

    if (!pending) {
        trace_trn_irq_idle(s->chip_id, s->irq_cause, s->irq_mask);
        return;
    }
    if (msix_enabled(pdev)) {
        trace_trn_irq_raise(s->chip_id, pending, TRN_MSIX_VEC_MISC);
        msix_notify(pdev, TRN_MSIX_VEC_MISC);
    }
}

void trn_irq_set(TrnState *s, uint32_t cause)
{
    s->irq_cause |= cause;
    trn_irq_update(s);
}

void trn_irq_queue(TrnState *s, unsigned queue, uint32_t pending)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    unsigned vector = TRN_MSIX_VEC_DMA_QUEUE(queue);

    if (msix_enabled(pdev)) {
        trace_trn_dma_irq(s->chip_id, queue, pending, vector);
        msix_notify(pdev, vector);
    }
}
