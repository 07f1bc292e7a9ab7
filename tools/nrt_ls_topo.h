/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * NeuronLink topology logic of nrt-ls: expected shapes (torus, ring), the
 * comparison of the discovered wiring with a shape, shape detection and
 * the drawings. Pure functions of an array of nrt_link (lib/nrt.h), no
 * device access, so that the unit tests drive them with made-up wiring.
 *
 * Positions are by chip id: chip i is position i of the shape, row-major
 * for a torus. Torus RxC: chip (r,c) port 0 <-> east neighbour (r,c+1)
 * port 2, port 1 <-> south neighbour (r+1,c) port 3, with wrap-around.
 * Ring N: chip i port 0 <-> chip (i+1)%N port 1.
 */
#ifndef NRT_LS_TOPO_H
#define NRT_LS_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json.h>

#include "nrt.h"

enum nrt_topo_kind {
	NRT_TOPO_TORUS = 1,
	NRT_TOPO_RING = 2,
};

struct nrt_topo_shape {
	enum nrt_topo_kind kind;
	unsigned int rows;      /* torus; 1 for a ring */
	unsigned int cols;      /* torus; the chips of a ring */
};

/* Largest shape accepted: chips. */
#define NRT_TOPO_MAX_CHIPS 4096u

/* Buffer size that holds any shape name, e.g. "torus:64x64". */
#define NRT_TOPO_NAME_LEN 32

/*
 * nrt_topo_parse_shape() - parse "torus:RxC" or "ring:N"
 * Return: 0, or -1 for anything else (R, C >= 1, N >= 2, at most
 * NRT_TOPO_MAX_CHIPS chips).
 */
int nrt_topo_parse_shape(const char *s, struct nrt_topo_shape *shape);

/* nrt_topo_shape_name() - "torus:4x4" or "ring:8" into @buf; returns @buf. */
char *nrt_topo_shape_name(const struct nrt_topo_shape *shape, char *buf,
			  size_t size);

/* Number of chips of a shape. */
unsigned int nrt_topo_shape_chips(const struct nrt_topo_shape *shape);

/*
 * nrt_topo_expected_peer() - where a port of a chip should be wired
 * Return: true and the peer in *@peer_chip, *@peer_port if @shape uses
 * port @port of chip @chip; false if it does not.
 */
bool nrt_topo_expected_peer(const struct nrt_topo_shape *shape, uint32_t chip,
			    unsigned int port, uint32_t *peer_chip,
			    unsigned int *peer_port);

enum nrt_topo_mismatch_kind {
	NRT_TOPO_MISSING_CHIP,  /* no link port has this chip id */
	NRT_TOPO_MISSING_PORT,  /* the chip has no such port */
	NRT_TOPO_DOWN,          /* the port is down or training */
	NRT_TOPO_MISWIRED,      /* up, to another port than expected */
	NRT_TOPO_UNEXPECTED,    /* up, on a port or chip the shape does not use */
};

struct nrt_topo_mismatch {
	enum nrt_topo_mismatch_kind kind;
	uint32_t chip;
	bool has_port;              /* all but MISSING_CHIP */
	unsigned int port;
	bool has_expected;          /* MISSING_PORT, DOWN, MISWIRED */
	uint32_t expected_chip;
	unsigned int expected_port;
	bool has_found;             /* MISWIRED (when the peer is known), UNEXPECTED */
	uint32_t found_chip;
	unsigned int found_port;
	nrt_link_state state;       /* of the port, when it exists */
	bool has_hosts;             /* a rack file's: the hosts below are set */
	uint32_t expected_host;
	uint32_t found_host;
	char message[160];          /* e.g. "chip 0 port 0: expected chip 1
				     * port 2, found chip 5 port 1" */
};

/*
 * nrt_topo_mismatch_unexpected() - @m, zeroed, as the up port @k that the
 * expectation does not cable: "chip 0 port 4: unexpected link to chip 3
 * port 4", or with @hosts "... to host 2 chip 3 port 4".
 */
void nrt_topo_mismatch_unexpected(struct nrt_topo_mismatch *m, const nrt_link *k,
				  bool hosts);

/* The order of mismatches, for qsort(): by chip, then port (none first). */
int nrt_topo_mismatch_cmp(const void *a, const void *b);

/* Name of a mismatch kind for JSON: "missing_chip", "missing_port",
 * "down", "miswired", "unexpected". */
const char *nrt_topo_mismatch_kind_name(enum nrt_topo_mismatch_kind kind);

/*
 * nrt_topo_compare() - compare the wiring with a shape
 * @shape: the expected shape
 * @links: all link ports
 * @n: their number
 * @out: receives the mismatches (free()), sorted by chip and port; NULL
 *	when there are none
 * @count: receives their number
 *
 * Every port the shape uses is checked from its own end, so a miswired
 * cable is reported at both of its ends.
 *
 * Return: 0, or -1 if out of memory.
 */
int nrt_topo_compare(const struct nrt_topo_shape *shape, const nrt_link *links,
		     size_t n, struct nrt_topo_mismatch **out, size_t *count);

/*
 * nrt_topo_detect() - recognise a torus or ring in the wiring
 *
 * The chips must be 0..N-1. A shape fits when no up link contradicts it
 * and at least half of its port ends are up and correct; among the tori
 * RxC (R, C >= 2) and the ring N that fit, the one with most correct ends
 * wins (the first torus, by ascending R, on a tie; then the ring).
 *
 * Return: true and the shape in *@shape, or false if none fits.
 */
bool nrt_topo_detect(const nrt_link *links, size_t n,
		     struct nrt_topo_shape *shape);

/*
 * nrt_topo_draw() - draw the wiring as nrt-ls --topology does
 * @out: stream
 * @links: all link ports
 * @n: their number
 * @shape: the shape to draw (from --expect), or NULL to detect one
 *
 * A torus as a grid of device indices, a ring as a line, or else a list of
 * the links; see tools/nrt-ls.1.
 *
 * Return: 0, or -1 if writing failed or out of memory.
 */
int nrt_topo_draw(FILE *out, const nrt_link *links, size_t n,
		  const struct nrt_topo_shape *shape);

/*
 * nrt_topo_print_list() - one line per link: "accel0:port0 <-> accel1:port2
 * up", a port that is not up as "accel0:port1 down"; each up link once.
 * Return: 0, or -1 if writing failed.
 */
int nrt_topo_print_list(FILE *out, const nrt_link *links, size_t n);

/*
 * nrt_topo_connected() - the devices the up links of a device reach
 * @device: device index
 * @buf: receives e.g. "1,3,4,12" (device indices, ascending, each once;
 *	a peer that is not a device here as "c<chip>", one on another host
 *	of the rack as "h<host>c<chip>", after them), or "-"
 * Return: @buf.
 */
char *nrt_topo_connected(const nrt_link *links, size_t n, unsigned int device,
			 char *buf, size_t size);

/*
 * nrt_topo_json_device_links() - the "links" array of one device in the
 * nrt-ls JSON document. Return: a new array, or NULL if out of memory.
 */
struct json_object *nrt_topo_json_device_links(const nrt_link *links, size_t n,
					       unsigned int device);

/*
 * nrt_topo_json() - the "topology" member of the nrt-ls JSON document
 * @source: "netlink" or "sysfs"
 * @shape: the detected shape or NULL
 * @expect: the --expect argument (a shape name or a rack file) or NULL;
 *	then @mm and @n_mm are its result
 * Return: a new object, or NULL if out of memory.
 */
struct json_object *nrt_topo_json(const nrt_link *links, size_t n,
				  const char *source,
				  const struct nrt_topo_shape *shape,
				  const char *expect,
				  const struct nrt_topo_mismatch *mm,
				  size_t n_mm);

/*
 * nrt_topo_json_event() - one --watch-links event as a JSON object:
 * {"time": @timestamp, "device", "chip", "port", "state", "events": [...],
 * "peer": ..., counters}. Return: a new object, or NULL.
 */
struct json_object *nrt_topo_json_event(const nrt_link_event *ev,
					const char *timestamp);

/*
 * nrt_topo_format_event() - one --watch-links event as a line (without the
 * newline), e.g. "2026-01-02T03:04:05.678Z accel0:port1 state up peer
 * chip 4 port 3 (accel4)". Return: @buf.
 */
char *nrt_topo_format_event(const nrt_link_event *ev, const char *timestamp,
			    char *buf, size_t size);

#endif /* NRT_LS_TOPO_H */
