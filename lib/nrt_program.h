/* SPDX-License-Identifier: MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Programs, internal to the program module: the program object
 * (nrt_program.c), the steps appended to it (nrt_step.c) and its runs
 * (nrt_run.c).
 */
#ifndef NRT_PROGRAM_H
#define NRT_PROGRAM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nrt_buffer.h"
#include "nrt_tensor.h"
#include "trn_isa.h"

struct nrt_program {
	struct nrt_device *dev;         /* holds a reference */
	atomic_uint refs;               /* the handle and the runs in flight */
	pthread_mutex_t lock;           /* everything below until finalized */
	unsigned char *insns;           /* host copy: @n instructions */
	unsigned int n, cap;
	struct nrt_storage **stores;    /* storage of every tensor used, once */
	size_t n_stores, cap_stores;
	struct nrt_buffer *code;        /* HBM copy, once finalized */
	atomic_bool finalized;          /* @code, @insns and @n are final */
};

/* An operand of an instruction: a strided tensor of 4 dimensions. */
struct nrt_operand {
	uint64_t va;
	unsigned int dtype;
	uint32_t shape[TRN_MAX_DIMS];
	int32_t stride[TRN_MAX_DIMS];
};

/* Write @o into operand slot @slot (0: out, 1: a, 2: b) of @insn. */
NRT_HIDDEN void nrt_encode_operand(unsigned char *insn, unsigned int slot,
				   const struct nrt_operand *o);

/* The names of the steps with a function (nrt_program_step_name()). */
NRT_HIDDEN extern const char *const nrt_bin_names[TRN_BIN_COUNT];
NRT_HIDDEN extern const char *const nrt_bin_scalar_names[TRN_BIN_COUNT];
NRT_HIDDEN extern const char *const nrt_act_names[TRN_ACT_COUNT];
NRT_HIDDEN extern const char *const nrt_red_names[TRN_RED_COUNT];

/* The name of the step encoded at @insn. */
NRT_HIDDEN const char *nrt_insn_name(const unsigned char *insn);

/* A reference for a run in flight, and its release (which frees @p last). */
NRT_HIDDEN void nrt_program_ref(struct nrt_program *p);
NRT_HIDDEN void nrt_program_unref(struct nrt_program *p);

/* Little-endian fields of instructions and status records. */
static inline uint16_t nrt_get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t nrt_get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t nrt_get64(const unsigned char *p)
{
	return (uint64_t)nrt_get32(p) | (uint64_t)nrt_get32(p + 4) << 32;
}

static inline void nrt_put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static inline void nrt_put32(unsigned char *p, uint32_t v)
{
	nrt_put16(p, (uint16_t)v);
	nrt_put16(p + 2, (uint16_t)(v >> 16));
}

static inline void nrt_put64(unsigned char *p, uint64_t v)
{
	nrt_put32(p, (uint32_t)v);
	nrt_put32(p + 4, (uint32_t)(v >> 32));
}

#endif /* NRT_PROGRAM_H */
