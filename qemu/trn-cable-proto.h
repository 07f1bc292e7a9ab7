/*
 * trn: the messages of a NeuronLink cable between QEMU processes.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * What the two ends of a cable between processes say to each other over
 * its socket (trn-cable.c, Documentation/qemu.rst "Cables between hosts"):
 * 64-byte messages, little endian. Only constants and the message layout
 * live here, so that tests can play the far end.
 */

#ifndef HW_MISC_TRN_TRN_CABLE_PROTO_H
#define HW_MISC_TRN_TRN_CABLE_PROTO_H

#define TRN_CABLE_MAGIC         0x4c4e5254      /* "TRNL" */
#define TRN_CABLE_VERSION       1

enum {
    TRN_CABLE_HELLO = 1,        /* this end, with its HBM's descriptor */
    TRN_CABLE_ADMIN,            /* flags: the port is administratively up */
    TRN_CABLE_DOWN,             /* the port went down, trains again */
    TRN_CABLE_ROOT,             /* a: the export space root */
    TRN_CABLE_ERRORS,           /* a: CRC errors injected at this end */
    TRN_CABLE_BYTES,            /* a, b: far port bytes sent, received */
    TRN_CABLE_ACCEPT,           /* the HELLO received was accepted */
};

#define TRN_CABLE_HELLO_MEM     (1u << 0)   /* the descriptor comes with it */
#define TRN_CABLE_HELLO_ADMIN   (1u << 1)   /* the port is up (admin) */

typedef struct TrnCableMsg {
    uint32_t magic;             /* TRN_CABLE_MAGIC */
    uint32_t type;
    uint32_t version;           /* HELLO: TRN_CABLE_VERSION */
    uint32_t flags;             /* HELLO: TRN_CABLE_HELLO_*; ADMIN: 0/1 */
    uint32_t host;              /* HELLO: the end's host, chip, port, ... */
    uint32_t chip;
    uint32_t port;
    uint32_t lane_gbps;
    uint32_t lanes;
    uint32_t pad;
    uint64_t a;                 /* HELLO: HBM bytes; see the types */
    uint64_t b;                 /* HELLO: offset in the descriptor */
    uint64_t c;                 /* HELLO: export space root */
} TrnCableMsg;

QEMU_BUILD_BUG_ON(sizeof(TrnCableMsg) != 64);

#endif /* HW_MISC_TRN_TRN_CABLE_PROTO_H */
