/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * trn accelerator: NeuronCore instruction set.
 *
 * A NeuronCore runs programs: arrays of TRN_INSN_SIZE-byte instructions in
 * device memory, started by a TRN_DMA_OP_EXEC descriptor on the core's queue
 * (trn_regs.h) and addressed, like every operand, through the address space
 * of that queue. This header is the single definition of the encoding; the
 * QEMU model, libnrt and the tests include it. The prose specification, with
 * the numerics, is Documentation/isa.rst; keep the two in step.
 *
 * Only preprocessor constants live here. All fields are little endian;
 * offsets are in bytes from the start of the instruction or operand.
 */
#ifndef TRN_ISA_H
#define TRN_ISA_H

/* --- EXEC descriptor (see trn_regs.h for the descriptor layout) ---------
 *
 * SRC: program address, TRN_INSN_ALIGN aligned. LEN: program bytes, a
 * nonzero multiple of TRN_INSN_SIZE, at most TRN_PROGRAM_MAX_BYTES.
 * DST: address of a struct trn_exec_status record, TRN_EXEC_ST_SIZE (32)
 * byte aligned so that it never crosses a page, or 0 for none. AUX: zero.
 * Valid on NeuronCore queues only.
 */
#define TRN_INSN_SIZE			256
#define TRN_INSN_ALIGN			64
#define TRN_PROGRAM_MAX_BYTES		0x1000000	/* 16 MiB */

/*
 * Execution status record, written when the program ends, whether it ran to
 * its end or stopped on an error (then before the queue stops).
 */
#define TRN_EXEC_ST_ERROR		0	/* u32: TRN_DMA_ERR_*, 0 on success */
#define TRN_EXEC_ST_INSN		4	/* u32: failed instruction, or count */
#define TRN_EXEC_ST_ADDR		8	/* u64: faulting VA, or 0 */
#define TRN_EXEC_ST_NS			16	/* u64: nanoseconds the program ran */
#define TRN_EXEC_ST_RSVD		24	/* u64: zero */
#define TRN_EXEC_ST_SIZE		32

/* --- Instruction: a 64-byte header and three 64-byte operand slots ------ */
#define TRN_I_OPCODE			0	/* u8  TRN_OP_* */
#define TRN_I_FLAGS			1	/* u8  TRN_IF_* */
#define TRN_I_FUNC			2	/* u16 TRN_BIN_*, TRN_ACT_*, TRN_RED_* */
#define TRN_I_AUX			4	/* u32 semaphore, axis, dimensions */
#define TRN_I_IMM			8	/* u64 semaphore value */
#define TRN_I_ALPHA			16	/* f32 scale (see each opcode) */
#define TRN_I_BETA			20	/* f32 bias (ACTIVATE) */
#define TRN_I_RSVD			24	/* 40 bytes, zero */
#define TRN_I_OPERAND(i)		(64 + 64 * (i))	/* 0: out, 1: a, 2: b */
#define TRN_I_NOPERANDS			3

/*
 * Operand: a strided tensor of up to TRN_MAX_DIMS dimensions, outermost
 * first; a tensor of lower rank has leading dimensions of size 1. Strides
 * are in elements, signed; an input may have stride 0 (broadcast). Every
 * element address (VA + offset * element size) must be mapped, and VA must
 * be aligned to the element size. An operand slot the opcode does not use
 * must be all zero.
 */
#define TRN_MAX_DIMS			4
#define TRN_O_VA			0	/* u64 */
#define TRN_O_DTYPE			8	/* u8  TRN_DT_* */
#define TRN_O_RSVD0			9	/* 7 bytes, zero */
#define TRN_O_SHAPE(d)			(16 + 4 * (d))	/* u32, >= 1 */
#define TRN_O_STRIDE(d)			(32 + 4 * (d))	/* s32, elements */
#define TRN_O_RSVD1			48	/* 16 bytes, zero */
#define TRN_OPERAND_SIZE		64

/* Largest element count of one operand, and of a matmul dimension. */
#define TRN_MAX_ELEMS			0x10000000	/* 2^28 */

/* Data types (TRN_O_DTYPE); 0 is invalid so that an unset operand fails. */
#define TRN_DT_FP32			1
#define TRN_DT_BF16			2
#define TRN_DT_FP16			3
#define TRN_DT_FP8_E4M3			4
#define TRN_DT_FP8_E5M2			5
#define TRN_DT_INT8			6
#define TRN_DT_INT32			7
#define TRN_DT_COUNT			8

/* Opcodes, and the engine that runs each */
#define TRN_OP_NOP			0x00	/* -- */
#define TRN_OP_MATMUL			0x01	/* tensor */
#define TRN_OP_BINARY			0x02	/* vector */
#define TRN_OP_ACTIVATE			0x03	/* scalar */
#define TRN_OP_REDUCE			0x04	/* vector */
#define TRN_OP_TRANSPOSE		0x05	/* vector */
#define TRN_OP_CAST			0x06	/* vector */
#define TRN_OP_DMA			0x07	/* the core's DMA */
#define TRN_OP_SEM_SIGNAL		0x08	/* -- */
#define TRN_OP_SEM_WAIT			0x09	/* -- */
#define TRN_OP_COUNT			0x0a

/* Flags (TRN_I_FLAGS) */
#define TRN_IF_ACCUMULATE		0x01	/* MATMUL: out += alpha * a @ b */
#define TRN_IF_SCALAR_B			0x02	/* BINARY: b is the scalar ALPHA */

/* BINARY functions: out = a op b */
#define TRN_BIN_ADD			0
#define TRN_BIN_SUB			1
#define TRN_BIN_MUL			2
#define TRN_BIN_DIV			3
#define TRN_BIN_MAX			4
#define TRN_BIN_MIN			5
#define TRN_BIN_COUNT			6

/* ACTIVATE functions: out = f(ALPHA * a + BETA) */
#define TRN_ACT_IDENTITY		0
#define TRN_ACT_RELU			1
#define TRN_ACT_GELU			2	/* x/2 * (1 + erf(x / sqrt(2))) */
#define TRN_ACT_SILU			3	/* x * sigmoid(x) */
#define TRN_ACT_EXP			4
#define TRN_ACT_TANH			5
#define TRN_ACT_SIGMOID			6
#define TRN_ACT_RECIPROCAL		7
#define TRN_ACT_RSQRT			8
#define TRN_ACT_SQRT			9
#define TRN_ACT_SQUARE			10
#define TRN_ACT_ABS			11
#define TRN_ACT_COUNT			12

/* REDUCE functions: out = ALPHA * reduction of a along axis AUX */
#define TRN_RED_SUM			0
#define TRN_RED_MAX			1
#define TRN_RED_MIN			2
#define TRN_RED_COUNT			3

/* TRANSPOSE: AUX holds the two dimensions swapped */
#define TRN_TRANSPOSE_AUX(d0, d1)	((d0) | ((d1) << 8))
#define TRN_TRANSPOSE_D0(aux)		((aux) & 0xff)
#define TRN_TRANSPOSE_D1(aux)		(((aux) >> 8) & 0xff)

#endif /* TRN_ISA_H */
