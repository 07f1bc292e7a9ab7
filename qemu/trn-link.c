/*
 * trn: NeuronLink ports, the cables between trn devices.
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Port P of a device is cabled to port Q of another with the property
 * portP=ID:Q, where ID is the other device's id; the other device must name
 * this one back. Cables are resolved once all devices exist (machine init
 * done), or at once for a device plugged in later. A cabled port whose two
 * ends are administratively enabled trains (DOWN -> TRAINING -> UP, a
 * timer on the virtual clock) and then reports the chip id and port at the
 * other end. The properties port<P>-admin and port<P>-inject-errors, set
 * with qom-set while the VM runs, take a link down and up and inject CRC
 * errors. Port P may instead be cabled to a device in another QEMU process
 * with portP-chardev (trn-cable.c): the same, with the far end described
 * over a socket.
 *
 * Everything here runs with the BQL held: MMIO, the training timer, QOM
 * property accessors and the machine init done notifier. The workers of
 * peer DMA read a port's state and peer, and count its bytes, without it
 * (trn-mmu.c): the peer pointer is published and cleared with RCU, and a
 * device that is unplugged while it has peers stays allocated until every
 * RCU read-side critical section that could have reached it has ended.
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/error-report.h"
#include "qemu/cutils.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qemu/rcu.h"
#include "hw/qdev-core.h"
#include "system/system.h"
#include "trace.h"
#include "trn.h"
#include "trn-irq.h"
#include "trn-cable.h"
#include "trn-link.h"
#include "trn-mem.h"

/* Virtual time a link spends in TRAINING. */
#define TRN_LINK_TRAIN_NS       (10 * SCALE_MS)

static QTAILQ_HEAD(, TrnState) trn_link_devices =
    QTAILQ_HEAD_INITIALIZER(trn_link_devices);
static Notifier trn_link_machine_done;
static bool trn_link_notifier_added;

static const char *trn_link_state_name(uint32_t state)
{
    switch (state) {
    case TRN_LINK_STATE_DOWN:
        return "down";
    case TRN_LINK_STATE_TRAINING:
        return "training";
    case TRN_LINK_STATE_UP:
        return "up";
    }
    return "?";
}

static TrnLink *trn_link_peer(TrnLink *l)
{
    return l->peer ? &l->peer->links[l->peer_port] : NULL;
}

/* Record events on port @l; enabled ones raise TRN_IRQ_LINK. */
static void trn_link_event(TrnLink *l, uint32_t ev)
{
    l->events |= ev;
    trace_trn_link_event(l->s->chip_id, l->index, ev, l->events,
                         l->event_mask);
    if (ev & l->event_mask) {
        trn_irq_set(l->s, TRN_IRQ_LINK);
    }
}

static void trn_link_set_state(TrnLink *l, uint32_t state)
{
    if (l->state == state) {
        return;
    }
    trace_trn_link_state(l->s->chip_id, l->index,
                         trn_link_state_name(l->state),
                         trn_link_state_name(state));
    /* Workers doing peer DMA read it without the BQL (trn-mmu.c) */
    qatomic_set(&l->state, state);
    trn_link_event(l, TRN_LINK_EV_STATE);
}

/* Both ends cabled and enabled: the link may train. */
static bool trn_link_can_train(TrnLink *l)
{
    TrnLink *p = trn_link_peer(l);

    if (trn_cable_present(l)) {
        return l->admin && trn_cable_can_train(l);
    }
    return p && l->admin && p->admin;
}

void trn_link_update(TrnLink *l)
{
    if (!trn_link_can_train(l)) {
        timer_del(l->train);
        trn_link_set_state(l, TRN_LINK_STATE_DOWN);
        return;
    }
    if (l->state == TRN_LINK_STATE_DOWN) {
        trn_link_set_state(l, TRN_LINK_STATE_TRAINING);
        timer_mod(l->train, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
                  TRN_LINK_TRAIN_NS);
    }
}

/* Take both ends down; they retrain if they still can. */
static void trn_link_bounce(TrnLink *l)
{
    TrnLink *p = trn_link_peer(l);

    trn_cable_send_down(l);
    timer_del(l->train);
    trn_link_set_state(l, TRN_LINK_STATE_DOWN);
    if (p) {
        timer_del(p->train);
        trn_link_set_state(p, TRN_LINK_STATE_DOWN);
        trn_link_update(p);
    }
    trn_link_update(l);
}

void trn_link_restart(TrnLink *l)
{
    timer_del(l->train);
    trn_link_set_state(l, TRN_LINK_STATE_DOWN);
    trn_link_update(l);
}

static void trn_link_trained(void *opaque)
{
    TrnLink *l = opaque;

    if (l->state == TRN_LINK_STATE_TRAINING && trn_link_can_train(l)) {
        trn_link_set_state(l, TRN_LINK_STATE_UP);
    }
}

/* --- Cables */

static TrnState *trn_link_find(const char *id)
{
    TrnState *s;

    QTAILQ_FOREACH(s, &trn_link_devices, link_next) {
        if (DEVICE(s)->id && !strcmp(DEVICE(s)->id, id)) {
            return s;
        }
    }
    return NULL;
}

/* Parse "ID:Q" into @id (allocated) and @port. */
static bool trn_link_parse(const char *cable, char **id, unsigned *port)
{
    const char *colon = strrchr(cable, ':');
    uint64_t q;

    if (!colon || colon == cable ||
        qemu_strtou64(colon + 1, NULL, 10, &q) < 0 || q >= TRN_MAX_LINKS) {
        return false;
    }
    *id = g_strndup(cable, colon - cable);
    *port = q;
    return true;
}

static const char *trn_link_id(TrnState *s)
{
    return DEVICE(s)->id ? DEVICE(s)->id : "(no id)";
}

/*
 * The port that cable property of port @l names, if that port names @l
 * back; NULL with a reason in @why otherwise.
 */
static TrnLink *trn_link_other_end(TrnLink *l, const char **why)
{
    g_autofree char *id = NULL;
    g_autofree char *back_id = NULL;
    unsigned port, back_port;
    TrnState *o;

    if (!trn_link_parse(l->cable, &id, &port)) {
        *why = "is not ID:PORT with PORT below 16";
        return NULL;
    }
    o = trn_link_find(id);
    if (!o) {
        *why = "names no trn device";
        return NULL;
    }
    if (o == l->s) {
        *why = "loops back to the same device";
        return NULL;
    }
    if (port >= o->nlinks) {
        *why = "names a port the other device does not have";
        return NULL;
    }
    if (!o->links[port].cable) {
        *why = "is not named back by the other end";
        return NULL;
    }
    if (!trn_link_parse(o->links[port].cable, &back_id, &back_port) ||
        !DEVICE(l->s)->id || strcmp(back_id, DEVICE(l->s)->id) ||
        back_port != l->index) {
        *why = "is not named back by the other end";
        return NULL;
    }
    return &o->links[port];
}

/* Connect the ports of @s to their peers, warning about bad cables. */
static void trn_link_connect(TrnState *s)
{
    const char *why = NULL;
    unsigned i;

    for (i = 0; i < s->nlinks; i++) {
        TrnLink *l = &s->links[i], *p;

        if (!l->cable || !*l->cable || l->peer) {
            continue;
        }
        p = trn_link_other_end(l, &why);
        if (!p) {
            if (l->warned) {
                continue;
            }
            l->warned = true;
            warn_report("trn %s: port%u=%s %s; the port stays down",
                        trn_link_id(s), i, l->cable, why);
            continue;
        }
        /* peer_port first: the workers read it once they see peer */
        l->peer_port = p->index;
        qatomic_rcu_set(&l->peer, p->s);
        p->peer_port = i;
        qatomic_rcu_set(&p->peer, s);
        trace_trn_link_cable(s->chip_id, i, p->s->chip_id, p->index);
        trn_link_update(l);
        trn_link_update(p);
    }
}

static void trn_link_machine_init_done(Notifier *n, void *opaque)
{
    TrnState *s;

    QTAILQ_FOREACH(s, &trn_link_devices, link_next) {
        trn_link_connect(s);
    }
}

/*
 * Unplug of a device: the far ends of its cables go down. Returns whether
 * it had a cable, through which the workers of a peer may still reach it.
 */
static bool trn_link_disconnect(TrnState *s)
{
    bool cabled = false;
    unsigned i;

    for (i = 0; i < s->nlinks; i++) {
        TrnLink *l = &s->links[i], *p = trn_link_peer(l);

        if (!p) {
            continue;
        }
        trace_trn_link_unplug(p->s->chip_id, p->index, s->chip_id, i);
        qatomic_rcu_set(&p->peer, NULL);
        qatomic_rcu_set(&l->peer, NULL);
        trn_link_update(p);
        timer_del(l->train);
        qatomic_set(&l->state, TRN_LINK_STATE_DOWN);
        cabled = true;
    }
    return cabled;
}

/* What an unplugged device keeps alive for its former peers' workers. */
typedef struct TrnLinkRelease {
    struct rcu_head rcu;
    Object *dev;
    MemoryRegion *hbm;
} TrnLinkRelease;

static void trn_link_release(TrnLinkRelease *r)
{
    if (r->hbm) {
        memory_region_unref(r->hbm);
    }
    object_unref(r->dev);
    g_free(r);
}

/*
 * A worker of a former peer may still be in an RCU read-side critical
 * section that reached @s through a cable: keep the device, and its HBM
 * (which may belong to a memory backend), until every such section is
 * over. The callback runs with the BQL, in the RCU thread.
 */
static void trn_link_release_after_grace(TrnState *s)
{
    TrnLinkRelease *r = g_new0(TrnLinkRelease, 1);

    r->dev = OBJECT(s);
    object_ref(r->dev);
    r->hbm = s->hbm;
    if (r->hbm) {
        memory_region_ref(r->hbm);
    }
    call_rcu(r, trn_link_release, rcu);
}

/* --- Registers */

/* TRN_LINK_PEER_CHIP, _PORT or _HOST: who is at the other end, if UP. */
static uint32_t trn_link_peer_reg(TrnLink *l, hwaddr reg)
{
    TrnFar *far = l->far;

    if (l->state != TRN_LINK_STATE_UP || (!l->peer && !far)) {
        return TRN_LINK_PEER_NONE;
    }
    switch (reg) {
    case TRN_LINK_PEER_CHIP:
        return l->peer ? l->peer->chip_id : far->chip;
    case TRN_LINK_PEER_PORT:
        return l->peer ? l->peer_port : far->port;
    default:
        return l->peer ? l->peer->host : far->host;
    }
}

/* Negotiated lane rate and width: the lower of both ends, 0 unless UP. */
static uint32_t trn_link_speed(TrnLink *l, bool width)
{
    TrnState *o = l->peer;
    TrnFar *far = l->far;

    if (l->state != TRN_LINK_STATE_UP || (!o && !far)) {
        return 0;
    }
    if (width) {
        return MIN(l->s->link_lanes, o ? o->link_lanes : far->lanes);
    }
    return MIN(l->s->link_lane_gbps, o ? o->link_lane_gbps : far->lane_gbps);
}

static bool trn_link_read_reg(TrnLink *l, hwaddr reg, unsigned size,
                              uint64_t *val)
{
    switch (reg & ~7ULL) {
    case TRN_LINK_ERR_CRC:
        *val = l->err_crc;
        goto half;
    case TRN_LINK_ERR_REPLAY:
        *val = l->err_replay;
        goto half;
    case TRN_LINK_TX_BYTES:
        *val = stat64_get(&l->tx_bytes);
        goto half;
    case TRN_LINK_RX_BYTES:
        *val = stat64_get(&l->rx_bytes);
        goto half;
    }
    if (size != 4) {
        return false;
    }
    switch (reg) {
    case TRN_LINK_STATE:
        *val = l->state;
        return true;
    case TRN_LINK_PEER_CHIP:
    case TRN_LINK_PEER_PORT:
    case TRN_LINK_PEER_HOST:
        *val = trn_link_peer_reg(l, reg);
        return true;
    case TRN_LINK_SPEED:
        *val = trn_link_speed(l, false);
        return true;
    case TRN_LINK_WIDTH:
        *val = trn_link_speed(l, true);
        return true;
    case TRN_LINK_EVENTS:
        *val = l->events;
        return true;
    case TRN_LINK_EVENT_MASK:
        *val = l->event_mask;
        return true;
    case TRN_LINK_ERR_THRESHOLD:
        *val = l->err_threshold;
        return true;
    }
    return false;

half:
    if (size == 4) {
        *val = trn_reg_half(*val, reg);
    }
    return true;
}

static uint64_t trn_link_read(void *opaque, hwaddr addr, unsigned size)
{
    TrnState *s = opaque;
    unsigned port = addr / TRN_LINK_STRIDE;
    hwaddr reg = addr % TRN_LINK_STRIDE;
    uint64_t val = 0;

    if (port >= s->nlinks) {
        trace_trn_mmio_unhandled(s->chip_id, "read", TRN_BLOCK_LINK + addr,
                                 size);
        qemu_log_mask(LOG_GUEST_ERROR, "trn: read of register 0x%"
                      HWADDR_PRIx " of link port %u, which does not exist\n",
                      reg, port);
        return 0;
    }
    if (!trn_link_read_reg(&s->links[port], reg, size, &val)) {
        trace_trn_mmio_unhandled(s->chip_id, "read", TRN_BLOCK_LINK + addr,
                                 size);
        qemu_log_mask(LOG_GUEST_ERROR, "trn: read of unknown register 0x%"
                      HWADDR_PRIx " size %u of link port %u\n", reg, size,
                      port);
        return 0;
    }
    trace_trn_mmio_read(s->chip_id, TRN_BLOCK_LINK + addr, size, val);
    return val;
}

static void trn_link_write(void *opaque, hwaddr addr, uint64_t val,
                           unsigned size)
{
    TrnState *s = opaque;
    unsigned port = addr / TRN_LINK_STRIDE;
    hwaddr reg = addr % TRN_LINK_STRIDE;
    TrnLink *l;

    trace_trn_mmio_write(s->chip_id, TRN_BLOCK_LINK + addr, size, val);
    if (port >= s->nlinks) {
        trace_trn_mmio_unhandled(s->chip_id, "write", TRN_BLOCK_LINK + addr,
                                 size);
        qemu_log_mask(LOG_GUEST_ERROR, "trn: write to register 0x%"
                      HWADDR_PRIx " of link port %u, which does not exist\n",
                      reg, port);
        return;
    }
    l = &s->links[port];
    if (size != 4) {
        goto bad;
    }
    switch (reg) {
    case TRN_LINK_EVENTS:
        l->events &= ~(uint32_t)val;
        return;
    case TRN_LINK_EVENT_MASK:
        if (val & ~(uint64_t)TRN_LINK_EV_ALL) {
            qemu_log_mask(LOG_GUEST_ERROR, "trn: link port %u: reserved "
                          "bits 0x%" PRIx64 " in EVENT_MASK ignored\n", port,
                          val & ~(uint64_t)TRN_LINK_EV_ALL);
        }
        l->event_mask = val & TRN_LINK_EV_ALL;
        if (l->events & l->event_mask) {
            trn_irq_set(s, TRN_IRQ_LINK);
        }
        return;
    case TRN_LINK_ERR_THRESHOLD:
        l->err_threshold = val;
        l->err_since = 0;
        return;
    }
bad:
    trace_trn_mmio_unhandled(s->chip_id, "write", TRN_BLOCK_LINK + addr, size);
    qemu_log_mask(LOG_GUEST_ERROR, "trn: write to unknown or read-only "
                  "register 0x%" HWADDR_PRIx " size %u of link port %u\n",
                  reg, size, port);
}

static const MemoryRegionOps trn_link_ops =
    TRN_REG_OPS(trn_link_read, trn_link_write);

/* --- Fault injection: port<P>-admin, port<P>-inject-errors */

static TrnLink *trn_link_prop_port(Object *obj, void *opaque, Error **errp)
{
    TrnState *s = TRN(obj);
    unsigned port = GPOINTER_TO_UINT(opaque);

    if (port >= s->nlinks) {
        error_setg(errp, "port %u does not exist (links=%u)", port,
                   s->nlinks);
        return NULL;
    }
    return &s->links[port];
}

static void trn_link_get_admin(Object *obj, Visitor *v, const char *name,
                               void *opaque, Error **errp)
{
    TrnState *s = TRN(obj);
    bool admin = s->links[GPOINTER_TO_UINT(opaque)].admin;

    visit_type_bool(v, name, &admin, errp);
}

static void trn_link_set_admin(Object *obj, Visitor *v, const char *name,
                               void *opaque, Error **errp)
{
    TrnState *s = TRN(obj);
    TrnLink *l;
    bool admin;

    if (!visit_type_bool(v, name, &admin, errp)) {
        return;
    }
    if (!DEVICE(obj)->realized) {
        /* -device trn,port1-admin=false: the port starts disabled */
        s->links[GPOINTER_TO_UINT(opaque)].admin = admin;
        return;
    }
    l = trn_link_prop_port(obj, opaque, errp);
    if (!l) {
        return;
    }
    trace_trn_link_admin(s->chip_id, l->index, admin);
    if (admin == l->admin) {
        return;
    }
    l->admin = admin;
    trn_cable_send_admin(l);
    if (admin) {
        trn_link_update(l);
        if (trn_link_peer(l)) {
            trn_link_update(trn_link_peer(l));
        }
    } else {
        trn_link_bounce(l);
    }
}

static void trn_link_get_errors(Object *obj, Visitor *v, const char *name,
                                void *opaque, Error **errp)
{
    TrnState *s = TRN(obj);
    unsigned port = GPOINTER_TO_UINT(opaque);
    uint64_t total = port < s->nlinks ? s->links[port].err_crc : 0;

    visit_type_uint64(v, name, &total, errp);
}

static void trn_link_set_errors(Object *obj, Visitor *v, const char *name,
                                void *opaque, Error **errp)
{
    TrnLink *l, *p;
    uint64_t n;

    if (!visit_type_uint64(v, name, &n, errp)) {
        return;
    }
    if (!DEVICE(obj)->realized) {
        error_setg(errp, "%s: only while the VM runs", name);
        return;
    }
    l = trn_link_prop_port(obj, opaque, errp);
    if (!l) {
        return;
    }
    if (l->state != TRN_LINK_STATE_UP) {
        error_setg(errp, "port %u is not up", l->index);
        return;
    }
    p = trn_link_peer(l);
    l->err_crc += n;
    if (p) {
        p->err_replay += n;
    }
    trn_cable_send_errors(l, n);
    trace_trn_link_inject(l->s->chip_id, l->index, n, l->err_crc);
    if (l->err_threshold) {
        l->err_since += n;
        if (l->err_since >= l->err_threshold) {
            l->err_since %= l->err_threshold;
            trn_link_event(l, TRN_LINK_EV_ERRORS);
        }
    }
}

void trn_link_class_init(ObjectClass *oc)
{
    unsigned i;

    for (i = 0; i < TRN_MAX_LINKS; i++) {
        g_autofree char *admin = g_strdup_printf("port%u-admin", i);
        g_autofree char *errors = g_strdup_printf("port%u-inject-errors", i);

        object_class_property_add(oc, admin, "bool", trn_link_get_admin,
                                  trn_link_set_admin, NULL,
                                  GUINT_TO_POINTER(i));
        object_class_property_set_description(oc, admin,
            "NeuronLink port administratively enabled (false: link down)");
        object_class_property_add(oc, errors, "uint64", trn_link_get_errors,
                                  trn_link_set_errors, NULL,
                                  GUINT_TO_POINTER(i));
        object_class_property_set_description(oc, errors,
            "write N: N CRC errors on this port; reads the CRC error count");
    }
}

/* --- Life cycle */

bool trn_link_realize(TrnState *s, Error **errp)
{
    unsigned i;

    if (s->nlinks > TRN_MAX_LINKS) {
        error_setg(errp, "links must be at most %d", TRN_MAX_LINKS);
        return false;
    }
    if (!s->link_lanes || !s->link_lane_gbps) {
        error_setg(errp, "link-lanes and link-lane-gbps must not be 0");
        return false;
    }
    if (!trn_cable_check(s, errp)) {
        return false;
    }
    for (i = s->nlinks; i < TRN_MAX_LINKS; i++) {
        if (s->links[i].cable && *s->links[i].cable) {
            error_setg(errp, "port%u is set but the device has %u links", i,
                       s->nlinks);
            return false;
        }
    }
    for (i = 0; i < TRN_MAX_LINKS; i++) {
        TrnLink *l = &s->links[i];

        l->s = s;
        l->index = i;
        l->warned = false;
        l->train = timer_new_ns(QEMU_CLOCK_VIRTUAL, trn_link_trained, l);
    }
    memory_region_init_io(&s->link_regs, OBJECT(s), &trn_link_ops, s,
                          "trn.links", TRN_MAX_LINKS * TRN_LINK_STRIDE);
    memory_region_add_subregion(&s->bar0, TRN_BLOCK_LINK, &s->link_regs);

    QTAILQ_INSERT_TAIL(&trn_link_devices, s, link_next);
    if (phase_check(PHASE_MACHINE_READY)) {
        /* Hot-plugged: cable it now, and the ports that name it. */
        TrnState *o;

        QTAILQ_FOREACH(o, &trn_link_devices, link_next) {
            trn_link_connect(o);
        }
    } else if (!trn_link_notifier_added) {
        trn_link_machine_done.notify = trn_link_machine_init_done;
        qemu_add_machine_init_done_notifier(&trn_link_machine_done);
        trn_link_notifier_added = true;
    }
    return true;
}

void trn_link_unrealize(TrnState *s)
{
    unsigned i;

    trn_cable_unrealize(s);
    if (trn_link_disconnect(s)) {
        trn_link_release_after_grace(s);
    }
    QTAILQ_REMOVE(&trn_link_devices, s, link_next);
    for (i = 0; i < TRN_MAX_LINKS; i++) {
        timer_free(s->links[i].train);
        s->links[i].train = NULL;
    }
}

/*
 * Device reset: every port goes down, which the other end sees too, the
 * port registers return to their reset values, and cabled ports train
 * again.
 */
void trn_link_reset(TrnState *s)
{
    unsigned i;

    for (i = 0; i < s->nlinks; i++) {
        TrnLink *l = &s->links[i], *p = trn_link_peer(l);

        timer_del(l->train);
        if (l->state != TRN_LINK_STATE_DOWN) {
            trace_trn_link_state(s->chip_id, i, trn_link_state_name(l->state),
                                 trn_link_state_name(TRN_LINK_STATE_DOWN));
        }
        qatomic_set(&l->state, TRN_LINK_STATE_DOWN);
        l->events = 0;
        l->event_mask = 0;
        l->err_threshold = 0;
        l->err_crc = 0;
        l->err_replay = 0;
        l->err_since = 0;
        stat64_set(&l->tx_bytes, 0);
        stat64_set(&l->rx_bytes, 0);
        trn_cable_send_down(l);
        if (p && p->state != TRN_LINK_STATE_DOWN) {
            timer_del(p->train);
            trn_link_set_state(p, TRN_LINK_STATE_DOWN);
        }
    }
    for (i = 0; i < s->nlinks; i++) {
        TrnLink *l = &s->links[i], *p = trn_link_peer(l);

        trn_link_update(l);
        if (p) {
            trn_link_update(p);
        }
    }
}

/*
 * The export space of @s changed (TRN_REG_PEER_ROOT, TRN_REG_TLB_INVALIDATE):
 * the workers of the devices cabled to it drop the translations they hold.
 */
void trn_link_remap_peers(TrnState *s)
{
    unsigned i;

    for (i = 0; i < s->nlinks; i++) {
        if (s->links[i].peer) {
            trn_mem_remap(s->links[i].peer);
        }
        trn_cable_send_root(&s->links[i]);
    }
}
