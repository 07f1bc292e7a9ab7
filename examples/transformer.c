// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * transformer - one transformer block, forward, on a NeuronCore.
 *
 * Builds a pre-norm transformer block with random weights as one libnrt
 * program and runs it on a trn device:
 *
 *   h  = LayerNorm1(x)
 *   q, k, v = h Wq, h Wk, h Wv                 (H heads of Dh = D / H)
 *   a  = softmax(q k^T / sqrt(Dh)) v           (per head)
 *   x1 = x + a Wo
 *   y  = x1 + GELU(LayerNorm2(x1) W1 + b1) W2 + b2
 *
 * then computes the same on the CPU in double precision from the same
 * inputs (rounded to the device's data type) and compares: every element of
 * y must satisfy |device - reference| <= tol * (1 + |reference|), with tol
 * 1e-4 for fp32 and 5e-2 for bf16 (bf16 keeps 8 significant bits; each of
 * the ~25 steps rounds its result to bf16). The largest error seen is
 * printed beside the tolerance.
 *
 * Usage: transformer [--dtype fp32|bf16] [--device N] [--core N] [--seed N]
 * Exit status 0 if the device matches the reference, 1 if not or on error.
 */
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nrt.h"

/* Model dimensions: sequence, model width, heads, MLP width. */
enum { S = 64, D = 128, H = 4, DH = D / H, F = 4 * D };

static const double ln_eps = 1e-5;

struct weights {
	float *x;			/* [S, D] input */
	float *g1, *b1, *g2, *b2;	/* [D] layer norm gain and bias */
	float *wq, *wk, *wv, *wo;	/* [D, D] */
	float *w1, *bias1;		/* [D, F], [F] */
	float *w2, *bias2;		/* [F, D], [D] */
};

static uint64_t rng_state;

static double rng_uniform(void)	/* [-1, 1) */
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double)(rng_state >> 11) / (double)(1ULL << 52) - 1.0;
}

static float *xalloc(size_t n)
{
	float *p = calloc(n, sizeof(float));

	if (!p) {
		fprintf(stderr, "transformer: out of memory\n");
		exit(1);
	}
	return p;
}

static float *random_array(size_t n, double scale, double offset)
{
	float *p = xalloc(n);
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (float)(offset + scale * rng_uniform());
	return p;
}

static void make_weights(struct weights *w)
{
	w->x = random_array(S * D, 1.0, 0);
	w->g1 = random_array(D, 0.1, 1.0);
	w->b1 = random_array(D, 0.1, 0);
	w->g2 = random_array(D, 0.1, 1.0);
	w->b2 = random_array(D, 0.1, 0);
	w->wq = random_array(D * D, 1.0 / sqrt(D), 0);
	w->wk = random_array(D * D, 1.0 / sqrt(D), 0);
	w->wv = random_array(D * D, 1.0 / sqrt(D), 0);
	w->wo = random_array(D * D, 1.0 / sqrt(D), 0);
	w->w1 = random_array(D * F, 1.0 / sqrt(D), 0);
	w->bias1 = random_array(F, 0.1, 0);
	w->w2 = random_array(F * D, 1.0 / sqrt(F), 0);
	w->bias2 = random_array(D, 0.1, 0);
}

static void free_weights(struct weights *w)
{
	float **f[] = { &w->x, &w->g1, &w->b1, &w->g2, &w->b2, &w->wq, &w->wk,
			&w->wv, &w->wo, &w->w1, &w->bias1, &w->w2, &w->bias2 };
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		free(*f[i]);
		*f[i] = NULL;
	}
}

/* --- CPU reference, in double ------------------------------------------ */

static void ref_layernorm(const double *x, const double *g, const double *b,
			  double *out)
{
	int s, d;

	for (s = 0; s < S; s++) {
		double mean = 0, var = 0, r;

		for (d = 0; d < D; d++)
			mean += x[s * D + d];
		mean /= D;
		for (d = 0; d < D; d++)
			var += (x[s * D + d] - mean) * (x[s * D + d] - mean);
		var /= D;
		r = 1.0 / sqrt(var + ln_eps);
		for (d = 0; d < D; d++)
			out[s * D + d] = (x[s * D + d] - mean) * r * g[d] + b[d];
	}
}

/* out[m, n] = sum_k a[m, k] * b[k, n] (+ bias[n]) */
static void ref_matmul(const double *a, const double *b, const double *bias,
		       double *out, int m, int k, int n)
{
	int i, j, l;

	for (i = 0; i < m; i++) {
		for (j = 0; j < n; j++) {
			double acc = bias ? bias[j] : 0;

			for (l = 0; l < k; l++)
				acc += a[i * k + l] * b[l * n + j];
			out[i * n + j] = acc;
		}
	}
}

static void ref_attention(const double *q, const double *k, const double *v,
			  double *out)
{
	double p[S];
	int h, i, j, d;

	for (h = 0; h < H; h++) {
		for (i = 0; i < S; i++) {
			double max = -INFINITY, sum = 0;

			for (j = 0; j < S; j++) {
				double dot = 0;

				for (d = 0; d < DH; d++)
					dot += q[i * D + h * DH + d] * k[j * D + h * DH + d];
				p[j] = dot / sqrt(DH);
				if (p[j] > max)
					max = p[j];
			}
			for (j = 0; j < S; j++) {
				p[j] = exp(p[j] - max);
				sum += p[j];
			}
			for (d = 0; d < DH; d++) {
				double acc = 0;

				for (j = 0; j < S; j++)
					acc += p[j] / sum * v[j * D + h * DH + d];
				out[i * D + h * DH + d] = acc;
			}
		}
	}
}

static double *to_double(const float *f, size_t n)
{
	double *d = malloc(n * sizeof(double));
	size_t i;

	if (!d) {
		fprintf(stderr, "transformer: out of memory\n");
		exit(1);
	}
	for (i = 0; i < n; i++)
		d[i] = f[i];
	return d;
}

static void reference(const struct weights *w, double *y)
{
	double *x = to_double(w->x, S * D);
	double *g1 = to_double(w->g1, D), *b1 = to_double(w->b1, D);
	double *g2 = to_double(w->g2, D), *b2 = to_double(w->b2, D);
	double *wq = to_double(w->wq, D * D), *wk = to_double(w->wk, D * D);
	double *wv = to_double(w->wv, D * D), *wo = to_double(w->wo, D * D);
	double *w1 = to_double(w->w1, D * F), *bias1 = to_double(w->bias1, F);
	double *w2 = to_double(w->w2, F * D), *bias2 = to_double(w->bias2, D);
	double *h = calloc(S * D, sizeof(double)), *q = calloc(S * D, sizeof(double));
	double *k = calloc(S * D, sizeof(double)), *v = calloc(S * D, sizeof(double));
	double *a = calloc(S * D, sizeof(double)), *x1 = calloc(S * D, sizeof(double));
	double *u = calloc(S * F, sizeof(double));
	int i;

	if (!h || !q || !k || !v || !a || !x1 || !u) {
		fprintf(stderr, "transformer: out of memory\n");
		exit(1);
	}
	ref_layernorm(x, g1, b1, h);
	ref_matmul(h, wq, NULL, q, S, D, D);
	ref_matmul(h, wk, NULL, k, S, D, D);
	ref_matmul(h, wv, NULL, v, S, D, D);
	ref_attention(q, k, v, a);
	ref_matmul(a, wo, NULL, x1, S, D, D);
	for (i = 0; i < S * D; i++)
		x1[i] += x[i];
	ref_layernorm(x1, g2, b2, h);
	ref_matmul(h, w1, bias1, u, S, D, F);
	for (i = 0; i < S * F; i++)
		u[i] = u[i] / 2 * (1 + erf(u[i] / sqrt(2.0)));
	ref_matmul(u, w2, bias2, y, S, F, D);
	for (i = 0; i < S * D; i++)
		y[i] += x1[i];

	free(x); free(g1); free(b1); free(g2); free(b2); free(wq); free(wk);
	free(wv); free(wo); free(w1); free(bias1); free(w2); free(bias2);
	free(h); free(q); free(k); free(v); free(a); free(x1); free(u);
}

/* --- device ------------------------------------------------------------- */

#define MAX_TENSORS 64

/* Tensors and views of the program, freed together. */
struct pool {
	nrt_device *dev;
	nrt_dtype dt;
	nrt_tensor *t[MAX_TENSORS];
	unsigned int n;
};

static nrt_tensor *keep(struct pool *p, nrt_tensor *t)
{
	if (p->n == MAX_TENSORS) {
		fprintf(stderr, "transformer: too many tensors\n");
		exit(1);
	}
	p->t[p->n++] = t;
	return t;
}

/*
 * A new tensor, written from @init if not NULL; @init then receives the
 * values as the device holds them (rounded to its type), which is what the
 * reference computes with.
 */
static nrt_status tensor(struct pool *p, unsigned int rank, const uint32_t *shape,
			 float *init, nrt_tensor **out)
{
	nrt_status st = nrt_tensor_alloc(p->dev, p->dt, rank, shape,
					 NRT_PLACEMENT_HBM, out);

	if (st != NRT_SUCCESS)
		return st;
	keep(p, *out);
	if (!init)
		return NRT_SUCCESS;
	st = nrt_tensor_write(*out, init, NRT_DTYPE_FP32);
	return st == NRT_SUCCESS ? nrt_tensor_read(*out, init, NRT_DTYPE_FP32) : st;
}

#define T2(p, r0, r1, init, out) \
	tensor(p, 2, (const uint32_t[]){ r0, r1 }, init, out)
#define CHECK(expr) do { st = (expr); if (st != NRT_SUCCESS) return st; } while (0)

/*
 * The [S, D] activation @t seen as heads: [H, S, DH], element (h, s, d) at
 * (s, h * DH + d). With @transposed, [H, DH, S].
 */
static nrt_status heads(struct pool *p, nrt_tensor *t, bool transposed,
			nrt_tensor **out)
{
	nrt_tensor *v3, *vh;
	nrt_status st;

	CHECK(nrt_tensor_reshape(t, 3, (const uint32_t[]){ S, H, DH }, &v3));
	keep(p, v3);
	CHECK(nrt_tensor_transpose(v3, 0, 1, &vh));	/* [H, S, DH] */
	keep(p, vh);
	if (!transposed) {
		*out = vh;
		return NRT_SUCCESS;
	}
	CHECK(nrt_tensor_transpose(vh, 1, 2, out));	/* [H, DH, S] */
	keep(p, *out);
	return NRT_SUCCESS;
}

/* out = LayerNorm(x) * g + b over the last axis of [S, D]. */
static nrt_status layernorm(struct pool *p, nrt_program *prog, nrt_tensor *x,
			    nrt_tensor *g, nrt_tensor *b, nrt_tensor *out)
{
	nrt_tensor *mean, *xc, *var, *rstd;
	nrt_status st;

	CHECK(T2(p, S, 1, NULL, &mean));
	CHECK(T2(p, S, D, NULL, &xc));
	CHECK(T2(p, S, 1, NULL, &var));
	CHECK(T2(p, S, 1, NULL, &rstd));
	CHECK(nrt_program_reduce(prog, NRT_REDUCE_SUM, mean, x, 1, 1.0f / D));
	CHECK(nrt_program_binary(prog, NRT_BINARY_SUB, xc, x, mean));
	CHECK(nrt_program_activate(prog, NRT_ACT_SQUARE, out, xc, 1.0f, 0.0f));
	CHECK(nrt_program_reduce(prog, NRT_REDUCE_SUM, var, out, 1, 1.0f / D));
	CHECK(nrt_program_activate(prog, NRT_ACT_RSQRT, rstd, var, 1.0f,
				   (float)ln_eps));
	CHECK(nrt_program_binary(prog, NRT_BINARY_MUL, out, xc, rstd));
	CHECK(nrt_program_binary(prog, NRT_BINARY_MUL, out, out, g));
	return nrt_program_binary(prog, NRT_BINARY_ADD, out, out, b);
}

/* softmax along the last axis of [H, S, S], in place. */
static nrt_status softmax(struct pool *p, nrt_program *prog, nrt_tensor *t)
{
	nrt_tensor *m, *sum;
	nrt_status st;

	CHECK(tensor(p, 3, (const uint32_t[]){ H, S, 1 }, NULL, &m));
	CHECK(tensor(p, 3, (const uint32_t[]){ H, S, 1 }, NULL, &sum));
	CHECK(nrt_program_reduce(prog, NRT_REDUCE_MAX, m, t, 2, 1.0f));
	CHECK(nrt_program_binary(prog, NRT_BINARY_SUB, t, t, m));
	CHECK(nrt_program_activate(prog, NRT_ACT_EXP, t, t, 1.0f, 0.0f));
	CHECK(nrt_program_reduce(prog, NRT_REDUCE_SUM, sum, t, 2, 1.0f));
	return nrt_program_binary(prog, NRT_BINARY_DIV, t, t, sum);
}

/* Build the block's program; *y receives the output tensor [S, D]. */
static nrt_status build(struct pool *p, struct weights *w,
			nrt_program *prog, nrt_tensor **y)
{
	nrt_tensor *x, *g1, *b1, *g2, *b2, *wq, *wk, *wv, *wo, *w1, *bias1, *w2, *bias2;
	nrt_tensor *h, *q, *k, *v, *qh, *kt, *vh, *scores, *a, *ah, *x1, *u;
	nrt_status st;

	CHECK(T2(p, S, D, w->x, &x));
	CHECK(T2(p, 1, D, w->g1, &g1));
	CHECK(T2(p, 1, D, w->b1, &b1));
	CHECK(T2(p, 1, D, w->g2, &g2));
	CHECK(T2(p, 1, D, w->b2, &b2));
	CHECK(T2(p, D, D, w->wq, &wq));
	CHECK(T2(p, D, D, w->wk, &wk));
	CHECK(T2(p, D, D, w->wv, &wv));
	CHECK(T2(p, D, D, w->wo, &wo));
	CHECK(T2(p, D, F, w->w1, &w1));
	CHECK(T2(p, 1, F, w->bias1, &bias1));
	CHECK(T2(p, F, D, w->w2, &w2));
	CHECK(T2(p, 1, D, w->bias2, &bias2));

	CHECK(T2(p, S, D, NULL, &h));
	CHECK(T2(p, S, D, NULL, &q));
	CHECK(T2(p, S, D, NULL, &k));
	CHECK(T2(p, S, D, NULL, &v));
	CHECK(T2(p, S, D, NULL, &a));
	CHECK(T2(p, S, D, NULL, &x1));
	CHECK(T2(p, S, F, NULL, &u));
	CHECK(T2(p, S, D, NULL, y));
	CHECK(tensor(p, 3, (const uint32_t[]){ H, S, S }, NULL, &scores));

	/* Attention */
	CHECK(layernorm(p, prog, x, g1, b1, h));
	CHECK(nrt_program_matmul(prog, q, h, wq, 1.0f, false));
	CHECK(nrt_program_matmul(prog, k, h, wk, 1.0f, false));
	CHECK(nrt_program_matmul(prog, v, h, wv, 1.0f, false));
	CHECK(heads(p, q, false, &qh));
	CHECK(heads(p, k, true, &kt));
	CHECK(heads(p, v, false, &vh));
	CHECK(heads(p, a, false, &ah));
	CHECK(nrt_program_matmul(prog, scores, qh, kt, (float)(1.0 / sqrt(DH)), false));
	CHECK(softmax(p, prog, scores));
	CHECK(nrt_program_matmul(prog, ah, scores, vh, 1.0f, false));
	CHECK(nrt_program_matmul(prog, x1, a, wo, 1.0f, false));
	CHECK(nrt_program_binary(prog, NRT_BINARY_ADD, x1, x1, x));

	/* MLP */
	CHECK(layernorm(p, prog, x1, g2, b2, h));
	CHECK(nrt_program_matmul(prog, u, h, w1, 1.0f, false));
	CHECK(nrt_program_binary(prog, NRT_BINARY_ADD, u, u, bias1));
	CHECK(nrt_program_activate(prog, NRT_ACT_GELU, u, u, 1.0f, 0.0f));
	CHECK(nrt_program_matmul(prog, *y, u, w2, 1.0f, false));
	CHECK(nrt_program_binary(prog, NRT_BINARY_ADD, *y, *y, bias2));
	CHECK(nrt_program_binary(prog, NRT_BINARY_ADD, *y, *y, x1));
	return nrt_program_finalize(prog);
}

struct options {
	nrt_dtype dt;
	unsigned int device, core;
	uint64_t seed;
};

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "dtype", required_argument, NULL, 't' },
		{ "device", required_argument, NULL, 'd' },
		{ "core", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct options){ .dt = NRT_DTYPE_FP32, .seed = 1 };
	while ((c = getopt_long(argc, argv, "t:d:c:s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (!strcmp(optarg, "fp32")) {
				o->dt = NRT_DTYPE_FP32;
			} else if (!strcmp(optarg, "bf16")) {
				o->dt = NRT_DTYPE_BF16;
			} else {
				fprintf(stderr, "transformer: --dtype takes fp32 or bf16\n");
				exit(2);
			}
			break;
		case 'd':
			o->device = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'c':
			o->core = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 's':
			o->seed = strtoull(optarg, NULL, 0);
			break;
		case 'h':
			printf("Usage: transformer [--dtype fp32|bf16] [--device N] [--core N] [--seed N]\n");
			exit(0);
		default:
			exit(2);
		}
	}
}

int main(int argc, char **argv)
{
	struct options o;
	struct weights w;
	struct pool pool = { 0 };
	nrt_program *prog = NULL;
	nrt_tensor *y = NULL;
	double *ref = NULL, worst = 0, tol;
	float *out = NULL;
	size_t bad = 0, worst_at = 0, i;
	nrt_status st;

	parse_options(argc, argv, &o);
	tol = o.dt == NRT_DTYPE_FP32 ? 1e-4 : 5e-2;
	rng_state = 0x2545f4914f6cdd1dULL ^ (o.seed * 0x9e3779b97f4a7c15ULL);
	make_weights(&w);

	st = nrt_device_open(o.device, &pool.dev);
	if (st != NRT_SUCCESS) {
		fprintf(stderr, "transformer: device %u: %s\n", o.device, nrt_last_error());
		return 1;
	}
	pool.dt = o.dt;
	st = nrt_program_new(pool.dev, &prog);
	if (st == NRT_SUCCESS)
		st = build(&pool, &w, prog, &y);
	if (st != NRT_SUCCESS) {
		fprintf(stderr, "transformer: building the program: %s\n", nrt_last_error());
		goto out;
	}
	st = nrt_program_run(prog, o.core, NULL, NULL);
	if (st != NRT_SUCCESS) {
		fprintf(stderr, "transformer: running the program: %s\n", nrt_last_error());
		goto out;
	}
	out = xalloc(S * D);
	st = nrt_tensor_read(y, out, NRT_DTYPE_FP32);
	if (st != NRT_SUCCESS) {
		fprintf(stderr, "transformer: reading the output: %s\n", nrt_last_error());
		goto out;
	}

	ref = calloc(S * D, sizeof(double));
	if (!ref) {
		st = NRT_RESOURCE;
		goto out;
	}
	reference(&w, ref);
	for (i = 0; i < S * D; i++) {
		double err = fabs(out[i] - ref[i]) / (1 + fabs(ref[i]));

		if (!(err <= tol))
			bad++;
		if (!(err <= worst)) {
			worst = err;
			worst_at = i;
		}
	}
	printf("transformer block S=%d D=%d H=%d F=%d, %s, %u steps on core %u: "
	       "largest error %.3g (tolerance %.0e) at [%zu, %zu]: device %.6g, reference %.6g\n",
	       S, D, H, F, nrt_dtype_name(o.dt), nrt_program_steps(prog), o.core,
	       worst, tol, worst_at / D, worst_at % D, out[worst_at], ref[worst_at]);
	if (bad) {
		printf("FAIL: %zu of %d elements outside the tolerance\n", bad, S * D);
		st = NRT_INVALID;
	} else {
		printf("PASS\n");
	}
out:
	free(ref);
	free(out);
	nrt_program_free(prog);
	while (pool.n)
		nrt_tensor_free(pool.t[--pool.n]);
	nrt_device_close(pool.dev);
	free_weights(&w);
	return st == NRT_SUCCESS ? 0 : 1;
}
