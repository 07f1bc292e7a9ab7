/*
 * trn: NeuronLink cables to devices in other QEMU processes (other hosts).
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_TRN_TRN_CABLE_H
#define HW_MISC_TRN_TRN_CABLE_H

#include "trn-link.h"

/*
 * At realize, before anything else of the links: the ports with a
 * port<P>-chardev must be ports of the device, have no port<P> too, and
 * the HBM must be memory another process can map.
 */
bool trn_cable_check(TrnState *s, Error **errp);

/*
 * Once the HBM exists: start listening on the sockets. Undone by
 * trn_cable_unrealize().
 */
void trn_cable_start(TrnState *s);
void trn_cable_unrealize(TrnState *s);

/* Port @l has a cable to another process. */
bool trn_cable_present(TrnLink *l);

/* ... and its far end is known and administratively up. */
bool trn_cable_can_train(TrnLink *l);

/*
 * Tell the far end: this port's admin state changed; this port went down
 * and trains again (device reset, errors); TRN_REG_PEER_ROOT changed or
 * the TLB was invalidated; @n CRC errors were injected here.
 */
void trn_cable_send_admin(TrnLink *l);
void trn_cable_send_down(TrnLink *l);
void trn_cable_send_root(TrnLink *l);
void trn_cable_send_errors(TrnLink *l, uint64_t n);

#endif /* HW_MISC_TRN_TRN_CABLE_H */
