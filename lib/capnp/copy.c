/*
 * Deep copy from a validated reader into a builder. The walk recurses once
 * per level of pointer nesting, and every level spends one unit of the
 * source's nesting allowance, so the recursion depth is bounded by the
 * message's nesting limit; every word copied is charged to the source's
 * traversal budget by the same checks the reader applies.
 */
#include "internal.h"

static const uint8_t elem_bits[8] = { 0, 1, 8, 16, 32, 64, 64, 0 };

static uint8_t *
word(const struct capnp_builder *b, uint32_t pos)
{
	return b->buf + 8 + (size_t)pos * 8;
}

static void
put(const struct capnp_builder *b, uint32_t pos, uint64_t v)
{
	memcpy(word(b, pos), &v, 8);
}

static int copy_ptr(struct capnp_builder *b, uint32_t dst,
    struct capnp_msg *m, uint32_t seg, uint32_t pos, uint8_t depth);

/* Copy nptrs consecutive pointers starting at word pos of seg. */
static int
copy_ptrs(struct capnp_builder *b, uint32_t dst, struct capnp_msg *m,
    uint32_t seg, uint32_t pos, uint32_t nptrs, uint8_t depth)
{
	int err;

	for (uint32_t i = 0; i < nptrs; i++)
		if ((err = copy_ptr(b, dst + i, m, seg, pos + i, depth)) != 0)
			return err;
	return 0;
}

static int
copy_struct_at(struct capnp_builder *b, uint32_t loc,
    const struct capnp_struct *src)
{
	uint16_t dw = (uint16_t)((src->data_bytes + 7) / 8);
	struct capnp_sb sb;
	struct capnp_sb parent = { b, 0, loc, 0, 1 };
	int err;

	if ((err = capnp_init_struct(&parent, 0, dw, src->nptrs, &sb)) != 0)
		return err;
	if (src->data_bytes != 0)
		memcpy(word(b, sb.data), src->data, src->data_bytes);
	if (src->nptrs == 0)
		return 0;
	return copy_ptrs(b, sb.ptrs, src->msg, src->seg, src->ptrs, src->nptrs,
	    src->depth);
}

static int
copy_list_at(struct capnp_builder *b, uint32_t loc,
    const struct capnp_list *src)
{
	struct capnp_sb parent = { b, 0, loc, 0, 1 };
	const uint8_t *from;
	struct capnp_lb lb;
	struct capnp_sb e;
	uint64_t words;
	uint16_t dw;
	int err;

	from = src->msg->seg[src->seg].p + (size_t)src->start * 8;
	if (src->esize == CAPNP_ELEM_COMPOSITE) {
		dw = (uint16_t)(src->data_bits / 64);
		if ((err = capnp_init_struct_list(&parent, 0, src->n, dw,
		    src->nptrs, &lb)) != 0)
			return err;
		for (uint32_t i = 0; i < src->n; i++) {
			uint32_t spos = src->start + i * (src->step_bits / 64);

			if ((err = capnp_lb_elem(&lb, i, &e)) != 0)
				return err;
			memcpy(word(b, e.data), src->msg->seg[src->seg].p +
			    (size_t)spos * 8, (size_t)dw * 8);
			if ((err = copy_ptrs(b, e.ptrs, src->msg, src->seg,
			    spos + dw, src->nptrs, src->depth)) != 0)
				return err;
		}
		return 0;
	}
	if ((err = capnp_init_list(&parent, 0, src->esize, src->n, &lb)) != 0)
		return err;
	if (src->esize == CAPNP_ELEM_PTR)
		return copy_ptrs(b, lb.start, src->msg, src->seg, src->start,
		    src->n, src->depth);
	words = ((uint64_t)src->n * elem_bits[src->esize] + 63) / 64;
	memcpy(word(b, lb.start), from, (size_t)words * 8);
	return 0;
}

static int
copy_ptr(struct capnp_builder *b, uint32_t dst, struct capnp_msg *m,
    uint32_t seg, uint32_t pos, uint8_t depth)
{
	struct capnp_struct s;
	struct capnp_list l;
	struct capnp_ref r;
	uint32_t cap;
	int err;

	if (capnp_ld(m, seg, pos) == 0)
		return 0;
	if ((err = capnp_follow(m, seg, pos, &r)) != 0)
		return err;
	switch (r.ptr & 3) {
	case PTR_STRUCT:
		if (depth == 0)
			return CAPNP_E_NESTING;
		if ((err = capnp_make_struct(m, &r, depth - 1, &s)) != 0)
			return err;
		return copy_struct_at(b, dst, &s);
	case PTR_LIST:
		if (depth == 0)
			return CAPNP_E_NESTING;
		if ((err = capnp_make_list(m, &r, depth - 1, &l)) != 0)
			return err;
		return copy_list_at(b, dst, &l);
	default:
		if ((err = capnp_cap_index(r.ptr, &cap)) != 0)
			return err;
		put(b, dst, PTR_OTHER | (uint64_t)cap << 32);
		return 0;
	}
}

/* Where pointer idx of s lives, or an error for a bad index. */
static int
dst_loc(const struct capnp_sb *s, uint16_t idx, uint32_t *loc)
{
	if (idx >= s->nptrs)
		return CAPNP_E_INVAL;
	*loc = s->ptrs + idx;
	return 0;
}

int
capnp_copy_struct(const struct capnp_sb *s, uint16_t idx,
    const struct capnp_struct *src)
{
	uint32_t loc;
	int err;

	if ((err = dst_loc(s, idx, &loc)) != 0)
		return err;
	return copy_struct_at(s->b, loc, src);
}

int
capnp_copy_list(const struct capnp_sb *s, uint16_t idx,
    const struct capnp_list *src)
{
	uint32_t loc;
	int err;

	if ((err = dst_loc(s, idx, &loc)) != 0)
		return err;
	return copy_list_at(s->b, loc, src);
}
