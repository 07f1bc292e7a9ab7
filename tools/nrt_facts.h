/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * What sysfs says about a device (nrt_facts.c), read without opening it
 * and without root: identity, PCIe link and errors, CPU affinity, health
 * and state. Shared by nrt-ls, nrt-diag, nrt-reset and nrt-ctk.
 *
 * Three sources, all in the PCI device's directory:
 *   - the PCI core's standard attributes (current_link_speed,
 *     max_link_width, aer_dev_fatal, local_cpulist, ...);
 *   - trn.ko's attributes (Documentation/sysfs.rst), some of which a
 *     driver may not have yet (serial_number, uuid, firmware_version,
 *     compute_mode and core<c>/compute_mode, reset_count, wedged,
 *     throttle_reasons): an attribute
 *     that is absent reads as unknown, never as an error;
 *   - the trn hwmon device (temp1_*, power1_*).
 * Every field has an "unknown" value: "" for strings, -1 for signed
 * numbers, NRT_FACT_NA for unsigned ones.
 */
#ifndef NRT_FACTS_H
#define NRT_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An unsigned fact that could not be read. */
#define NRT_FACT_NA UINT64_MAX

/*
 * The reasons a device is throttled (hardware interface 1.8), as bits: the
 * driver's throttle_reasons names them ("power_cap,thermal", "none");
 * NRT_THROTTLE_UNKNOWN stands for any name this program does not know
 * ("unknown" from the driver, or a newer driver's).
 */
#define NRT_THROTTLE_POWER_CAP  (1u << 0)
#define NRT_THROTTLE_THERMAL    (1u << 1)
#define NRT_THROTTLE_UNKNOWN    (1u << 2)
#define NRT_THROTTLE_NREASONS   3
/* The name of reason bit @i: "power_cap", "thermal", "unknown" */
extern const char *const nrt_throttle_names[NRT_THROTTLE_NREASONS];

/* The PCI IDs of a trn device (include/hw/trn_regs.h). */
#define NRT_FACTS_VENDOR 0x1af4
#define NRT_FACTS_DEVICE 0x10f0

struct nrt_facts {
	/* identity (trn.ko, when the driver has them) */
	char serial_number[64];
	char uuid[64];
	char firmware_version[64];
	/* PCIe link (PCI core): speeds in 0.1 GT/s, widths in lanes, 0 unknown */
	unsigned int link_speed_dgts;
	unsigned int link_max_speed_dgts;
	unsigned int link_width;
	unsigned int link_max_width;
	/* AER error counts (PCI core, kernels with AER): TOTAL_ERR_* lines */
	uint64_t aer_correctable;
	uint64_t aer_nonfatal;
	uint64_t aer_fatal;
	/* placement */
	int numa_node;
	char local_cpulist[256];
	/* state (trn.ko) */
	char compute_mode[32];          /* "shared", "exclusive_process" */
	bool core_modes_known;          /* core<c>/compute_mode exist */
	uint64_t exclusive_cores;       /* bit c: core c is exclusive_process */
	char throttle_reasons[128];     /* "none" or e.g. "power_cap,thermal" */
	uint64_t throttled_ns;          /* stats/throttled_ns (1.8) */
	int wedged;                     /* 0, 1, or -1 */
	uint64_t reset_count;
	uint64_t ecc_corrected;
	uint64_t ecc_uncorrected;
	uint64_t ecc_corrected_aggregate;   /* kept by the device (1.6) */
	uint64_t ecc_uncorrected_aggregate;
	uint64_t retired_pages;             /* lines of retired_pages */
	uint64_t retired_pending;           /* lines of retired_pages_pending */
	uint64_t unlogged_pages;            /* past the device's full error log */
	bool bound;                     /* trn.ko's chip_id attribute exists */
	char driver_version[32];
	/* sensors (hwmon): millidegrees C and microwatts, -1 unknown */
	int64_t temp;
	int64_t temp_max;
	int64_t temp_crit;
	int64_t power;
	int64_t power_rated_max;
	int64_t power_cap;
	int64_t power_cap_min;
	int64_t power_cap_max;
};

/* nrt_facts_init() - every fact unknown */
void nrt_facts_init(struct nrt_facts *f);

/*
 * nrt_facts_read() - the facts of the PCI device in directory @dir
 * (e.g. "/sys/bus/pci/devices/0000:01:00.0", or an nrt_device_entry's
 * sysfs_dir); what cannot be read is left unknown
 */
void nrt_facts_read(const char *dir, struct nrt_facts *f);

/* Whether the link runs below its maximum speed or width (both known). */
bool nrt_facts_link_degraded(const struct nrt_facts *f);

/*
 * nrt_facts_parse_speed() - a link speed as the PCI core prints it ("8.0
 * GT/s PCIe", "2.5 GT/s"), in 0.1 GT/s; 0 for "Unknown" or anything else
 */
unsigned int nrt_facts_parse_speed(const char *s);

/*
 * nrt_facts_parse_aer() - the TOTAL_ERR_* count of an aer_dev_* file
 * (lines "NAME COUNT"); NRT_FACT_NA if there is none
 */
uint64_t nrt_facts_parse_aer(const char *text);

/*
 * nrt_facts_parse_throttle() - the reasons of a throttle_reasons line
 * ("none", or names separated by commas) as NRT_THROTTLE_* bits into @mask
 * Return: false for an empty or malformed line (@mask then 0).
 */
bool nrt_facts_parse_throttle(const char *text, uint32_t *mask);

/*
 * nrt_facts_format_throttle() - @mask as the driver writes it: "none", or
 * the names separated by commas, in bit order
 * Return: @buf.
 */
char *nrt_facts_format_throttle(uint32_t mask, char *buf, size_t size);

/*
 * nrt_facts_read_power() - the trn hwmon power1_input of the PCI device in
 * @dir, microwatts, read now; -1 if it cannot be read
 */
int64_t nrt_facts_read_power(const char *dir);

/*
 * nrt_facts_attr() - read attribute @name of directory @dir (one line,
 * without the newline) into @buf
 * Return: true if it exists and could be read.
 */
bool nrt_facts_attr(const char *dir, const char *name, char *buf, size_t size);

/*
 * nrt_facts_pci_devices() - the PCI addresses of every trn device of the
 * machine (by PCI ID, bound to a driver or not), sorted
 * @sysfs: the sysfs root ("/sys", or NRT_SYSFS_ROOT)
 * @out: receives an array (free()) of 32-byte addresses
 * Return: their number, or -1 if the PCI devices cannot be listed.
 */
long nrt_facts_pci_devices(const char *sysfs, char (**out)[32]);

/*
 * nrt_facts_sysfs_root() - NRT_SYSFS_ROOT (read with secure_getenv()) or
 * "/sys", as libnrt uses it
 */
const char *nrt_facts_sysfs_root(void);

#endif /* NRT_FACTS_H */
