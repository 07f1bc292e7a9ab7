/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-top --prometheus: the metrics of a snapshot in the Prometheus text
 * exposition format 0.0.4, and the HTTP endpoint that serves them
 * (libmicrohttpd). Metric names begin with trn_, are in base units
 * (bytes, seconds, celsius, watts), and counters end in _total; every
 * family has a HELP and a TYPE line. Values the driver does not provide
 * are left out (no sample), never reported as 0.
 */
#ifndef NRT_TOP_PROM_H
#define NRT_TOP_PROM_H

#include <stdio.h>

#include "nrt_top_snap.h"

/* The Content-Type of the exposition format. */
#define NRT_TOP_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * nrt_top_prom_write() - write the metrics of @s
 * @out: stream
 * @s: snapshot; the utilization gauges need its rates
 *
 * Return: 0, or -1 if writing failed.
 */
int nrt_top_prom_write(FILE *out, const struct nrt_top_snap *s);

/*
 * nrt_top_prom_escape() - escape a label value (\\, \" and \n)
 * @in: the value
 * @buf: output
 * @size: size of @buf; the result is cut at a character boundary to fit
 *
 * Return: @buf.
 */
char *nrt_top_prom_escape(const char *in, char *buf, size_t size);

struct nrt_top_prom_server;

/*
 * nrt_top_prom_start() - serve GET /metrics on @addr:@port
 * @addr: numeric IPv4 or IPv6 address to listen on
 * @port: TCP port, 1..65535
 * @window_ns: the shortest time the utilization gauges are computed over
 * @out: receives the server
 *
 * Each request collects a fresh snapshot. Its utilization gauges are over
 * the time since an earlier snapshot at least @window_ns old (only shorter
 * right after the start), whoever asked for it: several scrapers, or one
 * scraper and a person with curl, do not shorten each other's windows.
 * Other paths answer 404, other methods 405.
 *
 * Return: 0, or -1 after a message on stderr.
 */
int nrt_top_prom_start(const char *addr, unsigned int port, uint64_t window_ns,
		       struct nrt_top_prom_server **out);

/* nrt_top_prom_stop() - stop serving and free @srv */
void nrt_top_prom_stop(struct nrt_top_prom_server *srv);

#endif /* NRT_TOP_PROM_H */
