// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-top --prometheus: the exposition format and its HTTP endpoint.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "nrt_facts.h"
#include "nrt_tool.h"
#include "nrt_top_prom.h"

enum nrt_top_prom_scope {
	NRT_TOP_PROM_DEV,
	NRT_TOP_PROM_CORE,
	NRT_TOP_PROM_LINK,
	NRT_TOP_PROM_PROC,
	NRT_TOP_PROM_REASON,     /* per device and throttle reason */
};

/* Where a metric's value comes from. */
enum nrt_top_prom_src {
	NRT_TOP_PROM_INFO,       /* 1, with the device's identity as labels */
	NRT_TOP_PROM_U64,        /* uint64_t at @off of the scope's struct */
	NRT_TOP_PROM_DBL,        /* double at @off, unknown if < 0 */
	NRT_TOP_PROM_DEV_CTR,    /* nrt_top_dev.ctr[@off] */
	NRT_TOP_PROM_CORE_CTR,   /* nrt_top_core.ctr[@off] */
	NRT_TOP_PROM_TEMP,       /* the device's temperature, if any */
	NRT_TOP_PROM_LINK_UP,    /* 1 if the port is up, 0 if not */
	NRT_TOP_PROM_NCORES,     /* the device's number of cores */
	NRT_TOP_PROM_THROTTLE,   /* 1 if the device is throttled for reason @off */
};

struct nrt_top_prom_metric {
	const char *name;
	const char *type;
	const char *help;
	enum nrt_top_prom_scope scope;
	enum nrt_top_prom_src src;
	size_t off;
	double scale;            /* multiplier; 1: printed as an integer */
};

#define DEV_U64(f) NRT_TOP_PROM_DEV, NRT_TOP_PROM_U64, offsetof(struct nrt_top_dev, f)
#define DEV_DBL(f) NRT_TOP_PROM_DEV, NRT_TOP_PROM_DBL, offsetof(struct nrt_top_dev, f)
#define DEV_CTR(c) NRT_TOP_PROM_DEV, NRT_TOP_PROM_DEV_CTR, NRT_TOP_DEV_##c
#define CORE_CTR(c) NRT_TOP_PROM_CORE, NRT_TOP_PROM_CORE_CTR, NRT_TOP_CORE_##c
#define LINK_U64(f) NRT_TOP_PROM_LINK, NRT_TOP_PROM_U64, offsetof(struct nrt_top_link, f)
#define PROC_U64(f) NRT_TOP_PROM_PROC, NRT_TOP_PROM_U64, \
	offsetof(struct nrt_top_proc, c.fd.f)
#define PROC_DBL(f) NRT_TOP_PROM_PROC, NRT_TOP_PROM_DBL, offsetof(struct nrt_top_proc, f)

static const struct nrt_top_prom_metric nrt_top_prom_metrics[] = {
	{ "trn_device_info", "gauge", "A trn device; its identity is in the labels.",
	  NRT_TOP_PROM_DEV, NRT_TOP_PROM_INFO, 0, 1 },
	{ "trn_neuron_cores", "gauge", "NeuronCores of the device.",
	  NRT_TOP_PROM_DEV, NRT_TOP_PROM_NCORES, 0, 1 },
	{ "trn_hbm_total_bytes", "gauge", "Device memory (HBM) size.", DEV_U64(hbm_size), 1 },
	{ "trn_hbm_used_bytes", "gauge", "Device memory allocated now.", DEV_U64(hbm_used), 1 },
	{ "trn_hbm_peak_bytes", "gauge",
	  "Most device memory allocated at once since the driver bound or the counters were cleared.",
	  DEV_CTR(HBM_PEAK), 1 },
	{ "trn_host_used_bytes", "gauge", "System memory pinned now for device buffers.",
	  DEV_U64(host_used), 1 },
	{ "trn_buffer_objects", "gauge", "Buffer objects that exist now.",
	  DEV_U64(buffer_objects), 1 },
	{ "trn_jobs_completed_total", "counter", "Jobs completed, all queues.",
	  DEV_CTR(JOBS_COMPLETED), 1 },
	{ "trn_jobs_failed_total", "counter", "Jobs that failed, all queues.",
	  DEV_CTR(JOBS_FAILED), 1 },
	{ "trn_jobs_timed_out_total", "counter", "Jobs stopped by the driver's timeout, all queues.",
	  DEV_CTR(JOBS_TIMED_OUT), 1 },
	{ "trn_dma_bytes_total", "counter", "Bytes moved by the DMA engines.",
	  DEV_CTR(DMA_BYTES), 1 },
	{ "trn_dma_busy_seconds_total", "counter", "Time the DMA engines were busy.",
	  DEV_CTR(DMA_BUSY_NS), 1e-9 },
	{ "trn_dma_utilization_ratio", "gauge",
	  "Share of the last interval the DMA engines were busy (0 to 1).", DEV_DBL(dma_util), 0 },
	{ "trn_ecc_corrected_errors_total", "counter", "Corrected ECC errors of device memory.",
	  DEV_CTR(ECC_CORRECTED), 1 },
	{ "trn_ecc_uncorrected_errors_total", "counter",
	  "Uncorrected ECC errors of device memory.", DEV_CTR(ECC_UNCORRECTED), 1 },
	{ "trn_temperature_celsius", "gauge", "Chip temperature.",
	  NRT_TOP_PROM_DEV, NRT_TOP_PROM_TEMP, 0, 1e-3 },
	{ "trn_temperature_max_celsius", "gauge", "Chip temperature limit (hwmon temp1_max).",
	  DEV_U64(temp_max_mc), 1e-3 },
	{ "trn_temperature_crit_celsius", "gauge",
	  "Critical chip temperature (hwmon temp1_crit).", DEV_U64(temp_crit_mc), 1e-3 },
	{ "trn_power_watts", "gauge", "Power drawn by the device.", DEV_U64(power_uw), 1e-6 },
	{ "trn_power_max_watts", "gauge", "Power limit of the device.", DEV_U64(power_max_uw), 1e-6 },
	{ "trn_power_cap_watts", "gauge", "Power cap of the device (hwmon power1_cap).",
	  DEV_U64(power_cap_uw), 1e-6 },
	{ "trn_throttle_active", "gauge",
	  "1 if the NeuronCores are slowed for the reason (power_cap, thermal, unknown), else 0.",
	  NRT_TOP_PROM_REASON, NRT_TOP_PROM_THROTTLE, 0, 1 },
	{ "trn_throttle_seconds_total", "counter", "Time the NeuronCores ran slowed.",
	  DEV_CTR(THROTTLED_NS), 1e-9 },
	{ "trn_throttle_ratio", "gauge",
	  "Share of the last interval the NeuronCores ran slowed (0 to 1).",
	  DEV_DBL(throttle_util), 0 },
	{ "trn_core_busy_seconds_total", "counter", "Time the NeuronCore ran programs.",
	  CORE_CTR(BUSY_NS), 1e-9 },
	{ "trn_core_tensor_busy_seconds_total", "counter", "Time the tensor engine was busy.",
	  CORE_CTR(TENSOR_BUSY_NS), 1e-9 },
	{ "trn_core_vector_busy_seconds_total", "counter", "Time the vector engine was busy.",
	  CORE_CTR(VECTOR_BUSY_NS), 1e-9 },
	{ "trn_core_scalar_busy_seconds_total", "counter", "Time the scalar engine was busy.",
	  CORE_CTR(SCALAR_BUSY_NS), 1e-9 },
	{ "trn_core_dma_busy_seconds_total", "counter", "Time the core's DMA was busy.",
	  CORE_CTR(DMA_BUSY_NS), 1e-9 },
	{ "trn_core_utilization_ratio", "gauge",
	  "Share of the last interval the NeuronCore ran programs (0 to 1).",
	  NRT_TOP_PROM_CORE, NRT_TOP_PROM_DBL, offsetof(struct nrt_top_core, util), 0 },
	{ "trn_core_programs_total", "counter", "Programs the NeuronCore ran.",
	  CORE_CTR(PROGRAMS), 1 },
	{ "trn_core_instructions_total", "counter", "Instructions the NeuronCore executed.",
	  CORE_CTR(INSTRUCTIONS), 1 },
	{ "trn_core_flops_total", "counter", "Floating-point operations of the NeuronCore.",
	  CORE_CTR(FLOPS), 1 },
	{ "trn_core_errors_total", "counter", "Programs that ended in a hardware error.",
	  CORE_CTR(ERRORS), 1 },
	{ "trn_core_jobs_completed_total", "counter", "Jobs completed on the core's queue.",
	  CORE_CTR(JOBS_COMPLETED), 1 },
	{ "trn_core_jobs_failed_total", "counter", "Jobs that failed on the core's queue.",
	  CORE_CTR(JOBS_FAILED), 1 },
	{ "trn_core_jobs_timed_out_total", "counter", "Jobs that timed out on the core's queue.",
	  CORE_CTR(JOBS_TIMED_OUT), 1 },
	{ "trn_link_up", "gauge", "1 if the NeuronLink port is up, else 0.",
	  NRT_TOP_PROM_LINK, NRT_TOP_PROM_LINK_UP, 0, 1 },
	{ "trn_link_tx_bytes_total", "counter", "Payload bytes sent on the port.",
	  LINK_U64(tx_bytes), 1 },
	{ "trn_link_rx_bytes_total", "counter", "Payload bytes received on the port.",
	  LINK_U64(rx_bytes), 1 },
	{ "trn_link_crc_errors_total", "counter", "Frames received with a CRC error.",
	  LINK_U64(err_crc), 1 },
	{ "trn_link_replays_total", "counter", "Frames sent again.", LINK_U64(err_replay), 1 },
	{ "trn_process_hbm_bytes", "gauge", "Device memory of a process's client.",
	  PROC_U64(hbm_resident), 1 },
	{ "trn_process_host_bytes", "gauge", "Pinned system memory of a process's client.",
	  PROC_U64(host_resident), 1 },
	{ "trn_process_core_busy_seconds_total", "counter",
	  "NeuronCore queue time of a process's client, summed over the cores.",
	  PROC_U64(core_ns), 1e-9 },
	{ "trn_process_dma_busy_seconds_total", "counter",
	  "DMA queue time of a process's client, summed over the queues.",
	  PROC_U64(dma_ns), 1e-9 },
	{ "trn_process_core_utilization_ratio", "gauge",
	  "Share of the device's NeuronCore time a process's client used in the last interval.",
	  PROC_DBL(core_util), 0 },
};

char *nrt_top_prom_escape(const char *in, char *buf, size_t size)
{
	size_t o = 0;

	for (; *in; in++) {
		const char *rep = *in == '\\' ? "\\\\" : *in == '"' ? "\\\"" :
				  *in == '\n' ? "\\n" : NULL;
		size_t len = rep ? 2 : 1;

		if (o + len >= size)
			break;
		if (rep)
			memcpy(buf + o, rep, 2);
		else
			buf[o] = *in;
		o += len;
	}
	/* Do not leave half of a UTF-8 sequence behind. */
	if (*in)
		while (o && ((unsigned char)buf[o - 1] & 0xc0) == 0x80)
			o--;
	if (*in && o && ((unsigned char)buf[o - 1] & 0xc0) == 0xc0)
		o--;
	if (size)
		buf[o] = '\0';
	return buf;
}

/* The value of @m for the object at @obj; false if there is none. */
static bool nrt_top_prom_value(const struct nrt_top_prom_metric *m,
			       const struct nrt_top_dev *d, const void *obj,
			       char *buf, size_t size)
{
	const char *p = (const char *)obj + m->off;
	uint64_t u;
	double v;

	switch (m->src) {
	case NRT_TOP_PROM_INFO:
		snprintf(buf, size, "1");
		return true;
	case NRT_TOP_PROM_LINK_UP:
		if (!((const struct nrt_top_link *)obj)->state[0])
			return false;
		snprintf(buf, size, "%d",
			 !strcmp(((const struct nrt_top_link *)obj)->state, "up"));
		return true;
	case NRT_TOP_PROM_TEMP:
		if (!d->have_temp)
			return false;
		snprintf(buf, size, "%.15g", (double)d->temp_mc * m->scale);
		return true;
	case NRT_TOP_PROM_DBL:
		memcpy(&v, p, sizeof(v));
		if (v < 0)
			return false;
		snprintf(buf, size, "%.6g", v);
		return true;
	case NRT_TOP_PROM_DEV_CTR:
		u = d->ctr[m->off];
		break;
	case NRT_TOP_PROM_CORE_CTR:
		u = ((const struct nrt_top_core *)obj)->ctr[m->off];
		break;
	case NRT_TOP_PROM_NCORES:
		u = d->num_cores;
		break;
	case NRT_TOP_PROM_THROTTLE:
		if (!d->have_throttle)
			return false;
		u = !!(d->throttle & (1u << m->off));
		break;
	case NRT_TOP_PROM_U64:
	default:
		memcpy(&u, p, sizeof(u));
		break;
	}
	if (u == NRT_TOP_NA)
		return false;
	if (m->scale == 1)
		snprintf(buf, size, "%" PRIu64, u);
	else
		snprintf(buf, size, "%.15g", (double)u * m->scale);
	return true;
}

static bool nrt_top_prom_sample(FILE *out, const struct nrt_top_prom_metric *m,
				const struct nrt_top_dev *d, const void *obj,
				const char *labels)
{
	char val[64];

	if (!nrt_top_prom_value(m, d, obj, val, sizeof(val)))
		return true;
	return fprintf(out, "%s{%s} %s\n", m->name, labels, val) >= 0;
}

/* The labels that name device @d: device="0",pci_bdf="..." */
static void nrt_top_prom_dev_labels(const struct nrt_top_dev *d, char *buf,
				    size_t size)
{
	char bdf[80];

	snprintf(buf, size, "device=\"%u\",pci_bdf=\"%s\"", d->index,
		 nrt_top_prom_escape(d->pci_bdf, bdf, sizeof(bdf)));
}

static bool nrt_top_prom_family(FILE *out, const struct nrt_top_prom_metric *m,
				const struct nrt_top_snap *s)
{
	char labels[512], dl[160], esc[2][160];
	bool ok = fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help,
			  m->name, m->type) >= 0;
	size_t i;
	unsigned int j;

	for (i = 0; m->scope != NRT_TOP_PROM_PROC && i < s->num_devs; i++) {
		const struct nrt_top_dev *d = &s->devs[i];

		nrt_top_prom_dev_labels(d, dl, sizeof(dl));
		switch (m->scope) {
		case NRT_TOP_PROM_DEV:
			if (m->src == NRT_TOP_PROM_INFO) {
				if (d->chip_id == NRT_TOP_NA)
					snprintf(labels, sizeof(labels), "%s,accel=\"%s\"",
						 dl, nrt_top_prom_escape(d->accel, esc[0],
									 sizeof(esc[0])));
				else
					snprintf(labels, sizeof(labels),
						 "%s,accel=\"%s\",chip_id=\"%" PRIu64
						 "\",host_id=\"%" PRIu64 "\"", dl,
						 nrt_top_prom_escape(d->accel, esc[0],
								     sizeof(esc[0])),
						 d->chip_id,
						 d->host_id == NRT_TOP_NA ? 0 : d->host_id);
			} else {
				snprintf(labels, sizeof(labels), "%s", dl);
			}
			ok &= nrt_top_prom_sample(out, m, d, d, labels);
			break;
		case NRT_TOP_PROM_CORE:
			for (j = 0; j < d->num_cores; j++) {
				snprintf(labels, sizeof(labels), "%s,core=\"%u\"", dl, j);
				ok &= nrt_top_prom_sample(out, m, d, &d->cores[j], labels);
			}
			break;
		case NRT_TOP_PROM_LINK:
			for (j = 0; j < d->num_links; j++) {
				const struct nrt_top_link *l = &d->links[j];
				char host[24] = "";

				/* The far host of a rack: empty unless up. */
				if (l->peer_host >= 0)
					snprintf(host, sizeof(host), "%lld",
						 (long long)l->peer_host);
				snprintf(labels, sizeof(labels), "%s,port=\"%u\",peer_host=\"%s\"",
					 dl, l->port, host);
				ok &= nrt_top_prom_sample(out, m, d, &d->links[j], labels);
			}
			break;
		case NRT_TOP_PROM_REASON:
			for (j = 0; j < NRT_THROTTLE_NREASONS; j++) {
				const struct nrt_top_prom_metric mj = { .name = m->name,
					.scope = m->scope, .src = m->src, .off = j,
					.scale = m->scale };

				snprintf(labels, sizeof(labels), "%s,reason=\"%s\"", dl,
					 nrt_throttle_names[j]);
				ok &= nrt_top_prom_sample(out, &mj, d, d, labels);
			}
			break;
		case NRT_TOP_PROM_PROC:
			break;
		}
	}
	for (i = 0; m->scope == NRT_TOP_PROM_PROC && i < s->num_procs; i++) {
		const struct nrt_top_proc *p = &s->procs[i];

		if (p->dev < 0)
			continue;
		nrt_top_prom_dev_labels(&s->devs[p->dev], dl, sizeof(dl));
		snprintf(labels, sizeof(labels),
			 "%s,pid=\"%ld\",command=\"%s\",user=\"%s\",client_id=\"%" PRIu64 "\"",
			 dl, (long)p->c.pid,
			 nrt_top_prom_escape(p->c.comm, esc[0], sizeof(esc[0])),
			 nrt_top_prom_escape(p->c.user, esc[1], sizeof(esc[1])),
			 p->c.fd.client_id);
		ok &= nrt_top_prom_sample(out, m, &s->devs[p->dev], p, labels);
	}
	return ok;
}

int nrt_top_prom_write(FILE *out, const struct nrt_top_snap *s)
{
	bool ok = true;
	size_t i;

	for (i = 0; i < sizeof(nrt_top_prom_metrics) / sizeof(nrt_top_prom_metrics[0]); i++)
		ok &= nrt_top_prom_family(out, &nrt_top_prom_metrics[i], s);
	ok &= fprintf(out, "# HELP trn_devices trn devices found.\n"
		      "# TYPE trn_devices gauge\ntrn_devices %zu\n", s->num_devs) >= 0;
	return ok && !ferror(out) ? 0 : -1;
}

/* --- the HTTP endpoint ------------------------------------------------------- */

/*
 * The rates of a scrape are over the time since a baseline snapshot: the
 * newest of @base if it is at least @window_ns old, else the one before
 * it, which is (they are kept @window_ns apart).
 */
struct nrt_top_prom_server {
	struct MHD_Daemon *mhd;
	uint64_t window_ns;
	pthread_mutex_t lock;    /* guards base and nbase */
	struct nrt_top_snap base[2]; /* oldest first */
	unsigned int nbase;
};

/* The metrics now, rates over at least the window; NULL if out of memory. */
static char *nrt_top_prom_scrape(struct nrt_top_prom_server *srv, size_t *len)
{
	struct nrt_top_snap cur;
	const struct nrt_top_snap *ref = NULL;
	char *text = NULL;
	bool keep = false;
	FILE *out;
	int ret;

	pthread_mutex_lock(&srv->lock);
	if (nrt_top_collect(&cur)) {
		pthread_mutex_unlock(&srv->lock);
		return NULL;
	}
	if (srv->nbase) {
		const struct nrt_top_snap *newest = &srv->base[srv->nbase - 1];

		keep = cur.mono_ns - newest->mono_ns >= srv->window_ns;
		ref = keep ? newest : &srv->base[0];
	} else {
		keep = true;
	}
	nrt_top_delta(&cur, ref);
	out = open_memstream(&text, len);
	ret = out ? nrt_top_prom_write(out, &cur) : -1;
	if (!out || fclose(out) || ret) {
		free(text);
		text = NULL;
	}
	if (!keep) {
		nrt_top_snap_free(&cur);
	} else if (srv->nbase < 2) {
		srv->base[srv->nbase++] = cur;
	} else {
		nrt_top_snap_free(&srv->base[0]);
		srv->base[0] = srv->base[1];
		srv->base[1] = cur;
	}
	pthread_mutex_unlock(&srv->lock);
	return text;
}

static enum MHD_Result nrt_top_prom_reply(struct MHD_Connection *conn,
					  unsigned int status, char *body,
					  size_t len, const char *type,
					  enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, body, mode);
	if (!resp) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result nrt_top_prom_handler(void *cls, struct MHD_Connection *conn,
					    const char *url, const char *method,
					    const char *version,
					    const char *upload_data,
					    size_t *upload_data_size, void **con_cls)
{
	static char not_found[] = "Not found: the metrics are at /metrics\n";
	static char not_allowed[] = "Method not allowed\n";
	static char failed[] = "Cannot collect the metrics\n";
	static int first_call;
	struct nrt_top_prom_server *srv = cls;
	size_t len = 0;
	char *text;

	(void)version;
	(void)upload_data;
	/* The first call only announces the request: answer on the second. */
	if (!*con_cls) {
		*con_cls = &first_call;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return nrt_top_prom_reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, not_allowed,
					  strlen(not_allowed), "text/plain",
					  MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics"))
		return nrt_top_prom_reply(conn, MHD_HTTP_NOT_FOUND, not_found,
					  strlen(not_found), "text/plain",
					  MHD_RESPMEM_PERSISTENT);
	text = nrt_top_prom_scrape(srv, &len);
	if (!text)
		return nrt_top_prom_reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, failed,
					  strlen(failed), "text/plain",
					  MHD_RESPMEM_PERSISTENT);
	return nrt_top_prom_reply(conn, MHD_HTTP_OK, text, len,
				  NRT_TOP_PROM_CONTENT_TYPE, MHD_RESPMEM_MUST_FREE);
}

int nrt_top_prom_start(const char *addr, unsigned int port, uint64_t window_ns,
		       struct nrt_top_prom_server **out)
{
	struct nrt_top_prom_server *srv;
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		flags |= MHD_USE_IPv6;
	} else {
		nrt_tool_error("'%s' is not a numeric IPv4 or IPv6 address",
			       addr);
		return -1;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		nrt_tool_error("out of memory");
		return -1;
	}
	pthread_mutex_init(&srv->lock, NULL);
	srv->window_ns = window_ns;
	/* A baseline, so that the first scrape has utilization too. */
	if (!nrt_top_collect(&srv->base[0]))
		srv->nbase = 1;
	srv->mhd = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL,
				    nrt_top_prom_handler, srv,
				    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				    MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				    MHD_OPTION_END);
	if (!srv->mhd) {
		nrt_tool_error("cannot listen on %s port %u", addr, port);
		nrt_top_prom_stop(srv);
		return -1;
	}
	*out = srv;
	return 0;
}

void nrt_top_prom_stop(struct nrt_top_prom_server *srv)
{
	if (!srv)
		return;
	if (srv->mhd)
		MHD_stop_daemon(srv->mhd);
	while (srv->nbase)
		nrt_top_snap_free(&srv->base[--srv->nbase]);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
