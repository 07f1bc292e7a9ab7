/*
 * QTest testcase for the trn accelerator model: cables between QEMU
 * processes (hw/misc/trn/trn-cable.c)
 *
 * Copyright (c) 2026 The trn authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The tests of cables between hosts, included by trn-test.c, which
 * registers them: QEMU builds one trn-test binary from trn-test.c alone.
 * Two QEMU processes cabled to each other; the refusals at realize; a far
 * end played by the test that misbehaves.
 */

#ifndef TRN_TEST_CABLE_H
#define TRN_TEST_CABLE_H

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "hw/misc/trn/trn-cable-proto.h"
#include "trn-test.h"

/* --- Cables between processes --- */

/* qom-set of a bool property of device @id. */
static void qom_set_bool(TrnTest *t, const char *id, const char *prop,
                         bool val)
{
    g_autofree char *path = g_strdup_printf("/machine/peripheral/%s", id);
    QDict *rsp = qtest_qmp(t->qts, "{'execute': 'qom-set', 'arguments': "
                           "{'path': %s, 'property': %s, 'value': %i}}",
                           path, prop, val);

    g_assert(!qdict_haskey(rsp, "error"));
    qobject_unref(rsp);
}

/*
 * Wait until port @port of @d reads @state, the clocks of both processes
 * moving (the far process's messages arrive in this one's main loop).
 */
static void link_wait_state(TrnTest *t, TrnDev *d, unsigned port,
                            TrnTest *far, uint32_t state)
{
    int i;

    for (i = 0; i < 2000; i++) {
        if (rd32(d, TRN_LINK_REG(port, TRN_LINK_STATE)) == state) {
            return;
        }
        qtest_clock_step(t->qts, 10 * 1000 * 1000);
        if (far) {
            qtest_clock_step(far->qts, 10 * 1000 * 1000);
        }
        g_usleep(1000);
    }
    g_assert_not_reached();
}

/* Run a COPY on ring @q of @d until it is not refused as REMOTE (yet). */
static uint32_t copy_settled(TrnTest *t, TrnDev *d, unsigned q, uint64_t src,
                             uint64_t dst, uint64_t n)
{
    TrnRing r;
    uint32_t err = TRN_DMA_ERR_REMOTE;
    int i;

    for (i = 0; i < 500 && err == TRN_DMA_ERR_REMOTE; i++) {
        if (i) {
            g_usleep(10 * 1000);
        }
        ring_open(t, &r, d, q);
        ring_context(t, &r, 1, d->root);
        ring_put(t, &r, TRN_DMA_OP_COPY, 0, 0, src, dst, n);
        err = ring_run(&r);
    }
    return err;
}

#define CABLE_DEV(mem, chr, host, port) \
    "-object memory-backend-memfd,id=m,size=16M,share=on " \
    "-device trn,id=h" #host ",addr=04.0,chip-id=5,memdev=m,host=" #host "," \
    "port" #port "-chardev=c0"

/*
 * Two QEMU processes, a device each (both chip 5, hosts 0 and 1), cabled
 * port 0 to port 1 over a Unix socket: the links train and name the far
 * host, chip and port; peer DMA both ways through the shared HBM; the
 * ports count it; admin down and up at the far end; the far process is
 * killed, the near link goes down and copies over it fail with LINK.
 */
static void test_cable_processes(void)
{
    g_autofree char *dir = g_dir_make_tmp("trn-cable-XXXXXX", NULL);
    g_autofree char *sock = g_strdup_printf("%s/cable", dir);
    const uint64_t n = 64 * 1024;
    uint8_t buf[4096];
    TrnTest t0, t1;
    TrnDev a, b;
    unsigned i;

    trn_start(&t0, "-chardev socket,id=c0,path=%s,server=on,wait=off "
              CABLE_DEV(m, c0, 0, 0), sock);
    trn_start(&t1, "-chardev socket,id=c0,path=%s,reconnect-ms=100 "
              CABLE_DEV(m, c0, 1, 1), sock);
    trn_open(&t0, &a, QPCI_DEVFN(4, 0));
    trn_open(&t1, &b, QPCI_DEVFN(4, 0));
    g_assert(rd64(&a, TRN_REG_CAPS) & TRN_CAP_RACK);
    g_assert_cmpuint(rd32(&a, TRN_REG_HOST_ID), ==, 0);
    g_assert_cmpuint(rd32(&b, TRN_REG_HOST_ID), ==, 1);
    link_wait_state(&t0, &a, 0, &t1, TRN_LINK_STATE_UP);
    link_wait_state(&t1, &b, 1, &t0, TRN_LINK_STATE_UP);
    g_assert_cmpuint(rd32(&a, TRN_LINK_REG(0, TRN_LINK_PEER_HOST)), ==, 1);
    g_assert_cmpuint(rd32(&a, TRN_LINK_REG(0, TRN_LINK_PEER_CHIP)), ==, 5);
    g_assert_cmpuint(rd32(&a, TRN_LINK_REG(0, TRN_LINK_PEER_PORT)), ==, 1);
    g_assert_cmpuint(rd32(&b, TRN_LINK_REG(1, TRN_LINK_PEER_HOST)), ==, 0);
    g_assert_cmpuint(rd32(&b, TRN_LINK_REG(1, TRN_LINK_PEER_PORT)), ==, 0);
    g_assert_cmpuint(rd32(&a, TRN_LINK_REG(0, TRN_LINK_SPEED)), ==, 100);
    /* Other ports, and a port of an uncabled device, know nobody */
    g_assert_cmphex(rd32(&a, TRN_LINK_REG(1, TRN_LINK_PEER_HOST)), ==,
                    TRN_LINK_PEER_NONE);

    /* b exports 64 KiB of 0x5a; a pulls it, then pushes its own back */
    for (i = 0; i < n; i += 8) {
        hbm_wr64(&b, 0x800000 + i, 0x5a5a5a5a5a5a5a5aULL);
        hbm_wr64(&a, 0x400000 + i, 0xa5a5a5a5a5a5a5a5ULL);
    }
    export_hbm(&b, 0, 0x800000, n, 0);
    map_peer(&a, 0x20000000, 0, 5, 0, n);
    pt_map_hbm(&a, 0x30000000, 0x400000, 2 * n);
    g_assert_cmpuint(copy_settled(&t0, &a, 0, 0x20000000, 0x30000000 + n, n),
                     ==, TRN_DMA_ERR_NONE);
    qpci_memread(a.pdev, a.bar2, 0x400000 + n, buf, sizeof(buf));
    for (i = 0; i < sizeof(buf); i++) {
        g_assert_cmphex(buf[i], ==, 0x5a);
    }
    g_assert_cmpuint(copy_settled(&t0, &a, 1, 0x30000000, 0x20000000, n),
                     ==, TRN_DMA_ERR_NONE);
    qpci_memread(b.pdev, b.bar2, 0x800000 + n - sizeof(buf), buf,
                 sizeof(buf));
    for (i = 0; i < sizeof(buf); i++) {
        g_assert_cmphex(buf[i], ==, 0xa5);
    }
    /* a counted both; b learns its counts over the socket */
    g_assert_cmpuint(rd64(&a, TRN_LINK_REG(0, TRN_LINK_RX_BYTES)), ==, n);
    g_assert_cmpuint(rd64(&a, TRN_LINK_REG(0, TRN_LINK_TX_BYTES)), ==, n);
    for (i = 0; i < 2000; i++) {
        if (rd64(&b, TRN_LINK_REG(1, TRN_LINK_RX_BYTES)) == n &&
            rd64(&b, TRN_LINK_REG(1, TRN_LINK_TX_BYTES)) == n) {
            break;
        }
        qtest_clock_step(t0.qts, 100 * 1000 * 1000);
        g_usleep(1000);
    }
    g_assert_cmpuint(rd64(&b, TRN_LINK_REG(1, TRN_LINK_RX_BYTES)), ==, n);
    g_assert_cmpuint(rd64(&b, TRN_LINK_REG(1, TRN_LINK_TX_BYTES)), ==, n);

    /* b's port taken down: a's goes down, copies fail; and back up */
    qom_set_bool(&t1, "h1", "port1-admin", false);
    link_wait_state(&t0, &a, 0, &t1, TRN_LINK_STATE_DOWN);
    g_assert_cmpuint(copy_settled(&t0, &a, 2, 0x20000000, 0x30000000, n),
                     ==, TRN_DMA_ERR_LINK);
    qom_set_bool(&t1, "h1", "port1-admin", true);
    link_wait_state(&t0, &a, 0, &t1, TRN_LINK_STATE_UP);
    g_assert_cmpuint(copy_settled(&t0, &a, 3, 0x20000000, 0x30000000, n),
                     ==, TRN_DMA_ERR_NONE);

    /*
     * A reset of b: a's port goes down and trains again, and b's export
     * space is gone (its root was reset before its port went down).
     */
    wr32(&a, TRN_LINK_REG(0, TRN_LINK_EVENTS), TRN_LINK_EV_ALL);
    wr32(&b, TRN_REG_RESET, TRN_RESET_KEY);
    for (i = 0; i < 2000; i++) {
        if (rd32(&a, TRN_LINK_REG(0, TRN_LINK_EVENTS)) & TRN_LINK_EV_STATE) {
            break;
        }
        g_usleep(1000);
    }
    link_wait_state(&t0, &a, 0, &t1, TRN_LINK_STATE_UP);
    {
        TrnRing r;

        ring_open(&t0, &r, &a, 4);
        ring_context(&t0, &r, 1, a.root);
        ring_put(&t0, &r, TRN_DMA_OP_COPY, 0, 0, 0x20000000, 0x30000000, n);
        g_assert_cmpuint(ring_run(&r), ==, TRN_DMA_ERR_REMOTE);
    }

    /* The far process dies: down, copies fail with LINK, a still works */
    trn_close(&b);
    trn_stop(&t1);
    link_wait_state(&t0, &a, 0, NULL, TRN_LINK_STATE_DOWN);
    g_assert_cmpuint(copy_settled(&t0, &a, 5, 0x20000000, 0x30000000, n),
                     ==, TRN_DMA_ERR_LINK);
    g_assert_cmphex(rd32(&a, TRN_LINK_REG(0, TRN_LINK_PEER_HOST)), ==,
                    TRN_LINK_PEER_NONE);
    trn_close(&a);
    trn_stop(&t0);
    unlink(sock);
    rmdir(dir);
}

/*
 * A cable to another process needs HBM that process can map, a port of
 * the device, and no in-process cable on the same port.
 */
static void expect_error(QDict *rsp, const char *what)
{
    const char *desc;

    g_assert(qdict_haskey(rsp, "error"));
    desc = qdict_get_str(qdict_get_qdict(rsp, "error"), "desc");
    if (!strstr(desc, what)) {
        g_test_message("error '%s' does not say '%s'", desc, what);
        g_assert_not_reached();
    }
    qobject_unref(rsp);
}

static void test_cable_props(void)
{
    g_autofree char *dir = g_dir_make_tmp("trn-cable-XXXXXX", NULL);
    g_autofree char *file = g_strdup_printf("%s/hbm", dir);
    TrnTest t;
    QDict *rsp;

#define CABLE_ADD(args) \
    qtest_qmp(t.qts, "{'execute': 'device_add', 'arguments': " \
              "{'driver': 'trn', 'id': 'x', 'bus': 'rp1', " args "}}")

    /* Chardevs are claimed until a failed device is freed: one each */
    trn_start(&t, "-device pcie-root-port,id=rp1,addr=05.0,chassis=1,slot=1 "
              "-object memory-backend-memfd,id=m,size=16M,share=on "
              "-object memory-backend-memfd,id=unsealed,size=16M,share=on,"
              "seal=off "
              "-object memory-backend-file,id=f,size=16M,share=on,mem-path=%s "
              "-chardev null,id=cn "
              "-chardev socket,id=c0,path=/nonexistent/trn,reconnect-ms=1000 "
              "-chardev socket,id=c1,path=/nonexistent/trn,reconnect-ms=1000 "
              "-chardev socket,id=c2,path=/nonexistent/trn,reconnect-ms=1000 "
              "-chardev socket,id=c3,path=/nonexistent/trn,reconnect-ms=1000 "
              "-chardev socket,id=c4,path=/nonexistent/trn,reconnect-ms=1000 "
              "-chardev socket,id=c5,path=/nonexistent/trn,reconnect-ms=1000",
              file);
    expect_error(CABLE_ADD("'hbm-size': 16777216, 'port0-chardev': 'c0'"),
                 "must be memory the far process can map");
    expect_error(CABLE_ADD("'memdev': 'unsealed', 'port0-chardev': 'c1'"),
                 "must be memory the far process can map");
    expect_error(CABLE_ADD("'memdev': 'f', 'port0-chardev': 'c2'"),
                 "must be memory the far process can map");
    expect_error(CABLE_ADD("'memdev': 'm', 'port4-chardev': 'c3'"),
                 "the device has 4 links");
    expect_error(CABLE_ADD("'memdev': 'm', 'port0-chardev': 'c4', "
                           "'port0': 'y:0'"), "a port has one cable");
    expect_error(CABLE_ADD("'memdev': 'm', 'port0-chardev': 'cn'"),
                 "a cable is a socket chardev");
    rsp = CABLE_ADD("'memdev': 'm', 'port0-chardev': 'c5'");
    g_assert(!qdict_haskey(rsp, "error"));
    qobject_unref(rsp);
#undef CABLE_ADD
    trn_stop(&t);
    unlink(file);
    rmdir(dir);
}

/* --- A far end played by the test --- */

static int far_listen(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    g_assert(fd >= 0);
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    g_assert(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    g_assert(listen(fd, 1) == 0);
    return fd;
}

/* The next connection within @ms, or -1. */
static int far_accept(int lfd, int ms)
{
    struct pollfd p = { .fd = lfd, .events = POLLIN };

    if (poll(&p, 1, ms) != 1) {
        return -1;
    }
    return accept(lfd, NULL, NULL);
}

/*
 * One message within @ms: 1, with a descriptor that came with it in *@mfd
 * (or -1); 0 if the socket closed; -1 if nothing came.
 */
static int far_recv(int fd, TrnCableMsg *m, int *mfd, int ms)
{
    size_t got = 0;

    *mfd = -1;
    while (got < sizeof(*m)) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        union {
            struct cmsghdr h;
            char buf[CMSG_SPACE(sizeof(int))];
        } ctl;
        struct iovec iov = { (char *)m + got, sizeof(*m) - got };
        struct msghdr msg = {
            .msg_iov = &iov, .msg_iovlen = 1,
            .msg_control = &ctl, .msg_controllen = sizeof(ctl),
        };
        struct cmsghdr *c;
        ssize_t n;

        if (poll(&p, 1, ms) != 1) {
            return -1;
        }
        n = recvmsg(fd, &msg, 0);
        if (n <= 0) {
            return 0;
        }
        for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                memcpy(mfd, CMSG_DATA(c), sizeof(int));
            }
        }
        got += n;
    }
    return 1;
}

/* Send a message of @type, with descriptor @mfd unless it is -1. */
static void far_send_fd(int fd, uint32_t type, uint32_t flags, int mfd)
{
    TrnCableMsg m = {
        .magic = cpu_to_le32(TRN_CABLE_MAGIC),
        .type = cpu_to_le32(type),
        .version = cpu_to_le32(TRN_CABLE_VERSION),
        .flags = cpu_to_le32(flags),
        .host = cpu_to_le32(1),
        .chip = cpu_to_le32(5),
        .lane_gbps = cpu_to_le32(100),
        .lanes = cpu_to_le32(4),
        .a = cpu_to_le64(16 * MiB_),
    };
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct iovec iov = { &m, sizeof(m) };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    struct cmsghdr *c;

    if (mfd >= 0) {
        memset(&ctl, 0, sizeof(ctl));
        msg.msg_control = &ctl;
        msg.msg_controllen = sizeof(ctl);
        c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &mfd, sizeof(int));
    }
    g_assert(sendmsg(fd, &msg, 0) == sizeof(m));
}

static void far_send(int fd, uint32_t type, uint32_t flags)
{
    far_send_fd(fd, type, flags, -1);
}

/* 16 MiB of memory a far end can pass, sealed against shrinking. */
static int far_memfd(void)
{
    int mfd = memfd_create("trn-far", MFD_ALLOW_SEALING);

    g_assert(mfd >= 0);
    g_assert(ftruncate(mfd, 16 * MiB_) == 0);
    g_assert(fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK) == 0);
    return mfd;
}

/* Step the clock of @t for about @ms of real and virtual time. */
static void far_wait(TrnTest *t, int ms)
{
    int i;

    for (i = 0; i < ms / 10; i++) {
        qtest_clock_step(t->qts, 10 * 1000 * 1000);
        g_usleep(10 * 1000);
    }
}

/* The HELLO of a new connection of the device under test. */
static void far_hello(int fd, bool admin)
{
    TrnCableMsg m;
    int mfd;

    g_assert_cmpint(far_recv(fd, &m, &mfd, 5000), ==, 1);
    g_assert_cmphex(le32_to_cpu(m.magic), ==, TRN_CABLE_MAGIC);
    g_assert_cmpuint(le32_to_cpu(m.type), ==, TRN_CABLE_HELLO);
    g_assert_cmpuint(le32_to_cpu(m.chip), ==, 5);
    g_assert_cmpuint(le32_to_cpu(m.flags), ==,
                     TRN_CABLE_HELLO_MEM | (admin ? TRN_CABLE_HELLO_ADMIN : 0));
    g_assert_cmpuint(le64_to_cpu(m.a), ==, 16 * MiB_);
    g_assert_cmpint(mfd, >=, 0);
    close(mfd);
}

/*
 * A far end played by the test. A link trains only once both ends
 * accepted each other: the device accepts a good HELLO (with sealed
 * memory) and says so, and stays down until the far end accepts it too.
 * A HELLO that promises memory and brings none is refused: the link goes
 * down and no ACCEPT comes back. A message not of the protocol closes the
 * socket (which connects again). A far end that stops reading is
 * disconnected at the next write instead of being written to forever.
 */
static void test_cable_far_misbehaves(void)
{
    g_autofree char *dir = g_dir_make_tmp("trn-cable-XXXXXX", NULL);
    g_autofree char *sock = g_strdup_printf("%s/cable", dir);
    uint8_t junk[64];
    TrnCableMsg m;
    TrnTest t;
    TrnDev a;
    int lfd, fd, fd2, mfd;

    lfd = far_listen(sock);
    trn_start(&t, "-chardev socket,id=c0,path=%s,reconnect-ms=100 "
              "-object memory-backend-memfd,id=m,size=16M,share=on "
              "-device trn,id=h0,addr=04.0,chip-id=5,memdev=m,"
              "port0-chardev=c0", sock);
    trn_open(&t, &a, QPCI_DEVFN(4, 0));
    fd = far_accept(lfd, 5000);
    g_assert_cmpint(fd, >=, 0);
    far_hello(fd, true);

    /* A good far end: accepted, but no training before it accepts too */
    mfd = far_memfd();
    far_send_fd(fd, TRN_CABLE_HELLO,
                TRN_CABLE_HELLO_MEM | TRN_CABLE_HELLO_ADMIN, mfd);
    close(mfd);
    g_assert_cmpint(far_recv(fd, &m, &mfd, 5000), ==, 1);
    g_assert_cmpuint(le32_to_cpu(m.type), ==, TRN_CABLE_ACCEPT);
    far_wait(&t, 200);
    g_assert_cmpuint(rd32(&a, TRN_LINK_REG(0, TRN_LINK_STATE)), ==,
                     TRN_LINK_STATE_DOWN);
    far_send(fd, TRN_CABLE_ACCEPT, 0);
    link_wait_state(&t, &a, 0, NULL, TRN_LINK_STATE_UP);
    g_assert_cmpuint(rd32(&a, TRN_LINK_REG(0, TRN_LINK_PEER_HOST)), ==, 1);

    /* Memory promised, none passed: refused, down, no ACCEPT */
    far_send(fd, TRN_CABLE_HELLO, TRN_CABLE_HELLO_MEM | TRN_CABLE_HELLO_ADMIN);
    far_send(fd, TRN_CABLE_ACCEPT, 0);
    link_wait_state(&t, &a, 0, NULL, TRN_LINK_STATE_DOWN);
    far_wait(&t, 200);
    g_assert_cmpuint(rd32(&a, TRN_LINK_REG(0, TRN_LINK_STATE)), ==,
                     TRN_LINK_STATE_DOWN);
    g_assert_cmpint(far_recv(fd, &m, &mfd, 200), ==, -1);

    /* Not the protocol: the socket closes, and connects again */
    memset(junk, 0x5a, sizeof(junk));
    g_assert(write(fd, junk, sizeof(junk)) == sizeof(junk));
    g_assert_cmpint(far_recv(fd, &m, &mfd, 5000), ==, 0);
    close(fd);
    fd = far_accept(lfd, 5000);
    g_assert_cmpint(fd, >=, 0);
    far_hello(fd, true);

    /*
     * It stops reading, the socket still open: the next write fails and
     * the device closes the socket itself, then connects again.
     */
    g_assert(shutdown(fd, SHUT_RD) == 0);
    qom_set_bool(&t, "h0", "port0-admin", false);
    fd2 = far_accept(lfd, 5000);
    g_assert_cmpint(fd2, >=, 0);
    far_hello(fd2, false);      /* the port is down now */
    close(fd2);
    close(fd);

    trn_close(&a);
    trn_stop(&t);
    close(lfd);
    unlink(sock);
    rmdir(dir);
}

#endif /* TRN_TEST_CABLE_H */
