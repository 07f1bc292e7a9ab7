// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * NeuronLink topology logic of nrt-ls (see nrt_ls_topo.h).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "nrt_json.h"
#include "nrt_ls_topo.h"

/* --- shapes ------------------------------------------------------------- */

static bool nrt_topo_parse_num(const char *s, const char **end,
			       unsigned int *out)
{
	unsigned long v;
	char *e;

	if (*s < '1' || *s > '9')
		return false;
	v = strtoul(s, &e, 10);
	if (v > NRT_TOPO_MAX_CHIPS)
		return false;
	*out = (unsigned int)v;
	*end = e;
	return true;
}

int nrt_topo_parse_shape(const char *s, struct nrt_topo_shape *shape)
{
	const char *p;
	unsigned int a, b;

	if (!strncmp(s, "torus:", 6)) {
		if (!nrt_topo_parse_num(s + 6, &p, &a) || (*p != 'x' && *p != 'X') ||
		    !nrt_topo_parse_num(p + 1, &p, &b) || *p ||
		    a * b > NRT_TOPO_MAX_CHIPS || a * b < 2)
			return -1;
		shape->kind = NRT_TOPO_TORUS;
		shape->rows = a;
		shape->cols = b;
		return 0;
	}
	if (!strncmp(s, "ring:", 5)) {
		if (!nrt_topo_parse_num(s + 5, &p, &a) || *p || a < 2)
			return -1;
		shape->kind = NRT_TOPO_RING;
		shape->rows = 1;
		shape->cols = a;
		return 0;
	}
	return -1;
}

char *nrt_topo_shape_name(const struct nrt_topo_shape *shape, char *buf,
			  size_t size)
{
	if (shape->kind == NRT_TOPO_TORUS)
		snprintf(buf, size, "torus:%ux%u", shape->rows, shape->cols);
	else
		snprintf(buf, size, "ring:%u", shape->cols);
	return buf;
}

unsigned int nrt_topo_shape_chips(const struct nrt_topo_shape *shape)
{
	return shape->rows * shape->cols;
}

static unsigned int nrt_topo_shape_ports(const struct nrt_topo_shape *shape)
{
	return shape->kind == NRT_TOPO_TORUS ? 4 : 2;
}

bool nrt_topo_expected_peer(const struct nrt_topo_shape *shape, uint32_t chip,
			    unsigned int port, uint32_t *peer_chip,
			    unsigned int *peer_port)
{
	unsigned int n = nrt_topo_shape_chips(shape);
	unsigned int R = shape->rows, C = shape->cols, r, c;

	if (chip >= n)
		return false;
	if (shape->kind == NRT_TOPO_RING) {
		if (port == 0) {
			*peer_chip = (chip + 1) % n;
			*peer_port = 1;
		} else if (port == 1) {
			*peer_chip = (chip + n - 1) % n;
			*peer_port = 0;
		} else {
			return false;
		}
		return true;
	}
	r = chip / C;
	c = chip % C;
	switch (port) {
	case 0:         /* east */
		*peer_chip = r * C + (c + 1) % C;
		*peer_port = 2;
		return true;
	case 1:         /* south */
		*peer_chip = ((r + 1) % R) * C + c;
		*peer_port = 3;
		return true;
	case 2:         /* west */
		*peer_chip = r * C + (c + C - 1) % C;
		*peer_port = 0;
		return true;
	case 3:         /* north */
		*peer_chip = ((r + R - 1) % R) * C + c;
		*peer_port = 1;
		return true;
	}
	return false;
}

/* The port @port of chip @chip, or NULL. */
static const nrt_link *nrt_topo_find(const nrt_link *links, size_t n,
				     uint32_t chip, unsigned int port)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (links[i].chip_id == chip && links[i].port == port)
			return &links[i];
	return NULL;
}

static bool nrt_topo_has_chip(const nrt_link *links, size_t n, uint32_t chip)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (links[i].chip_id == chip)
			return true;
	return false;
}

/* Device index of a chip, or -1. */
static int nrt_topo_chip_device(const nrt_link *links, size_t n, uint32_t chip)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (links[i].chip_id == chip)
			return (int)links[i].device;
	return -1;
}

/* --- comparison ----------------------------------------------------------- */

const char *nrt_topo_mismatch_kind_name(enum nrt_topo_mismatch_kind kind)
{
	switch (kind) {
	case NRT_TOPO_MISSING_CHIP:
		return "missing_chip";
	case NRT_TOPO_MISSING_PORT:
		return "missing_port";
	case NRT_TOPO_DOWN:
		return "down";
	case NRT_TOPO_MISWIRED:
		return "miswired";
	case NRT_TOPO_UNEXPECTED:
		return "unexpected";
	}
	return "unknown";
}

struct nrt_topo_mm_list {
	struct nrt_topo_mismatch *v;
	size_t n, cap;
};

static struct nrt_topo_mismatch *nrt_topo_mm_add(struct nrt_topo_mm_list *l)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct nrt_topo_mismatch *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
	return &l->v[l->n++];
}

int nrt_topo_mismatch_cmp(const void *a, const void *b)
{
	const struct nrt_topo_mismatch *x = a, *y = b;
	long long kx = x->has_port ? (long long)x->port : -1;
	long long ky = y->has_port ? (long long)y->port : -1;

	if (x->chip != y->chip)
		return x->chip < y->chip ? -1 : 1;
	return kx < ky ? -1 : kx > ky;
}

void nrt_topo_mismatch_unexpected(struct nrt_topo_mismatch *m, const nrt_link *k,
				  bool hosts)
{
	char far[64];

	m->kind = NRT_TOPO_UNEXPECTED;
	m->chip = k->chip_id;
	m->has_port = true;
	m->port = k->port;
	m->state = k->state;
	m->has_found = k->has_peer;
	m->has_hosts = hosts;
	m->found_host = k->peer_host;
	m->found_chip = k->peer_chip;
	m->found_port = k->peer_port;
	if (!k->has_peer) {
		snprintf(m->message, sizeof(m->message),
			 "chip %u port %u: unexpected link (peer unknown)",
			 (unsigned int)k->chip_id, k->port);
		return;
	}
	if (hosts)
		snprintf(far, sizeof(far), "host %u chip %u port %u", (unsigned int)k->peer_host,
			 (unsigned int)k->peer_chip, (unsigned int)k->peer_port);
	else
		snprintf(far, sizeof(far), "chip %u port %u", (unsigned int)k->peer_chip,
			 (unsigned int)k->peer_port);
	snprintf(m->message, sizeof(m->message), "chip %u port %u: unexpected link to %s",
		 (unsigned int)k->chip_id, k->port, far);
}

int nrt_topo_compare(const struct nrt_topo_shape *shape, const nrt_link *links,
		     size_t n, struct nrt_topo_mismatch **out, size_t *count)
{
	struct nrt_topo_mm_list l = { NULL, 0, 0 };
	unsigned int chips = nrt_topo_shape_chips(shape);
	unsigned int ports = nrt_topo_shape_ports(shape);
	struct nrt_topo_mismatch *m;
	uint32_t chip, ec;
	unsigned int port, ep;
	size_t i;

	for (chip = 0; chip < chips; chip++) {
		if (!nrt_topo_has_chip(links, n, chip)) {
			m = nrt_topo_mm_add(&l);
			if (!m)
				goto oom;
			m->kind = NRT_TOPO_MISSING_CHIP;
			m->chip = chip;
			snprintf(m->message, sizeof(m->message),
				 "chip %u: missing (no device with this chip id has link ports)",
				 (unsigned int)chip);
			continue;
		}
		for (port = 0; port < ports; port++) {
			const nrt_link *k = nrt_topo_find(links, n, chip, port);

			nrt_topo_expected_peer(shape, chip, port, &ec, &ep);
			if (k && k->state == NRT_LINK_UP && k->has_peer &&
			    k->peer_host == k->host && k->peer_chip == ec &&
			    k->peer_port == ep)
				continue;
			m = nrt_topo_mm_add(&l);
			if (!m)
				goto oom;
			m->chip = chip;
			m->has_port = true;
			m->port = port;
			m->has_expected = true;
			m->expected_chip = ec;
			m->expected_port = ep;
			if (!k) {
				m->kind = NRT_TOPO_MISSING_PORT;
				m->state = NRT_LINK_DOWN;
				snprintf(m->message, sizeof(m->message),
					 "chip %u port %u: missing (expected chip %u port %u)",
					 (unsigned int)chip, port, (unsigned int)ec, ep);
				continue;
			}
			m->state = k->state;
			if (k->state != NRT_LINK_UP) {
				m->kind = NRT_TOPO_DOWN;
				snprintf(m->message, sizeof(m->message),
					 "chip %u port %u: %s (expected chip %u port %u)",
					 (unsigned int)chip, port,
					 nrt_link_state_name(k->state),
					 (unsigned int)ec, ep);
				continue;
			}
			m->kind = NRT_TOPO_MISWIRED;
			if (k->has_peer && k->peer_host != k->host) {
				/* A shape is one host's: this cable leaves it. */
				m->has_found = true;
				m->has_hosts = true;
				m->expected_host = k->host;
				m->found_host = k->peer_host;
				m->found_chip = k->peer_chip;
				m->found_port = k->peer_port;
				snprintf(m->message, sizeof(m->message),
					 "chip %u port %u: expected chip %u port %u, found host %u chip %u port %u",
					 (unsigned int)chip, port, (unsigned int)ec, ep,
					 (unsigned int)k->peer_host, (unsigned int)k->peer_chip,
					 (unsigned int)k->peer_port);
			} else if (k->has_peer) {
				m->has_found = true;
				m->found_chip = k->peer_chip;
				m->found_port = k->peer_port;
				snprintf(m->message, sizeof(m->message),
					 "chip %u port %u: expected chip %u port %u, found chip %u port %u",
					 (unsigned int)chip, port, (unsigned int)ec,
					 ep, (unsigned int)k->peer_chip,
					 (unsigned int)k->peer_port);
			} else {
				snprintf(m->message, sizeof(m->message),
					 "chip %u port %u: expected chip %u port %u, found an unknown peer",
					 (unsigned int)chip, port, (unsigned int)ec, ep);
			}
		}
	}
	for (i = 0; i < n; i++) {
		const nrt_link *k = &links[i];

		if (k->state != NRT_LINK_UP ||
		    nrt_topo_expected_peer(shape, k->chip_id, k->port, &ec, &ep))
			continue;
		m = nrt_topo_mm_add(&l);
		if (!m)
			goto oom;
		nrt_topo_mismatch_unexpected(m, k, k->has_peer && k->peer_host != k->host);
	}
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), nrt_topo_mismatch_cmp);
	*out = l.v;
	*count = l.n;
	return 0;
oom:
	free(l.v);
	return -1;
}

/* --- detection ------------------------------------------------------------- */

/*
 * Score @shape against the wiring: *good ends up and correct, *bad up
 * ends that contradict it. Return: the number of ends the shape has.
 */
static unsigned int nrt_topo_score(const struct nrt_topo_shape *shape,
				   const nrt_link *links, size_t n,
				   unsigned int *good, unsigned int *bad)
{
	uint32_t ec;
	unsigned int ep;
	size_t i;

	*good = *bad = 0;
	for (i = 0; i < n; i++) {
		const nrt_link *k = &links[i];

		/* Cables to other hosts of a rack are no part of a host's shape. */
		if (k->state != NRT_LINK_UP || (k->has_peer && k->peer_host != k->host))
			continue;
		if (nrt_topo_expected_peer(shape, k->chip_id, k->port, &ec, &ep) &&
		    k->has_peer && k->peer_chip == ec && k->peer_port == ep)
			(*good)++;
		else
			(*bad)++;
	}
	return nrt_topo_shape_chips(shape) * nrt_topo_shape_ports(shape);
}

bool nrt_topo_detect(const nrt_link *links, size_t n,
		     struct nrt_topo_shape *shape)
{
	struct nrt_topo_shape cand, best;
	unsigned int chips = 0, best_good = 0, good, bad, total, r;
	uint32_t max_chip = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (links[i].chip_id > max_chip)
			max_chip = links[i].chip_id;
	if (!n || max_chip >= NRT_TOPO_MAX_CHIPS)
		return false;
	for (i = 0; i <= max_chip; i++) {
		if (!nrt_topo_has_chip(links, n, (uint32_t)i))
			return false;
		chips++;
	}
	memset(&best, 0, sizeof(best));
	for (r = 2; r <= chips / 2; r++) {
		if (chips % r || chips / r < 2)
			continue;
		cand.kind = NRT_TOPO_TORUS;
		cand.rows = r;
		cand.cols = chips / r;
		total = nrt_topo_score(&cand, links, n, &good, &bad);
		if (!bad && good * 2 >= total && good > best_good) {
			best = cand;
			best_good = good;
		}
	}
	if (chips >= 3) {
		cand.kind = NRT_TOPO_RING;
		cand.rows = 1;
		cand.cols = chips;
		total = nrt_topo_score(&cand, links, n, &good, &bad);
		if (!bad && good * 2 >= total && good > best_good) {
			best = cand;
			best_good = good;
		}
	}
	if (!best_good)
		return false;
	*shape = best;
	return true;
}

/* --- drawing -------------------------------------------------------------- */

enum nrt_topo_mark { NRT_MARK_UP, NRT_MARK_DOWN, NRT_MARK_MISWIRED };

/* State of the expected link (a, pa) <-> (b, pb), judged from both ends. */
static enum nrt_topo_mark nrt_topo_mark(const nrt_link *links, size_t n,
					uint32_t a, unsigned int pa,
					uint32_t b, unsigned int pb)
{
	const nrt_link *la = nrt_topo_find(links, n, a, pa);
	const nrt_link *lb = nrt_topo_find(links, n, b, pb);
	bool up = false;

	if (la && la->state == NRT_LINK_UP) {
		if (!la->has_peer || la->peer_host != la->host ||
		    la->peer_chip != b || la->peer_port != pb)
			return NRT_MARK_MISWIRED;
		up = true;
	}
	if (lb && lb->state == NRT_LINK_UP) {
		if (!lb->has_peer || lb->peer_host != lb->host ||
		    lb->peer_chip != a || lb->peer_port != pa)
			return NRT_MARK_MISWIRED;
		up = true;
	}
	return up ? NRT_MARK_UP : NRT_MARK_DOWN;
}

static void nrt_topo_label(const nrt_link *links, size_t n, uint32_t chip,
			   char *buf, size_t size)
{
	int dev = nrt_topo_chip_device(links, n, chip);

	if (dev < 0)
		snprintf(buf, size, ".");
	else
		snprintf(buf, size, "%d", dev);
}

static const char *const nrt_topo_hglyph[] = { " --- ", " -x- ", " -?- " };
static const char nrt_topo_vglyph[] = { '|', 'x', '?' };
static const char *const nrt_topo_lwrap[] = { "-- ", "-x ", "-? " };
static const char *const nrt_topo_rwrap[] = { " --", " x-", " ?-" };

/* A row of vertical links between chip rows @r and @r2 (for the torus). */
static bool nrt_topo_vrow(FILE *out, const nrt_link *links, size_t n,
			  const struct nrt_topo_shape *s, unsigned int r,
			  unsigned int r2, size_t w)
{
	bool ok = fputs("   ", out) != EOF;
	unsigned int c;

	for (c = 0; c < s->cols; c++) {
		uint32_t a = r * s->cols + c, b = r2 * s->cols + c;

		ok &= fprintf(out, "%*s%c", (int)(w - 1), "",
			      nrt_topo_vglyph[nrt_topo_mark(links, n, a, 1, b, 3)]) >= 0;
		if (c + 1 < s->cols)
			ok &= fputs("     ", out) != EOF;
	}
	ok &= fputc('\n', out) != EOF;
	return ok;
}

static bool nrt_topo_draw_torus(FILE *out, const nrt_link *links, size_t n,
				const struct nrt_topo_shape *s)
{
	char label[16];
	size_t w = 1, len;
	unsigned int r, c;
	bool ok = true;

	for (r = 0; r < s->rows * s->cols; r++) {
		nrt_topo_label(links, n, r, label, sizeof(label));
		len = strlen(label);
		if (len > w)
			w = len;
	}
	ok &= nrt_topo_vrow(out, links, n, s, s->rows - 1, 0, w);
	for (r = 0; r < s->rows; r++) {
		uint32_t first = r * s->cols, last = r * s->cols + s->cols - 1;
		enum nrt_topo_mark wrap = nrt_topo_mark(links, n, last, 0, first, 2);

		ok &= fputs(nrt_topo_lwrap[wrap], out) != EOF;
		for (c = 0; c < s->cols; c++) {
			uint32_t chip = r * s->cols + c;

			nrt_topo_label(links, n, chip, label, sizeof(label));
			ok &= fprintf(out, "%*s", (int)w, label) >= 0;
			if (c + 1 < s->cols)
				ok &= fputs(nrt_topo_hglyph[nrt_topo_mark(links, n, chip, 0,
									  chip + 1, 2)],
					    out) != EOF;
		}
		ok &= fputs(nrt_topo_rwrap[wrap], out) != EOF;
		ok &= fputc('\n', out) != EOF;
		ok &= nrt_topo_vrow(out, links, n, s, r, (r + 1) % s->rows, w);
	}
	return ok;
}

static bool nrt_topo_draw_ring(FILE *out, const nrt_link *links, size_t n,
			       const struct nrt_topo_shape *s)
{
	char label[16];
	unsigned int i;
	bool ok = true;

	for (i = 0; i < s->cols; i++) {
		uint32_t next = (i + 1) % s->cols;

		nrt_topo_label(links, n, i, label, sizeof(label));
		ok &= fputs(label, out) != EOF;
		ok &= fputs(nrt_topo_hglyph[nrt_topo_mark(links, n, i, 0, next, 1)],
			    out) != EOF;
	}
	nrt_topo_label(links, n, 0, label, sizeof(label));
	ok &= fprintf(out, "(%s)\n", label) >= 0;
	return ok;
}

static void nrt_topo_end_name(const nrt_link *k, char *buf, size_t size)
{
	snprintf(buf, size, "accel%u:port%u", k->device, k->port);
}

/* The far end: a local device, a chip of this host or one of another host. */
static void nrt_topo_peer_name(const nrt_link *k, char *buf, size_t size)
{
	if (k->peer_device >= 0)
		snprintf(buf, size, "accel%d:port%u", k->peer_device,
			 (unsigned int)k->peer_port);
	else if (k->peer_host != k->host)
		snprintf(buf, size, "host%u:chip%u:port%u", (unsigned int)k->peer_host,
			 (unsigned int)k->peer_chip, (unsigned int)k->peer_port);
	else
		snprintf(buf, size, "chip%u:port%u", (unsigned int)k->peer_chip,
			 (unsigned int)k->peer_port);
}

/* Whether up link @k is printed from its other end (which comes first). */
static bool nrt_topo_seen_from_peer(const nrt_link *links, size_t n,
				    const nrt_link *k)
{
	const nrt_link *p;

	if (!k->has_peer || k->peer_device < 0)
		return false;
	p = nrt_topo_find(links, n, k->peer_chip, k->peer_port);
	if (!p || p->state != NRT_LINK_UP || !p->has_peer ||
	    p->peer_chip != k->chip_id || p->peer_port != k->port)
		return false;
	return p->device < k->device ||
	       (p->device == k->device && p->port < k->port);
}

static bool nrt_topo_list_line(FILE *out, const nrt_link *links, size_t n,
			       const nrt_link *k, const char *note)
{
	char a[48], b[48];

	nrt_topo_end_name(k, a, sizeof(a));
	if (k->state == NRT_LINK_UP && k->has_peer) {
		nrt_topo_peer_name(k, b, sizeof(b));
		return fprintf(out, "%s <-> %s up%s\n", a, b, note) >= 0;
	}
	(void)links;
	(void)n;
	return fprintf(out, "%s %s%s\n", a, k->state == NRT_LINK_UP ?
		       "up (peer unknown)" : nrt_link_state_name(k->state), note) >= 0;
}

int nrt_topo_print_list(FILE *out, const nrt_link *links, size_t n)
{
	bool ok = true;
	size_t i;

	for (i = 0; i < n; i++) {
		if (links[i].state == NRT_LINK_UP &&
		    nrt_topo_seen_from_peer(links, n, &links[i]))
			continue;
		ok &= nrt_topo_list_line(out, links, n, &links[i], "");
	}
	return ok ? 0 : -1;
}

int nrt_topo_draw(FILE *out, const nrt_link *links, size_t n,
		  const struct nrt_topo_shape *shape)
{
	struct nrt_topo_shape s;
	char name[NRT_TOPO_NAME_LEN];
	bool ok = true, header = false;
	uint32_t ec;
	unsigned int ep;
	size_t i;

	if (!n)
		return fputs("no NeuronLink ports\n", out) == EOF ? -1 : 0;
	if (shape)
		s = *shape;
	else if (!nrt_topo_detect(links, n, &s))
		return nrt_topo_print_list(out, links, n);

	nrt_topo_shape_name(&s, name, sizeof(name));
	ok &= fprintf(out, "%s (%s): positions by chip id, labels are device indices\n",
		      name, shape ? "expected" : "detected") >= 0;
	if (s.kind == NRT_TOPO_TORUS)
		ok &= nrt_topo_draw_torus(out, links, n, &s);
	else
		ok &= nrt_topo_draw_ring(out, links, n, &s);
	ok &= fputs("links: ---/| up, x down or missing, ? miswired; "
		    "the edges are the wrap-around links", out) != EOF;
	ok &= fputs(s.kind == NRT_TOPO_TORUS ? "; . no device\n" : "\n", out) != EOF;

	/* Up links that the shape does not have. */
	for (i = 0; i < n; i++) {
		const nrt_link *k = &links[i];

		if (k->state != NRT_LINK_UP ||
		    (nrt_topo_expected_peer(&s, k->chip_id, k->port, &ec, &ep) &&
		     k->has_peer && k->peer_chip == ec && k->peer_port == ep) ||
		    nrt_topo_seen_from_peer(links, n, k))
			continue;
		if (!header)
			ok &= fprintf(out, "up links not in %s:\n", name) >= 0;
		header = true;
		ok &= fputs("  ", out) != EOF;
		ok &= nrt_topo_list_line(out, links, n, k, " (not in shape)");
	}
	return ok ? 0 : -1;
}

/* --- connected devices ------------------------------------------------------ */

/* A far end for CONNECTED DEVICES: a device, a chip here, one elsewhere. */
struct nrt_topo_far {
	int kind;               /* 0 device, 1 chip of this host, 2 another host's */
	long long host, id;
};

static int nrt_topo_far_cmp(const void *a, const void *b)
{
	const struct nrt_topo_far *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->host != y->host)
		return x->host < y->host ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

char *nrt_topo_connected(const nrt_link *links, size_t n, unsigned int device,
			 char *buf, size_t size)
{
	struct nrt_topo_far *v = n ? calloc(n, sizeof(*v)) : NULL;
	size_t i, k = 0, used = 0;

	if (size)
		buf[0] = '\0';
	if (!v) {
		snprintf(buf, size, "-");
		return buf;
	}
	for (i = 0; i < n; i++) {
		const nrt_link *l = &links[i];

		if (l->device != device || l->state != NRT_LINK_UP || !l->has_peer)
			continue;
		if (l->peer_device >= 0)
			v[k++] = (struct nrt_topo_far){ 0, 0, l->peer_device };
		else if (l->peer_host == l->host)
			v[k++] = (struct nrt_topo_far){ 1, 0, l->peer_chip };
		else
			v[k++] = (struct nrt_topo_far){ 2, l->peer_host, l->peer_chip };
	}
	qsort(v, k, sizeof(*v), nrt_topo_far_cmp);
	for (i = 0; i < k; i++) {
		int len;

		if (i && !nrt_topo_far_cmp(&v[i], &v[i - 1]))
			continue;
		if (v[i].kind == 2)
			len = snprintf(buf + used, size - used, "%sh%lldc%lld",
				       used ? "," : "", v[i].host, v[i].id);
		else
			len = snprintf(buf + used, size - used, "%s%s%lld",
				       used ? "," : "", v[i].kind ? "c" : "", v[i].id);
		if (len < 0 || (size_t)len >= size - used)
			break;
		used += (size_t)len;
	}
	if (!used)
		snprintf(buf, size, "-");
	free(v);
	return buf;
}

/* --- JSON -------------------------------------------------------------------- */

/* A port end: {"chip", "port"}, with "host" first when @host >= 0. */
static struct json_object *nrt_topo_jend_host(long long host, uint32_t chip,
					      unsigned int port)
{
	struct json_object *o = json_object_new_object();
	bool ok = o != NULL;

	if (host >= 0)
		nrt_json_i64(o, "host", host, &ok);
	nrt_json_i64(o, "chip", chip, &ok);
	nrt_json_i64(o, "port", port, &ok);
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *nrt_topo_jend(uint32_t chip, unsigned int port)
{
	return nrt_topo_jend_host(-1, chip, port);
}

/*
 * The far end of @k as member "@key": {"host", "chip", "port", "device"},
 * or null.
 */
static void nrt_topo_jpeer(struct json_object *o, const char *key,
			   const nrt_link *k, bool *ok)
{
	struct json_object *p;

	if (!k->has_peer) {
		nrt_json_null(o, key, ok);
		return;
	}
	p = *ok ? nrt_topo_jend_host(k->peer_host, k->peer_chip, k->peer_port) : NULL;
	if (p && k->peer_device >= 0)
		nrt_json_i64(p, "device", k->peer_device, ok);
	else if (p)
		nrt_json_null(p, "device", ok);
	nrt_json_add(o, key, p, ok);
}

/* The fields of a port common to device links and events. */
static void nrt_topo_jport(struct json_object *o, const nrt_link *k, bool *ok)
{
	nrt_json_i64(o, "port", k->port, ok);
	nrt_json_str(o, "state", nrt_link_state_name(k->state), ok);
	nrt_topo_jpeer(o, "peer", k, ok);
	nrt_json_i64(o, "speed_gbps", k->speed_gbps, ok);
	nrt_json_i64(o, "width", k->width, ok);
	nrt_json_u64(o, "err_crc", k->err_crc, ok);
	nrt_json_u64(o, "err_replay", k->err_replay, ok);
	nrt_json_u64(o, "tx_bytes", k->tx_bytes, ok);
	nrt_json_u64(o, "rx_bytes", k->rx_bytes, ok);
}

/* Return @o if @ok, else free it and return NULL. */
static struct json_object *nrt_topo_jdone(struct json_object *o, bool ok)
{
	if (ok)
		return o;
	json_object_put(o);
	return NULL;
}

struct json_object *nrt_topo_json_device_links(const nrt_link *links, size_t n,
					       unsigned int device)
{
	struct json_object *arr = json_object_new_array();
	bool ok = arr != NULL;
	size_t i;

	for (i = 0; ok && i < n; i++) {
		struct json_object *o;

		if (links[i].device != device)
			continue;
		o = nrt_json_child(arr, NULL, false, &ok);
		if (o)
			nrt_topo_jport(o, &links[i], &ok);
	}
	return nrt_topo_jdone(arr, ok);
}

/* One link: {"a": its end with "device", "b": the peer or null, "state"}. */
static void nrt_topo_json_link(struct json_object *arr, const nrt_link *k,
			       bool *ok)
{
	struct json_object *o = nrt_json_child(arr, NULL, false, ok), *a;

	if (!o)
		return;
	a = nrt_topo_jend(k->chip_id, k->port);
	if (a)
		nrt_json_i64(a, "device", k->device, ok);
	nrt_json_add(o, "a", a, ok);
	nrt_topo_jpeer(o, "b", k, ok);
	nrt_json_str(o, "state", nrt_link_state_name(k->state), ok);
}

static void nrt_topo_json_mismatch(struct json_object *arr,
				   const struct nrt_topo_mismatch *m, bool *ok)
{
	struct json_object *o = nrt_json_child(arr, NULL, false, ok);

	if (!o)
		return;
	nrt_json_str(o, "kind", nrt_topo_mismatch_kind_name(m->kind), ok);
	nrt_json_i64(o, "chip", m->chip, ok);
	if (m->has_port)
		nrt_json_i64(o, "port", m->port, ok);
	else
		nrt_json_null(o, "port", ok);
	nrt_json_add_opt(o, "expected", m->has_expected && *ok ?
			 nrt_topo_jend_host(m->has_hosts ? (long long)m->expected_host : -1,
					    m->expected_chip, m->expected_port) : NULL,
			 m->has_expected, ok);
	nrt_json_add_opt(o, "found", m->has_found && *ok ?
			 nrt_topo_jend_host(m->has_hosts ? (long long)m->found_host : -1,
					    m->found_chip, m->found_port) : NULL,
			 m->has_found, ok);
	nrt_json_str(o, "message", m->message, ok);
}

struct json_object *nrt_topo_json(const nrt_link *links, size_t n,
				  const char *source,
				  const struct nrt_topo_shape *shape,
				  const char *expect,
				  const struct nrt_topo_mismatch *mm,
				  size_t n_mm)
{
	struct json_object *o = json_object_new_object(), *arr;
	char name[NRT_TOPO_NAME_LEN];
	bool ok = o != NULL;
	size_t i;

	nrt_json_str(o, "source", source, &ok);
	/* The host of the devices (nrt-ls --expect FILE makes sure they agree). */
	nrt_json_i64(o, "host", n ? links[0].host : 0, &ok);
	if (shape)
		nrt_json_str(o, "detected", nrt_topo_shape_name(shape, name, sizeof(name)),
			     &ok);
	else
		nrt_json_null(o, "detected", &ok);
	arr = nrt_json_child(o, "links", true, &ok);
	for (i = 0; ok && i < n; i++) {
		if (links[i].state == NRT_LINK_UP &&
		    nrt_topo_seen_from_peer(links, n, &links[i]))
			continue;
		nrt_topo_json_link(arr, &links[i], &ok);
	}
	if (expect) {
		nrt_json_str(o, "expect", expect, &ok);
		nrt_json_bool(o, "match", n_mm == 0, &ok);
		arr = nrt_json_child(o, "mismatches", true, &ok);
		for (i = 0; ok && i < n_mm; i++)
			nrt_topo_json_mismatch(arr, &mm[i], &ok);
	}
	return nrt_topo_jdone(o, ok);
}

/* --- events ---------------------------------------------------------------- */

struct json_object *nrt_topo_json_event(const nrt_link_event *ev,
					const char *timestamp)
{
	struct json_object *o = json_object_new_object(), *arr;
	bool ok = o != NULL;

	nrt_json_str(o, "time", timestamp, &ok);
	nrt_json_i64(o, "device", ev->link.device, &ok);
	nrt_json_i64(o, "chip", ev->link.chip_id, &ok);
	arr = nrt_json_child(o, "events", true, &ok);
	if (ev->events & NRT_LINK_EVENT_STATE)
		nrt_json_str(arr, NULL, "state", &ok);
	if (ev->events & NRT_LINK_EVENT_ERRORS)
		nrt_json_str(arr, NULL, "errors", &ok);
	nrt_topo_jport(o, &ev->link, &ok);
	return nrt_topo_jdone(o, ok);
}

char *nrt_topo_format_event(const nrt_link_event *ev, const char *timestamp,
			    char *buf, size_t size)
{
	const nrt_link *k = &ev->link;
	char peer[48] = "";
	const char *what;

	if ((ev->events & NRT_LINK_EVENT_STATE) && (ev->events & NRT_LINK_EVENT_ERRORS))
		what = "state+errors";
	else if (ev->events & NRT_LINK_EVENT_ERRORS)
		what = "errors";
	else
		what = "state";
	if (k->state == NRT_LINK_UP && k->has_peer) {
		char p[40];

		nrt_topo_peer_name(k, p, sizeof(p));
		snprintf(peer, sizeof(peer), " <-> %s", p);
	}
	snprintf(buf, size, "%s accel%u:port%u %s: %s%s err_crc=%llu err_replay=%llu",
		 timestamp, k->device, k->port, what, nrt_link_state_name(k->state),
		 peer, (unsigned long long)k->err_crc,
		 (unsigned long long)k->err_replay);
	return buf;
}
