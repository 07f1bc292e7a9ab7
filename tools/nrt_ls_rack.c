// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-ls --expect FILE: one host's wiring against a rack file
 * (nrt_ls_rack.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nrt_ls_rack.h"

int nrt_ls_rack_host(const struct nrt_rack *r, const nrt_link *links, size_t n,
		     uint32_t *host, char *err, size_t errsz)
{
	size_t i;

	*host = n ? links[0].host : 0;
	for (i = 1; i < n; i++) {
		if (links[i].host != *host) {
			snprintf(err, errsz,
				 "the devices disagree on their host: device %u is on host %u, device %u on host %u",
				 links[0].device, (unsigned int)*host, links[i].device,
				 (unsigned int)links[i].host);
			return -1;
		}
	}
	if (*host >= r->hosts) {
		snprintf(err, errsz, "this is host %u, and the rack has %u hosts",
			 (unsigned int)*host, r->hosts);
		return -1;
	}
	return 0;
}

unsigned int nrt_ls_rack_chips(const struct nrt_rack *r, uint32_t host)
{
	struct nrt_rack_end e = { host, 0, 0 }, far;
	unsigned int chips = 0;

	for (e.chip = 0; e.chip < r->chips; e.chip++) {
		for (e.port = 0; e.port < r->ports; e.port++) {
			if (nrt_rack_far(r, &e, &far)) {
				chips++;
				break;
			}
		}
	}
	return chips;
}

static const nrt_link *nrt_ls_rack_port(const nrt_link *links, size_t n,
					uint32_t chip, uint32_t port, bool *chip_seen)
{
	size_t i;

	*chip_seen = false;
	for (i = 0; i < n; i++) {
		if (links[i].chip_id != chip)
			continue;
		*chip_seen = true;
		if (links[i].port == port)
			return &links[i];
	}
	return NULL;
}

/* Port @port of chip @chip against the far end @want of its cable. */
static bool nrt_ls_rack_check(struct nrt_topo_mismatch *m, const nrt_link *k,
			      uint32_t chip, uint32_t port,
			      const struct nrt_rack_end *want)
{
	char exp[64];

	if (k && k->state == NRT_LINK_UP && k->has_peer && k->peer_host == want->host &&
	    k->peer_chip == want->chip && k->peer_port == want->port)
		return false;
	memset(m, 0, sizeof(*m));
	m->chip = chip;
	m->has_port = true;
	m->port = port;
	m->has_expected = true;
	m->has_hosts = true;
	m->expected_host = want->host;
	m->expected_chip = want->chip;
	m->expected_port = want->port;
	snprintf(exp, sizeof(exp), "host %u chip %u port %u", (unsigned int)want->host,
		 (unsigned int)want->chip, (unsigned int)want->port);
	if (!k) {
		m->kind = NRT_TOPO_MISSING_PORT;
		m->state = NRT_LINK_DOWN;
		snprintf(m->message, sizeof(m->message), "chip %u port %u: missing (expected %s)",
			 (unsigned int)chip, (unsigned int)port, exp);
		return true;
	}
	m->state = k->state;
	if (k->state != NRT_LINK_UP) {
		m->kind = NRT_TOPO_DOWN;
		snprintf(m->message, sizeof(m->message), "chip %u port %u: %s (expected %s)",
			 (unsigned int)chip, (unsigned int)port,
			 nrt_link_state_name(k->state), exp);
		return true;
	}
	m->kind = NRT_TOPO_MISWIRED;
	m->has_found = k->has_peer;
	if (!k->has_peer) {
		snprintf(m->message, sizeof(m->message),
			 "chip %u port %u: expected %s, found an unknown peer",
			 (unsigned int)chip, (unsigned int)port, exp);
		return true;
	}
	m->found_host = k->peer_host;
	m->found_chip = k->peer_chip;
	m->found_port = k->peer_port;
	snprintf(m->message, sizeof(m->message),
		 "chip %u port %u: expected %s, found host %u chip %u port %u",
		 (unsigned int)chip, (unsigned int)port, exp, (unsigned int)k->peer_host,
		 (unsigned int)k->peer_chip, (unsigned int)k->peer_port);
	return true;
}

int nrt_ls_rack_compare(const struct nrt_rack *r, uint32_t host,
			const nrt_link *links, size_t n,
			struct nrt_topo_mismatch **out, size_t *count)
{
	size_t max = (size_t)r->chips * r->ports + n + 1, nm = 0, i;
	struct nrt_topo_mismatch *v = calloc(max, sizeof(*v)), *m;
	struct nrt_rack_end e = { host, 0, 0 }, far;
	bool seen;

	if (!v)
		return -1;
	for (e.chip = 0; e.chip < r->chips; e.chip++) {
		bool missing = false;

		for (e.port = 0; e.port < r->ports; e.port++) {
			const nrt_link *k;

			if (!nrt_rack_far(r, &e, &far))
				continue;
			k = nrt_ls_rack_port(links, n, e.chip, e.port, &seen);
			if (!seen) {
				missing = true;
				break;
			}
			nm += nrt_ls_rack_check(&v[nm], k, e.chip, e.port, &far);
		}
		if (!missing)
			continue;
		m = &v[nm++];
		m->kind = NRT_TOPO_MISSING_CHIP;
		m->chip = e.chip;
		m->has_hosts = true;
		snprintf(m->message, sizeof(m->message),
			 "chip %u: missing (no device with this chip id has link ports)",
			 (unsigned int)e.chip);
	}
	for (i = 0; i < n; i++) {
		const nrt_link *k = &links[i];
		struct nrt_rack_end at = { host, k->chip_id, k->port };

		if (k->state != NRT_LINK_UP || nrt_rack_far(r, &at, &far))
			continue;
		nrt_topo_mismatch_unexpected(&v[nm++], k, true);
	}
	if (nm > 1)
		qsort(v, nm, sizeof(*v), nrt_topo_mismatch_cmp);
	if (!nm) {
		free(v);
		v = NULL;
	}
	*out = v;
	*count = nm;
	return 0;
}
