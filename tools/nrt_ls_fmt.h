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

/* Version of the JSON document; bumped on incompatible changes only. */
#define NRT_LS_JSON_SCHEMA_VERSION 1

/* Buffer sizes that always hold a formatted size or link. */
#define NRT_LS_SIZE_LEN 32
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
};

/*
 * nrt_ls_link_speed_dgts() - link speed of a PCIe speed code
 * @code: Current Link Speed field of the Link Status register (1 = 2.5 GT/s)
 *
 * Return: the speed in units of 0.1 GT/s (25, 50, 80, 160, 320, 640), or 0
 * for a code that is not defined.
 */
unsigned int nrt_ls_link_speed_dgts(unsigned int code);

/*
 * nrt_ls_format_size() - format a byte count in binary units
 * @bytes: the count
 * @buf: output buffer
 * @size: size of @buf, at least NRT_LS_SIZE_LEN for no truncation
 *
 * Uses the largest unit (B, KiB, ..., EiB) the count reaches, with at most
 * one decimal, rounded to nearest, and no ".0": "512 MiB", "1.5 GiB".
 *
 * Return: @buf.
 */
char *nrt_ls_format_size(uint64_t bytes, char *buf, size_t size);

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
 *
 * Return: 0, or -1 if writing failed.
 */
int nrt_ls_print_table(FILE *out, const struct nrt_ls_row *rows, size_t n);

/*
 * nrt_ls_print_table_ext() - nrt_ls_print_table() with the PROCESSES
 * column of --wide when @wide is set
 */
int nrt_ls_print_table_ext(FILE *out, const struct nrt_ls_row *rows, size_t n,
			   bool wide);

/*
 * nrt_ls_print_json() - print devices as a pretty-printed JSON document
 * @out: stream to print to
 * @rows: devices, in the order to print
 * @n: number of devices
 *
 * Return: 0, or -1 if out of memory or writing failed.
 */
int nrt_ls_print_json(FILE *out, const struct nrt_ls_row *rows, size_t n);

/*
 * nrt_ls_print_json_ext() - nrt_ls_print_json() with the topology
 * @dev_links: NULL, or for each row the array of its "links" member,
 *	taken over (an entry may be NULL: no member)
 * @topology: NULL, or the top-level "topology" member, taken over
 *
 * Return: 0, or -1 if out of memory or writing failed.
 */
struct json_object;
int nrt_ls_print_json_ext(FILE *out, const struct nrt_ls_row *rows, size_t n,
			  struct json_object **dev_links,
			  struct json_object *topology);

/*
 * nrt_ls_print_json_wide() - nrt_ls_print_json_ext() with the processes
 * @dev_procs: NULL, or for each row the array of its "processes" member
 *	(--wide), taken over (an entry may be NULL: no member)
 *
 * Return: 0, or -1 if out of memory or writing failed.
 */
int nrt_ls_print_json_wide(FILE *out, const struct nrt_ls_row *rows, size_t n,
			   struct json_object **dev_links,
			   struct json_object **dev_procs,
			   struct json_object *topology);

#endif /* NRT_LS_FMT_H */
