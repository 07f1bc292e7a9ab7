/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-ls --expect FILE: the wiring one host sees, compared with its part
 * of a rack file (nrt_rack.h), cables that leave the host included. Pure
 * functions of an array of nrt_link, for the unit tests.
 */
#ifndef NRT_LS_RACK_H
#define NRT_LS_RACK_H

#include <stddef.h>
#include <stdint.h>

#include "nrt.h"
#include "nrt_ls_topo.h"
#include "nrt_rack.h"

/*
 * nrt_ls_rack_host() - the host the links are on
 * @host: receives the host_id all local devices share (0 without links)
 * @err: receives the reason on failure
 * Return: 0, or -1 if two devices name different hosts, or the host is
 * not in the rack.
 */
int nrt_ls_rack_host(const struct nrt_rack *r, const nrt_link *links, size_t n,
		     uint32_t *host, char *err, size_t errsz);

/*
 * nrt_ls_rack_compare() - compare the wiring with the cables of @host
 * @out, @count: as nrt_topo_compare(), the mismatches sorted by chip and
 *	port, with has_hosts set; messages such as "chip 3 port 4: expected
 *	host 1 chip 3 port 4, found host 2 chip 3 port 4"
 *
 * Every port of every chip of @host that the rack cables is checked from
 * its own end; up ports the rack does not cable are unexpected.
 *
 * Return: 0, or -1 if out of memory.
 */
int nrt_ls_rack_compare(const struct nrt_rack *r, uint32_t host,
			const nrt_link *links, size_t n,
			struct nrt_topo_mismatch **out, size_t *count);

/* Chips of @host that the rack cables at all. */
unsigned int nrt_ls_rack_chips(const struct nrt_rack *r, uint32_t host);

#endif /* NRT_LS_RACK_H */
