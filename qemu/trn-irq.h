/*
 * trn: interrupts, the misc cause register and MSI-X messages.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_TRN_TRN_IRQ_H
#define HW_MISC_TRN_TRN_IRQ_H

typedef struct TrnState TrnState;

/* Record @cause in TRN_REG_IRQ_CAUSE and signal it if enabled. BQL held. */
void trn_irq_set(TrnState *s, uint32_t cause);

/* Signal the pending, enabled causes of TRN_REG_IRQ_CAUSE. BQL held. */
void trn_irq_update(TrnState *s);

/*
 * Send the MSI-X message of queue @queue, whose causes @pending are pending
 * and enabled. BQL held, TrnState.lock not.
 */
void trn_irq_queue(TrnState *s, unsigned queue, uint32_t pending);

#endif /* HW_MISC_TRN_TRN_IRQ_H */
