/*
 * trn: NeuronLink ports, the cables between trn devices.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_TRN_TRN_LINK_H
#define HW_MISC_TRN_TRN_LINK_H

#include "qemu/stats64.h"
#include "qemu/timer.h"

typedef struct TrnState TrnState;

/*
 * A NeuronLink port. Everything here is used with the BQL held (MMIO, the
 * training timer, qom-set and machine init done), but for what the workers
 * doing peer DMA read: @peer (under the RCU read lock), @peer_port, @state,
 * and the byte counters they add to.
 */
typedef struct TrnLink {
    TrnState *s;
    unsigned index;
    char *cable;                /* property port<N>: "ID:Q", or NULL */
    TrnState *peer;             /* the other end of a valid cable */
    unsigned peer_port;
    bool admin;                 /* port<N>-admin: administratively enabled */
    bool warned;                /* a bad cable was reported */
    QEMUTimer *train;           /* TRAINING -> UP */

    /* Registers */
    uint32_t state;
    uint32_t events;
    uint32_t event_mask;
    uint32_t err_threshold;
    uint64_t err_crc;
    uint64_t err_replay;
    uint64_t err_since;         /* CRC errors since the last EV_ERRORS */

    /* Peer DMA payload, counted by the workers without the BQL */
    Stat64 tx_bytes;
    Stat64 rx_bytes;
} TrnLink;

/* The properties port<P>-admin and port<P>-inject-errors. */
void trn_link_class_init(ObjectClass *oc);

bool trn_link_realize(TrnState *s, Error **errp);
void trn_link_unrealize(TrnState *s);

/* Device reset: every port goes down, and trains again if cabled. */
void trn_link_reset(TrnState *s);

/*
 * The export space of @s changed (TRN_REG_PEER_ROOT, TRN_REG_TLB_INVALIDATE):
 * the workers of the devices cabled to it drop the translations they hold.
 */
void trn_link_remap_peers(TrnState *s);

#endif /* HW_MISC_TRN_TRN_LINK_H */
