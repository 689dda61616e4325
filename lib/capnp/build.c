/*
 * The arena builder. A message is one segment laid out in the caller's
 * buffer after an 8-byte segment table, so capnp_builder_finish() only has
 * to fill in the table. Allocation is a bump of b->used; nothing is ever
 * freed, and a pointer set twice simply leaves its first target behind.
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

/* Reserve words zeroed words; the caller's buffer may hold old bytes. */
static int
alloc(struct capnp_builder *b, uint64_t words, uint32_t *pos)
{
	if (words > b->cap_words - b->used)
		return CAPNP_E_NOSPACE;
	*pos = b->used;
	memset(word(b, *pos), 0, (size_t)words * 8);
	b->used += (uint32_t)words;
	return 0;
}

/* The offset field of a pointer at loc whose target starts at target. */
static uint64_t
ptr_off(uint32_t loc, uint32_t target)
{
	uint32_t off = target - loc - 1;

	return (uint64_t)(uint32_t)(off << 2);
}

int
capnp_builder_init(struct capnp_builder *b, void *buf, size_t len)
{
	size_t words;

	memset(b, 0, sizeof(*b));
	if (buf == NULL || len < 16)
		return CAPNP_E_NOSPACE;
	words = len / 8 - 1;
	if (words > CAPNP_MAX_SEG_WORDS)
		words = CAPNP_MAX_SEG_WORDS;
	b->buf = buf;
	b->cap_words = (uint32_t)words;
	b->used = 1;
	put(b, 0, 0);
	return 0;
}

size_t
capnp_builder_finish(struct capnp_builder *b)
{
	uint32_t hdr[2] = { 0, b->used };

	memcpy(b->buf, hdr, 8);
	return 8 + (size_t)b->used * 8;
}

static int
new_struct(struct capnp_builder *b, uint32_t loc, uint16_t dw, uint16_t pc,
    struct capnp_sb *out)
{
	uint32_t pos;
	int err;

	if ((err = alloc(b, (uint64_t)dw + pc, &pos)) != 0)
		return err;
	/* A struct of no size points just before itself, unlike null. */
	put(b, loc, ptr_off(loc, dw + pc == 0 ? loc : pos) | PTR_STRUCT |
	    (uint64_t)dw << 32 | (uint64_t)pc << 48);
	out->b = b;
	out->data = pos;
	out->ptrs = pos + dw;
	out->dw = dw;
	out->nptrs = pc;
	return 0;
}

static int
new_list(struct capnp_builder *b, uint32_t loc, int esize, uint32_t n,
    struct capnp_lb *out)
{
	uint32_t pos;
	int err;

	if (esize < CAPNP_ELEM_VOID || esize > CAPNP_ELEM_PTR)
		return CAPNP_E_INVAL;
	if (n >= (1u << 29))
		return CAPNP_E_TOOBIG;
	if ((err = alloc(b, ((uint64_t)n * elem_bits[esize] + 63) / 64,
	    &pos)) != 0)
		return err;
	put(b, loc, ptr_off(loc, pos) | PTR_LIST | (uint64_t)esize << 32 |
	    (uint64_t)n << 35);
	memset(out, 0, sizeof(*out));
	out->b = b;
	out->start = pos;
	out->n = n;
	out->esize = (uint8_t)esize;
	return 0;
}

static int
new_struct_list(struct capnp_builder *b, uint32_t loc, uint32_t n,
    uint16_t dw, uint16_t pc, struct capnp_lb *out)
{
	uint64_t words = (uint64_t)n * ((uint64_t)dw + pc);
	uint32_t pos;
	int err;

	if (n >= (1u << 29) || words >= (1u << 29))
		return CAPNP_E_TOOBIG;
	if ((err = alloc(b, words + 1, &pos)) != 0)
		return err;
	/* The tag is a struct pointer whose offset field counts elements. */
	put(b, pos, (uint64_t)n << 2 | PTR_STRUCT | (uint64_t)dw << 32 |
	    (uint64_t)pc << 48);
	put(b, loc, ptr_off(loc, pos) | PTR_LIST |
	    (uint64_t)CAPNP_ELEM_COMPOSITE << 32 | words << 35);
	out->b = b;
	out->start = pos + 1;
	out->n = n;
	out->esize = CAPNP_ELEM_COMPOSITE;
	out->dw = dw;
	out->nptrs = pc;
	return 0;
}

static int
new_bytes(struct capnp_builder *b, uint32_t loc, const void *p, size_t len,
    size_t n)
{
	struct capnp_lb l;
	int err;

	if (n >= (1u << 29))
		return CAPNP_E_TOOBIG;
	if ((err = new_list(b, loc, CAPNP_ELEM_BYTE, (uint32_t)n, &l)) != 0)
		return err;
	if (len != 0)
		memcpy(word(b, l.start), p, len);
	return 0;
}

int
capnp_init_root(struct capnp_builder *b, uint16_t dw, uint16_t nptrs,
    struct capnp_sb *out)
{
	return new_struct(b, 0, dw, nptrs, out);
}

/* The word index of pointer idx of s, checked against the schema size. */
static int
sb_loc(const struct capnp_sb *s, uint16_t idx, uint32_t *loc)
{
	if (idx >= s->nptrs)
		return CAPNP_E_INVAL;
	*loc = s->ptrs + idx;
	return 0;
}

int
capnp_init_struct(const struct capnp_sb *s, uint16_t idx, uint16_t dw,
    uint16_t nptrs, struct capnp_sb *out)
{
	uint32_t loc;
	int err;

	if ((err = sb_loc(s, idx, &loc)) != 0)
		return err;
	return new_struct(s->b, loc, dw, nptrs, out);
}

int
capnp_init_list(const struct capnp_sb *s, uint16_t idx, int esize,
    uint32_t n, struct capnp_lb *out)
{
	uint32_t loc;
	int err;

	if ((err = sb_loc(s, idx, &loc)) != 0)
		return err;
	return new_list(s->b, loc, esize, n, out);
}

int
capnp_init_struct_list(const struct capnp_sb *s, uint16_t idx, uint32_t n,
    uint16_t dw, uint16_t nptrs, struct capnp_lb *out)
{
	uint32_t loc;
	int err;

	if ((err = sb_loc(s, idx, &loc)) != 0)
		return err;
	return new_struct_list(s->b, loc, n, dw, nptrs, out);
}

int
capnp_set_text(const struct capnp_sb *s, uint16_t idx, const char *str,
    size_t len)
{
	uint32_t loc;
	int err;

	if ((err = sb_loc(s, idx, &loc)) != 0)
		return err;
	return new_bytes(s->b, loc, str, len, len + 1);
}

int
capnp_set_data(const struct capnp_sb *s, uint16_t idx, const void *p,
    size_t len)
{
	uint32_t loc;
	int err;

	if ((err = sb_loc(s, idx, &loc)) != 0)
		return err;
	return new_bytes(s->b, loc, p, len, len);
}

void
capnp_set_cap(const struct capnp_sb *s, uint16_t idx, uint32_t cap)
{
	uint32_t loc;

	if (sb_loc(s, idx, &loc) == 0)
		put(s->b, loc, PTR_OTHER | (uint64_t)cap << 32);
}

int
capnp_lb_elem(const struct capnp_lb *l, uint32_t i, struct capnp_sb *out)
{
	if (l->esize != CAPNP_ELEM_COMPOSITE)
		return CAPNP_E_ELEMSIZE;
	if (i >= l->n)
		return CAPNP_E_INDEX;
	out->b = l->b;
	out->data = l->start + i * ((uint32_t)l->dw + l->nptrs);
	out->ptrs = out->data + l->dw;
	out->dw = l->dw;
	out->nptrs = l->nptrs;
	return 0;
}

int
capnp_lb_set_prim(const struct capnp_lb *l, uint32_t i, uint64_t v)
{
	size_t width;

	if (l->esize < CAPNP_ELEM_BYTE || l->esize > CAPNP_ELEM_EIGHT)
		return CAPNP_E_ELEMSIZE;
	if (i >= l->n)
		return CAPNP_E_INDEX;
	width = elem_bits[l->esize] / 8;
	memcpy(word(l->b, l->start) + (size_t)i * width, &v, width);
	return 0;
}

int
capnp_lb_set_bit(const struct capnp_lb *l, uint32_t i, bool v)
{
	uint8_t *p;

	if (l->esize != CAPNP_ELEM_BIT)
		return CAPNP_E_ELEMSIZE;
	if (i >= l->n)
		return CAPNP_E_INDEX;
	p = word(l->b, l->start) + i / 8;
	*p = (uint8_t)((*p & ~(1u << (i % 8))) | ((unsigned)v << (i % 8)));
	return 0;
}

/* The word index of element i of a list of pointers. */
static int
lb_loc(const struct capnp_lb *l, uint32_t i, uint32_t *loc)
{
	if (l->esize != CAPNP_ELEM_PTR)
		return CAPNP_E_ELEMSIZE;
	if (i >= l->n)
		return CAPNP_E_INDEX;
	*loc = l->start + i;
	return 0;
}

int
capnp_lb_set_text(const struct capnp_lb *l, uint32_t i, const char *str,
    size_t len)
{
	uint32_t loc;
	int err;

	if ((err = lb_loc(l, i, &loc)) != 0)
		return err;
	return new_bytes(l->b, loc, str, len, len + 1);
}

int
capnp_lb_set_data(const struct capnp_lb *l, uint32_t i, const void *p,
    size_t len)
{
	uint32_t loc;
	int err;

	if ((err = lb_loc(l, i, &loc)) != 0)
		return err;
	return new_bytes(l->b, loc, p, len, len);
}

int
capnp_lb_set_cap(const struct capnp_lb *l, uint32_t i, uint32_t cap)
{
	uint32_t loc;
	int err;

	if ((err = lb_loc(l, i, &loc)) != 0)
		return err;
	put(l->b, loc, PTR_OTHER | (uint64_t)cap << 32);
	return 0;
}

int
capnp_lb_init_list(const struct capnp_lb *l, uint32_t i, int esize,
    uint32_t n, struct capnp_lb *out)
{
	uint32_t loc;
	int err;

	if ((err = lb_loc(l, i, &loc)) != 0)
		return err;
	return new_list(l->b, loc, esize, n, out);
}

int
capnp_lb_init_struct_list(const struct capnp_lb *l, uint32_t i, uint32_t n,
    uint16_t dw, uint16_t nptrs, struct capnp_lb *out)
{
	uint32_t loc;
	int err;

	if ((err = lb_loc(l, i, &loc)) != 0)
		return err;
	return new_struct_list(l->b, loc, n, dw, nptrs, out);
}
