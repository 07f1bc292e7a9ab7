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
 * At realize, before the links (trn_link_realize()): the ports with a
 * port<P>-chardev must be ports of the device, have no port<P> too, and
 * the HBM must be memory another process can map.
 */
bool trn_cable_check(TrnState *s, Error **errp);

/*
 * Once the HBM exists: start listening on the sockets, and tell the link
 * code of those ports (TrnLink.remote_ops). Undone by trn_cable_unrealize(),
 * before trn_link_unrealize().
 */
void trn_cable_start(TrnState *s);
void trn_cable_unrealize(TrnState *s);

/* Port @l has a cable to another process. */
bool trn_cable_present(TrnLink *l);

#endif /* HW_MISC_TRN_TRN_CABLE_H */
