/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-top's view of the system at one instant: every trn device's sysfs
 * counters (Documentation/sysfs.rst), its hwmon sensors and the processes
 * using it (nrt_proc.h), and the rates between two such snapshots.
 *
 * The devices and their indices are libnrt's (nrt_device_list_get()), so
 * nrt-top numbers them as the library and nrt-ls do; their counters come
 * from the sysfs directory the list gives (NRT_SYSFS_ROOT redirects
 * /sys). Nothing here opens a device, so an ordinary user sees everything
 * but other users' processes.
 *
 * A value the driver does not provide (an older driver, a missing hwmon
 * device) is NRT_TOP_NA; rates and ratios that cannot be computed are
 * negative.
 */
#ifndef NRT_TOP_SNAP_H
#define NRT_TOP_SNAP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nrt_proc.h"

#define NRT_TOP_NA NRT_PROC_NA
/* Most cores and ports read per device (the hardware has at most 16 ports). */
#define NRT_TOP_MAX_CORES 64
#define NRT_TOP_MAX_LINKS 16

/* The per-core counters of core<c>/, in this order. */
enum nrt_top_core_ctr {
	NRT_TOP_CORE_BUSY_NS,
	NRT_TOP_CORE_TENSOR_BUSY_NS,
	NRT_TOP_CORE_VECTOR_BUSY_NS,
	NRT_TOP_CORE_SCALAR_BUSY_NS,
	NRT_TOP_CORE_DMA_BUSY_NS,
	NRT_TOP_CORE_PROGRAMS,
	NRT_TOP_CORE_INSTRUCTIONS,
	NRT_TOP_CORE_FLOPS,
	NRT_TOP_CORE_ERRORS,
	NRT_TOP_CORE_JOBS_COMPLETED,
	NRT_TOP_CORE_JOBS_FAILED,
	NRT_TOP_CORE_JOBS_TIMED_OUT,
	NRT_TOP_CORE_NCTRS
};

/* The file names of the per-core counters, indexed by nrt_top_core_ctr. */
extern const char *const nrt_top_core_ctr_names[NRT_TOP_CORE_NCTRS];

/* The device counters of stats/, in this order. */
enum nrt_top_dev_ctr {
	NRT_TOP_DEV_JOBS_COMPLETED,
	NRT_TOP_DEV_JOBS_FAILED,
	NRT_TOP_DEV_JOBS_TIMED_OUT,
	NRT_TOP_DEV_DMA_BYTES,
	NRT_TOP_DEV_DMA_BUSY_NS,
	NRT_TOP_DEV_HBM_PEAK,
	NRT_TOP_DEV_ECC_CORRECTED,
	NRT_TOP_DEV_ECC_UNCORRECTED,
	NRT_TOP_DEV_THROTTLED_NS,       /* hardware interface 1.8 */
	NRT_TOP_DEV_NCTRS
};

extern const char *const nrt_top_dev_ctr_names[NRT_TOP_DEV_NCTRS];

struct nrt_top_core {
	uint64_t ctr[NRT_TOP_CORE_NCTRS];
	double util;             /* delta busy_ns / delta wall time, 0..1; <0 unknown */
};

struct nrt_top_link {
	unsigned int port;
	char state[16];          /* "up", "down", "training"; "" unknown */
	int64_t peer_chip;       /* -1 if none */
	int64_t peer_port;       /* -1 if none */
	int64_t peer_host;       /* -1 if none; the device's host without
				  * link<p>/peer_host (an older driver) */
	char peer_device[16];    /* "accelN" or "" */
	uint64_t speed_gbps;
	uint64_t width;
	uint64_t err_crc;
	uint64_t err_replay;
	uint64_t tx_bytes;
	uint64_t rx_bytes;
	double tx_bps;           /* bytes per second; <0 unknown */
	double rx_bps;
};

struct nrt_top_dev {
	unsigned int index;
	unsigned int minor;
	char accel[16];          /* "accelN" */
	char pci_bdf[32];
	uint64_t chip_id;
	uint64_t host_id;        /* NRT_TOP_NA before hardware interface 1.9 */
	unsigned int num_cores;  /* cores[] entries (neuron_cores, capped) */
	uint64_t dma_engines;    /* NRT_TOP_NA from drivers before 0.4 */
	uint64_t hbm_size;
	uint64_t hbm_used;
	uint64_t host_used;
	uint64_t buffer_objects;
	uint64_t ctr[NRT_TOP_DEV_NCTRS];
	/* hwmon, as the sysfs files give them */
	bool have_temp;
	int64_t temp_mc;         /* millidegrees Celsius */
	uint64_t temp_max_mc;    /* NA if absent (limits are never negative here) */
	uint64_t temp_crit_mc;
	uint64_t power_uw;       /* microwatts */
	uint64_t power_max_uw;
	uint64_t power_cap_uw;   /* power1_cap (1.8) */
	/* throttle_reasons (1.8): NRT_THROTTLE_* of nrt_facts.h */
	bool have_throttle;
	uint32_t throttle;
	struct nrt_top_core cores[NRT_TOP_MAX_CORES];
	unsigned int num_links;
	struct nrt_top_link links[NRT_TOP_MAX_LINKS];
	/* rates from the previous snapshot */
	double dma_bps;          /* bytes per second; <0 unknown */
	double dma_util;         /* delta dma_busy_ns / delta wall time; <0 unknown */
	double throttle_util;    /* delta throttled_ns / delta wall time; <0 unknown */
	double link_tx_bps;      /* sum over the ports; <0 unknown */
	double link_rx_bps;
};

/* A client of nrt_proc_scan() with its device and its rates. */
struct nrt_top_proc {
	struct nrt_proc_client c;
	int dev;                 /* index into nrt_top_snap.devs, -1 if none */
	double core_util;        /* delta drm-engine-core / (dt * capacity); <0 unknown */
	double dma_util;
};

struct nrt_top_snap {
	uint64_t mono_ns;        /* CLOCK_MONOTONIC of the collection */
	int64_t real_ms;         /* CLOCK_REALTIME, milliseconds since the epoch */
	bool have_rates;         /* nrt_top_delta() had a previous snapshot */
	double interval_s;       /* wall time since that snapshot */
	struct nrt_top_dev *devs;
	size_t num_devs;
	struct nrt_top_proc *procs;
	size_t num_procs;
	char error[PATH_MAX + 160]; /* why the collection was incomplete, or "" */
};

/*
 * nrt_top_collect() - read everything now
 * @s: receives the snapshot (nrt_top_snap_free()); rates unknown
 *
 * Devices whose sysfs directory cannot be read are left out (the others
 * keep their index); no driver gives no devices, a device list that cannot
 * be read no devices and the reason in @s->error. A failing process scan leaves
 * the process list empty and says why in @s->error.
 *
 * Return: 0, or -1 if out of memory (@s is then empty).
 */
int nrt_top_collect(struct nrt_top_snap *s);

/*
 * nrt_top_delta() - fill in the rates of @cur from @prev
 * @cur: the newer snapshot
 * @prev: the older one, or NULL (rates stay unknown)
 *
 * Devices are matched by PCI address, cores by number, ports by number and
 * processes by pid, PCI address and client id. A counter that went
 * backwards (cleared, the device rebound, a wrap) gives a rate of 0, never
 * a negative one; ratios are clamped to 0..1.
 */
void nrt_top_delta(struct nrt_top_snap *cur, const struct nrt_top_snap *prev);

/*
 * nrt_top_rate() - per-second rate of a counter
 * @prev: earlier value (NRT_TOP_NA: unknown)
 * @cur: later value (NRT_TOP_NA: unknown)
 * @dt_ns: nanoseconds between them
 *
 * Return: (@cur - @prev) / @dt_ns in units per second; 0 if @cur < @prev;
 * -1 if either value is unknown or @dt_ns is 0.
 */
double nrt_top_rate(uint64_t prev, uint64_t cur, uint64_t dt_ns);

/*
 * nrt_top_ratio() - share of time busy
 * @prev: earlier busy nanoseconds
 * @cur: later busy nanoseconds
 * @dt_ns: wall-clock nanoseconds between them
 * @capacity: engines the busy time is summed over (0 or NA count as 1)
 *
 * Return: (@cur - @prev) / (@dt_ns * @capacity) clamped to 0..1; 0 if
 * @cur < @prev; -1 if unknown.
 */
double nrt_top_ratio(uint64_t prev, uint64_t cur, uint64_t dt_ns,
		     uint64_t capacity);

/* nrt_top_snap_free() - free what @s holds and empty it */
void nrt_top_snap_free(struct nrt_top_snap *s);

#endif /* NRT_TOP_SNAP_H */
