/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * trn accelerator: element formats and conversions of the NeuronCores.
 *
 * The one implementation of the conversion rules of Documentation/isa.rst,
 * shared by the QEMU model (which computes with them), libnrt (which converts
 * host data with them) and the tests. Every element converts exactly to a
 * double; a double converts to an element format by rounding to nearest,
 * ties to even, once:
 *
 * - fp32, bf16, fp16: IEEE behaviour. Overflow gives infinity, subnormals
 *   are kept, NaN stays NaN (quiet, sign kept).
 * - fp8 e4m3 and e5m2 (OCP 8-bit floating point specification 1.0):
 *   saturating. A finite value beyond the largest finite one (448, 57344)
 *   gives that value with its sign. Infinity gives the largest finite value
 *   in e4m3, which has no infinity, and stays infinity in e5m2. NaN gives
 *   NaN (e4m3 S.1111.111, e5m2 S.11111.11).
 * - int8, int32: saturating to the range, NaN gives 0.
 *
 * Userspace C11 and QEMU only: needs <math.h>, <stdint.h>, <string.h>.
 */
#ifndef TRN_NUMERICS_H
#define TRN_NUMERICS_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "trn_isa.h"

/* Bytes of one element of @dt, or 0 for an invalid type. */
static inline unsigned int trn_dt_size(unsigned int dt)
{
	switch (dt) {
	case TRN_DT_FP32:
	case TRN_DT_INT32:
		return 4;
	case TRN_DT_BF16:
	case TRN_DT_FP16:
		return 2;
	case TRN_DT_FP8_E4M3:
	case TRN_DT_FP8_E5M2:
	case TRN_DT_INT8:
		return 1;
	default:
		return 0;
	}
}

static inline bool trn_dt_valid(unsigned int dt)
{
	return trn_dt_size(dt) != 0;
}

/*
 * A binary floating point format narrower than double: @mbits stored
 * mantissa bits, @ebits exponent bits.
 */
struct trn_fmt {
	int ebits, mbits;
	bool ieee;		/* all-ones exponent: Inf/NaN (else e4m3 style) */
	uint32_t max_bits;	/* encoding of the largest finite value */
	uint32_t nan_bits;	/* encoding of the positive NaN produced */
};

static const struct trn_fmt trn_fmt_bf16 = { 8, 7, true, 0x7f7f, 0x7fc0 };
static const struct trn_fmt trn_fmt_fp16 = { 5, 10, true, 0x7bff, 0x7e00 };
static const struct trn_fmt trn_fmt_e4m3 = { 4, 3, false, 0x7e, 0x7f };
static const struct trn_fmt trn_fmt_e5m2 = { 5, 2, true, 0x7b, 0x7f };

/* The value of the encoding @bits of format @f. */
static inline double trn_fmt_decode(const struct trn_fmt *f, uint32_t bits)
{
	int bias = (1 << (f->ebits - 1)) - 1;
	uint32_t sign = bits >> (f->ebits + f->mbits) & 1;
	uint32_t e = bits >> f->mbits & ((1u << f->ebits) - 1);
	uint32_t m = bits & ((1u << f->mbits) - 1);
	double v;

	if (f->ieee && e == (1u << f->ebits) - 1)
		v = m ? NAN : INFINITY;
	else if (!f->ieee && (bits & 0x7f) == 0x7f)
		v = NAN;
	else if (e == 0)
		v = ldexp((double)m, 1 - bias - f->mbits);
	else
		v = ldexp((double)(m | 1u << f->mbits), (int)e - bias - f->mbits);
	return sign ? -v : v;
}

/*
 * The encoding in format @f of @x rounded to nearest even; @saturate: clamp
 * finite overflow to the largest finite value instead of giving infinity.
 * Infinity stays infinity where the format has one, else it saturates.
 */
static inline uint32_t trn_fmt_encode(const struct trn_fmt *f, double x,
				      bool saturate)
{
	int bias = (1 << (f->ebits - 1)) - 1;
	int emin = 1 - bias;
	uint32_t sign = signbit(x) ? 1u << (f->ebits + f->mbits) : 0;
	uint32_t inf_bits = ((1u << f->ebits) - 1) << f->mbits;
	double a = fabs(x), n;
	uint32_t bits;
	int e;

	if (isnan(x))
		return sign | f->nan_bits;
	if (isinf(x))		/* kept where the format has infinities */
		return sign | (f->ieee ? inf_bits : f->max_bits);
	if (a == 0)
		return sign;
	frexp(a, &e);		/* a = m * 2^e, 0.5 <= m < 1 */
	e -= 1;			/* a = 1.xxx * 2^e */
	if (e < emin)
		e = emin;	/* subnormal: the quantum of the smallest normal */
	/* a / quantum is exact in a double; rint() rounds half to even. */
	n = rint(ldexp(a, f->mbits - e));
	if (n < ldexp(1.0, f->mbits))	/* subnormal (or rounded up to normal) */
		bits = (uint32_t)n;
	else
		bits = ((uint32_t)(e + bias) << f->mbits) +
		       ((uint32_t)n - (1u << f->mbits));
	if (bits > f->max_bits)
		bits = saturate || !f->ieee ? f->max_bits : inf_bits;
	return sign | bits;
}

static inline float trn_bits_to_f32(uint32_t b)
{
	float f;

	memcpy(&f, &b, sizeof(f));
	return f;
}

static inline uint32_t trn_f32_to_bits(float f)
{
	uint32_t b;

	memcpy(&b, &f, sizeof(b));
	return b;
}

/* bf16 from fp32, round to nearest even (exact for a single rounding). */
static inline uint16_t trn_f32_to_bf16(float f)
{
	uint32_t b = trn_f32_to_bits(f);

	if (isnan(f))		/* the canonical quiet NaN, sign kept */
		return (uint16_t)(((b >> 16) & 0x8000) | trn_fmt_bf16.nan_bits);
	b += 0x7fff + ((b >> 16) & 1);
	return (uint16_t)(b >> 16);
}

static inline float trn_bf16_to_f32(uint16_t h)
{
	return trn_bits_to_f32((uint32_t)h << 16);
}

/* Saturating conversion to an integer, NaN to 0. */
static inline double trn_round_sat(double x, double lo, double hi)
{
	if (isnan(x))
		return 0;
	x = rint(x);
	return x < lo ? lo : x > hi ? hi : x;
}

/* The element of type @dt at @p (little endian), as a double. */
static inline double trn_load(unsigned int dt, const void *p)
{
	const uint8_t *b = p;
	uint32_t u;
	int32_t i;
	float f;

	switch (dt) {
	case TRN_DT_FP32:
		memcpy(&f, p, 4);
		return f;
	case TRN_DT_BF16:
		return trn_bf16_to_f32((uint16_t)(b[0] | b[1] << 8));
	case TRN_DT_FP16:
		return trn_fmt_decode(&trn_fmt_fp16, b[0] | b[1] << 8);
	case TRN_DT_FP8_E4M3:
		return trn_fmt_decode(&trn_fmt_e4m3, b[0]);
	case TRN_DT_FP8_E5M2:
		return trn_fmt_decode(&trn_fmt_e5m2, b[0]);
	case TRN_DT_INT8:
		return (int8_t)b[0];
	case TRN_DT_INT32:
		u = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
		memcpy(&i, &u, 4);
		return i;
	default:
		return NAN;
	}
}

/* Store @x at @p as type @dt, converted by the rules above. */
static inline void trn_store(unsigned int dt, void *p, double x)
{
	uint8_t *b = p;
	uint32_t u;
	int32_t i;
	float f;

	switch (dt) {
	case TRN_DT_FP32:
		f = (float)x;
		memcpy(p, &f, 4);
		return;
	case TRN_DT_BF16:
		f = (float)x;
		/* Exact in fp32 (the usual case): the fast rounding is the same. */
		if ((double)f == x || isnan(x))
			u = trn_f32_to_bf16(f);
		else
			u = trn_fmt_encode(&trn_fmt_bf16, x, false);
		break;
	case TRN_DT_FP16:
		u = trn_fmt_encode(&trn_fmt_fp16, x, false);
		break;
	case TRN_DT_FP8_E4M3:
		b[0] = (uint8_t)trn_fmt_encode(&trn_fmt_e4m3, x, true);
		return;
	case TRN_DT_FP8_E5M2:
		b[0] = (uint8_t)trn_fmt_encode(&trn_fmt_e5m2, x, true);
		return;
	case TRN_DT_INT8:
		b[0] = (uint8_t)(int8_t)trn_round_sat(x, -128, 127);
		return;
	case TRN_DT_INT32:
		i = (int32_t)trn_round_sat(x, -2147483648.0, 2147483647.0);
		memcpy(&u, &i, 4);
		b[0] = (uint8_t)u;
		b[1] = (uint8_t)(u >> 8);
		b[2] = (uint8_t)(u >> 16);
		b[3] = (uint8_t)(u >> 24);
		return;
	default:
		return;
	}
	b[0] = (uint8_t)u;
	b[1] = (uint8_t)(u >> 8);
}

#endif /* TRN_NUMERICS_H */
