/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * trn accelerator: names of the device's error codes.
 *
 * The one table of the TRN_DMA_ERR_* codes of trn_regs.h (TRN_DMA_Q_ERROR,
 * the write-back record and the EXEC status record), for messages: the QEMU
 * model logs the description, libnrt and the tests print the name.
 * Documentation/hw-interface.rst specifies each code; keep the three in
 * step.
 */
#ifndef TRN_ERRORS_H
#define TRN_ERRORS_H

#ifndef __KERNEL__
#include <stddef.h>
#endif

#include "trn_regs.h"

struct trn_dma_err_info {
	const char *name;	/* the macro's name, "TRN_DMA_ERR_UNMAPPED" */
	const char *desc;	/* what went wrong, "unmapped" */
};

static inline const struct trn_dma_err_info *trn_dma_err_info(unsigned int err)
{
	static const struct trn_dma_err_info info[TRN_DMA_ERR_COUNT] = {
		[TRN_DMA_ERR_NONE] = { "TRN_DMA_ERR_NONE", "none" },
		[TRN_DMA_ERR_UNMAPPED] = { "TRN_DMA_ERR_UNMAPPED", "unmapped" },
		[TRN_DMA_ERR_READONLY] = { "TRN_DMA_ERR_READONLY", "read-only" },
		[TRN_DMA_ERR_BAD_DESC] = { "TRN_DMA_ERR_BAD_DESC", "bad descriptor" },
		[TRN_DMA_ERR_RING] = { "TRN_DMA_ERR_RING",
				       "ring or write-back unreachable" },
		[TRN_DMA_ERR_NO_CONTEXT] = { "TRN_DMA_ERR_NO_CONTEXT", "no context" },
		[TRN_DMA_ERR_BAD_PT] = { "TRN_DMA_ERR_BAD_PT", "bad page table" },
		[TRN_DMA_ERR_BAD_INSN] = { "TRN_DMA_ERR_BAD_INSN", "bad instruction" },
		[TRN_DMA_ERR_OPERAND] = { "TRN_DMA_ERR_OPERAND", "bad operand shapes" },
		[TRN_DMA_ERR_ALIGN] = { "TRN_DMA_ERR_ALIGN", "misaligned" },
		[TRN_DMA_ERR_LINK] = { "TRN_DMA_ERR_LINK", "link down" },
		[TRN_DMA_ERR_REMOTE] = { "TRN_DMA_ERR_REMOTE",
					 "not exported by the peer" },
		[TRN_DMA_ERR_ECC] = { "TRN_DMA_ERR_ECC",
				      "uncorrectable memory error" },
	};

	return err < TRN_DMA_ERR_COUNT ? &info[err] : NULL;
}

/* "TRN_DMA_ERR_UNMAPPED", or NULL for a code that is not one. */
static inline const char *trn_dma_err_name(unsigned int err)
{
	const struct trn_dma_err_info *i = trn_dma_err_info(err);

	return i ? i->name : NULL;
}

/* "unmapped", or NULL for a code that is not one. */
static inline const char *trn_dma_err_desc(unsigned int err)
{
	const struct trn_dma_err_info *i = trn_dma_err_info(err);

	return i ? i->desc : NULL;
}

#endif /* TRN_ERRORS_H */
