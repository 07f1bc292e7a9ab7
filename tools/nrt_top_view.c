// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * nrt-top's screen in a character grid, and its keys.
 *
 *   title bar: version, devices, processes, interval, time
 *   device tabs (interactive, more than one device)
 *   per device shown: identity, temperature and power; why it is
 *   throttled, if it is; a bar per core;
 *     HBM bar; DMA and link throughput; jobs and errors; ports ('l')
 *   process table ('p'), sorted by a column ('s')
 *   key bar (interactive)
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nrt_facts.h"
#include "nrt_tool.h"
#include "nrt_top_view.h"

/* --- the grid ---------------------------------------------------------- */

int nrt_top_grid_resize(struct nrt_top_grid *g, int w, int h)
{
	size_t n;

	nrt_top_grid_free(g);
	if (w <= 0 || h <= 0)
		return 0;
	n = (size_t)w * (size_t)h;
	g->ch = malloc(n);
	g->attr = malloc(n);
	if (!g->ch || !g->attr) {
		nrt_top_grid_free(g);
		return -1;
	}
	memset(g->ch, ' ', n);
	memset(g->attr, NRT_TOP_A_NORMAL, n);
	g->w = w;
	g->h = h;
	return 0;
}

void nrt_top_grid_free(struct nrt_top_grid *g)
{
	free(g->ch);
	free(g->attr);
	memset(g, 0, sizeof(*g));
}

char *nrt_top_grid_line(const struct nrt_top_grid *g, int y, char *buf,
			size_t size)
{
	size_t len = 0;

	if (!size)
		return buf;
	if (y >= 0 && y < g->h) {
		len = (size_t)g->w < size - 1 ? (size_t)g->w : size - 1;
		memcpy(buf, g->ch + (size_t)y * (size_t)g->w, len);
		while (len && buf[len - 1] == ' ')
			len--;
	}
	buf[len] = '\0';
	return buf;
}

int nrt_top_grid_print(const struct nrt_top_grid *g, int rows, FILE *out)
{
	char *line = malloc((size_t)(g->w > 0 ? g->w : 0) + 1);
	int y, ret = 0;

	if (!line)
		return -1;
	for (y = 0; y < rows && y < g->h; y++) {
		if (fprintf(out, "%s\n",
			    nrt_top_grid_line(g, y, line, (size_t)g->w + 1)) < 0)
			ret = -1;
	}
	free(line);
	return ret;
}

/* Fill row @y from column @x to the end with @attr (and blanks). */
static void nrt_top_fill(struct nrt_top_grid *g, int x, int y,
			 enum nrt_top_attr attr)
{
	size_t off;

	if (y < 0 || y >= g->h || x >= g->w)
		return;
	if (x < 0)
		x = 0;
	off = (size_t)y * (size_t)g->w + (size_t)x;
	memset(g->ch + off, ' ', (size_t)(g->w - x));
	memset(g->attr + off, attr, (size_t)(g->w - x));
}

/* Write @text at (@x, @y), clipped. Return: the column after it. */
static int nrt_top_puts(struct nrt_top_grid *g, int x, int y,
			enum nrt_top_attr attr, const char *text)
{
	for (; *text; text++, x++) {
		size_t off;

		if (x < 0 || x >= g->w || y < 0 || y >= g->h)
			continue;
		off = (size_t)y * (size_t)g->w + (size_t)x;
		/* The grid holds single-byte characters only. */
		g->ch[off] = (*text >= ' ' && *text < 0x7f) ? *text : '?';
		g->attr[off] = (unsigned char)attr;
	}
	return x;
}

static int nrt_top_printf(struct nrt_top_grid *g, int x, int y,
			  enum nrt_top_attr attr, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int nrt_top_printf(struct nrt_top_grid *g, int x, int y,
			  enum nrt_top_attr attr, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return nrt_top_puts(g, x, y, attr, buf);
}

/* --- values ------------------------------------------------------------ */

#define NRT_TOP_VAL_LEN 32

static char *nrt_top_size(uint64_t v, char *buf)
{
	if (v == NRT_TOP_NA)
		snprintf(buf, NRT_TOP_VAL_LEN, "-");
	else
		nrt_tool_format_size(v, buf, NRT_TOP_VAL_LEN);
	return buf;
}

static char *nrt_top_bps(double v, char *buf)
{
	size_t len;

	if (v < 0) {
		snprintf(buf, NRT_TOP_VAL_LEN, "-");
		return buf;
	}
	/* At most "1023.9 EiB": room for "/s". */
	nrt_tool_format_size(v >= 1.8e19 ? UINT64_MAX : (uint64_t)(v + 0.5), buf,
			   NRT_TOP_VAL_LEN - 2);
	len = strlen(buf);
	memcpy(buf + len, "/s", 3);
	return buf;
}

static char *nrt_top_count(uint64_t v, char *buf)
{
	if (v == NRT_TOP_NA)
		snprintf(buf, NRT_TOP_VAL_LEN, "-");
	else
		snprintf(buf, NRT_TOP_VAL_LEN, "%llu", (unsigned long long)v);
	return buf;
}

static char *nrt_top_pct(double v, char *buf)
{
	if (v < 0)
		snprintf(buf, NRT_TOP_VAL_LEN, "-");
	else
		snprintf(buf, NRT_TOP_VAL_LEN, "%.1f%%", v * 100);
	return buf;
}

static enum nrt_top_attr nrt_top_level(double frac)
{
	return frac >= 0.9 ? NRT_TOP_A_HIGH :
	       frac >= 0.5 ? NRT_TOP_A_MID : NRT_TOP_A_LOW;
}

/*
 * A bar "LABEL[|||||      text]" of @width columns at (@x, @y), filled to
 * @frac (unknown if < 0), with @text right-aligned inside it.
 */
static void nrt_top_bar(struct nrt_top_grid *g, int x, int y, int width,
			const char *label, double frac, const char *text)
{
	int inner, fill, i, tlen = (int)strlen(text);

	x = nrt_top_puts(g, x, y, NRT_TOP_A_BOLD, label);
	width -= (int)strlen(label);
	if (width < 3)
		return;
	inner = width - 2;
	fill = frac <= 0 ? 0 : frac >= 1 ? inner : (int)(frac * inner + 0.5);
	if (frac > 0 && !fill)
		fill = 1;
	nrt_top_puts(g, x, y, NRT_TOP_A_BOLD, "[");
	for (i = 0; i < inner; i++) {
		int tpos = i - (inner - tlen);
		char c[2] = { tpos >= 0 ? text[tpos] : i < fill ? '|' : ' ', '\0' };
		enum nrt_top_attr a = tpos >= 0 ? (frac < 0 ? NRT_TOP_A_DIM : NRT_TOP_A_NORMAL) :
				      nrt_top_level(frac);

		nrt_top_puts(g, x + 1 + i, y, a, c);
	}
	nrt_top_puts(g, x + 1 + inner, y, NRT_TOP_A_BOLD, "]");
}

/* --- the device block --------------------------------------------------- */

static int nrt_top_dev_title(struct nrt_top_grid *g, int y,
			     const struct nrt_top_dev *d)
{
	char t[NRT_TOP_VAL_LEN], tmax[NRT_TOP_VAL_LEN], p[NRT_TOP_VAL_LEN];
	enum nrt_top_attr ta = NRT_TOP_A_NORMAL;
	int x;

	x = nrt_top_printf(g, 0, y, NRT_TOP_A_BOLD, "Device %u", d->index);
	x = nrt_top_printf(g, x, y, NRT_TOP_A_NORMAL, "  %s  %s", d->accel, d->pci_bdf);
	if (d->chip_id != NRT_TOP_NA)
		x = nrt_top_printf(g, x, y, NRT_TOP_A_NORMAL, "  chip %llu",
				   (unsigned long long)d->chip_id);
	if (d->have_temp) {
		snprintf(t, sizeof(t), "%.1f C", (double)d->temp_mc / 1000);
		if (d->temp_max_mc != NRT_TOP_NA && d->temp_mc >= 0 &&
		    (uint64_t)d->temp_mc >= d->temp_max_mc)
			ta = NRT_TOP_A_ALERT;
	} else {
		snprintf(t, sizeof(t), "- C");
	}
	if (d->temp_max_mc != NRT_TOP_NA)
		snprintf(tmax, sizeof(tmax), " (max %.0f C)", (double)d->temp_max_mc / 1000);
	else
		tmax[0] = '\0';
	if (d->power_uw != NRT_TOP_NA)
		snprintf(p, sizeof(p), "%.1f W", (double)d->power_uw / 1e6);
	else
		snprintf(p, sizeof(p), "- W");
	x = nrt_top_puts(g, x + 3, y, ta, t);
	x = nrt_top_puts(g, x, y, NRT_TOP_A_DIM, tmax);
	x = nrt_top_puts(g, x + 2, y, NRT_TOP_A_NORMAL, p);
	/* A cap below the rating is what limits the device */
	if (d->power_cap_uw != NRT_TOP_NA && d->power_max_uw != NRT_TOP_NA &&
	    d->power_cap_uw < d->power_max_uw)
		nrt_top_printf(g, x, y, NRT_TOP_A_DIM, " (cap %.0f W)",
			       (double)d->power_cap_uw / 1e6);
	else if (d->power_max_uw != NRT_TOP_NA)
		nrt_top_printf(g, x, y, NRT_TOP_A_DIM, " (max %.0f W)",
			       (double)d->power_max_uw / 1e6);
	return y + 1;
}

/*
 * While the NeuronCores are throttled (hardware interface 1.8), a line that
 * says why and for how much of the last interval; nothing otherwise.
 */
static int nrt_top_dev_throttle(struct nrt_top_grid *g, int y,
				const struct nrt_top_dev *d)
{
	char why[64], pct[NRT_TOP_VAL_LEN];
	int x;

	if (!d->have_throttle || !d->throttle)
		return y;
	nrt_facts_format_throttle(d->throttle, why, sizeof(why));
	x = nrt_top_puts(g, 0, y, NRT_TOP_A_ALERT, "Throttled ");
	x = nrt_top_puts(g, x, y, NRT_TOP_A_ALERT, why);
	if (d->throttle_util >= 0)
		nrt_top_printf(g, x, y, NRT_TOP_A_NORMAL, "  %s of the last interval",
			       nrt_top_pct(d->throttle_util, pct));
	return y + 1;
}

static int nrt_top_dev_cores(struct nrt_top_grid *g, int y,
			     const struct nrt_top_dev *d)
{
	int per_row = g->w / 36, colw, i;
	char label[16], pct[NRT_TOP_VAL_LEN];

	if (per_row < 1)
		per_row = 1;
	if ((unsigned int)per_row > d->num_cores)
		per_row = d->num_cores ? (int)d->num_cores : 1;
	colw = g->w / per_row;
	for (i = 0; i < (int)d->num_cores; i++) {
		int col = i % per_row;

		if (i && !col)
			y++;
		snprintf(label, sizeof(label), "NC%-2d", i);
		nrt_top_bar(g, col * colw, y, per_row > 1 ? colw - 2 : colw,
			    label, d->cores[i].util, nrt_top_pct(d->cores[i].util, pct));
	}
	return d->num_cores ? y + 1 : y;
}

static int nrt_top_dev_memory(struct nrt_top_grid *g, int y,
			      const struct nrt_top_dev *d)
{
	char used[NRT_TOP_VAL_LEN], total[NRT_TOP_VAL_LEN], text[80];
	char peak[NRT_TOP_VAL_LEN], host[NRT_TOP_VAL_LEN], bos[NRT_TOP_VAL_LEN];
	double frac = -1;

	if (d->hbm_used != NRT_TOP_NA && d->hbm_size != NRT_TOP_NA && d->hbm_size)
		frac = (double)d->hbm_used / (double)d->hbm_size;
	snprintf(text, sizeof(text), "%s/%s", nrt_top_size(d->hbm_used, used),
		 nrt_top_size(d->hbm_size, total));
	nrt_top_bar(g, 0, y, g->w < 72 ? g->w : g->w / 2, "HBM ", frac, text);
	nrt_top_printf(g, g->w < 72 ? 0 : g->w / 2 + 2, g->w < 72 ? y + 1 : y,
		       NRT_TOP_A_NORMAL, "peak %s  host %s  BOs %s",
		       nrt_top_size(d->ctr[NRT_TOP_DEV_HBM_PEAK], peak),
		       nrt_top_size(d->host_used, host),
		       nrt_top_count(d->buffer_objects, bos));
	return y + (g->w < 72 ? 2 : 1);
}

static int nrt_top_dev_traffic(struct nrt_top_grid *g, int y,
			       const struct nrt_top_dev *d)
{
	char dma[NRT_TOP_VAL_LEN], busy[NRT_TOP_VAL_LEN];
	char tx[NRT_TOP_VAL_LEN], rx[NRT_TOP_VAL_LEN];
	unsigned int i, up = 0;
	int x;

	for (i = 0; i < d->num_links; i++)
		up += !strcmp(d->links[i].state, "up");
	x = nrt_top_printf(g, 0, y, NRT_TOP_A_BOLD, "DMA ");
	x = nrt_top_printf(g, x, y, NRT_TOP_A_NORMAL, "%s  busy %s",
			   nrt_top_bps(d->dma_bps, dma), nrt_top_pct(d->dma_util, busy));
	x = nrt_top_printf(g, x + 4, y, NRT_TOP_A_BOLD, "Links ");
	if (!d->num_links)
		nrt_top_puts(g, x, y, NRT_TOP_A_DIM, "none");
	else
		nrt_top_printf(g, x, y, NRT_TOP_A_NORMAL, "%u/%u up  tx %s  rx %s", up,
			       d->num_links, nrt_top_bps(d->link_tx_bps, tx),
			       nrt_top_bps(d->link_rx_bps, rx));
	return y + 1;
}

/* "label value" where a nonzero value is an alert. Return: next column. */
static int nrt_top_err(struct nrt_top_grid *g, int x, int y, const char *label,
		       uint64_t v)
{
	char buf[NRT_TOP_VAL_LEN];

	x = nrt_top_puts(g, x, y, NRT_TOP_A_NORMAL, label);
	return nrt_top_puts(g, x, y,
			    v && v != NRT_TOP_NA ? NRT_TOP_A_ALERT : NRT_TOP_A_NORMAL,
			    nrt_top_count(v, buf));
}

static int nrt_top_dev_errors(struct nrt_top_grid *g, int y,
			      const struct nrt_top_dev *d)
{
	char done[NRT_TOP_VAL_LEN];
	int x;

	x = nrt_top_puts(g, 0, y, NRT_TOP_A_BOLD, "Jobs ");
	x = nrt_top_printf(g, x, y, NRT_TOP_A_NORMAL, "%s done",
			   nrt_top_count(d->ctr[NRT_TOP_DEV_JOBS_COMPLETED], done));
	x = nrt_top_err(g, x, y, "  failed ", d->ctr[NRT_TOP_DEV_JOBS_FAILED]);
	x = nrt_top_err(g, x, y, "  timed out ", d->ctr[NRT_TOP_DEV_JOBS_TIMED_OUT]);
	x = nrt_top_puts(g, x + 4, y, NRT_TOP_A_BOLD, "ECC");
	x = nrt_top_err(g, x, y, " corrected ", d->ctr[NRT_TOP_DEV_ECC_CORRECTED]);
	nrt_top_err(g, x, y, "  uncorrected ", d->ctr[NRT_TOP_DEV_ECC_UNCORRECTED]);
	return y + 1;
}

static int nrt_top_dev_links(struct nrt_top_grid *g, int y,
			     const struct nrt_top_dev *d)
{
	char tx[NRT_TOP_VAL_LEN], rx[NRT_TOP_VAL_LEN], peer[96];
	char crc[NRT_TOP_VAL_LEN], rep[NRT_TOP_VAL_LEN];
	unsigned int i;

	nrt_top_fill(g, 0, y, NRT_TOP_A_HEADER);
	nrt_top_printf(g, 0, y, NRT_TOP_A_HEADER, "%-4s %-8s %-16s %6s %12s %12s %8s %8s",
		       "PORT", "STATE", "PEER", "GB/S", "TX", "RX", "CRC", "REPLAY");
	y++;
	for (i = 0; i < d->num_links; i++) {
		const struct nrt_top_link *l = &d->links[i];
		char speed[NRT_TOP_VAL_LEN];

		if (l->peer_chip >= 0 && l->peer_host >= 0 &&
		    (uint64_t)l->peer_host != (d->host_id == NRT_TOP_NA ? 0 : d->host_id))
			snprintf(peer, sizeof(peer), "host %lld chip %lld.%lld",
				 (long long)l->peer_host, (long long)l->peer_chip,
				 (long long)l->peer_port);
		else if (l->peer_chip >= 0)
			snprintf(peer, sizeof(peer), "chip %lld.%lld%s%s",
				 (long long)l->peer_chip, (long long)l->peer_port,
				 l->peer_device[0] ? " " : "", l->peer_device);
		else
			snprintf(peer, sizeof(peer), "-");
		nrt_top_printf(g, 0, y, NRT_TOP_A_NORMAL,
			       "%-4u %-8s %-16.16s %6s %12s %12s %8s %8s", l->port,
			       l->state[0] ? l->state : "-", peer,
			       nrt_top_count(l->speed_gbps, speed),
			       nrt_top_bps(l->tx_bps, tx), nrt_top_bps(l->rx_bps, rx),
			       nrt_top_count(l->err_crc, crc),
			       nrt_top_count(l->err_replay, rep));
		y++;
	}
	return y;
}

static int nrt_top_dev_block(struct nrt_top_grid *g, int y,
			     const struct nrt_top_dev *d, const struct nrt_top_view *v)
{
	y = nrt_top_dev_title(g, y, d);
	y = nrt_top_dev_throttle(g, y, d);
	y = nrt_top_dev_cores(g, y, d);
	y = nrt_top_dev_memory(g, y, d);
	y = nrt_top_dev_traffic(g, y, d);
	y = nrt_top_dev_errors(g, y, d);
	if (v->links && d->num_links)
		y = nrt_top_dev_links(g, y, d);
	return y;
}

/* --- the process table ---------------------------------------------------- */

static const char *const nrt_top_col_names[NRT_TOP_NCOLS] = {
	[NRT_TOP_COL_PID] = "PID",
	[NRT_TOP_COL_USER] = "USER",
	[NRT_TOP_COL_DEV] = "DEV",
	[NRT_TOP_COL_HBM] = "HBM",
	[NRT_TOP_COL_HOST] = "HOST",
	[NRT_TOP_COL_CORE] = "CORE%",
	[NRT_TOP_COL_DMA] = "DMA%",
	[NRT_TOP_COL_COMMAND] = "COMMAND",
};

/* Column widths and alignment (negative: left-aligned). */
static const int nrt_top_col_width[NRT_TOP_NCOLS] = { 7, -9, 3, 10, 10, 6, 6, -1 };

static int nrt_top_cmp_u64(uint64_t a, uint64_t b)
{
	/* Unknown sorts as the smallest. */
	a = a == NRT_TOP_NA ? 0 : a + 1;
	b = b == NRT_TOP_NA ? 0 : b + 1;
	return a < b ? -1 : a > b;
}

static int nrt_top_proc_cmp(const void *pa, const void *pb, void *arg)
{
	const struct nrt_top_proc *a = *(const struct nrt_top_proc *const *)pa;
	const struct nrt_top_proc *b = *(const struct nrt_top_proc *const *)pb;
	const struct nrt_top_view *v = arg;
	/* Sizes and loads sort largest first, names and numbers smallest first. */
	int c, desc = v->sort >= NRT_TOP_COL_HBM && v->sort <= NRT_TOP_COL_DMA;

	switch (v->sort) {
	case NRT_TOP_COL_USER:
		c = strcmp(a->c.user, b->c.user);
		break;
	case NRT_TOP_COL_DEV:
		c = (a->dev > b->dev) - (a->dev < b->dev);
		break;
	case NRT_TOP_COL_HBM:
		c = nrt_top_cmp_u64(a->c.fd.hbm_resident, b->c.fd.hbm_resident);
		break;
	case NRT_TOP_COL_HOST:
		c = nrt_top_cmp_u64(a->c.fd.host_resident, b->c.fd.host_resident);
		break;
	case NRT_TOP_COL_CORE:
		c = (a->core_util > b->core_util) - (a->core_util < b->core_util);
		break;
	case NRT_TOP_COL_DMA:
		c = (a->dma_util > b->dma_util) - (a->dma_util < b->dma_util);
		break;
	case NRT_TOP_COL_COMMAND:
		c = strcmp(a->c.cmdline, b->c.cmdline);
		break;
	case NRT_TOP_COL_PID:
	default:
		c = 0;
		break;
	}
	if (desc)
		c = -c;
	if (v->reverse)
		c = -c;
	if (!c)
		c = (a->c.pid > b->c.pid) - (a->c.pid < b->c.pid);
	return c;
}

static void nrt_top_proc_cells(const struct nrt_top_snap *s,
			       const struct nrt_top_proc *p,
			       char cells[NRT_TOP_NCOLS][NRT_TOP_VAL_LEN])
{
	snprintf(cells[NRT_TOP_COL_PID], NRT_TOP_VAL_LEN, "%ld", (long)p->c.pid);
	snprintf(cells[NRT_TOP_COL_USER], NRT_TOP_VAL_LEN, "%.9s", p->c.user);
	if (p->dev < 0)
		snprintf(cells[NRT_TOP_COL_DEV], NRT_TOP_VAL_LEN, "-");
	else
		snprintf(cells[NRT_TOP_COL_DEV], NRT_TOP_VAL_LEN, "%u",
			 s->devs[p->dev].index);
	nrt_top_size(p->c.fd.hbm_resident, cells[NRT_TOP_COL_HBM]);
	nrt_top_size(p->c.fd.host_resident, cells[NRT_TOP_COL_HOST]);
	nrt_top_pct(p->core_util, cells[NRT_TOP_COL_CORE]);
	nrt_top_pct(p->dma_util, cells[NRT_TOP_COL_DMA]);
	cells[NRT_TOP_COL_COMMAND][0] = '\0';
}

static int nrt_top_procs(struct nrt_top_grid *g, int y, int end,
			 const struct nrt_top_snap *s, const struct nrt_top_view *v,
			 unsigned int dev)
{
	const struct nrt_top_proc **rows;
	char cells[NRT_TOP_NCOLS][NRT_TOP_VAL_LEN];
	size_t n = 0, i;
	int c, x = 0;

	if (y >= end)
		return y;
	nrt_top_fill(g, 0, y, NRT_TOP_A_HEADER);
	for (c = 0; c < NRT_TOP_NCOLS; c++) {
		int w = nrt_top_col_width[c];
		enum nrt_top_attr a = (int)v->sort == c ? NRT_TOP_A_SELECTED : NRT_TOP_A_HEADER;

		nrt_top_printf(g, x, y, a, w < 0 ? "%-*s" : "%*s", w < 0 ? -w : w,
			       nrt_top_col_names[c]);
		x += (w < 0 ? -w : w) + 1;
	}
	y++;
	rows = calloc(s->num_procs ? s->num_procs : 1, sizeof(*rows));
	if (!rows) {
		nrt_top_puts(g, 0, y, NRT_TOP_A_ALERT, "out of memory");
		return y + 1;
	}
	for (i = 0; i < s->num_procs; i++) {
		if (v->all_procs || v->batch || s->procs[i].dev == (int)dev)
			rows[n++] = &s->procs[i];
	}
	qsort_r(rows, n, sizeof(*rows), nrt_top_proc_cmp, (void *)v);
	if (!n && y < end)
		nrt_top_puts(g, 0, y++, NRT_TOP_A_DIM,
			     s->num_procs ? "(no process of this device; 'a' shows all)" :
			     "(no process uses a trn device, or none that you may see)");
	for (i = 0; i < n && y < end; i++, y++) {
		nrt_top_proc_cells(s, rows[i], cells);
		x = 0;
		for (c = 0; c < NRT_TOP_COL_COMMAND; c++) {
			int w = nrt_top_col_width[c];

			nrt_top_printf(g, x, y, NRT_TOP_A_NORMAL, w < 0 ? "%-*s" : "%*s",
				       w < 0 ? -w : w, cells[c]);
			x += (w < 0 ? -w : w) + 1;
		}
		nrt_top_puts(g, x, y, NRT_TOP_A_NORMAL, rows[i]->c.cmdline);
	}
	free(rows);
	return y;
}

/* --- the screen ------------------------------------------------------------ */

static void nrt_top_title(struct nrt_top_grid *g, const struct nrt_top_snap *s,
			  const struct nrt_top_view *v)
{
	time_t secs = (time_t)(s->real_ms / 1000);
	char when[32];
	struct tm tm;

	localtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	nrt_top_fill(g, 0, 0, NRT_TOP_A_TITLE);
	nrt_top_printf(g, 0, 0, NRT_TOP_A_TITLE,
		       "nrt-top %s  %zu device%s  %zu process%s  every %.2gs  %s",
		       v->version ? v->version : "", s->num_devs,
		       s->num_devs == 1 ? "" : "s", s->num_procs,
		       s->num_procs == 1 ? "" : "es", v->interval_s, when);
}

static int nrt_top_tabs(struct nrt_top_grid *g, int y, const struct nrt_top_snap *s,
			unsigned int sel)
{
	int x = nrt_top_puts(g, 0, y, NRT_TOP_A_BOLD, "Devices:");
	size_t i;

	for (i = 0; i < s->num_devs; i++) {
		const struct nrt_top_dev *d = &s->devs[i];
		double sum = 0;
		unsigned int c, known = 0;
		char pct[NRT_TOP_VAL_LEN];

		for (c = 0; c < d->num_cores; c++) {
			if (d->cores[c].util >= 0) {
				sum += d->cores[c].util;
				known++;
			}
		}
		x = nrt_top_puts(g, x, y, NRT_TOP_A_NORMAL, " ");
		x = nrt_top_printf(g, x, y, i == sel ? NRT_TOP_A_SELECTED : NRT_TOP_A_NORMAL,
				   "%zu:%s %s", i, d->pci_bdf + (strlen(d->pci_bdf) > 7 ? 5 : 0),
				   nrt_top_pct(known ? sum / known : -1, pct));
	}
	return y + 1;
}

static const char *const nrt_top_help_text[] = {
	"nrt-top: what trn devices, NeuronCores, links and processes are doing",
	"",
	"  h ? F1      this help (any key closes it)",
	"  q F10       quit",
	"  Tab Right   next device          Shift-Tab Left   previous device",
	"  0-9         pick device N",
	"  s > F6      sort by the next column   <  the previous one",
	"  r           reverse the sort order",
	"  l           show or hide the NeuronLink ports",
	"  p           show or hide the process table",
	"  a           processes of all devices, or of the picked one",
	"  + -         a longer or shorter refresh interval",
	"",
	"Utilization is the share of the interval a NeuronCore ran programs",
	"(sysfs coreN/busy_ns); a process's CORE% and DMA% are its share",
	"of the device's queues (fdinfo drm-engine-*). '-': not reported.",
};

int nrt_top_render_rows(const struct nrt_top_snap *s, const struct nrt_top_view *v)
{
	/* Title, error, blank, header, and a line even without processes */
	size_t rows = 5 + (s->num_procs ? s->num_procs : 1);
	size_t i;

	(void)v;
	for (i = 0; i < s->num_devs; i++)
		rows += 8 + s->devs[i].num_cores + s->devs[i].num_links;
	return rows > 100000 ? 100000 : (int)rows;
}

int nrt_top_render(struct nrt_top_grid *g, const struct nrt_top_snap *s,
		   const struct nrt_top_view *v)
{
	int y = 1, end = v->batch ? g->h : g->h - 1;
	unsigned int sel = v->dev;
	size_t i;

	if (g->w <= 0 || g->h <= 0)
		return 0;
	memset(g->ch, ' ', (size_t)g->w * (size_t)g->h);
	memset(g->attr, NRT_TOP_A_NORMAL, (size_t)g->w * (size_t)g->h);
	nrt_top_title(g, s, v);
	if (sel >= s->num_devs)
		sel = s->num_devs ? (unsigned int)s->num_devs - 1 : 0;

	if (v->help && !v->batch) {
		for (i = 0; i < sizeof(nrt_top_help_text) / sizeof(nrt_top_help_text[0]); i++)
			nrt_top_puts(g, 0, y++, i ? NRT_TOP_A_NORMAL : NRT_TOP_A_BOLD,
				     nrt_top_help_text[i]);
	} else {
		if (s->error[0])
			nrt_top_puts(g, 0, y++, NRT_TOP_A_ALERT, s->error);
		if (!s->num_devs)
			nrt_top_puts(g, 0, y++, NRT_TOP_A_ALERT,
				     "No trn devices found (is the trn driver loaded? try: modprobe trn)");
		if (!v->batch && s->num_devs > 1)
			y = nrt_top_tabs(g, y, s, sel);
		for (i = 0; i < s->num_devs; i++) {
			if (!v->batch && i != sel)
				continue;
			y = nrt_top_dev_block(g, y, &s->devs[i], v) + 1;
		}
		if (v->procs)
			y = nrt_top_procs(g, y, end, s, v, sel);
	}
	if (!v->batch && g->h > 1) {
		nrt_top_fill(g, 0, g->h - 1, NRT_TOP_A_TITLE);
		nrt_top_puts(g, 0, g->h - 1, NRT_TOP_A_TITLE,
			     "h:Help q:Quit Tab:Device s:Sort l:Links p:Procs a:All +/-:Interval");
		return g->h;
	}
	return y < g->h ? y : g->h;
}

/* --- keys ------------------------------------------------------------------ */

static const double nrt_top_intervals[] = { 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60 };
#define NRT_TOP_NINTERVALS (sizeof(nrt_top_intervals) / sizeof(nrt_top_intervals[0]))

void nrt_top_view_init(struct nrt_top_view *v, double interval_s, const char *version)
{
	memset(v, 0, sizeof(*v));
	v->sort = NRT_TOP_COL_CORE;
	v->procs = true;
	v->interval_s = interval_s;
	v->version = version;
}

static void nrt_top_step_interval(struct nrt_top_view *v, bool up)
{
	size_t i;

	if (up) {
		for (i = 0; i < NRT_TOP_NINTERVALS; i++) {
			if (nrt_top_intervals[i] > v->interval_s + 1e-9) {
				v->interval_s = nrt_top_intervals[i];
				return;
			}
		}
	} else {
		for (i = NRT_TOP_NINTERVALS; i-- > 0;) {
			if (nrt_top_intervals[i] < v->interval_s - 1e-9) {
				v->interval_s = nrt_top_intervals[i];
				return;
			}
		}
	}
}

enum nrt_top_action nrt_top_view_key(struct nrt_top_view *v, int key,
				     size_t num_devs)
{
	if (v->help && key != 'q' && key != NRT_TOP_KEY_F10) {
		v->help = false;
		return NRT_TOP_REDRAW;
	}
	if (v->dev >= num_devs)
		v->dev = num_devs ? (unsigned int)num_devs - 1 : 0;
	switch (key) {
	case 'q':
	case 'Q':
	case NRT_TOP_KEY_F10:
		return NRT_TOP_QUIT;
	case 'h':
	case '?':
	case NRT_TOP_KEY_F1:
		v->help = true;
		break;
	case '\t':
	case NRT_TOP_KEY_RIGHT:
	case NRT_TOP_KEY_DOWN:
		if (num_devs)
			v->dev = (v->dev + 1) % (unsigned int)num_devs;
		break;
	case NRT_TOP_KEY_BTAB:
	case NRT_TOP_KEY_LEFT:
	case NRT_TOP_KEY_UP:
		if (num_devs)
			v->dev = (v->dev + (unsigned int)num_devs - 1) % (unsigned int)num_devs;
		break;
	case 's':
	case '>':
	case NRT_TOP_KEY_F6:
		v->sort = (enum nrt_top_col)((v->sort + 1) % NRT_TOP_NCOLS);
		break;
	case '<':
		v->sort = (enum nrt_top_col)((v->sort + NRT_TOP_NCOLS - 1) % NRT_TOP_NCOLS);
		break;
	case 'r':
		v->reverse = !v->reverse;
		break;
	case 'l':
		v->links = !v->links;
		break;
	case 'p':
		v->procs = !v->procs;
		break;
	case 'a':
		v->all_procs = !v->all_procs;
		break;
	case '+':
	case '=':
		nrt_top_step_interval(v, true);
		break;
	case '-':
	case '_':
		nrt_top_step_interval(v, false);
		break;
	default:
		if (key >= '0' && key <= '9' && (size_t)(key - '0') < num_devs) {
			v->dev = (unsigned int)(key - '0');
			break;
		}
		return NRT_TOP_IGNORED;
	}
	return NRT_TOP_REDRAW;
}
