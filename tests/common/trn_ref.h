/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright (c) 2026 The trn authors
 *
 * Reference executor of the NeuronCore instruction set, for tests.
 *
 * Runs encoded instructions (include/hw/trn_isa.h, Documentation/isa.rst)
 * on the host, over host memory that a caller-supplied resolver maps device
 * virtual addresses to. It is written for clarity, not speed: element
 * arithmetic in double precision rounded once to the output type through
 * include/hw/trn_numerics.h, MATMUL as a plain triple loop accumulating in
 * fp32 in index order. Device tests compare a device's results with it;
 * the unit tests' fake kernel executes EXEC descriptors with it.
 *
 * Checks are made in this order, and the first that fails decides the
 * error: the instruction's encoding (TRN_DMA_ERR_BAD_INSN), the operands'
 * shapes (TRN_DMA_ERR_OPERAND), their alignment (TRN_DMA_ERR_ALIGN), then
 * the translation of every element, operand by operand in slot order (out,
 * a, b) and element by element in row-major order (TRN_DMA_ERR_UNMAPPED or
 * TRN_DMA_ERR_READONLY, with the element's address). Nothing is written
 * unless every check passed, so a failing instruction leaves its output
 * untouched (the hardware may write part of it).
 *
 * Overlap of an output with an input is undefined in the ISA except for
 * the exact in-place use of BINARY, ACTIVATE, CAST and DMA, which the
 * executor supports (each element is read before it is written), and for
 * MATMUL, which reads all of its inputs before writing: the executor
 * computes the whole product before storing it.
 *
 * Where Documentation/isa.rst leaves a choice, the reference takes the one
 * of the QEMU model (qemu/trn-core.c), with the same expressions, so that
 * element-wise results agree bit for bit: relu(NaN) is NaN (max(x, 0) with
 * BINARY MAX's NaN rule); MAX of +0 and -0 is +0, MIN -0; gelu is
 * 0.5 * x * (1 + erf(x * sqrt(1/2))), silu x * sigmoid(x) (both -0 at -inf); a
 * reduction starts from the first element; a MATMUL result is ALPHA times
 * the fp32 sum, plus the old output read as fp32 with TRN_IF_ACCUMULATE,
 * computed in double and rounded once to the output type; TRANSPOSE, CAST
 * and DMA between operands of the same type copy the bits (other
 * conversions go through double). MATMUL sums in index order, which a
 * device need not do (the QEMU model uses a BLAS library): compare its
 * results with a tolerance.
 *
 * Thread-safe: no global state.
 */
#ifndef TRN_REF_H
#define TRN_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * trn_ref_mem_fn - map device memory for the executor
 * @ctx: the caller's context
 * @va: device virtual address of the first byte
 * @len: bytes, at least 1
 * @write: whether the instruction writes the range
 * @host: receives the host address of the byte at @va; the @len bytes from
 *	there must be one contiguous range of host memory
 *
 * Return: TRN_DMA_ERR_NONE, or the error of the access (TRN_DMA_ERR_UNMAPPED
 * when some byte of the range is not mapped, TRN_DMA_ERR_READONLY for a
 * write to read-only memory). The executor asks for whole operands first
 * and for single elements when that fails, to find the faulting one.
 */
typedef int (*trn_ref_mem_fn)(void *ctx, uint64_t va, uint64_t len, bool write,
			      void **host);

/*
 * struct trn_ref_env - what the executor runs against
 * @resolve: the memory of the address space
 * @ctx: passed to @resolve
 * @sems: values of the semaphores of the address space, or NULL: then
 *	semaphore instructions only have their encoding checked, SEM_SIGNAL
 *	does nothing and SEM_WAIT never waits
 * @num_sems: number of semaphores at @sems (the limit of their index)
 */
struct trn_ref_env {
	trn_ref_mem_fn resolve;
	void *ctx;
	uint64_t *sems;
	unsigned int num_sems;
};

/*
 * struct trn_ref_status - outcome of a program, as in the EXEC status record
 * @error: TRN_DMA_ERR_*, TRN_DMA_ERR_NONE if the program ran to its end, or
 *	TRN_REF_BLOCKED (as an int: the only negative value)
 * @insn: on success the number of instructions executed, otherwise the
 *	index of the instruction that failed (or waits)
 * @addr: the address at fault: the element's for a translation error, the
 *	instruction's for the others; 0 on success
 */
struct trn_ref_status {
	int error;
	uint32_t insn;
	uint64_t addr;
};

/* SEM_WAIT whose semaphore is below its value: the executor cannot block. */
#define TRN_REF_BLOCKED (-1)

/*
 * trn_ref_exec() - execute one instruction
 * @insn: TRN_INSN_SIZE bytes of an encoded instruction
 * @resolve: the memory of the address space
 * @ctx: passed to @resolve
 *
 * Semaphore instructions are checked but have no effect (no semaphores).
 *
 * Return: TRN_DMA_ERR_NONE or the error code of the failure.
 */
int trn_ref_exec(const void *insn, trn_ref_mem_fn resolve, void *ctx);

/*
 * trn_ref_exec_env() - execute one instruction, with semaphores
 * @insn: TRN_INSN_SIZE bytes of an encoded instruction
 * @insn_va: device address of the instruction, reported for errors other
 *	than translation errors
 * @env: memory and semaphores
 * @addr: receives the address at fault, or 0; may be NULL
 *
 * Return: TRN_DMA_ERR_NONE, the error code of the failure, or
 * TRN_REF_BLOCKED for a SEM_WAIT that would wait (nothing changed).
 */
int trn_ref_exec_env(const void *insn, uint64_t insn_va,
		     const struct trn_ref_env *env, uint64_t *addr);

/*
 * trn_ref_run() - execute a program as an EXEC descriptor would
 * @prog: the program's instructions in host memory
 * @len: bytes at @prog
 * @prog_va: device address of the program (for the addresses reported)
 * @env: memory and semaphores
 * @st: receives the outcome
 *
 * A @len that is 0, not a multiple of TRN_INSN_SIZE or above
 * TRN_PROGRAM_MAX_BYTES fails with TRN_DMA_ERR_BAD_DESC, a @prog_va that is
 * not TRN_INSN_ALIGN aligned with TRN_DMA_ERR_ALIGN, before any instruction.
 *
 * Return: @st->error.
 */
int trn_ref_run(const void *prog, size_t len, uint64_t prog_va,
		const struct trn_ref_env *env, struct trn_ref_status *st);

/*
 * trn_ref_error_name() - name of an error code, e.g. "TRN_DMA_ERR_OPERAND"
 *
 * Return: a static string; "TRN_REF_BLOCKED", or "unknown" for a code that
 * is not one.
 */
const char *trn_ref_error_name(int err);

#endif /* TRN_REF_H */
