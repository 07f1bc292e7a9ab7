// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * Rack files: parser, validation, generator and output (nrt_rack.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nrt_rack.h"
#include "nrt_tool.h"

struct nrt_rack_parser {
	const char *fname;
	unsigned int line;
	char *err;
	size_t errsz;
};

static int nrt_rack_fail(struct nrt_rack_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "FILE:LINE: message" (or "FILE: message" for line 0) into the buffer. */
static int nrt_rack_fail(struct nrt_rack_parser *p, const char *fmt, ...)
{
	char msg[NRT_RACK_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->line)
		snprintf(p->err, p->errsz, "%s:%u: %s", p->fname, p->line, msg);
	else
		snprintf(p->err, p->errsz, "%s: %s", p->fname, msg);
	return -1;
}

void nrt_rack_free(struct nrt_rack *r)
{
	unsigned int h;

	if (r->host_names)
		for (h = 0; h < r->hosts; h++)
			free(r->host_names[h]);
	free(r->host_names);
	free(r->cables);
	free(r->far);
	memset(r, 0, sizeof(*r));
}

static size_t nrt_rack_index(const struct nrt_rack *r, const struct nrt_rack_end *e)
{
	return ((size_t)e->host * r->chips + e->chip) * r->ports + e->port;
}

/* The hosts, chips and ports are known: make the table of cable ends. */
static int nrt_rack_size(struct nrt_rack_parser *p, struct nrt_rack *r)
{
	size_t ends = (size_t)r->hosts * r->chips * r->ports, i;

	if (ends > NRT_RACK_MAX_ENDS)
		return nrt_rack_fail(p, "%u hosts of %u chips of %u ports: more than %u port ends",
				     r->hosts, r->chips, r->ports, NRT_RACK_MAX_ENDS);
	r->far = malloc(ends * sizeof(*r->far));
	r->host_names = calloc(r->hosts, sizeof(*r->host_names));
	if (!r->far || !r->host_names)
		return nrt_rack_fail(p, "out of memory");
	for (i = 0; i < ends; i++)
		r->far[i] = -1;
	return 0;
}

static int nrt_rack_end_parse(struct nrt_rack_parser *p, const struct nrt_rack *r,
			      const char *s, struct nrt_rack_end *e)
{
	unsigned int v[3];
	char buf[64], *tok, *save = NULL, *q;
	unsigned int i = 0;

	if (strlen(s) >= sizeof(buf) || s[0] == '.' || s[strlen(s) - 1] == '.' ||
	    strstr(s, ".."))
		return nrt_rack_fail(p, "bad cable end '%s' (want HOST.CHIP.PORT)", s);
	strcpy(buf, s);
	for (q = buf; (tok = strtok_r(q, ".", &save)); q = NULL) {
		if (i == 3 || !nrt_tool_parse_uint(tok, 0, UINT32_MAX, &v[i]))
			return nrt_rack_fail(p, "bad cable end '%s' (want HOST.CHIP.PORT)", s);
		i++;
	}
	if (i != 3)
		return nrt_rack_fail(p, "bad cable end '%s' (want HOST.CHIP.PORT)", s);
	if (v[0] >= r->hosts)
		return nrt_rack_fail(p, "cable end %s: host %u out of range (the rack has %u hosts)",
				     s, v[0], r->hosts);
	if (v[1] >= r->chips)
		return nrt_rack_fail(p, "cable end %s: chip %u out of range (a host has %u chips)",
				     s, v[1], r->chips);
	if (v[2] >= r->ports)
		return nrt_rack_fail(p, "cable end %s: port %u out of range (a chip has %u ports)",
				     s, v[2], r->ports);
	e->host = (uint32_t)v[0];
	e->chip = (uint32_t)v[1];
	e->port = (uint32_t)v[2];
	return 0;
}

/* Add the cable @a - @b; @line 0 for a generated one. */
static int nrt_rack_add(struct nrt_rack_parser *p, struct nrt_rack *r,
			const struct nrt_rack_end *a, const struct nrt_rack_end *b)
{
	const struct nrt_rack_end *ends[2] = { a, b };
	size_t ia = nrt_rack_index(r, a), ib = nrt_rack_index(r, b);
	unsigned int k;

	if (a->host == b->host && a->chip == b->chip)
		return nrt_rack_fail(p, "cable %u.%u.%u %u.%u.%u: both ends on chip %u.%u",
				     a->host, a->chip, a->port, b->host, b->chip,
				     b->port, a->host, a->chip);
	for (k = 0; k < 2; k++) {
		int32_t c = r->far[k ? ib : ia];

		if (c < 0)
			continue;
		if (r->cables[c].line)
			return nrt_rack_fail(p, "port %u.%u.%u is used twice (also on line %u)",
					     ends[k]->host, ends[k]->chip, ends[k]->port,
					     r->cables[c].line);
		return nrt_rack_fail(p, "port %u.%u.%u is used twice",
				     ends[k]->host, ends[k]->chip, ends[k]->port);
	}
	if (r->n_cables == r->cap_cables) {
		size_t cap = r->cap_cables ? 2 * r->cap_cables : 64;
		struct nrt_rack_cable *v = realloc(r->cables, cap * sizeof(*v));

		if (!v)
			return nrt_rack_fail(p, "out of memory");
		r->cables = v;
		r->cap_cables = cap;
	}
	r->cables[r->n_cables] = (struct nrt_rack_cable){ *a, *b, p->line };
	r->far[ia] = r->far[ib] = (int32_t)r->n_cables;
	r->n_cables++;
	return 0;
}

/* "hosts N", "chips N", "ports N". */
static int nrt_rack_dim(struct nrt_rack_parser *p, struct nrt_rack *r, char **w,
			unsigned int nw, unsigned int *dim, unsigned int max)
{
	unsigned int v;

	if (r->far)
		return nrt_rack_fail(p, "'%s' after the first 'host' or 'cable' line", w[0]);
	if (*dim)
		return nrt_rack_fail(p, "'%s' given twice", w[0]);
	if (nw != 2)
		return nrt_rack_fail(p, "'%s' takes one number", w[0]);
	if (!nrt_tool_parse_uint(w[1], 1, max, &v))
		return nrt_rack_fail(p, "'%s %s': want a number from 1 to %u", w[0], w[1], max);
	*dim = v;
	return 0;
}

/* Before the first "host" or "cable" line: the shape is complete. */
static int nrt_rack_need_shape(struct nrt_rack_parser *p, struct nrt_rack *r,
			       const char *what)
{
	if (r->far)
		return 0;
	if (!r->hosts || !r->chips || !r->ports)
		return nrt_rack_fail(p, "'%s' before the 'hosts', 'chips' and 'ports' lines",
				     what);
	return nrt_rack_size(p, r);
}

static int nrt_rack_host_line(struct nrt_rack_parser *p, struct nrt_rack *r,
			      char **w, unsigned int nw)
{
	unsigned int h, i;

	if (nrt_rack_need_shape(p, r, "host"))
		return -1;
	if (nw != 3)
		return nrt_rack_fail(p, "'host' takes a host number and a name");
	if (!nrt_tool_parse_uint(w[1], 0, UINT32_MAX, &h))
		return nrt_rack_fail(p, "'host %s': not a host number", w[1]);
	if (h >= r->hosts)
		return nrt_rack_fail(p, "host %u out of range (the rack has %u hosts)",
				     h, r->hosts);
	if (r->host_names[h])
		return nrt_rack_fail(p, "host %u named twice", h);
	for (i = 0; i < r->hosts; i++)
		if (r->host_names[i] && !strcmp(r->host_names[i], w[2]))
			return nrt_rack_fail(p, "name '%s' given to hosts %u and %u",
					     w[2], i, h);
	r->host_names[h] = strdup(w[2]);
	if (!r->host_names[h])
		return nrt_rack_fail(p, "out of memory");
	return 0;
}

/* One line, its comment removed, split into at most 8 words. */
static int nrt_rack_line(struct nrt_rack_parser *p, struct nrt_rack *r, char *text)
{
	char *w[8], *save = NULL, *tok, *q;
	struct nrt_rack_end a, b;
	unsigned int nw = 0;

	for (q = text; (tok = strtok_r(q, " \t\r\n", &save)); q = NULL) {
		if (nw == 8)
			return nrt_rack_fail(p, "too many words");
		w[nw++] = tok;
	}
	if (!nw)
		return 0;
	if (!strcmp(w[0], "rack")) {
		if (r->name[0])
			return nrt_rack_fail(p, "'rack' given twice");
		if (nw != 2 || strlen(w[1]) >= sizeof(r->name))
			return nrt_rack_fail(p, "'rack' takes one name of at most %zu characters",
					     sizeof(r->name) - 1);
		strcpy(r->name, w[1]);
		return 0;
	}
	if (!strcmp(w[0], "hosts"))
		return nrt_rack_dim(p, r, w, nw, &r->hosts, NRT_RACK_MAX_HOSTS);
	if (!strcmp(w[0], "chips"))
		return nrt_rack_dim(p, r, w, nw, &r->chips, NRT_RACK_MAX_CHIPS);
	if (!strcmp(w[0], "ports"))
		return nrt_rack_dim(p, r, w, nw, &r->ports, NRT_RACK_MAX_PORTS);
	if (!strcmp(w[0], "host"))
		return nrt_rack_host_line(p, r, w, nw);
	if (strcmp(w[0], "cable"))
		return nrt_rack_fail(p, "unknown keyword '%s'", w[0]);
	if (nrt_rack_need_shape(p, r, "cable"))
		return -1;
	if (nw != 3)
		return nrt_rack_fail(p, "'cable' takes two ends, HOST.CHIP.PORT HOST.CHIP.PORT");
	if (nrt_rack_end_parse(p, r, w[1], &a) || nrt_rack_end_parse(p, r, w[2], &b))
		return -1;
	return nrt_rack_add(p, r, &a, &b);
}

int nrt_rack_parse(FILE *in, const char *fname, struct nrt_rack *r,
		   char *err, size_t errsz)
{
	struct nrt_rack_parser p = { fname, 0, err, errsz };
	size_t cap = 0;
	char *text = NULL, *hash;
	ssize_t len;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	while (!ret && (len = getline(&text, &cap, in)) >= 0) {
		p.line++;
		if (memchr(text, '\0', (size_t)len)) {
			ret = nrt_rack_fail(&p, "a NUL byte: not a text file");
			break;
		}
		hash = strchr(text, '#');
		if (hash)
			*hash = '\0';
		ret = nrt_rack_line(&p, r, text);
	}
	free(text);
	if (!ret && ferror(in)) {
		p.line = 0;
		ret = nrt_rack_fail(&p, "read error: %s", strerror(errno));
	}
	if (!ret && !r->far) {
		p.line = 0;
		ret = nrt_rack_need_shape(&p, r, "the end of the file");
	}
	if (ret)
		nrt_rack_free(r);
	return ret;
}

int nrt_rack_load(const char *path, struct nrt_rack *r, char *err, size_t errsz)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	int ret;

	if (!f) {
		memset(r, 0, sizeof(*r));
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	ret = nrt_rack_parse(f, f == stdin ? "<stdin>" : path, r, err, errsz);
	if (f != stdin)
		fclose(f);
	return ret;
}

bool nrt_rack_far(const struct nrt_rack *r, const struct nrt_rack_end *e,
		  struct nrt_rack_end *far)
{
	const struct nrt_rack_cable *c;
	int32_t i;

	if (!r->far || e->host >= r->hosts || e->chip >= r->chips || e->port >= r->ports)
		return false;
	i = r->far[nrt_rack_index(r, e)];
	if (i < 0)
		return false;
	c = &r->cables[i];
	*far = c->a.host == e->host && c->a.chip == e->chip && c->a.port == e->port ?
	       c->b : c->a;
	return true;
}

int nrt_rack_host_by_name(const struct nrt_rack *r, const char *name)
{
	unsigned int h;

	for (h = 0; r->host_names && h < r->hosts; h++)
		if (r->host_names[h] && !strcmp(r->host_names[h], name))
			return (int)h;
	return -1;
}

void nrt_rack_count(const struct nrt_rack *r, size_t *inner, size_t *outer)
{
	size_t i;

	*inner = *outer = 0;
	for (i = 0; i < r->n_cables; i++) {
		if (r->cables[i].a.host == r->cables[i].b.host)
			(*inner)++;
		else
			(*outer)++;
	}
}

/* --- generator ------------------------------------------------------------ */

/* "NxRxC": three numbers from 1, joined by 'x'. */
static bool nrt_rack_parse_dims(const char *s, unsigned int v[3])
{
	char buf[64], *tok, *save = NULL, *q;
	unsigned int i = 0;

	if (strlen(s) >= sizeof(buf) || !*s || s[strlen(s) - 1] == 'x' || strstr(s, "xx"))
		return false;
	strcpy(buf, s);
	for (q = buf; (tok = strtok_r(q, "x", &save)); q = NULL)
		if (i == 3 || !nrt_tool_parse_uint(tok, 1, NRT_RACK_MAX_CHIPS, &v[i++]))
			return false;
	return i == 3 && buf[0] != 'x';
}

int nrt_rack_gen(const char *shape, struct nrt_rack *r, char *err, size_t errsz)
{
	struct nrt_rack_parser p = { "nrt-rack gen", 0, err, errsz };
	unsigned int v[3], h, row, col, rows, cols;
	const char *dims = NULL, *name = shape;

	memset(r, 0, sizeof(*r));
	if (!strcmp(shape, "ultraserver"))
		dims = "4x4x4";
	else if (!strcmp(shape, "rack144"))
		dims = "9x4x4";
	else if (!strncmp(shape, "torus-ring:", 11))
		dims = shape + 11, name = "torus-ring";
	if (!dims || !nrt_rack_parse_dims(dims, v))
		return nrt_rack_fail(&p, "unknown shape '%s' (ultraserver, rack144 or torus-ring:HOSTSxROWSxCOLS)",
				     shape);
	if (v[1] < 2 || v[2] < 2 || v[0] > NRT_RACK_MAX_HOSTS || v[1] * v[2] > NRT_RACK_MAX_CHIPS)
		return nrt_rack_fail(&p, "shape '%s': a host's torus needs at least 2x2 chips, at most %u, and at most %u hosts",
				     shape, NRT_RACK_MAX_CHIPS, NRT_RACK_MAX_HOSTS);
	snprintf(r->name, sizeof(r->name), "%s-%ux%ux%u", name, v[0], v[1], v[2]);
	if (strcmp(name, "torus-ring"))
		snprintf(r->name, sizeof(r->name), "%s", name);
	r->hosts = v[0];
	rows = v[1];
	cols = v[2];
	r->chips = rows * cols;
	r->ports = r->hosts > 1 ? 6 : 4;
	if (nrt_rack_size(&p, r))
		goto fail;
	for (h = 0; h < r->hosts; h++) {
		for (row = 0; row < rows; row++) {
			for (col = 0; col < cols; col++) {
				uint32_t c = row * cols + col;
				struct nrt_rack_end a = { h, c, 0 };
				struct nrt_rack_end east = { h, row * cols + (col + 1) % cols, 2 };
				struct nrt_rack_end south = { h, ((row + 1) % rows) * cols + col, 3 };

				if (nrt_rack_add(&p, r, &a, &east))
					goto fail;
				a.port = 1;
				if (nrt_rack_add(&p, r, &a, &south))
					goto fail;
			}
		}
	}
	for (h = 0; r->hosts > 1 && h < r->hosts; h++) {
		uint32_t c;

		for (c = 0; c < r->chips; c++) {
			struct nrt_rack_end a = { h, c, 4 };
			struct nrt_rack_end next = { (h + 1) % r->hosts, c, 5 };

			if (nrt_rack_add(&p, r, &a, &next))
				goto fail;
		}
	}
	return 0;
fail:
	nrt_rack_free(r);
	return -1;
}

/* --- output ----------------------------------------------------------------- */

int nrt_rack_write(FILE *out, const struct nrt_rack *r, const char *comment)
{
	size_t i, inner, outer;
	unsigned int h;

	nrt_rack_count(r, &inner, &outer);
	if (comment)
		fprintf(out, "# %s\n", comment);
	if (r->name[0])
		fprintf(out, "rack %s\n", r->name);
	fprintf(out, "hosts %u\nchips %u\nports %u\n", r->hosts, r->chips, r->ports);
	for (h = 0; r->host_names && h < r->hosts; h++)
		if (r->host_names[h])
			fprintf(out, "host %u %s\n", h, r->host_names[h]);
	fprintf(out, "# %zu cables within the hosts, %zu between hosts\n", inner, outer);
	for (i = 0; i < r->n_cables; i++) {
		const struct nrt_rack_cable *c = &r->cables[i];

		fprintf(out, "cable %u.%u.%u %u.%u.%u\n", c->a.host, c->a.chip,
			c->a.port, c->b.host, c->b.chip, c->b.port);
	}
	return ferror(out) ? -1 : 0;
}

static int nrt_rack_end_cmp(const struct nrt_rack_end *x, const struct nrt_rack_end *y)
{
	if (x->host != y->host)
		return x->host < y->host ? -1 : 1;
	if (x->chip != y->chip)
		return x->chip < y->chip ? -1 : 1;
	return x->port < y->port ? -1 : x->port > y->port;
}

static int nrt_rack_cable_cmp(const void *a, const void *b)
{
	const struct nrt_rack_cable *x = a, *y = b;
	int c = nrt_rack_end_cmp(&x->a, &y->a);

	return c ? c : nrt_rack_end_cmp(&x->b, &y->b);
}

int nrt_rack_list(FILE *out, const struct nrt_rack *r)
{
	struct nrt_rack_cable *v = malloc((r->n_cables ? r->n_cables : 1) * sizeof(*v));
	size_t i;

	if (!v)
		return -1;
	for (i = 0; i < r->n_cables; i++) {
		v[i] = r->cables[i];
		if (nrt_rack_end_cmp(&v[i].b, &v[i].a) < 0) {
			v[i].a = r->cables[i].b;
			v[i].b = r->cables[i].a;
		}
	}
	qsort(v, r->n_cables, sizeof(*v), nrt_rack_cable_cmp);
	fprintf(out, "hosts %u chips %u ports %u\n", r->hosts, r->chips, r->ports);
	for (i = 0; i < r->n_cables; i++)
		fprintf(out, "cable %u.%u.%u %u.%u.%u\n", v[i].a.host, v[i].a.chip,
			v[i].a.port, v[i].b.host, v[i].b.chip, v[i].b.port);
	free(v);
	return ferror(out) ? -1 : 0;
}
