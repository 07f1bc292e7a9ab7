// SPDX-License-Identifier: MIT
/*
 * Copyright (c) 2026 The trn authors
 *
 * Data types and tensors: strided views of buffers, and the transfer of
 * their elements between host memory and the device with conversions.
 *
 * A tensor is a small immutable descriptor (offset, type, shape, strides)
 * with a counted reference to its storage, which holds the buffer. Views
 * are new descriptors of the same storage, and programs keep references to
 * the storage of the tensors of their steps, so nothing is freed while it
 * can still be reached. An owned buffer (nrt_tensor_alloc()) is freed with
 * the storage; a wrapped one (nrt_tensor_wrap()) is the caller's.
 *
 * Conversions are those of the hardware, from include/hw/trn_numerics.h:
 * every element goes through a double (exact) and is rounded once to the
 * destination type. The same type is copied bit for bit.
 *
 * Transfers: a contiguous tensor is one range of its buffer, moved with
 * nrt_buffer_write()/read() (DMA staging for large HBM ranges), in chunks
 * of NRT_CONV_CHUNK bytes through a conversion buffer when the types
 * differ. A strided view is written element by element through the
 * buffer's CPU mapping, so that nothing but its own elements is touched
 * (no read-modify-write), and read as the span of the buffer that covers
 * it, then gathered.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nrt_tensor.h"
#include "trn_isa.h"
#include "trn_numerics.h"

_Static_assert(NRT_DTYPE_FP32 == TRN_DT_FP32 && NRT_DTYPE_BF16 == TRN_DT_BF16 &&
	       NRT_DTYPE_FP16 == TRN_DT_FP16 &&
	       NRT_DTYPE_FP8_E4M3 == TRN_DT_FP8_E4M3 &&
	       NRT_DTYPE_FP8_E5M2 == TRN_DT_FP8_E5M2 &&
	       NRT_DTYPE_INT8 == TRN_DT_INT8 && NRT_DTYPE_INT32 == TRN_DT_INT32,
	       "nrt_dtype differs from TRN_DT_*");
_Static_assert(NRT_MAX_RANK == TRN_MAX_DIMS, "NRT_MAX_RANK");
_Static_assert(NRT_TENSOR_MAX_ELEMS == TRN_MAX_ELEMS, "NRT_TENSOR_MAX_ELEMS");

/* Bytes converted per nrt_buffer_write()/read() call. */
#define NRT_CONV_CHUNK ((size_t)4 << 20)

/* --- data types -------------------------------------------------------- */

NRT_API size_t nrt_dtype_size(nrt_dtype dt)
{
	return trn_dt_size((unsigned int)dt);
}

NRT_API const char *nrt_dtype_name(nrt_dtype dt)
{
	switch (dt) {
	case NRT_DTYPE_FP32:
		return "fp32";
	case NRT_DTYPE_BF16:
		return "bf16";
	case NRT_DTYPE_FP16:
		return "fp16";
	case NRT_DTYPE_FP8_E4M3:
		return "fp8_e4m3";
	case NRT_DTYPE_FP8_E5M2:
		return "fp8_e5m2";
	case NRT_DTYPE_INT8:
		return "int8";
	case NRT_DTYPE_INT32:
		return "int32";
	default:
		return "invalid";
	}
}

/* --- helpers ----------------------------------------------------------- */

void nrt_shape_str(char *buf, size_t size, unsigned int rank,
		   const uint32_t *shape)
{
	size_t len = 0;
	unsigned int d;

	buf[0] = '\0';
	for (d = 0; d < rank && len < size; d++) {
		int n = snprintf(buf + len, size - len, d ? "x%" PRIu32 : "%" PRIu32,
				 shape[d]);

		if (n < 0)
			break;
		len += (size_t)n;
	}
}

size_t nrt_tensor_count(const struct nrt_tensor *t)
{
	size_t n = 1;
	unsigned int d;

	for (d = 0; d < t->rank; d++)
		n *= t->shape[d];
	return n;
}

bool nrt_tensor_bcast_dim(const struct nrt_tensor *t, unsigned int *dim)
{
	unsigned int d;

	for (d = 0; d < t->rank; d++) {
		if (t->shape[d] > 1 && t->strides[d] == 0) {
			*dim = d;
			return true;
		}
	}
	return false;
}

/* Element offset of the last element (strides are never negative). */
static uint64_t nrt_tensor_max_off(const struct nrt_tensor *t)
{
	uint64_t off = 0;
	unsigned int d;

	for (d = 0; d < t->rank; d++)
		off += (uint64_t)(t->shape[d] - 1) * (uint64_t)t->strides[d];
	return off;
}

/* Check the @rank and @shape arguments. */
static nrt_status nrt_check_shape(unsigned int rank, const uint32_t *shape)
{
	uint64_t n = 1;
	unsigned int d;

	if (rank < 1 || rank > NRT_MAX_RANK)
		return nrt_fail(NRT_INVALID, "rank %u out of range 1..%u",
				rank, NRT_MAX_RANK);
	if (!shape)
		return nrt_fail(NRT_INVALID, "shape is NULL");
	for (d = 0; d < rank; d++) {
		if (!shape[d])
			return nrt_fail(NRT_INVALID, "shape[%u] is 0", d);
		n *= shape[d];
		if (n > NRT_TENSOR_MAX_ELEMS) {
			char s[64];

			nrt_shape_str(s, sizeof(s), rank, shape);
			return nrt_fail(NRT_INVALID,
					"shape %s has more than %" PRIu32 " elements",
					s, NRT_TENSOR_MAX_ELEMS);
		}
	}
	return NRT_SUCCESS;
}

static nrt_status nrt_check_dtype(const char *what, nrt_dtype dt)
{
	if (!trn_dt_valid((unsigned int)dt))
		return nrt_fail(NRT_INVALID, "invalid %s %d", what, (int)dt);
	return NRT_SUCCESS;
}

/* Row-major strides of @shape. */
static void nrt_row_major(unsigned int rank, const uint32_t *shape,
			  int32_t *strides)
{
	int64_t s = 1;
	unsigned int d;

	for (d = rank; d-- > 0;) {
		strides[d] = (int32_t)s;
		s *= shape[d];
	}
}

void nrt_storage_ref(struct nrt_storage *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

void nrt_storage_unref(struct nrt_storage *s)
{
	if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (s->owned)
		nrt_buffer_free(s->buf);
	free(s);
}

/* A new tensor like @tmpl, with a reference to its storage. */
static nrt_status nrt_tensor_dup(const struct nrt_tensor *tmpl,
				 struct nrt_tensor **out)
{
	struct nrt_tensor *t = malloc(sizeof(*t));

	if (!t)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	*t = *tmpl;
	nrt_storage_ref(t->st);
	*out = t;
	return NRT_SUCCESS;
}

/* A new tensor of a new storage holding @buf. */
static nrt_status nrt_tensor_create(struct nrt_buffer *buf, bool owned,
				    const struct nrt_tensor *tmpl,
				    struct nrt_tensor **out)
{
	struct nrt_storage *s = malloc(sizeof(*s));
	struct nrt_tensor *t = malloc(sizeof(*t));

	if (!s || !t) {
		free(s);
		free(t);
		return nrt_fail(NRT_RESOURCE, "out of memory");
	}
	atomic_init(&s->refs, 1);
	s->buf = buf;
	s->owned = owned;
	*t = *tmpl;
	t->st = s;
	*out = t;
	return NRT_SUCCESS;
}

/* --- creation ---------------------------------------------------------- */

NRT_API nrt_status nrt_tensor_alloc(nrt_device *dev, nrt_dtype dtype,
				    unsigned int rank, const uint32_t *shape,
				    nrt_placement placement, nrt_tensor **out)
{
	NRT_API_SCOPE();
	static const char fn[] = "nrt_tensor_alloc";
	struct nrt_tensor tmpl;
	struct nrt_buffer *buf;
	nrt_status st;

	if (!dev)
		return nrt_fail(NRT_INVALID, "%s: dev is NULL", fn);
	if (!out)
		return nrt_fail(NRT_INVALID, "%s: out is NULL", fn);
	st = nrt_check_dtype("dtype", dtype);
	if (st == NRT_SUCCESS)
		st = nrt_check_shape(rank, shape);
	if (st != NRT_SUCCESS)
		return nrt_fail_prefix(st, "%s", fn);
	if (placement != NRT_PLACEMENT_HBM && placement != NRT_PLACEMENT_HOST)
		return nrt_fail(NRT_INVALID, "%s: unknown placement %d", fn,
				(int)placement);

	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.dtype = dtype;
	tmpl.rank = rank;
	memcpy(tmpl.shape, shape, rank * sizeof(*shape));
	nrt_row_major(rank, shape, tmpl.strides);

	st = nrt_buffer_alloc(dev, nrt_tensor_count(&tmpl) * nrt_dtype_size(dtype),
			      placement, &buf);
	if (st != NRT_SUCCESS)
		return nrt_fail_prefix(st, "%s", fn);
	st = nrt_tensor_create(buf, true, &tmpl, out);
	if (st != NRT_SUCCESS)
		nrt_buffer_free(buf);
	return st;
}

NRT_API nrt_status nrt_tensor_wrap(nrt_buffer *buf, size_t offset,
				   nrt_dtype dtype, unsigned int rank,
				   const uint32_t *shape, const int32_t *strides,
				   nrt_tensor **out)
{
	NRT_API_SCOPE();
	static const char fn[] = "nrt_tensor_wrap";
	struct nrt_tensor tmpl;
	uint64_t end;
	unsigned int d;
	size_t es;
	nrt_status st;

	if (!buf)
		return nrt_fail(NRT_INVALID, "%s: buf is NULL", fn);
	if (!out)
		return nrt_fail(NRT_INVALID, "%s: out is NULL", fn);
	st = nrt_check_dtype("dtype", dtype);
	if (st == NRT_SUCCESS)
		st = nrt_check_shape(rank, shape);
	if (st != NRT_SUCCESS)
		return nrt_fail_prefix(st, "%s", fn);
	es = nrt_dtype_size(dtype);
	if (offset % es)
		return nrt_fail(NRT_INVALID,
				"%s: offset %zu is not a multiple of the %zu-byte %s element",
				fn, offset, es, nrt_dtype_name(dtype));

	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.offset = offset;
	tmpl.dtype = dtype;
	tmpl.rank = rank;
	memcpy(tmpl.shape, shape, rank * sizeof(*shape));
	if (strides) {
		for (d = 0; d < rank; d++) {
			if (strides[d] < 0)
				return nrt_fail(NRT_INVALID, "%s: strides[%u] is %" PRId32
						", negative strides are not supported",
						fn, d, strides[d]);
			tmpl.strides[d] = strides[d];
		}
	} else {
		nrt_row_major(rank, shape, tmpl.strides);
	}
	/* Shapes are < 2^28 each and strides < 2^31: no overflow. */
	end = (nrt_tensor_max_off(&tmpl) + 1) * es;
	if (offset > buf->size || end > buf->size - offset)
		return nrt_fail(NRT_INVALID,
				"%s: the elements extend to byte %" PRIu64
				" past offset %zu, beyond the buffer's %zu bytes",
				fn, end, offset, buf->size);
	return nrt_tensor_create(buf, false, &tmpl, out);
}

NRT_API void nrt_tensor_free(nrt_tensor *t)
{
	if (!t)
		return;
	nrt_storage_unref(t->st);
	free(t);
}

/* --- views ------------------------------------------------------------- */

static nrt_status nrt_check_dim(const char *what, const struct nrt_tensor *t,
				unsigned int dim)
{
	if (dim >= t->rank)
		return nrt_fail(NRT_INVALID,
				"%s %u out of range: the tensor has rank %u",
				what, dim, t->rank);
	return NRT_SUCCESS;
}

NRT_API nrt_status nrt_tensor_slice(const nrt_tensor *t, unsigned int dim,
				    uint32_t start, uint32_t len,
				    nrt_tensor **view)
{
	NRT_API_SCOPE();
	static const char fn[] = "nrt_tensor_slice";
	struct nrt_tensor tmpl;
	nrt_status st;

	if (!t)
		return nrt_fail(NRT_INVALID, "%s: t is NULL", fn);
	if (!view)
		return nrt_fail(NRT_INVALID, "%s: view is NULL", fn);
	st = nrt_check_dim("dim", t, dim);
	if (st != NRT_SUCCESS)
		return nrt_fail_prefix(st, "%s", fn);
	if (!len || start > t->shape[dim] || len > t->shape[dim] - start)
		return nrt_fail(NRT_INVALID,
				"%s: %" PRIu32 " elements from index %" PRIu32
				" of dimension %u: it has %" PRIu32,
				fn, len, start, dim, t->shape[dim]);
	tmpl = *t;
	tmpl.offset += (size_t)start * (size_t)t->strides[dim] *
		       nrt_dtype_size(t->dtype);
	tmpl.shape[dim] = len;
	return nrt_tensor_dup(&tmpl, view);
}

NRT_API nrt_status nrt_tensor_transpose(const nrt_tensor *t, unsigned int d0,
					unsigned int d1, nrt_tensor **view)
{
	NRT_API_SCOPE();
	static const char fn[] = "nrt_tensor_transpose";
	struct nrt_tensor tmpl;
	nrt_status st;

	if (!t)
		return nrt_fail(NRT_INVALID, "%s: t is NULL", fn);
	if (!view)
		return nrt_fail(NRT_INVALID, "%s: view is NULL", fn);
	st = nrt_check_dim("d0", t, d0);
	if (st == NRT_SUCCESS)
		st = nrt_check_dim("d1", t, d1);
	if (st != NRT_SUCCESS)
		return nrt_fail_prefix(st, "%s", fn);
	tmpl = *t;
	tmpl.shape[d0] = t->shape[d1];
	tmpl.shape[d1] = t->shape[d0];
	tmpl.strides[d0] = t->strides[d1];
	tmpl.strides[d1] = t->strides[d0];
	return nrt_tensor_dup(&tmpl, view);
}

NRT_API nrt_status nrt_tensor_reshape(const nrt_tensor *t, unsigned int rank,
				      const uint32_t *shape, nrt_tensor **view)
{
	NRT_API_SCOPE();
	static const char fn[] = "nrt_tensor_reshape";
	struct nrt_tensor tmpl;
	nrt_status st;

	if (!t)
		return nrt_fail(NRT_INVALID, "%s: t is NULL", fn);
	if (!view)
		return nrt_fail(NRT_INVALID, "%s: view is NULL", fn);
	st = nrt_check_shape(rank, shape);
	if (st != NRT_SUCCESS)
		return nrt_fail_prefix(st, "%s", fn);
	if (!nrt_tensor_is_contiguous(t)) {
		char s[64];

		nrt_shape_str(s, sizeof(s), t->rank, t->shape);
		return nrt_fail(NRT_INVALID,
				"%s: the %s tensor is not contiguous (a strided or broadcast view)",
				fn, s);
	}
	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.st = t->st;
	tmpl.offset = t->offset;
	tmpl.dtype = t->dtype;
	tmpl.rank = rank;
	memcpy(tmpl.shape, shape, rank * sizeof(*shape));
	nrt_row_major(rank, shape, tmpl.strides);
	if (nrt_tensor_count(&tmpl) != nrt_tensor_count(t)) {
		char from[64], to[64];

		nrt_shape_str(from, sizeof(from), t->rank, t->shape);
		nrt_shape_str(to, sizeof(to), rank, shape);
		return nrt_fail(NRT_INVALID,
				"%s: %s (%zu elements) cannot become %s (%zu elements)",
				fn, from, nrt_tensor_count(t), to, nrt_tensor_count(&tmpl));
	}
	return nrt_tensor_dup(&tmpl, view);
}

NRT_API nrt_status nrt_tensor_broadcast(const nrt_tensor *t, unsigned int rank,
					const uint32_t *shape, nrt_tensor **view)
{
	NRT_API_SCOPE();
	static const char fn[] = "nrt_tensor_broadcast";
	struct nrt_tensor tmpl;
	unsigned int d, lead;
	nrt_status st;

	if (!t)
		return nrt_fail(NRT_INVALID, "%s: t is NULL", fn);
	if (!view)
		return nrt_fail(NRT_INVALID, "%s: view is NULL", fn);
	st = nrt_check_shape(rank, shape);
	if (st != NRT_SUCCESS)
		return nrt_fail_prefix(st, "%s", fn);
	if (rank < t->rank)
		return nrt_fail(NRT_INVALID,
				"%s: rank %u is below the tensor's rank %u", fn,
				rank, t->rank);
	lead = rank - t->rank;
	tmpl = *t;
	tmpl.rank = rank;
	for (d = 0; d < rank; d++) {
		if (d < lead) {
			tmpl.shape[d] = shape[d];
			tmpl.strides[d] = 0;
			continue;
		}
		tmpl.shape[d] = shape[d];
		tmpl.strides[d] = t->strides[d - lead];
		if (t->shape[d - lead] == shape[d])
			continue;
		if (t->shape[d - lead] != 1) {
			char from[64], to[64];

			nrt_shape_str(from, sizeof(from), t->rank, t->shape);
			nrt_shape_str(to, sizeof(to), rank, shape);
			return nrt_fail(NRT_INVALID,
					"%s: %s does not broadcast to %s: dimension %u is %" PRIu32
					", not 1 or %" PRIu32,
					fn, from, to, d - lead, t->shape[d - lead], shape[d]);
		}
		tmpl.strides[d] = 0;
	}
	return nrt_tensor_dup(&tmpl, view);
}

/* --- accessors --------------------------------------------------------- */

NRT_API nrt_dtype nrt_tensor_dtype(const nrt_tensor *t)
{
	return t ? t->dtype : NRT_DTYPE_INVALID;
}

NRT_API unsigned int nrt_tensor_rank(const nrt_tensor *t)
{
	return t ? t->rank : 0;
}

NRT_API const uint32_t *nrt_tensor_shape(const nrt_tensor *t)
{
	return t ? t->shape : NULL;
}

NRT_API const int32_t *nrt_tensor_strides(const nrt_tensor *t)
{
	return t ? t->strides : NULL;
}

NRT_API size_t nrt_tensor_elems(const nrt_tensor *t)
{
	return t ? nrt_tensor_count(t) : 0;
}

NRT_API bool nrt_tensor_is_contiguous(const nrt_tensor *t)
{
	int64_t expect = 1;
	unsigned int d;

	if (!t)
		return false;
	for (d = t->rank; d-- > 0;) {
		if (t->shape[d] == 1)
			continue;
		if (t->strides[d] != expect)
			return false;
		expect *= t->shape[d];
	}
	return true;
}

NRT_API nrt_buffer *nrt_tensor_buffer(const nrt_tensor *t)
{
	return t ? t->st->buf : NULL;
}

NRT_API size_t nrt_tensor_offset(const nrt_tensor *t)
{
	return t ? t->offset : 0;
}

NRT_API uint64_t nrt_tensor_va(const nrt_tensor *t)
{
	return t ? t->st->buf->va + t->offset : 0;
}

/* --- transfers --------------------------------------------------------- */

/* Convert @n elements of type @from at @src to type @to at @dst. */
static void nrt_convert(void *dst, nrt_dtype to, const void *src, nrt_dtype from,
			size_t n)
{
	size_t ts = nrt_dtype_size(to), fs = nrt_dtype_size(from), i;
	const unsigned char *s = src;
	unsigned char *d = dst;

	if (to == from) {
		memcpy(dst, src, n * ts);
		return;
	}
	for (i = 0; i < n; i++)
		trn_store((unsigned int)to, d + i * ts,
			  trn_load((unsigned int)from, s + i * fs));
}

/* Advance @idx to the next index in row-major order; false after the last. */
static bool nrt_next(const struct nrt_tensor *t, uint32_t *idx)
{
	unsigned int d;

	for (d = t->rank; d-- > 0;) {
		if (++idx[d] < t->shape[d])
			return true;
		idx[d] = 0;
	}
	return false;
}

/*
 * Move the elements of contiguous @t to (@write) or from host memory
 * @host of type @hdt: directly for the same type, else converted in
 * chunks of NRT_CONV_CHUNK bytes of the tensor.
 */
static nrt_status nrt_transfer(const struct nrt_tensor *t, unsigned char *host,
			       nrt_dtype hdt, bool write)
{
	size_t n = nrt_tensor_count(t), es = nrt_dtype_size(t->dtype);
	size_t hs = nrt_dtype_size(hdt), chunk = NRT_CONV_CHUNK / es, i;
	nrt_status st = NRT_SUCCESS;
	unsigned char *tmp;

	if (hdt == t->dtype)
		return write ? nrt_buffer_write(t->st->buf, t->offset, host, n * es) :
		       nrt_buffer_read(t->st->buf, t->offset, host, n * es);
	tmp = malloc((n < chunk ? n : chunk) * es);
	if (!tmp)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	for (i = 0; i < n && st == NRT_SUCCESS; i += chunk) {
		size_t c = n - i < chunk ? n - i : chunk;
		size_t off = t->offset + i * es;

		if (write) {
			nrt_convert(tmp, t->dtype, host + i * hs, hdt, c);
			st = nrt_buffer_write(t->st->buf, off, tmp, c * es);
		} else {
			st = nrt_buffer_read(t->st->buf, off, tmp, c * es);
			if (st == NRT_SUCCESS)
				nrt_convert(host + i * hs, hdt, tmp, t->dtype, c);
		}
	}
	free(tmp);
	return st;
}

static size_t nrt_elem_off(const struct nrt_tensor *t, const uint32_t *idx)
{
	size_t off = 0;
	unsigned int d;

	for (d = 0; d < t->rank; d++)
		off += (size_t)idx[d] * (size_t)t->strides[d];
	return off;
}

/* Arguments of nrt_tensor_write()/read(): host data @hname of type @hdt. */
static nrt_status nrt_check_io(const struct nrt_tensor *t, const void *host,
			       const char *hname, const char *dtname, nrt_dtype hdt)
{
	if (!t)
		return nrt_fail(NRT_INVALID, "t is NULL");
	if (!host)
		return nrt_fail(NRT_INVALID, "%s is NULL", hname);
	return nrt_check_dtype(dtname, hdt);
}

NRT_API nrt_status nrt_tensor_write(nrt_tensor *t, const void *src,
				    nrt_dtype src_dtype)
{
	NRT_API_SCOPE();
	static const char fn[] = "nrt_tensor_write";
	const unsigned char *s = src;
	uint32_t idx[NRT_MAX_RANK] = { 0, 0, 0, 0 };
	unsigned char *map;
	size_t es, ss, i;
	unsigned int dim;
	nrt_status st;

	st = nrt_check_io(t, src, "src", "src_dtype", src_dtype);
	if (st != NRT_SUCCESS)
		return nrt_fail_prefix(st, "%s", fn);
	if (nrt_tensor_bcast_dim(t, &dim))
		return nrt_fail(NRT_INVALID,
				"%s: the tensor is a broadcast view (dimension %u of size %" PRIu32
				" has stride 0): it cannot be written",
				fn, dim, t->shape[dim]);
	if (nrt_tensor_is_contiguous(t))
		return nrt_transfer(t, (void *)src, src_dtype, true);
	es = nrt_dtype_size(t->dtype);
	ss = nrt_dtype_size(src_dtype);

	/* Only the view's own elements, through the mapping. */
	st = nrt_buffer_pin(t->st->buf, &map);
	if (st != NRT_SUCCESS)
		return nrt_fail_prefix(st, "%s", fn);
	map += t->offset;
	i = 0;
	do {
		nrt_convert(map + nrt_elem_off(t, idx) * es, t->dtype, s + i++ * ss,
			    src_dtype, 1);
	} while (nrt_next(t, idx));
	/* Drain write-combining buffers before any later submission. */
	atomic_thread_fence(memory_order_seq_cst);
	nrt_buffer_unpin(t->st->buf);
	return NRT_SUCCESS;
}

NRT_API nrt_status nrt_tensor_read(const nrt_tensor *t, void *dst,
				   nrt_dtype dst_dtype)
{
	NRT_API_SCOPE();
	static const char fn[] = "nrt_tensor_read";
	uint32_t idx[NRT_MAX_RANK] = { 0, 0, 0, 0 };
	unsigned char *d = dst, *tmp;
	size_t es, ds, span, i;
	nrt_status st;

	st = nrt_check_io(t, dst, "dst", "dst_dtype", dst_dtype);
	if (st != NRT_SUCCESS)
		return nrt_fail_prefix(st, "%s", fn);
	if (nrt_tensor_is_contiguous(t))
		return nrt_transfer(t, dst, dst_dtype, false);
	es = nrt_dtype_size(t->dtype);
	ds = nrt_dtype_size(dst_dtype);

	/* The span that covers the view, then a gather. */
	span = ((size_t)nrt_tensor_max_off(t) + 1) * es;
	tmp = malloc(span);
	if (!tmp)
		return nrt_fail(NRT_RESOURCE, "out of memory");
	st = nrt_buffer_read(t->st->buf, t->offset, tmp, span);
	if (st == NRT_SUCCESS) {
		i = 0;
		do {
			nrt_convert(d + i++ * ds, dst_dtype,
				    tmp + nrt_elem_off(t, idx) * es, t->dtype, 1);
		} while (nrt_next(t, idx));
	}
	free(tmp);
	return st;
}
