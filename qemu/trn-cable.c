/*
 * trn: NeuronLink cables to devices in other QEMU processes (other hosts).
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Port P of a device is cabled to a device in another QEMU process with the
 * property portP-chardev=CHR, a socket chardev (a Unix socket; one end a
 * server, the other a client, usually with reconnect-ms). The two
 * processes describe their ends to each other over the socket, in 64-byte
 * messages (TrnCableMsg): HELLO when the socket connects, with the host,
 * chip and port of the end, its lane rate and width, whether it is
 * administratively up, its export space root, and the file descriptor of
 * its HBM (a memory backend with share=on) passed with SCM_RIGHTS. Each end
 * maps the other's HBM and so reaches the far export space the way it
 * reaches a peer of its own process: the workers walk the far export tables
 * in that memory (trn-mmu.c). Then ADMIN (the far port was taken down or
 * up), DOWN (the far port went down, e.g. a device reset, and trains
 * again), ROOT (the far TRN_REG_PEER_ROOT changed, or it invalidated its
 * TLB), ERRORS (CRC errors injected at the far end: replays here) and
 * BYTES (what the far port counted of our workers' traffic, now and then).
 *
 * A socket that closes (the far process exits or is killed) takes the
 * link down at once; the far memory stays mapped until the workers that
 * may use it are out of their RCU read-side critical sections. A socket
 * that cannot pass descriptors (TCP) describes its end but carries no
 * memory: the link stays down, with a warning. Messages are written
 * without blocking: what the socket does not take waits in a queue, and a
 * far process that lets 64 KiB of them pile up is disconnected.
 *
 * The far process is trusted as much as this one (it is the same
 * operator's hypervisor); still, nothing it sends is used unchecked: a
 * message of another size or kind is dropped, and the memory must be as
 * large as the far end says (and sealed against shrinking, when it is a
 * memfd), so that no access through the mapping can fault.
 *
 * Everything here runs in the main loop with the BQL held.
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/rcu.h"
#include "qemu/units.h"
#include "qemu/bswap.h"
#include "qapi/error.h"
#include "exec/ramblock.h"
#include "system/hostmem.h"
#include "chardev/char-fe.h"
#include "trace.h"
#include "trn.h"
#include "trn-cable.h"
#include "trn-link.h"
#include "trn-mem.h"

#define TRN_CABLE_MAGIC         0x4c4e5254      /* "TRNL" */
#define TRN_CABLE_VERSION       1
#define TRN_CABLE_OUT_MAX       (64 * KiB)
#define TRN_CABLE_FLUSH_NS      (100 * SCALE_MS)

enum {
    TRN_CABLE_HELLO = 1,
    TRN_CABLE_ADMIN,
    TRN_CABLE_DOWN,
    TRN_CABLE_ROOT,
    TRN_CABLE_ERRORS,
    TRN_CABLE_BYTES,
};

#define TRN_CABLE_HELLO_MEM     BIT(0)  /* the HBM descriptor comes with it */
#define TRN_CABLE_HELLO_ADMIN   BIT(1)  /* the port is administratively up */

/* A message, little endian. */
typedef struct TrnCableMsg {
    uint32_t magic;
    uint32_t type;
    uint32_t version;           /* HELLO */
    uint32_t flags;             /* HELLO: TRN_CABLE_HELLO_*; ADMIN: 0/1 */
    uint32_t host;              /* HELLO: the end's host, chip, port, ... */
    uint32_t chip;
    uint32_t port;
    uint32_t lane_gbps;
    uint32_t lanes;
    uint32_t pad;
    uint64_t a;                 /* HELLO: HBM bytes; ROOT: root; ERRORS: */
                                /* count; BYTES: sent */
    uint64_t b;                 /* HELLO: offset in the descriptor; BYTES: */
                                /* received */
    uint64_t c;                 /* HELLO: export space root */
} TrnCableMsg;

QEMU_BUILD_BUG_ON(sizeof(TrnCableMsg) != 64);
QEMU_BUILD_BUG_ON(sizeof(TrnCableMsg) != sizeof(((TrnCable *)0)->msg));

static const char *trn_cable_name(TrnLink *l)
{
    return DEVICE(l->s)->id ? DEVICE(l->s)->id : "(no id)";
}

/* --- Sending */

static gboolean trn_cable_writable(void *do_not_use, GIOCondition cond,
                                   void *opaque);

static void trn_cable_flush(TrnLink *l)
{
    TrnCable *c = &l->remote;

    while (c->out->len) {
        int n = qemu_chr_fe_write(&c->chr, c->out->data, c->out->len);

        if (n <= 0) {
            break;
        }
        g_byte_array_remove_range(c->out, 0, n);
    }
    if (c->out->len && !c->watch) {
        c->watch = qemu_chr_fe_add_watch(&c->chr, G_IO_OUT | G_IO_HUP,
                                         trn_cable_writable, l);
    }
}

static gboolean trn_cable_writable(void *do_not_use, GIOCondition cond,
                                   void *opaque)
{
    TrnLink *l = opaque;

    l->remote.watch = 0;
    trn_cable_flush(l);
    if (!l->remote.out->len && l->remote.root_pending) {
        trn_cable_send_root(l);
    }
    return G_SOURCE_REMOVE;
}

static void trn_cable_send(TrnLink *l, TrnCableMsg *m)
{
    TrnCable *c = &l->remote;

    if (!c->open) {
        return;
    }
    if (c->out->len + sizeof(*m) > TRN_CABLE_OUT_MAX) {
        warn_report("trn %s: port%u-chardev: the far end reads nothing; "
                    "disconnecting", trn_cable_name(l), l->index);
        qemu_chr_fe_disconnect(&c->chr);
        return;
    }
    m->magic = cpu_to_le32(TRN_CABLE_MAGIC);
    g_byte_array_append(c->out, (const guint8 *)m, sizeof(*m));
    trn_cable_flush(l);
}

static void trn_cable_send_value(TrnLink *l, uint32_t type, uint32_t flags,
                                 uint64_t a, uint64_t b)
{
    TrnCableMsg m = {
        .type = cpu_to_le32(type),
        .flags = cpu_to_le32(flags),
        .a = cpu_to_le64(a),
        .b = cpu_to_le64(b),
    };

    trn_cable_send(l, &m);
}

/* Describe this end, with the HBM descriptor if the socket can pass it. */
static void trn_cable_hello(TrnLink *l)
{
    TrnState *s = l->s;
    TrnCable *c = &l->remote;
    int fd = memory_region_get_fd(s->hbm);
    uint32_t flags = l->admin ? TRN_CABLE_HELLO_ADMIN : 0;
    TrnCableMsg m = {
        .magic = cpu_to_le32(TRN_CABLE_MAGIC),
        .type = cpu_to_le32(TRN_CABLE_HELLO),
        .version = cpu_to_le32(TRN_CABLE_VERSION),
        .host = cpu_to_le32(s->host),
        .chip = cpu_to_le32(s->chip_id),
        .port = cpu_to_le32(l->index),
        .lane_gbps = cpu_to_le32(s->link_lane_gbps),
        .lanes = cpu_to_le32(s->link_lanes),
        .a = cpu_to_le64(s->hbm_bytes),
        .b = cpu_to_le64(s->hbm->ram_block->fd_offset),
        .c = cpu_to_le64(qatomic_read(&s->peer_root)),
    };

    if (fd >= 0 && qemu_chr_fe_set_msgfds(&c->chr, &fd, 1) == 0) {
        flags |= TRN_CABLE_HELLO_MEM;
    }
    m.flags = cpu_to_le32(flags);
    /* The first message of a connection: the queue is empty */
    g_byte_array_set_size(c->out, 0);
    g_byte_array_append(c->out, (const guint8 *)&m, sizeof(m));
    trn_cable_flush(l);
    c->root_pending = false;
}

void trn_cable_send_admin(TrnLink *l)
{
    trn_cable_send_value(l, TRN_CABLE_ADMIN, l->admin, 0, 0);
}

void trn_cable_send_down(TrnLink *l)
{
    trn_cable_send_value(l, TRN_CABLE_DOWN, 0, 0, 0);
}

/*
 * Only the latest root matters: while messages wait for room, one ROOT is
 * sent once they are gone, so that a guest that invalidates its TLB in a
 * loop cannot fill the queue.
 */
void trn_cable_send_root(TrnLink *l)
{
    TrnCable *c = &l->remote;

    if (!c->open) {
        return;
    }
    if (c->out->len) {
        c->root_pending = true;
        return;
    }
    c->root_pending = false;
    trn_cable_send_value(l, TRN_CABLE_ROOT, 0,
                         qatomic_read(&l->s->peer_root), 0);
}

void trn_cable_send_errors(TrnLink *l, uint64_t n)
{
    trn_cable_send_value(l, TRN_CABLE_ERRORS, 0, n, 0);
}

/* Now and then: what the far port counts of our workers' traffic. */
static void trn_cable_flush_counts(void *opaque)
{
    TrnLink *l = opaque;
    TrnCable *c = &l->remote;
    TrnFar *far = l->far;
    uint64_t tx, rx;

    if (!far || !c->open) {
        return;
    }
    tx = stat64_get(&far->tx_bytes);
    rx = stat64_get(&far->rx_bytes);
    if ((tx != c->sent_tx || rx != c->sent_rx) && !c->out->len) {
        trn_cable_send_value(l, TRN_CABLE_BYTES, 0, tx - c->sent_tx,
                             rx - c->sent_rx);
        c->sent_tx = tx;
        c->sent_rx = rx;
    }
    timer_mod(c->flush, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
              TRN_CABLE_FLUSH_NS);
}

/* --- The far end */

static void trn_cable_far_free(TrnFar *far)
{
    munmap(far->hbm, far->hbm_bytes);
    g_free(far);
}

/* Forget the far end; the workers may use its memory until a grace period. */
static void trn_cable_drop(TrnLink *l)
{
    TrnFar *far = l->far;

    l->remote.far_admin = false;
    if (!far) {
        return;
    }
    qatomic_rcu_set(&l->far, NULL);
    timer_del(l->remote.flush);
    call_rcu(far, trn_cable_far_free, rcu);
}

/* Map the far HBM of a HELLO: NULL, with the reason in @why, if unusable. */
static uint8_t *trn_cable_map(int fd, uint64_t bytes, uint64_t offset,
                              const char **why)
{
    struct stat st;
    void *p;

    if (fd < 0) {
        *why = "no memory came with it (a socket that cannot pass file "
               "descriptors, such as TCP, or HBM that is not shared)";
        return NULL;
    }
    if (bytes < TRN_PAGE_SIZE || bytes % TRN_PAGE_SIZE ||
        offset % qemu_real_host_page_size() || bytes > SIZE_MAX) {
        *why = "its memory size or offset is not page aligned";
        return NULL;
    }
    if (fstat(fd, &st) < 0 || st.st_size < 0 ||
        offset > (uint64_t)st.st_size ||
        bytes > (uint64_t)st.st_size - offset) {
        *why = "its memory is smaller than it says";
        return NULL;
    }
#ifdef F_GET_SEALS
    {
        int seals = fcntl(fd, F_GET_SEALS);

        if (seals >= 0 && !(seals & F_SEAL_SHRINK)) {
            *why = "its memory is a memfd that may shrink (seal=on)";
            return NULL;
        }
    }
#endif
    p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);
    if (p == MAP_FAILED) {
        *why = "its memory cannot be mapped";
        return NULL;
    }
    return p;
}

static void trn_cable_refuse(TrnLink *l, const char *why)
{
    if (!l->remote.warned) {
        l->remote.warned = true;
        warn_report("trn %s: port%u-chardev: the far end is refused: %s; "
                    "the port stays down", trn_cable_name(l), l->index, why);
    }
}

static void trn_cable_got_hello(TrnLink *l, const TrnCableMsg *m, int fd)
{
    TrnState *s = l->s;
    uint32_t flags = le32_to_cpu(m->flags);
    const char *why = NULL;
    TrnFar *far;
    uint8_t *hbm;

    trn_cable_drop(l);
    trn_link_update(l);
    if (le32_to_cpu(m->version) != TRN_CABLE_VERSION) {
        trn_cable_refuse(l, "it speaks another version of the protocol");
        goto out;
    }
    if (le32_to_cpu(m->port) >= TRN_MAX_LINKS ||
        !le32_to_cpu(m->lane_gbps) || !le32_to_cpu(m->lanes)) {
        trn_cable_refuse(l, "it describes a port that cannot exist");
        goto out;
    }
    if (le32_to_cpu(m->host) == s->host && le32_to_cpu(m->chip) ==
        s->chip_id) {
        trn_cable_refuse(l, "it is this very chip (same host and chip id)");
        goto out;
    }
    hbm = trn_cable_map(flags & TRN_CABLE_HELLO_MEM ? fd : -1,
                        le64_to_cpu(m->a), le64_to_cpu(m->b), &why);
    if (!hbm) {
        trn_cable_refuse(l, why);
        goto out;
    }
    far = g_new0(TrnFar, 1);
    far->hbm = hbm;
    far->hbm_bytes = le64_to_cpu(m->a);
    far->root = le64_to_cpu(m->c);
    far->host = le32_to_cpu(m->host);
    far->chip = le32_to_cpu(m->chip);
    far->port = le32_to_cpu(m->port);
    far->lane_gbps = le32_to_cpu(m->lane_gbps);
    far->lanes = le32_to_cpu(m->lanes);
    stat64_init(&far->tx_bytes, 0);
    stat64_init(&far->rx_bytes, 0);
    l->remote.sent_tx = 0;
    l->remote.sent_rx = 0;
    l->remote.warned = false;
    l->remote.far_admin = flags & TRN_CABLE_HELLO_ADMIN;
    trace_trn_cable_hello(s->chip_id, l->index, far->host, far->chip,
                          far->port, far->hbm_bytes, l->remote.far_admin);
    qatomic_rcu_set(&l->far, far);
    trn_mem_remap(s);
    timer_mod(l->remote.flush, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
              TRN_CABLE_FLUSH_NS);
    trn_link_update(l);
out:
    if (fd >= 0) {
        close(fd);
    }
}

static void trn_cable_got(TrnLink *l, const TrnCableMsg *m, int fd)
{
    uint32_t type = le32_to_cpu(m->type);

    if (le32_to_cpu(m->magic) != TRN_CABLE_MAGIC) {
        trn_cable_refuse(l, "it sent a message that is not of the protocol");
        qemu_chr_fe_disconnect(&l->remote.chr);
        goto out;
    }
    trace_trn_cable_msg(l->s->chip_id, l->index, type);
    if (type == TRN_CABLE_HELLO) {
        trn_cable_got_hello(l, m, fd);
        return;
    }
    if (!l->far) {
        goto out;               /* nothing but HELLO before HELLO */
    }
    switch (type) {
    case TRN_CABLE_ADMIN:
        l->remote.far_admin = le32_to_cpu(m->flags) & 1;
        trn_link_update(l);
        break;
    case TRN_CABLE_DOWN:
        trn_link_restart(l);
        break;
    case TRN_CABLE_ROOT:
        qatomic_set(&l->far->root, le64_to_cpu(m->a));
        trn_mem_remap(l->s);
        break;
    case TRN_CABLE_ERRORS:
        if (l->state == TRN_LINK_STATE_UP) {
            l->err_replay += le64_to_cpu(m->a);
        }
        break;
    case TRN_CABLE_BYTES:
        stat64_add(&l->tx_bytes, le64_to_cpu(m->a));
        stat64_add(&l->rx_bytes, le64_to_cpu(m->b));
        break;
    }
out:
    if (fd >= 0) {
        close(fd);
    }
}

/* --- The socket */

static int trn_cable_can_receive(void *opaque)
{
    TrnLink *l = opaque;

    return sizeof(l->remote.msg) - l->remote.msg_len;
}

static void trn_cable_receive(void *opaque, const uint8_t *buf, int size)
{
    TrnLink *l = opaque;
    TrnCable *c = &l->remote;
    int fd = qemu_chr_fe_get_msgfd(&c->chr);
    TrnCableMsg m;

    if (fd >= 0) {
        if (c->msg_fd >= 0) {
            close(c->msg_fd);
        }
        c->msg_fd = fd;
    }
    size = MIN(size, (int)(sizeof(c->msg) - c->msg_len));
    memcpy(c->msg + c->msg_len, buf, size);
    c->msg_len += size;
    if (c->msg_len < sizeof(c->msg)) {
        return;
    }
    memcpy(&m, c->msg, sizeof(m));
    c->msg_len = 0;
    fd = c->msg_fd;
    c->msg_fd = -1;
    trn_cable_got(l, &m, fd);
}

static void trn_cable_event(void *opaque, QEMUChrEvent event)
{
    TrnLink *l = opaque;
    TrnCable *c = &l->remote;

    switch (event) {
    case CHR_EVENT_OPENED:
        trace_trn_cable_socket(l->s->chip_id, l->index, true);
        c->open = true;
        c->msg_len = 0;
        trn_cable_hello(l);
        break;
    case CHR_EVENT_CLOSED:
        trace_trn_cable_socket(l->s->chip_id, l->index, false);
        c->open = false;
        c->msg_len = 0;
        if (c->msg_fd >= 0) {
            close(c->msg_fd);
            c->msg_fd = -1;
        }
        g_byte_array_set_size(c->out, 0);
        c->root_pending = false;
        if (c->watch) {
            g_source_remove(c->watch);
            c->watch = 0;
        }
        trn_cable_drop(l);
        trn_mem_remap(l->s);
        trn_link_update(l);
        break;
    default:
        break;
    }
}

/* --- Life cycle */

bool trn_cable_present(TrnLink *l)
{
    return qemu_chr_fe_backend_connected(&l->remote.chr);
}

bool trn_cable_can_train(TrnLink *l)
{
    return l->far && l->remote.far_admin;
}

bool trn_cable_check(TrnState *s, Error **errp)
{
    MemoryRegion *mr;
    unsigned i;

    for (i = 0; i < TRN_MAX_LINKS; i++) {
        TrnLink *l = &s->links[i];

        l->remote.msg_fd = -1;
        if (!trn_cable_present(l)) {
            continue;
        }
        if (i >= s->nlinks) {
            error_setg(errp, "port%u-chardev is set but the device has %u "
                       "links", i, s->nlinks);
            return false;
        }
        if (l->cable && *l->cable) {
            error_setg(errp, "port%u and port%u-chardev are both set: a "
                       "port has one cable", i, i);
            return false;
        }
        mr = s->memdev ? host_memory_backend_get_memory(s->memdev) : NULL;
        if (!mr || memory_region_get_fd(mr) < 0) {
            error_setg(errp, "port%u-chardev: the HBM must be memory the "
                       "far process can map: give memdev a memory backend "
                       "with share=on (memory-backend-memfd)", i);
            return false;
        }
    }
    return true;
}

void trn_cable_start(TrnState *s)
{
    unsigned i;

    for (i = 0; i < s->nlinks; i++) {
        TrnLink *l = &s->links[i];
        TrnCable *c = &l->remote;

        if (!trn_cable_present(l)) {
            continue;
        }
        c->out = g_byte_array_new();
        c->flush = timer_new_ns(QEMU_CLOCK_VIRTUAL, trn_cable_flush_counts,
                                l);
        qemu_chr_fe_set_handlers(&c->chr, trn_cable_can_receive,
                                 trn_cable_receive, trn_cable_event, NULL, l,
                                 NULL, true);
    }
}

void trn_cable_unrealize(TrnState *s)
{
    unsigned i;

    for (i = 0; i < TRN_MAX_LINKS; i++) {
        TrnLink *l = &s->links[i];
        TrnCable *c = &l->remote;

        if (!c->out) {
            continue;
        }
        qemu_chr_fe_deinit(&c->chr, false);
        if (c->watch) {
            g_source_remove(c->watch);
            c->watch = 0;
        }
        trn_cable_drop(l);
        timer_free(c->flush);
        c->flush = NULL;
        g_byte_array_free(c->out, true);
        c->out = NULL;
        if (c->msg_fd >= 0) {
            close(c->msg_fd);
            c->msg_fd = -1;
        }
        c->open = false;
    }
}
