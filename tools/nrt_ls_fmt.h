/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Output formatting of nrt-ls: a bordered table for people and a JSON
 * document for programs. Pure functions of their input, no device access.
 */
#ifndef NRT_LS_FMT_H
#define NRT_LS_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nrt_facts.h"

/*
 * Version of the JSON document: 2 added the inventory members (serial,
 * UUID, firmware, the PCIe link's maximum, AER counts, CPU affinity, state),
 * 3 the device memory errors (ecc) and the NeuronCores in exclusive_process
 * mode (exclusive_cores); no member of an earlier version is removed or
 * changed.
 */
#define NRT_LS_JSON_SCHEMA_VERSION 5

/* Buffer size that always holds a formatted link. */
#define NRT_LS_LINK_LEN 32

/* What nrt-ls shows about one device. */
struct nrt_ls_row {
	unsigned int index;
	unsigned int minor;
	char pci_bdf[32];
	char device_node[64];
	uint32_t chip_id;
	uint32_t neuron_cores;
	uint64_t hbm_bytes;
	int numa_node;                 /* -1 if unknown */
	unsigned int link_speed_dgts;  /* in 0.1 GT/s, e.g. 25; 0 if unknown */
	unsigned int link_width;       /* lanes; 0 if unknown */
	uint32_t hw_version_major;
	uint32_t hw_version_minor;
	uint32_t driver_version_major;
	uint32_t driver_version_minor;
	uint32_t driver_version_patch;
	char connected[96];            /* CONNECTED DEVICES: "1,3" (device
					* indices the up NeuronLinks reach),
					* "" or "-" for none */
	char processes[256];           /* PROCESSES (--wide): "PID COMMAND"
					* entries joined by ", ", "" for none */
	struct nrt_facts facts;        /* inventory and state from sysfs;
					* link_speed_dgts, link_width and
					* numa_node above are its values */
};

/*
 * nrt_ls_format_link() - format a PCIe link as "32 GT/s x16"
 * @speed_dgts: speed in units of 0.1 GT/s, 0 if unknown
 * @width: number of lanes, 0 if unknown
 * @buf: output buffer
 * @size: size of @buf, at least NRT_LS_LINK_LEN for no truncation
 *
 * Return: @buf, holding "-" if the speed or width is unknown.
 */
char *nrt_ls_format_link(unsigned int speed_dgts, unsigned int width,
			 char *buf, size_t size);

/*
 * nrt_ls_print_table() - print devices as a bordered table
 * @out: stream to print to
 * @rows: devices, in the order to print
 * @n: number of devices
 * @wide: add the inventory columns and PROCESSES of --wide
 *
 * Return: 0, or -1 if writing failed.
 */
int nrt_ls_print_table(FILE *out, const struct nrt_ls_row *rows, size_t n,
		       bool wide);

struct json_object;
struct nrt_proc_client;

/*
 * struct nrt_ls_json_extra - what the JSON document holds besides the
 * devices' own members, each taken over by nrt_ls_print_json() and NULL
 * when absent
 * @dev_links: for each row the array of its "links" member (an entry may
 *	be NULL: no member)
 * @dev_procs: for each row the array of its "processes" member (--wide;
 *	an entry may be NULL)
 * @topology: the top-level "topology" member
 */
struct nrt_ls_json_extra {
	struct json_object **dev_links;
	struct json_object **dev_procs;
	struct json_object *topology;
};

/*
 * nrt_ls_print_json() - print devices as a pretty-printed JSON document
 * @out: stream to print to
 * @rows: devices, in the order to print
 * @n: number of devices
 * @extra: more members, or NULL for none
 *
 * Return: 0, or -1 if out of memory or writing failed.
 */
int nrt_ls_print_json(FILE *out, const struct nrt_ls_row *rows, size_t n,
		      struct nrt_ls_json_extra *extra);

/*
 * nrt_ls_json_process() - a process using a device, an element of a
 * "processes" array
 * Return: a new object, or NULL if out of memory.
 */
struct json_object *nrt_ls_json_process(const struct nrt_proc_client *c);

#endif /* NRT_LS_FMT_H */
