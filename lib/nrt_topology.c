// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * Topology: the NeuronLink ports of the devices, and link events.
 *
 * The ports come from the "trn_link" generic netlink family
 * (include/uapi/linux/trn_link.h) through libnl-genl-3: a GET dump answers
 * with one message per port. When the family is not registered (an older
 * module, or tests with NRT_SYSFS_ROOT) the same facts are read from
 * sysfs, /sys/bus/pci/devices/<bdf>/link<p>/. Events come only by
 * netlink, from the "events" multicast group.
 *
 * The kernel names devices by accel minor; the library by device index
 * (the order of nrt_device_count()), so every snapshot and listener maps
 * minors to indices with the device list of nrt_enum.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "linux/trn_link.h"
#include "nrt_topology.h"

_Static_assert((int)NRT_LINK_DOWN == (int)TRN_LINK_PORT_DOWN &&
	       (int)NRT_LINK_TRAINING == (int)TRN_LINK_PORT_TRAINING &&
	       (int)NRT_LINK_UP == (int)TRN_LINK_PORT_UP,
	       "link states differ from uapi");
_Static_assert(NRT_LINK_EVENT_STATE == TRN_LINK_EVENT_STATE &&
	       NRT_LINK_EVENT_ERRORS == TRN_LINK_EVENT_ERRORS,
	       "link event bits differ from uapi");

#define NRT_NO_FAMILY_MSG \
	"netlink family " TRN_LINK_FAMILY_NAME " not found: is the trn module loaded?"

/* Most ports of one device the sysfs reader accepts. */
#define NRT_MAX_PORTS 256

struct nrt_topology {
	nrt_topology_source source;
	nrt_link *links;
	size_t n, cap;
};

void nrt_devmap_free(struct nrt_devmap *m)
{
	free(m->ents);
	free(m->chip);
	free(m->chip_known);
	free(m->host);
	memset(m, 0, sizeof(*m));
}

static bool nrt_path(char *buf, size_t size, const char *fmt, ...)
	NRT_PRINTF(3, 4);

/* snprintf() of a path. Return: false if it did not fit. */
static bool nrt_path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return len >= 0 && (size_t)len < size;
}

/* Parse a sysfs number: decimal digits and an optional newline. */
static bool nrt_parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || (*end && strcmp(end, "\n")))
		return false;
	*out = v;
	return true;
}

/*
 * Read a sysfs attribute into @buf (NUL-terminated, trailing newline
 * removed). Return: 0, or an errno value (ENOENT: no such attribute).
 */
static int nrt_read_attr(const char *path, char *buf, size_t size)
{
	ssize_t len;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	do {
		len = read(fd, buf, size - 1);
	} while (len < 0 && errno == EINTR);
	err = errno;
	close(fd);
	if (len < 0)
		return err;
	buf[len] = '\0';
	if (len > 0 && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	return 0;
}

nrt_status nrt_devmap_get(struct nrt_devmap *m)
{
	char path[PATH_MAX], buf[64];
	nrt_status st;
	uint64_t v;
	size_t i;

	memset(m, 0, sizeof(*m));
	st = nrt_enum_devices(&m->ents, &m->n);
	if (st != NRT_SUCCESS)
		return st;
	m->chip = calloc(m->n ? m->n : 1, sizeof(*m->chip));
	m->chip_known = calloc(m->n ? m->n : 1, sizeof(*m->chip_known));
	m->host = calloc(m->n ? m->n : 1, sizeof(*m->host));
	if (!m->chip || !m->chip_known || !m->host) {
		nrt_devmap_free(m);
		return nrt_fail(NRT_RESOURCE, "out of memory");
	}
	for (i = 0; i < m->n; i++) {
		if (nrt_path(path, sizeof(path), "%s/bus/pci/devices/%s/chip_id",
			     nrt_sysfs_path(), m->ents[i].pci_bdf) &&
		    !nrt_read_attr(path, buf, sizeof(buf)) &&
		    nrt_parse_u64(buf, &v) && v <= UINT32_MAX) {
			m->chip[i] = (uint32_t)v;
			m->chip_known[i] = true;
		}
		/* No host_id before hardware interface 1.9: one host, 0. */
		if (nrt_path(path, sizeof(path), "%s/bus/pci/devices/%s/host_id",
			     nrt_sysfs_path(), m->ents[i].pci_bdf) &&
		    !nrt_read_attr(path, buf, sizeof(buf)) &&
		    nrt_parse_u64(buf, &v) && v <= UINT32_MAX)
			m->host[i] = (uint32_t)v;
	}
	return NRT_SUCCESS;
}

static int nrt_devmap_by_minor(const struct nrt_devmap *m, unsigned int minor)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->ents[i].minor == minor)
			return (int)i;
	return -1;
}

/*
 * The local device at the far end of @l, by its host and chip, for kernels
 * that do not name it: chip ids repeat from host to host, and a far end on
 * another host is never a device of this system.
 */
static int nrt_devmap_by_chip(const struct nrt_devmap *m, const nrt_link *l)
{
	size_t i;

	if (l->peer_host != l->host)
		return -1;
	for (i = 0; i < m->n; i++)
		if (m->chip_known[i] && m->chip[i] == l->peer_chip &&
		    m->host[i] == l->host)
			return (int)i;
	return -1;
}

static nrt_status nrt_topo_add(struct nrt_topology *t, const nrt_link *l)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		nrt_link *v = realloc(t->links, cap * sizeof(*v));

		if (!v)
			return nrt_fail(NRT_RESOURCE, "out of memory");
		t->links = v;
		t->cap = cap;
	}
	t->links[t->n++] = *l;
	return NRT_SUCCESS;
}

static int nrt_link_cmp(const void *a, const void *b)
{
	const nrt_link *x = a, *y = b;

	if (x->device != y->device)
		return x->device < y->device ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return 0;
}

/* --- netlink ------------------------------------------------------------ */

static struct nla_policy nrt_link_policy[TRN_LINK_A_MAX + 1] = {
	[TRN_LINK_A_DEV_INDEX] = { .type = NLA_U32 },
	[TRN_LINK_A_DEV_CHIP] = { .type = NLA_U32 },
	[TRN_LINK_A_DEV_BDF] = { .type = NLA_STRING, .maxlen = 32 },
	[TRN_LINK_A_PORT] = { .type = NLA_U32 },
	[TRN_LINK_A_STATE] = { .type = NLA_U32 },
	[TRN_LINK_A_PEER_CHIP] = { .type = NLA_U32 },
	[TRN_LINK_A_PEER_PORT] = { .type = NLA_U32 },
	[TRN_LINK_A_PEER_DEV_INDEX] = { .type = NLA_U32 },
	[TRN_LINK_A_SPEED] = { .type = NLA_U32 },
	[TRN_LINK_A_WIDTH] = { .type = NLA_U32 },
	[TRN_LINK_A_ERR_CRC] = { .type = NLA_U64 },
	[TRN_LINK_A_ERR_REPLAY] = { .type = NLA_U64 },
	[TRN_LINK_A_TX_BYTES] = { .type = NLA_U64 },
	[TRN_LINK_A_RX_BYTES] = { .type = NLA_U64 },
	[TRN_LINK_A_ERR_THRESHOLD] = { .type = NLA_U32 },
	[TRN_LINK_A_EVENT] = { .type = NLA_U32 },
	[TRN_LINK_A_CLEAR_COUNTERS] = { .type = NLA_FLAG },
	[TRN_LINK_A_DEV_HOST] = { .type = NLA_U32 },
	[TRN_LINK_A_PEER_HOST] = { .type = NLA_U32 },
};

nrt_status nrt_link_parse_msg(struct nlmsghdr *nlh, const struct nrt_devmap *m,
			      nrt_link *link, uint32_t *events)
{
	struct nlattr *tb[TRN_LINK_A_MAX + 1];
	struct genlmsghdr *gnlh;
	unsigned int minor;
	int idx, err;

	if (!genlmsg_valid_hdr(nlh, 0))
		return nrt_fail(NRT_FAILURE, "trn_link: short netlink message");
	gnlh = nlmsg_data(nlh);
	err = nla_parse(tb, TRN_LINK_A_MAX, genlmsg_attrdata(gnlh, 0),
			genlmsg_attrlen(gnlh, 0), nrt_link_policy);
	if (err < 0)
		return nrt_fail(NRT_FAILURE, "trn_link: malformed attributes: %s",
				nl_geterror(err));
	if (!tb[TRN_LINK_A_DEV_INDEX] || !tb[TRN_LINK_A_PORT] ||
	    !tb[TRN_LINK_A_STATE])
		return nrt_fail(NRT_FAILURE,
				"trn_link: message without device, port or state");

	memset(link, 0, sizeof(*link));
	minor = nla_get_u32(tb[TRN_LINK_A_DEV_INDEX]);
	idx = nrt_devmap_by_minor(m, minor);
	if (idx < 0)
		return nrt_fail(NRT_NO_DEVICE, "trn_link: accel%u is not a trn device here",
				minor);
	link->device = (unsigned int)idx;
	link->minor = minor;
	snprintf(link->pci_bdf, sizeof(link->pci_bdf), "%s",
		 m->ents[idx].pci_bdf);
	if (tb[TRN_LINK_A_DEV_BDF])
		snprintf(link->pci_bdf, sizeof(link->pci_bdf), "%s",
			 nla_get_string(tb[TRN_LINK_A_DEV_BDF]));
	if (tb[TRN_LINK_A_DEV_CHIP])
		link->chip_id = nla_get_u32(tb[TRN_LINK_A_DEV_CHIP]);
	else if (m->chip_known[idx])
		link->chip_id = m->chip[idx];
	link->host = tb[TRN_LINK_A_DEV_HOST] ?
		     nla_get_u32(tb[TRN_LINK_A_DEV_HOST]) : m->host[idx];
	link->port = nla_get_u32(tb[TRN_LINK_A_PORT]);
	link->state = (nrt_link_state)nla_get_u32(tb[TRN_LINK_A_STATE]);
	if (link->state > NRT_LINK_UP)
		return nrt_fail(NRT_FAILURE, "trn_link: accel%u port %u: unknown state %u",
				minor, link->port, (unsigned int)link->state);
	link->peer_device = -1;
	if (tb[TRN_LINK_A_PEER_CHIP] && tb[TRN_LINK_A_PEER_PORT]) {
		link->has_peer = true;
		link->peer_chip = nla_get_u32(tb[TRN_LINK_A_PEER_CHIP]);
		link->peer_port = nla_get_u32(tb[TRN_LINK_A_PEER_PORT]);
		/* A kernel without PEER_HOST knows of one host. */
		link->peer_host = tb[TRN_LINK_A_PEER_HOST] ?
				  nla_get_u32(tb[TRN_LINK_A_PEER_HOST]) : link->host;
		if (tb[TRN_LINK_A_PEER_DEV_INDEX])
			link->peer_device = nrt_devmap_by_minor(m,
				nla_get_u32(tb[TRN_LINK_A_PEER_DEV_INDEX]));
		else if (!tb[TRN_LINK_A_DEV_HOST])
			/* Older kernels name no far device of another host
			 * either: only they leave it to the chip id. */
			link->peer_device = nrt_devmap_by_chip(m, link);
		if (link->peer_host != link->host)
			link->peer_device = -1;
	}
	if (tb[TRN_LINK_A_SPEED])
		link->speed_gbps = nla_get_u32(tb[TRN_LINK_A_SPEED]);
	if (tb[TRN_LINK_A_WIDTH])
		link->width = nla_get_u32(tb[TRN_LINK_A_WIDTH]);
	if (tb[TRN_LINK_A_ERR_CRC])
		link->err_crc = nla_get_u64(tb[TRN_LINK_A_ERR_CRC]);
	if (tb[TRN_LINK_A_ERR_REPLAY])
		link->err_replay = nla_get_u64(tb[TRN_LINK_A_ERR_REPLAY]);
	if (tb[TRN_LINK_A_TX_BYTES])
		link->tx_bytes = nla_get_u64(tb[TRN_LINK_A_TX_BYTES]);
	if (tb[TRN_LINK_A_RX_BYTES])
		link->rx_bytes = nla_get_u64(tb[TRN_LINK_A_RX_BYTES]);
	if (events)
		*events = tb[TRN_LINK_A_EVENT] ?
			  nla_get_u32(tb[TRN_LINK_A_EVENT]) : 0;
	return NRT_SUCCESS;
}

static nrt_status nrt_nl_status(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_PERM:
		return NRT_PERMISSION;
	case NLE_NOMEM:
		return NRT_RESOURCE;
	case NLE_OBJ_NOTFOUND:
	case NLE_NOADDR:
		return NRT_NO_DRIVER;
	default:
		return NRT_FAILURE;
	}
}

/*
 * Connect a generic netlink socket and resolve the family. Return:
 * NRT_SUCCESS; NRT_NO_DRIVER with NRT_NO_FAMILY_MSG if the family is not
 * registered; another status on failure. *@sk is NULL on failure.
 */
static nrt_status nrt_nl_open(struct nl_sock **sk, int *family)
{
	int err;

	*sk = nl_socket_alloc();
	if (!*sk)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	err = genl_connect(*sk);
	if (err < 0) {
		nl_socket_free(*sk);
		*sk = NULL;
		return nrt_fail(nrt_nl_status(err), "generic netlink socket: %s",
				nl_geterror(err));
	}
	*family = genl_ctrl_resolve(*sk, TRN_LINK_FAMILY_NAME);
	if (*family < 0) {
		err = *family;
		nl_socket_free(*sk);
		*sk = NULL;
		if (err == -NLE_OBJ_NOTFOUND)
			return nrt_fail(NRT_NO_DRIVER, NRT_NO_FAMILY_MSG);
		return nrt_fail(nrt_nl_status(err),
				"resolve netlink family " TRN_LINK_FAMILY_NAME ": %s",
				nl_geterror(err));
	}
	return NRT_SUCCESS;
}

struct nrt_dump_ctx {
	struct nrt_topology *t;
	const struct nrt_devmap *m;
	nrt_status st;
};

static int nrt_dump_cb(struct nl_msg *msg, void *arg)
{
	struct nrt_dump_ctx *ctx = arg;
	nrt_link link;
	nrt_status st;

	if (ctx->st != NRT_SUCCESS)
		return NL_SKIP;
	st = nrt_link_parse_msg(nlmsg_hdr(msg), ctx->m, &link, NULL);
	if (st == NRT_NO_DEVICE)
		return NL_SKIP;
	if (st == NRT_SUCCESS)
		st = nrt_topo_add(ctx->t, &link);
	ctx->st = st;
	return NL_SKIP;
}

static nrt_status nrt_topology_netlink(struct nl_sock *sk, int family,
				       struct nrt_topology *t,
				       const struct nrt_devmap *m)
{
	struct nrt_dump_ctx ctx = { t, m, NRT_SUCCESS };
	struct nl_msg *msg;
	int err;

	msg = nlmsg_alloc();
	if (!msg)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_DUMP,
			 TRN_LINK_CMD_GET, TRN_LINK_FAMILY_VERSION)) {
		nlmsg_free(msg);
		return nrt_fail(NRT_RESOURCE, "out of memory");
	}
	err = nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, nrt_dump_cb, &ctx);
	if (err >= 0)
		err = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (err >= 0)
		err = nl_recvmsgs_default(sk);
	if (err < 0)
		return nrt_fail(nrt_nl_status(err), "trn_link GET dump: %s",
				nl_geterror(err));
	if (ctx.st != NRT_SUCCESS)
		return ctx.st;
	t->source = NRT_TOPOLOGY_NETLINK;
	return NRT_SUCCESS;
}

/* --- sysfs ---------------------------------------------------------------- */

static nrt_status nrt_sysfs_u64(const char *dir, const char *name,
				bool required, uint64_t *out, bool *present)
{
	char path[PATH_MAX], buf[64];
	int err;

	*present = false;
	if (!nrt_path(path, sizeof(path), "%s/%s", dir, name))
		return nrt_fail(NRT_INVALID, "path too long: %s/%s", dir, name);
	err = nrt_read_attr(path, buf, sizeof(buf));
	if (err == ENOENT && !required)
		return NRT_SUCCESS;
	if (err)
		return nrt_fail_errno(err == EACCES || err == EPERM ?
				      NRT_PERMISSION : NRT_FAILURE, err,
				      "cannot read %s", path);
	/* Attributes without a value (a port that is not up) read "-" or "". */
	if (!required && (!strcmp(buf, "-") || !*buf || !strcmp(buf, "-1")))
		return NRT_SUCCESS;
	/* peer_device reads "accel<minor>". */
	if (!nrt_parse_u64(strncmp(buf, "accel", 5) ? buf : buf + 5, out))
		return nrt_fail(NRT_FAILURE, "%s: not a number: \"%s\"", path, buf);
	*present = true;
	return NRT_SUCCESS;
}

static nrt_status nrt_sysfs_state(const char *dir, nrt_link_state *state)
{
	static const char *const names[] = { "down", "training", "up" };
	char path[PATH_MAX], buf[64];
	uint64_t v;
	size_t i;
	int err;

	if (!nrt_path(path, sizeof(path), "%s/state", dir))
		return nrt_fail(NRT_INVALID, "path too long: %s/state", dir);
	err = nrt_read_attr(path, buf, sizeof(buf));
	if (err)
		return nrt_fail_errno(err == EACCES || err == EPERM ?
				      NRT_PERMISSION : NRT_FAILURE, err,
				      "cannot read %s", path);
	for (i = 0; i < 3; i++) {
		if (!strcmp(buf, names[i])) {
			*state = (nrt_link_state)i;
			return NRT_SUCCESS;
		}
	}
	if (nrt_parse_u64(buf, &v) && v <= NRT_LINK_UP) {
		*state = (nrt_link_state)v;
		return NRT_SUCCESS;
	}
	return nrt_fail(NRT_FAILURE, "%s: unknown state \"%s\"", path, buf);
}

static nrt_status nrt_sysfs_port(const struct nrt_devmap *m, size_t dev,
				 const char *dir, unsigned int port,
				 nrt_link *l)
{
	uint64_t v, chip, pport, pdev, phost;
	bool has, has_chip, has_port, has_dev, has_host;
	nrt_status st;

	memset(l, 0, sizeof(*l));
	l->device = (unsigned int)dev;
	l->minor = m->ents[dev].minor;
	l->chip_id = m->chip[dev];
	l->host = m->host[dev];
	memcpy(l->pci_bdf, m->ents[dev].pci_bdf, sizeof(l->pci_bdf));
	l->port = port;
	l->peer_device = -1;

	st = nrt_sysfs_state(dir, &l->state);
	if (st == NRT_SUCCESS)
		st = nrt_sysfs_u64(dir, "peer_chip", false, &chip, &has_chip);
	if (st == NRT_SUCCESS)
		st = nrt_sysfs_u64(dir, "peer_port", false, &pport, &has_port);
	if (st == NRT_SUCCESS)
		st = nrt_sysfs_u64(dir, "peer_device", false, &pdev, &has_dev);
	if (st == NRT_SUCCESS)
		st = nrt_sysfs_u64(dir, "peer_host", false, &phost, &has_host);
	if (st != NRT_SUCCESS)
		return st;
	if (has_chip && has_port && chip <= UINT32_MAX && pport <= UINT32_MAX) {
		l->has_peer = true;
		l->peer_chip = (uint32_t)chip;
		l->peer_port = (uint32_t)pport;
		/* No peer_host file (an older driver): one host. */
		l->peer_host = has_host && phost <= UINT32_MAX ?
			       (uint32_t)phost : l->host;
		if (l->peer_host != l->host)
			l->peer_device = -1;
		else if (has_dev && pdev <= UINT_MAX)
			l->peer_device = nrt_devmap_by_minor(m, (unsigned int)pdev);
		else
			l->peer_device = nrt_devmap_by_chip(m, l);
	}

#define NRT_SYSFS_FIELD(name, field, max)					\
	do {									\
		st = nrt_sysfs_u64(dir, name, false, &v, &has);			\
		if (st != NRT_SUCCESS)						\
			return st;						\
		if (has && v <= (max))						\
			l->field = v;						\
	} while (0)
	NRT_SYSFS_FIELD("speed", speed_gbps, UINT32_MAX);
	NRT_SYSFS_FIELD("width", width, UINT32_MAX);
	NRT_SYSFS_FIELD("err_crc", err_crc, UINT64_MAX);
	NRT_SYSFS_FIELD("err_replay", err_replay, UINT64_MAX);
	NRT_SYSFS_FIELD("tx_bytes", tx_bytes, UINT64_MAX);
	NRT_SYSFS_FIELD("rx_bytes", rx_bytes, UINT64_MAX);
#undef NRT_SYSFS_FIELD
	return NRT_SUCCESS;
}

static nrt_status nrt_topology_sysfs(struct nrt_topology *t,
				     const struct nrt_devmap *m)
{
	char pdev[PATH_MAX], dir[PATH_MAX];
	nrt_status st = NRT_SUCCESS;
	struct dirent *de;
	size_t d;
	DIR *dp;

	for (d = 0; d < m->n && st == NRT_SUCCESS; d++) {
		if (!nrt_path(pdev, sizeof(pdev), "%s/bus/pci/devices/%s",
			      nrt_sysfs_path(), m->ents[d].pci_bdf))
			return nrt_fail(NRT_INVALID, "path too long: %s/bus/pci/devices/%s",
					nrt_sysfs_path(), m->ents[d].pci_bdf);
		dp = opendir(pdev);
		if (!dp) {
			if (errno == ENOENT)
				continue;       /* the device went away */
			return nrt_fail_errno(errno == EACCES ? NRT_PERMISSION :
					      NRT_FAILURE, errno, "cannot read %s",
					      pdev);
		}
		while (st == NRT_SUCCESS && (de = readdir(dp))) {
			unsigned long port;
			nrt_link l;
			char *end;

			/* link<p>/: one per port; the device has no other. */
			if (strncmp(de->d_name, "link", 4) ||
			    de->d_name[4] < '0' || de->d_name[4] > '9')
				continue;
			port = strtoul(de->d_name + 4, &end, 10);
			if (*end || port >= NRT_MAX_PORTS)
				continue;
			if (!nrt_path(dir, sizeof(dir), "%s/%s", pdev, de->d_name))
				continue;
			st = nrt_sysfs_port(m, d, dir, (unsigned int)port, &l);
			if (st == NRT_SUCCESS)
				st = nrt_topo_add(t, &l);
		}
		closedir(dp);
	}
	t->source = NRT_TOPOLOGY_SYSFS;
	return st;
}

/* --- snapshots -------------------------------------------------------------- */

NRT_API nrt_status nrt_topology_get(nrt_topology **out)
{
	NRT_API_SCOPE();
	struct nrt_error_saved saved;
	struct nrt_topology *t;
	struct nrt_devmap m;
	struct nl_sock *sk;
	int family;
	nrt_status st;

	if (!out)
		return nrt_fail(NRT_INVALID, "nrt_topology_get: out is NULL");
	t = calloc(1, sizeof(*t));
	if (!t)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	st = nrt_devmap_get(&m);
	if (st != NRT_SUCCESS) {
		free(t);
		return st;
	}

	nrt_error_save(&saved);
	st = nrt_nl_open(&sk, &family);
	if (st == NRT_SUCCESS) {
		st = nrt_topology_netlink(sk, family, t, &m);
		nl_socket_free(sk);
	} else if (st == NRT_NO_DRIVER || st == NRT_FAILURE) {
		/* No family (or no generic netlink at all): sysfs. */
		nrt_error_restore(&saved);
		st = nrt_topology_sysfs(t, &m);
	}
	nrt_devmap_free(&m);
	if (st != NRT_SUCCESS) {
		nrt_topology_free(t);
		return st;
	}
	if (t->n > 1)
		qsort(t->links, t->n, sizeof(*t->links), nrt_link_cmp);
	*out = t;
	return NRT_SUCCESS;
}

NRT_API void nrt_topology_free(nrt_topology *t)
{
	if (!t)
		return;
	free(t->links);
	free(t);
}

NRT_API size_t nrt_topology_num_links(const nrt_topology *t)
{
	return t ? t->n : 0;
}

NRT_API const nrt_link *nrt_topology_link(const nrt_topology *t, size_t i)
{
	return t && i < t->n ? &t->links[i] : NULL;
}

NRT_API const nrt_link *nrt_topology_find(const nrt_topology *t,
					  unsigned int device, unsigned int port)
{
	size_t i;

	if (!t)
		return NULL;
	for (i = 0; i < t->n; i++)
		if (t->links[i].device == device && t->links[i].port == port)
			return &t->links[i];
	return NULL;
}

NRT_API nrt_topology_source nrt_topology_get_source(const nrt_topology *t)
{
	return t ? t->source : NRT_TOPOLOGY_SYSFS;
}

NRT_API const char *nrt_link_state_name(nrt_link_state s)
{
	switch (s) {
	case NRT_LINK_DOWN:
		return "down";
	case NRT_LINK_TRAINING:
		return "training";
	case NRT_LINK_UP:
		return "up";
	}
	return "unknown";
}

/* --- events ------------------------------------------------------------------ */

#define NRT_EVENT_QUEUE 64

struct nrt_link_listener {
	pthread_mutex_t lock;
	struct nl_sock *sk;
	struct nrt_devmap m;
	/* Events received but not yet returned, a ring. */
	nrt_link_event queue[NRT_EVENT_QUEUE];
	unsigned int head, count;
	nrt_status cb_st;
};

static int nrt_event_cb(struct nl_msg *msg, void *arg)
{
	struct nrt_link_listener *l = arg;
	struct genlmsghdr *gnlh = nlmsg_data(nlmsg_hdr(msg));
	nrt_link_event ev;
	nrt_status st;

	if (gnlh->cmd != TRN_LINK_CMD_EVENT)
		return NL_SKIP;
	memset(&ev, 0, sizeof(ev));
	st = nrt_link_parse_msg(nlmsg_hdr(msg), &l->m, &ev.link, &ev.events);
	if (st == NRT_NO_DEVICE) {
		/* A device bound since the listener opened: refresh once. */
		struct nrt_devmap m;

		if (nrt_devmap_get(&m) == NRT_SUCCESS) {
			nrt_devmap_free(&l->m);
			l->m = m;
			st = nrt_link_parse_msg(nlmsg_hdr(msg), &l->m, &ev.link,
						&ev.events);
		}
	}
	if (st == NRT_NO_DEVICE)
		return NL_SKIP;
	if (st != NRT_SUCCESS) {
		l->cb_st = st;
		return NL_SKIP;
	}
	if (l->count == NRT_EVENT_QUEUE) {
		l->cb_st = nrt_fail(NRT_RESOURCE, "link events lost: queue full");
		return NL_SKIP;
	}
	l->queue[(l->head + l->count++) % NRT_EVENT_QUEUE] = ev;
	return NL_OK;
}

NRT_API nrt_status nrt_link_listener_open(nrt_link_listener **out)
{
	NRT_API_SCOPE();
	struct nrt_link_listener *l;
	nrt_status st;
	int family, grp, err;

	if (!out)
		return nrt_fail(NRT_INVALID, "nrt_link_listener_open: out is NULL");
	l = calloc(1, sizeof(*l));
	if (!l)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	st = nrt_devmap_get(&l->m);
	if (st != NRT_SUCCESS) {
		free(l);
		return st;
	}
	st = nrt_nl_open(&l->sk, &family);
	if (st != NRT_SUCCESS)
		goto fail;
	grp = genl_ctrl_resolve_grp(l->sk, TRN_LINK_FAMILY_NAME,
				    TRN_LINK_MCGRP_EVENTS);
	if (grp < 0) {
		st = nrt_fail(grp == -NLE_OBJ_NOTFOUND ? NRT_UNSUPPORTED :
			      nrt_nl_status(grp),
			      "netlink family " TRN_LINK_FAMILY_NAME
			      ": multicast group " TRN_LINK_MCGRP_EVENTS ": %s",
			      nl_geterror(grp));
		goto fail;
	}
	nl_socket_disable_seq_check(l->sk);
	err = nl_socket_add_membership(l->sk, grp);
	if (err >= 0)
		err = nl_socket_set_nonblocking(l->sk);
	if (err >= 0)
		err = nl_socket_modify_cb(l->sk, NL_CB_VALID, NL_CB_CUSTOM,
					  nrt_event_cb, l);
	if (err < 0) {
		st = nrt_fail(nrt_nl_status(err), "join " TRN_LINK_FAMILY_NAME
			      " " TRN_LINK_MCGRP_EVENTS ": %s", nl_geterror(err));
		goto fail;
	}
	if (pthread_mutex_init(&l->lock, NULL)) {
		st = nrt_fail(NRT_RESOURCE, "cannot create a mutex");
		goto fail;
	}
	*out = l;
	return NRT_SUCCESS;
fail:
	if (l->sk)
		nl_socket_free(l->sk);
	nrt_devmap_free(&l->m);
	free(l);
	return st;
}

NRT_API int nrt_link_listener_fd(const nrt_link_listener *l)
{
	return l ? nl_socket_get_fd(l->sk) : -1;
}

static bool nrt_event_pop(struct nrt_link_listener *l, nrt_link_event *ev)
{
	if (!l->count)
		return false;
	*ev = l->queue[l->head];
	l->head = (l->head + 1) % NRT_EVENT_QUEUE;
	l->count--;
	return true;
}

/*
 * nrt_link_listener_next() of NRT_0.8, the default: the event with the
 * nrt_link of 0.8. The header declares it by its exported name.
 */
__attribute__((symver("nrt_link_listener_next@@NRT_0.8")))
NRT_API nrt_status nrt_link_listener_next_v08(nrt_link_listener *l, int timeout_ms,
					      nrt_link_event *event);

NRT_API nrt_status nrt_link_listener_next_v08(nrt_link_listener *l, int timeout_ms,
					      nrt_link_event *event)
{
	NRT_API_SCOPE();
	struct pollfd pfd;
	nrt_status st = NRT_SUCCESS;
	int ret, err;

	if (!l || !event)
		return nrt_fail(NRT_INVALID, "nrt_link_listener_next: NULL argument");
	pthread_mutex_lock(&l->lock);
	while (!nrt_event_pop(l, event)) {
		pfd.fd = nl_socket_get_fd(l->sk);
		pfd.events = POLLIN;
		pfd.revents = 0;
		ret = poll(&pfd, 1, timeout_ms < 0 ? -1 : timeout_ms);
		if (ret == 0 || (ret < 0 && errno == EINTR)) {
			st = nrt_fail_quiet(NRT_TIMEOUT, "no link event within %d ms",
					    timeout_ms);
			break;
		}
		if (ret < 0) {
			st = nrt_fail_errno(NRT_FAILURE, errno, "poll on trn_link socket");
			break;
		}
		l->cb_st = NRT_SUCCESS;
		err = nl_recvmsgs_default(l->sk);
		if (err == -NLE_AGAIN)
			err = 0;
		if (err == -NLE_NOMEM) {
			/* ENOBUFS: the socket overran. */
			st = nrt_fail(NRT_RESOURCE,
				      "link events lost: the kernel dropped events (ENOBUFS)");
			break;
		}
		if (err < 0) {
			st = nrt_fail(nrt_nl_status(err), "receive link events: %s",
				      nl_geterror(err));
			break;
		}
		if (l->cb_st != NRT_SUCCESS) {
			st = l->cb_st;
			break;
		}
		/* Something arrived but not an event: wait again, without
		 * extending a finite timeout further than once. */
		if (!l->count && timeout_ms >= 0)
			timeout_ms = 0;
	}
	pthread_mutex_unlock(&l->lock);
	return st;
}

NRT_API void nrt_link_listener_close(nrt_link_listener *l)
{
	if (!l)
		return;
	nl_socket_free(l->sk);
	nrt_devmap_free(&l->m);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/*
 * nrt_link_listener_next() of NRT_0.4, for programs linked before 0.8: their
 * nrt_link_event is the nrt_link of then, which ends where host begins,
 * and the events after it.
 */
struct nrt_link_event_v04 {
	unsigned char link[offsetof(nrt_link, host)];
	uint32_t events;
};
_Static_assert(offsetof(nrt_link, host) % _Alignof(uint64_t) == 0,
	       "the nrt_link of 0.4 ends with a 64-bit counter");

__attribute__((symver("nrt_link_listener_next@NRT_0.4")))
NRT_API nrt_status nrt_link_listener_next_v04(nrt_link_listener *l, int timeout_ms,
					      struct nrt_link_event_v04 *event);

NRT_API nrt_status nrt_link_listener_next_v04(nrt_link_listener *l, int timeout_ms,
					      struct nrt_link_event_v04 *event)
{
	nrt_link_event ev;
	nrt_status st;

	if (!event)
		return nrt_link_listener_next_v08(l, timeout_ms, NULL);
	st = nrt_link_listener_next_v08(l, timeout_ms, &ev);
	if (st == NRT_SUCCESS) {
		memcpy(event->link, &ev.link, sizeof(event->link));
		event->events = ev.events;
	}
	return st;
}
