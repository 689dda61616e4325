/*
 * The validating reader. Nothing here trusts the message: every offset,
 * count and segment number is checked before it is used, and every word
 * a pointer makes reachable is charged to the message's traversal budget.
 */
#include "internal.h"

/* Bits per element for each wire element size (composite excluded). */
static const uint8_t elem_bits[8] = { 0, 1, 8, 16, 32, 64, 64, 0 };

static int
charge(struct capnp_msg *m, uint64_t words)
{
	if (words > m->budget)
		return CAPNP_E_TRAVERSAL;
	m->budget -= words;
	return 0;
}

int
capnp_msg_init(struct capnp_msg *m, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t nsegs, off;
	uint32_t v;

	memset(m, 0, sizeof(*m));
	if (p == NULL || len < 4)
		return CAPNP_E_TRUNCATED;
	memcpy(&v, p, 4);
	nsegs = (uint64_t)v + 1;
	if (nsegs > CAPNP_MAX_SEGS)
		return CAPNP_E_SEGCOUNT;
	/* The table is the count word plus one word per segment, padded. */
	off = (4 + 4 * nsegs + 7) & ~(uint64_t)7;
	if (len < off)
		return CAPNP_E_TRUNCATED;
	for (uint32_t i = 0; i < nsegs; i++) {
		memcpy(&v, p + 4 + 4 * i, 4);
		if (v > CAPNP_MAX_SEG_WORDS)
			return CAPNP_E_SEGSIZE;
		if ((uint64_t)v * 8 > len - off)
			return CAPNP_E_TRUNCATED;
		m->seg[i].p = p + off;
		m->seg[i].nwords = v;
		off += (uint64_t)v * 8;
	}
	m->nsegs = (uint32_t)nsegs;
	m->nesting = CAPNP_DEFAULT_NESTING;
	m->budget = CAPNP_DEFAULT_BUDGET;
	m->size = (size_t)off;
	return 0;
}

int
capnp_msg_init_flat(struct capnp_msg *m, const void *seg, size_t nwords)
{
	memset(m, 0, sizeof(*m));
	if (seg == NULL)
		return CAPNP_E_TRUNCATED;
	if (nwords > CAPNP_MAX_SEG_WORDS)
		return CAPNP_E_SEGSIZE;
	m->seg[0].p = seg;
	m->seg[0].nwords = (uint32_t)nwords;
	m->nsegs = 1;
	m->nesting = CAPNP_DEFAULT_NESTING;
	m->budget = CAPNP_DEFAULT_BUDGET;
	m->size = nwords * 8;
	return 0;
}

/*
 * Resolve the pointer at word pos of segment seg, following a far pointer
 * to its landing pad. The caller has checked that pos is inside seg.
 */
int
capnp_follow(struct capnp_msg *m, uint32_t seg, uint32_t pos,
    struct capnp_ref *r)
{
	uint64_t p = capnp_ld(m, seg, pos), land, tag;
	uint32_t tseg, pad, cseg, cpos;

	if ((p & 3) != PTR_FAR) {
		r->ptr = p;
		r->seg = seg;
		r->target = (int64_t)pos + 1 + capnp_ptr_off(p);
		return 0;
	}
	tseg = (uint32_t)(p >> 32);
	pad = (uint32_t)(p >> 3) & 0x1fffffff;
	if (tseg >= m->nsegs)
		return CAPNP_E_FAR_SEGMENT;
	if ((uint64_t)pad + ((p & 4) ? 2 : 1) > m->seg[tseg].nwords)
		return CAPNP_E_BOUNDS;
	land = capnp_ld(m, tseg, pad);
	if ((p & 4) == 0) {
		/* Single far: the pad is an ordinary pointer in tseg. */
		if ((land & 3) == PTR_FAR)
			return CAPNP_E_FAR_LANDING;
		r->ptr = land;
		r->seg = tseg;
		r->target = (int64_t)pad + 1 + capnp_ptr_off(land);
		return 0;
	}
	/* Double far: a single far to the content, then a tag word. */
	tag = capnp_ld(m, tseg, pad + 1);
	if ((land & 7) != PTR_FAR || (tag & 3) == PTR_FAR)
		return CAPNP_E_FAR_LANDING;
	cseg = (uint32_t)(land >> 32);
	cpos = (uint32_t)(land >> 3) & 0x1fffffff;
	if (cseg >= m->nsegs)
		return CAPNP_E_FAR_SEGMENT;
	r->ptr = tag;
	r->seg = cseg;
	r->target = cpos;
	return 0;
}

int
capnp_make_struct(struct capnp_msg *m, const struct capnp_ref *r,
    uint8_t depth, struct capnp_struct *out)
{
	uint32_t dw = (uint32_t)(r->ptr >> 32) & 0xffff;
	uint32_t pc = (uint32_t)(r->ptr >> 48);
	uint64_t size = (uint64_t)dw + pc;
	int err;

	if ((r->ptr & 3) != PTR_STRUCT)
		return CAPNP_E_TYPE;
	if (r->target < 0 ||
	    (uint64_t)r->target + size > m->seg[r->seg].nwords)
		return CAPNP_E_BOUNDS;
	if ((err = charge(m, size)) != 0)
		return err;
	out->msg = m;
	out->data = m->seg[r->seg].p + (size_t)r->target * 8;
	out->data_bytes = dw * 8;
	out->seg = r->seg;
	out->ptrs = (uint32_t)r->target + dw;
	out->nptrs = (uint16_t)pc;
	out->depth = depth;
	return 0;
}

/* A composite list: a tag word describing the elements, then the words. */
static int
make_composite(struct capnp_msg *m, const struct capnp_ref *r, uint32_t wc,
    struct capnp_list *out)
{
	uint64_t tag, dw, pc;
	int64_t n;
	int err;

	if ((uint64_t)r->target + 1 + wc > m->seg[r->seg].nwords)
		return CAPNP_E_BOUNDS;
	tag = capnp_ld(m, r->seg, (uint32_t)r->target);
	n = capnp_ptr_off(tag);
	dw = (tag >> 32) & 0xffff;
	pc = tag >> 48;
	if ((tag & 3) != PTR_STRUCT || n < 0)
		return CAPNP_E_COMPOSITE;
	if ((uint64_t)n * (dw + pc) > wc)
		return CAPNP_E_COMPOSITE;
	if ((err = charge(m, wc)) != 0)
		return err;
	/* Elements of no size cost no words; charge them one each. */
	if (dw + pc == 0 && (err = charge(m, (uint64_t)n)) != 0)
		return err;
	out->start = (uint32_t)r->target + 1;
	out->n = (uint32_t)n;
	out->step_bits = (uint32_t)((dw + pc) * 64);
	out->data_bits = (uint32_t)(dw * 64);
	out->nptrs = (uint16_t)pc;
	return 0;
}

int
capnp_make_list(struct capnp_msg *m, const struct capnp_ref *r,
    uint8_t depth, struct capnp_list *out)
{
	uint32_t es = (uint32_t)(r->ptr >> 32) & 7;
	uint32_t cnt = (uint32_t)(r->ptr >> 35);
	uint64_t words;
	int err;

	if ((r->ptr & 3) != PTR_LIST)
		return CAPNP_E_TYPE;
	if (r->target < 0 || r->target > m->seg[r->seg].nwords)
		return CAPNP_E_BOUNDS;
	out->msg = m;
	out->seg = r->seg;
	out->esize = (uint8_t)es;
	out->depth = depth;
	if (es == CAPNP_ELEM_COMPOSITE)
		return make_composite(m, r, cnt, out);
	words = ((uint64_t)cnt * elem_bits[es] + 63) / 64;
	if ((uint64_t)r->target + words > m->seg[r->seg].nwords)
		return CAPNP_E_BOUNDS;
	if ((err = charge(m, es == CAPNP_ELEM_VOID ? cnt : words)) != 0)
		return err;
	out->start = (uint32_t)r->target;
	out->n = cnt;
	out->step_bits = elem_bits[es];
	out->data_bits = es == CAPNP_ELEM_PTR ? 0 : elem_bits[es];
	out->nptrs = es == CAPNP_ELEM_PTR;
	return 0;
}

int
capnp_cap_index(uint64_t ptr, uint32_t *out)
{
	if ((ptr & 3) != PTR_OTHER || (uint32_t)ptr != PTR_OTHER)
		return CAPNP_E_TYPE;
	*out = (uint32_t)(ptr >> 32);
	return 0;
}

int
capnp_msg_root(struct capnp_msg *m, struct capnp_struct *out)
{
	struct capnp_struct top;

	memset(out, 0, sizeof(*out));
	if (m->nsegs == 0 || m->seg[0].nwords == 0)
		return CAPNP_E_TRUNCATED;
	memset(&top, 0, sizeof(top));
	top.msg = m;
	top.nptrs = 1;
	top.depth = (uint8_t)(m->nesting > 255 ? 255 : m->nesting);
	return capnp_get_struct(&top, 0, out);
}

/*
 * Find the target of pointer idx of s. Returns 1 when the pointer is null
 * (or absent, for a struct from an older schema), 0 when r is filled in.
 */
static int
struct_ptr(const struct capnp_struct *s, uint16_t idx, struct capnp_ref *r)
{
	if (idx >= s->nptrs || capnp_ld(s->msg, s->seg, s->ptrs + idx) == 0)
		return 1;
	return capnp_follow(s->msg, s->seg, s->ptrs + idx, r);
}

bool
capnp_ptr_is_null(const struct capnp_struct *s, uint16_t idx)
{
	return idx >= s->nptrs || capnp_ld(s->msg, s->seg, s->ptrs + idx) == 0;
}

int
capnp_get_struct(const struct capnp_struct *s, uint16_t idx,
    struct capnp_struct *out)
{
	struct capnp_ref r;
	int err;

	memset(out, 0, sizeof(*out));
	out->msg = s->msg;
	if ((err = struct_ptr(s, idx, &r)) != 0)
		return err > 0 ? 0 : err;
	if (s->depth == 0)
		return CAPNP_E_NESTING;
	return capnp_make_struct(s->msg, &r, s->depth - 1, out);
}

/* Whether a list of wire size have can be read as a list of size want. */
static bool
list_fits(int want, int have)
{
	switch (want) {
	case CAPNP_ELEM_VOID:
		return true;
	case CAPNP_ELEM_BIT:
		return have == CAPNP_ELEM_BIT;
	case CAPNP_ELEM_COMPOSITE:
		return have != CAPNP_ELEM_BIT;
	default:
		return have == want || have == CAPNP_ELEM_COMPOSITE;
	}
}

int
capnp_get_list(const struct capnp_struct *s, uint16_t idx, int esize,
    struct capnp_list *out)
{
	struct capnp_ref r;
	int err;

	memset(out, 0, sizeof(*out));
	out->msg = s->msg;
	out->esize = (uint8_t)esize;
	if ((err = struct_ptr(s, idx, &r)) != 0)
		return err > 0 ? 0 : err;
	if (s->depth == 0)
		return CAPNP_E_NESTING;
	if ((err = capnp_make_list(s->msg, &r, s->depth - 1, out)) != 0)
		return err;
	if (out->n != 0 && !list_fits(esize, out->esize))
		return CAPNP_E_ELEMSIZE;
	return 0;
}

/* A byte list for Text or Data; null reads as the empty default. */
static int
get_bytes(const struct capnp_struct *s, uint16_t idx, struct capnp_list *l,
    bool *null)
{
	struct capnp_ref r;
	int err;

	memset(l, 0, sizeof(*l));
	*null = false;
	if ((err = struct_ptr(s, idx, &r)) != 0) {
		*null = err > 0;
		return err > 0 ? 0 : err;
	}
	if ((err = capnp_make_list(s->msg, &r, 0, l)) != 0)
		return err;
	if (l->esize != CAPNP_ELEM_BYTE)
		return CAPNP_E_ELEMSIZE;
	return 0;
}

int
capnp_get_text(const struct capnp_struct *s, uint16_t idx, const char *def,
    struct capnp_text *out)
{
	struct capnp_list l;
	const char *p;
	bool null;
	int err;

	out->str = def != NULL ? def : "";
	out->len = (uint32_t)strlen(out->str);
	if ((err = get_bytes(s, idx, &l, &null)) != 0 || null)
		return err;
	p = (const char *)s->msg->seg[l.seg].p + (size_t)l.start * 8;
	if (l.n == 0 || p[l.n - 1] != '\0')
		return CAPNP_E_TEXT;
	out->str = p;
	out->len = l.n - 1;
	return 0;
}

int
capnp_get_data(const struct capnp_struct *s, uint16_t idx, const void *def,
    uint32_t deflen, struct capnp_data *out)
{
	struct capnp_list l;
	bool null;
	int err;

	out->ptr = def;
	out->len = def != NULL ? deflen : 0;
	if ((err = get_bytes(s, idx, &l, &null)) != 0 || null)
		return err;
	out->ptr = s->msg->seg[l.seg].p + (size_t)l.start * 8;
	out->len = l.n;
	return 0;
}

int
capnp_get_cap(const struct capnp_struct *s, uint16_t idx, uint32_t *out)
{
	struct capnp_ref r;
	int err;

	*out = CAPNP_CAP_NONE;
	if ((err = struct_ptr(s, idx, &r)) != 0)
		return err > 0 ? 0 : err;
	return capnp_cap_index(r.ptr, out);
}

int
capnp_list_elem(const struct capnp_list *l, uint32_t i,
    struct capnp_struct *out)
{
	uint64_t bit;

	memset(out, 0, sizeof(*out));
	out->msg = l->msg;
	if (i >= l->n)
		return CAPNP_E_INDEX;
	if (l->esize == CAPNP_ELEM_BIT)
		return CAPNP_E_ELEMSIZE;
	bit = (uint64_t)l->start * 64 + (uint64_t)i * l->step_bits;
	out->data = l->msg->seg[l->seg].p + bit / 8;
	out->data_bytes = l->data_bits / 8;
	out->seg = l->seg;
	out->ptrs = (uint32_t)((bit + l->data_bits) / 64);
	out->nptrs = l->nptrs;
	out->depth = l->depth;
	return 0;
}

bool
capnp_list_bit(const struct capnp_list *l, uint32_t i)
{
	uint64_t bit;

	if (i >= l->n || l->esize != CAPNP_ELEM_BIT)
		return false;
	bit = (uint64_t)l->start * 64 + i;
	return (l->msg->seg[l->seg].p[bit / 8] >> (bit % 8)) & 1;
}
