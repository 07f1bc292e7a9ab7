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
#include "chardev/char-fe.h"

typedef struct TrnState TrnState;

/*
 * The far end of a cable to a device in another QEMU process (trn-cable.c),
 * as that process described it: published in TrnLink.far with RCU for the
 * workers, freed (and its memory unmapped) after a grace period.
 */
typedef struct TrnFar {
    struct rcu_head rcu;
    uint8_t *hbm;               /* its HBM, mapped shared */
    uint64_t hbm_bytes;
    uint64_t root;              /* its TRN_REG_PEER_ROOT, read atomically */
    uint32_t host;
    uint32_t chip;
    uint32_t port;
    uint32_t lane_gbps;
    uint32_t lanes;
    /* What the far port counts of our workers' traffic, sent over */
    Stat64 tx_bytes;
    Stat64 rx_bytes;
} TrnFar;

/* The socket end of a cable to another process (trn-cable.c) */
typedef struct TrnCable {
    CharBackend chr;            /* property port<N>-chardev */
    bool open;                  /* the socket is connected */
    bool far_admin;             /* the far port is administratively up */
    bool warned;                /* a refused far end was reported */
    uint8_t msg[64];            /* the message being received */
    unsigned msg_len;
    int msg_fd;                 /* a descriptor that came with it, or -1 */
    GByteArray *out;            /* messages not yet written */
    guint watch;                /* waits for room to write them */
    bool root_pending;          /* send TRN_REG_PEER_ROOT once room */
    uint64_t sent_tx;           /* far counts already sent */
    uint64_t sent_rx;
    QEMUTimer *flush;           /* sends the counts now and then */
} TrnCable;

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
    TrnCable remote;            /* or a cable to another process */
    TrnFar *far;                /* ... and its far end, once described */
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

/* The properties port<P>-admin, port<P>-inject-errors, port<P>-chardev. */
void trn_link_class_init(ObjectClass *oc);

bool trn_link_realize(TrnState *s, Error **errp);
void trn_link_unrealize(TrnState *s);

/*
 * Bring port @l in line with its cable and admin state: down if it cannot
 * train, else start training unless it already does or is up.
 */
void trn_link_update(TrnLink *l);

/* Port @l goes down (the far end did) and trains again if it can. */
void trn_link_restart(TrnLink *l);

/* Device reset: every port goes down, and trains again if cabled. */
void trn_link_reset(TrnState *s);

/*
 * The export space of @s changed (TRN_REG_PEER_ROOT, TRN_REG_TLB_INVALIDATE):
 * the workers of the devices cabled to it drop the translations they hold.
 */
void trn_link_remap_peers(TrnState *s);

#endif /* HW_MISC_TRN_TRN_LINK_H */
