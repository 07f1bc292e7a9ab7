/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Rack descriptions (Documentation/rack.rst): the hosts of a rack, the
 * chips of each host, the ports of each chip and every cable, one file for
 * the whole rack. A chip of a rack is (host, chip); a cable end is
 * host.chip.port. The parser, its validation, the generator of the
 * standard shapes and the two output forms, without device access, for
 * nrt-rack and nrt-ls --expect FILE.
 */
#ifndef NRT_RACK_H
#define NRT_RACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Limits of a rack file. */
#define NRT_RACK_MAX_HOSTS 1024u
#define NRT_RACK_MAX_CHIPS 4096u        /* per host */
#define NRT_RACK_MAX_PORTS 256u         /* per chip */
#define NRT_RACK_MAX_ENDS (1u << 22)    /* hosts * chips * ports */
#define NRT_RACK_NAME_LEN 64

/* Room for a message "FILE:LINE: text". */
#define NRT_RACK_ERR_LEN 512

struct nrt_rack_end {
	uint32_t host;
	uint32_t chip;
	uint32_t port;
};

struct nrt_rack_cable {
	struct nrt_rack_end a, b;
	unsigned int line;      /* of the file, 0 if generated */
};

/*
 * struct nrt_rack - a parsed, valid rack
 * @name: of the "rack" line, "" without one
 * @hosts, @chips, @ports: the rack has @hosts hosts of @chips chips of
 *	@ports ports each
 * @host_names: @hosts entries, each NULL or the name of a "host" line
 * @cables: in file order
 * @far: hosts * chips * ports entries: the index in @cables of the cable
 *	at that end, or -1
 */
struct nrt_rack {
	char name[NRT_RACK_NAME_LEN];
	unsigned int hosts, chips, ports;
	char **host_names;
	struct nrt_rack_cable *cables;
	size_t n_cables, cap_cables;
	int32_t *far;
};

/*
 * nrt_rack_parse() - read and validate a rack file
 * @in: the text
 * @fname: its name, for the messages
 * @r: receives the rack (nrt_rack_free() it); zeroed on failure
 * @err: receives "FILE:LINE: message" (or "FILE: message") on failure
 *
 * Return: 0, or -1 with @err set.
 */
int nrt_rack_parse(FILE *in, const char *fname, struct nrt_rack *r,
		   char *err, size_t errsz);

/* nrt_rack_load() - nrt_rack_parse() of the file at @path ("-": stdin). */
int nrt_rack_load(const char *path, struct nrt_rack *r, char *err, size_t errsz);

void nrt_rack_free(struct nrt_rack *r);

/*
 * nrt_rack_gen() - a rack of a standard shape
 * @shape: "ultraserver" (torus-ring:4x4x4), "rack144" (torus-ring:9x4x4)
 *	or "torus-ring:NxRxC": N hosts, each a torus RxC of chips as nrt-ls
 *	--expect torus:RxC has it (ports 0 to 3), and with N > 1 a ring of
 *	the hosts through each chip position (port 4 to port 5 of the same
 *	chip on the next host)
 *
 * Return: 0, or -1 with @err set (an unknown shape, or too large).
 */
int nrt_rack_gen(const char *shape, struct nrt_rack *r, char *err, size_t errsz);

/*
 * nrt_rack_far() - the other end of the cable at @e
 * Return: true and *@far, or false if no cable ends at @e (or @e is
 * outside the rack).
 */
bool nrt_rack_far(const struct nrt_rack *r, const struct nrt_rack_end *e,
		  struct nrt_rack_end *far);

/* The host named @name by a "host" line, or -1. */
int nrt_rack_host_by_name(const struct nrt_rack *r, const char *name);

/* Cables within a host (*@inner) and between two hosts (*@outer). */
void nrt_rack_count(const struct nrt_rack *r, size_t *inner, size_t *outer);

/* nrt_rack_write() - the rack as a rack file. Return: 0, or -1. */
int nrt_rack_write(FILE *out, const struct nrt_rack *r, const char *comment);

/*
 * nrt_rack_list() - the normalised form: "hosts N chips N ports N", then
 * one "cable H.C.P H.C.P" line per cable, the lower end first, sorted.
 * Return: 0, or -1 if writing failed or out of memory.
 */
int nrt_rack_list(FILE *out, const struct nrt_rack *r);

#endif /* NRT_RACK_H */
