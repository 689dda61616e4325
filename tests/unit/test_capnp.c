/*
 * lib/capnp: the builder and reader on hand-made messages, and hostile
 * messages that must each be refused with their own error.
 */
#include <stdlib.h>

#include "capnp.h"
#include "test.h"

/* Pointer words, encoded by hand so the tests do not trust the builder. */
static uint64_t
sp(int32_t off, uint16_t dw, uint16_t pc)
{
	return (uint64_t)((uint32_t)off << 2) | (uint64_t)dw << 32 |
	    (uint64_t)pc << 48;
}

static uint64_t
lp(int32_t off, unsigned es, uint32_t n)
{
	return (uint64_t)((uint32_t)off << 2) | 1 | (uint64_t)es << 32 |
	    (uint64_t)n << 35;
}

static uint64_t
fp(uint32_t seg, uint32_t pad, bool dbl)
{
	return (uint64_t)pad << 3 | (dbl ? 4 : 0) | 2 | (uint64_t)seg << 32;
}

/* Frame segments given as word arrays into buf; returns the length. */
static size_t
frame(uint8_t *buf, const uint64_t *const *segs, const uint32_t *sizes,
    uint32_t nsegs)
{
	size_t off = (4 + 4 * (size_t)nsegs + 7) & ~(size_t)7;
	uint32_t v = nsegs - 1;

	memset(buf, 0, off);
	memcpy(buf, &v, 4);
	for (uint32_t i = 0; i < nsegs; i++) {
		memcpy(buf + 4 + 4 * i, &sizes[i], 4);
		memcpy(buf + off, segs[i], (size_t)sizes[i] * 8);
		off += (size_t)sizes[i] * 8;
	}
	return off;
}

static uint8_t msgbuf[4096];

/* Frame one segment and read its root struct. */
static int
root1(struct capnp_msg *m, const uint64_t *words, uint32_t n,
    struct capnp_struct *out)
{
	const uint64_t *segs[1] = { words };
	size_t len = frame(msgbuf, segs, &n, 1);
	int err;

	if ((err = capnp_msg_init(m, msgbuf, len)) != 0)
		return err;
	return capnp_msg_root(m, out);
}

TEST(capnp_build_then_read)
{
	uint8_t buf[512];
	struct capnp_builder b;
	struct capnp_sb root, child;
	struct capnp_lb l;
	struct capnp_struct r, c;
	struct capnp_list rl;
	struct capnp_text t;
	struct capnp_msg m;
	size_t len;

	CHECK_EQ(capnp_builder_init(&b, buf, sizeof(buf)), 0);
	CHECK_EQ(capnp_init_root(&b, 2, 3, &root), 0);
	capnp_set_u32(&root, 4, 0xdeadbeef);
	capnp_set_bit(&root, 3, true);
	CHECK_EQ(capnp_set_text(&root, 0, "hi", 2), 0);
	CHECK_EQ(capnp_init_struct(&root, 1, 1, 0, &child), 0);
	capnp_set_u64(&child, 0, 77);
	CHECK_EQ(capnp_init_list(&root, 2, CAPNP_ELEM_TWO, 3, &l), 0);
	CHECK_EQ(capnp_lb_set_prim(&l, 2, 9), 0);
	CHECK_EQ(capnp_lb_set_prim(&l, 3, 9), CAPNP_E_INDEX);
	len = capnp_builder_finish(&b);

	CHECK_EQ(capnp_msg_init(&m, buf, len), 0);
	CHECK_EQ(m.size, len);
	CHECK_EQ(capnp_msg_root(&m, &r), 0);
	CHECK_EQ_U64(capnp_get_u32(&r, 4), 0xdeadbeef);
	CHECK(capnp_get_bit(&r, 3));
	CHECK(!capnp_get_bit(&r, 4));
	CHECK_EQ(capnp_get_text(&r, 0, NULL, &t), 0);
	CHECK_STR(t.str, "hi");
	CHECK_EQ(capnp_get_struct(&r, 1, &c), 0);
	CHECK_EQ(capnp_get_u64(&c, 0), 77);
	CHECK_EQ(capnp_get_list(&r, 2, CAPNP_ELEM_TWO, &rl), 0);
	CHECK_EQ(rl.n, 3);
	CHECK_EQ(capnp_list_u16(&rl, 2), 9);
	CHECK_EQ(capnp_list_u16(&rl, 3), 0);
}

TEST(capnp_absent_fields_read_as_defaults)
{
	/* A struct from an older schema: one data word, no pointers. */
	const uint64_t w[] = { sp(0, 1, 0), 0x1234 };
	struct capnp_struct r, c;
	struct capnp_text t;
	struct capnp_msg m;
	struct capnp_list l;

	CHECK_EQ(root1(&m, w, 2, &r), 0);
	CHECK_EQ(capnp_get_u16(&r, 0), 0x1234);
	CHECK_EQ(capnp_get_u64(&r, 8), 0);
	CHECK_EQ(capnp_get_text(&r, 5, "dflt", &t), 0);
	CHECK_STR(t.str, "dflt");
	CHECK_EQ(capnp_get_struct(&r, 0, &c), 0);
	CHECK_EQ(capnp_get_u32(&c, 0), 0);
	CHECK_EQ(capnp_get_list(&r, 0, CAPNP_ELEM_BYTE, &l), 0);
	CHECK_EQ(l.n, 0);
}

TEST(capnp_truncated_segment_table)
{
	struct capnp_msg m;
	uint8_t b[16] = { 1, 0, 0, 0 };	/* Two segments. */
	uint32_t big = 100;

	CHECK_EQ(capnp_msg_init(&m, b, 3), CAPNP_E_TRUNCATED);
	CHECK_EQ(capnp_msg_init(&m, b, 4), CAPNP_E_TRUNCATED);
	CHECK_EQ(capnp_msg_init(&m, b, 11), CAPNP_E_TRUNCATED);
	/* The table fits but the first segment claims 100 words. */
	memcpy(b + 4, &big, 4);
	CHECK_EQ(capnp_msg_init(&m, b, 16), CAPNP_E_TRUNCATED);
	CHECK_EQ(capnp_msg_init(&m, NULL, 0), CAPNP_E_TRUNCATED);
}

TEST(capnp_absurd_segment_count)
{
	struct capnp_msg m;
	uint8_t b[512];
	uint32_t v = UINT32_MAX;

	memset(b, 0, sizeof(b));
	memcpy(b, &v, 4);
	CHECK_EQ(capnp_msg_init(&m, b, sizeof(b)), CAPNP_E_SEGCOUNT);
	v = CAPNP_MAX_SEGS;	/* One more than the limit. */
	memcpy(b, &v, 4);
	CHECK_EQ(capnp_msg_init(&m, b, sizeof(b)), CAPNP_E_SEGCOUNT);
	v = 0;
	memcpy(b, &v, 4);
	v = CAPNP_MAX_SEG_WORDS + 1;
	memcpy(b + 4, &v, 4);
	CHECK_EQ(capnp_msg_init(&m, b, sizeof(b)), CAPNP_E_SEGSIZE);
}

TEST(capnp_empty_message)
{
	static const uint64_t w[1] = { 0 };
	struct capnp_struct r;
	struct capnp_msg m;

	CHECK_EQ(root1(&m, w, 0, &r), CAPNP_E_TRUNCATED);
	/* A null root pointer reads as the default struct. */
	CHECK_EQ(root1(&m, w, 1, &r), 0);
	CHECK_EQ(r.nptrs, 0);
}

TEST(capnp_out_of_bounds_pointers)
{
	uint64_t w[4] = { sp(5, 1, 0), 0, 0, 0 };
	struct capnp_struct r, c;
	struct capnp_text t;
	struct capnp_msg m;
	struct capnp_list l;

	CHECK_EQ(root1(&m, w, 2, &r), CAPNP_E_BOUNDS);
	w[0] = sp(-2, 0, 0);
	CHECK_EQ(root1(&m, w, 2, &r), CAPNP_E_BOUNDS);
	/* The struct fits only if its pointer section is ignored. */
	w[0] = sp(0, 1, 2);
	CHECK_EQ(root1(&m, w, 2, &r), CAPNP_E_BOUNDS);
	/* A root holding a list pointer that runs past the end. */
	w[0] = sp(0, 0, 2);
	w[1] = lp(1, CAPNP_ELEM_BYTE, 17);
	w[2] = lp(0, CAPNP_ELEM_BYTE, 10);
	w[3] = 0;
	CHECK_EQ(root1(&m, w, 4, &r), 0);
	CHECK_EQ(capnp_get_list(&r, 0, CAPNP_ELEM_BYTE, &l), CAPNP_E_BOUNDS);
	CHECK_EQ(capnp_get_text(&r, 1, NULL, &t), CAPNP_E_BOUNDS);
	CHECK_EQ(capnp_get_struct(&r, 0, &c), CAPNP_E_TYPE);
}

TEST(capnp_list_of_2_29_elements)
{
	uint64_t w[3] = { sp(0, 0, 1), 0, 0 };
	struct capnp_struct r;
	struct capnp_msg m;
	struct capnp_list l;

	w[1] = lp(0, CAPNP_ELEM_EIGHT, (1u << 29) - 1);
	CHECK_EQ(root1(&m, w, 3, &r), 0);
	CHECK_EQ(capnp_get_list(&r, 0, CAPNP_ELEM_EIGHT, &l), CAPNP_E_BOUNDS);
	w[1] = lp(0, CAPNP_ELEM_BIT, (1u << 29) - 1);
	CHECK_EQ(root1(&m, w, 3, &r), 0);
	CHECK_EQ(capnp_get_list(&r, 0, CAPNP_ELEM_BIT, &l), CAPNP_E_BOUNDS);
	/* Void elements take no space, so only the budget can stop them. */
	w[1] = lp(0, CAPNP_ELEM_VOID, (1u << 29) - 1);
	CHECK_EQ(root1(&m, w, 3, &r), 0);
	CHECK_EQ(capnp_get_list(&r, 0, CAPNP_ELEM_VOID, &l),
	    CAPNP_E_TRAVERSAL);
}

TEST(capnp_zero_sized_struct_list_amplification)
{
	/* A composite list of 2^29-1 structs of no size in zero words. */
	uint64_t w[3] = { sp(0, 0, 1), lp(0, CAPNP_ELEM_COMPOSITE, 0), 0 };
	struct capnp_struct r;
	struct capnp_msg m;
	struct capnp_list l;

	w[2] = sp((1 << 29) - 1, 0, 0);
	CHECK_EQ(root1(&m, w, 3, &r), 0);
	CHECK_EQ(capnp_get_list(&r, 0, CAPNP_ELEM_COMPOSITE, &l),
	    CAPNP_E_TRAVERSAL);
	/* A few of them are fine. */
	w[2] = sp(1000, 0, 0);
	CHECK_EQ(root1(&m, w, 3, &r), 0);
	CHECK_EQ(capnp_get_list(&r, 0, CAPNP_ELEM_COMPOSITE, &l), 0);
	CHECK_EQ(l.n, 1000);
}

TEST(capnp_overlapping_pointers_spend_the_budget)
{
	/* Two pointers to the same 4-word list; reading it again costs. */
	uint64_t w[7] = { sp(0, 0, 2), lp(1, CAPNP_ELEM_EIGHT, 4),
	    lp(0, CAPNP_ELEM_EIGHT, 4), 1, 2, 3, 4 };
	struct capnp_struct r;
	struct capnp_msg m;
	struct capnp_list l;
	int err = 0, reads = 0;

	CHECK_EQ(root1(&m, w, 7, &r), 0);
	m.budget = 100;
	while (reads < 1000 && (err = capnp_get_list(&r, reads & 1,
	    CAPNP_ELEM_EIGHT, &l)) == 0)
		reads++;
	CHECK_EQ(err, CAPNP_E_TRAVERSAL);
	CHECK_EQ(reads, 25);
}

TEST(capnp_composite_tag_lies)
{
	uint64_t w[5] = { sp(0, 0, 1), lp(0, CAPNP_ELEM_COMPOSITE, 2),
	    sp(2, 1, 1), 0, 0 };
	struct capnp_struct r;
	struct capnp_msg m;
	struct capnp_list l;

	/* Two elements of two words cannot fit in two words. */
	CHECK_EQ(root1(&m, w, 5, &r), 0);
	CHECK_EQ(capnp_get_list(&r, 0, CAPNP_ELEM_COMPOSITE, &l),
	    CAPNP_E_COMPOSITE);
	/* A tag that is not a struct pointer. */
	w[2] = lp(0, CAPNP_ELEM_BYTE, 1);
	CHECK_EQ(root1(&m, w, 5, &r), 0);
	CHECK_EQ(capnp_get_list(&r, 0, CAPNP_ELEM_COMPOSITE, &l),
	    CAPNP_E_COMPOSITE);
	/* A negative element count. */
	w[2] = sp(-1, 0, 0);
	CHECK_EQ(root1(&m, w, 5, &r), 0);
	CHECK_EQ(capnp_get_list(&r, 0, CAPNP_ELEM_COMPOSITE, &l),
	    CAPNP_E_COMPOSITE);
	/* Word count past the end of the segment. */
	w[1] = lp(0, CAPNP_ELEM_COMPOSITE, 3);
	w[2] = sp(1, 1, 1);
	CHECK_EQ(root1(&m, w, 5, &r), 0);
	CHECK_EQ(capnp_get_list(&r, 0, CAPNP_ELEM_COMPOSITE, &l),
	    CAPNP_E_BOUNDS);
}

TEST(capnp_nesting_beyond_the_limit)
{
	/* A struct whose only pointer points back at itself. */
	const uint64_t w[2] = { sp(0, 0, 1), sp(-1, 0, 1) };
	struct capnp_struct r, c;
	struct capnp_msg m;
	uint8_t out[256];
	struct capnp_builder b;
	struct capnp_sb dst;
	int err = 0, depth = 0;

	CHECK_EQ(root1(&m, w, 2, &r), 0);
	while (depth < 1000 && (err = capnp_get_struct(&r, 0, &c)) == 0) {
		r = c;
		depth++;
	}
	CHECK_EQ(err, CAPNP_E_NESTING);
	CHECK_EQ(depth, CAPNP_DEFAULT_NESTING - 1);
	/* A deep copy of the cycle stops at the same limit. */
	CHECK_EQ(root1(&m, w, 2, &r), 0);
	CHECK_EQ(capnp_builder_init(&b, out, sizeof(out)), 0);
	CHECK_EQ(capnp_init_root(&b, 0, 1, &dst), 0);
	err = capnp_copy_struct(&dst, 0, &r);
	CHECK(err == CAPNP_E_NESTING || err == CAPNP_E_NOSPACE);
	m.nesting = 3;
	CHECK_EQ(capnp_msg_root(&m, &r), 0);
	CHECK_EQ(capnp_get_struct(&r, 0, &c), 0);
	CHECK_EQ(capnp_get_struct(&c, 0, &r), 0);
	CHECK_EQ(capnp_get_struct(&r, 0, &c), CAPNP_E_NESTING);
}

TEST(capnp_far_pointers)
{
	uint64_t s0[1] = { fp(1, 0, false) };
	uint64_t s1[3] = { sp(0, 1, 0), 42, 0 };
	uint64_t s2[1] = { 43 };
	const uint64_t *segs[3] = { s0, s1, s2 };
	uint32_t sizes[3] = { 1, 2, 1 };
	struct capnp_struct r;
	struct capnp_msg m;
	size_t len;

	len = frame(msgbuf, segs, sizes, 3);
	CHECK_EQ(capnp_msg_init(&m, msgbuf, len), 0);
	CHECK_EQ(m.nsegs, 3);
	CHECK_EQ(capnp_msg_root(&m, &r), 0);
	CHECK_EQ(capnp_get_u64(&r, 0), 42);
	/* Double far: pad in segment 1 sends us to the content in seg 2. */
	s1[0] = fp(2, 0, false);
	s1[1] = sp(0, 1, 0);
	s0[0] = fp(1, 0, true);
	len = frame(msgbuf, segs, sizes, 3);
	CHECK_EQ(capnp_msg_init(&m, msgbuf, len), 0);
	CHECK_EQ(capnp_msg_root(&m, &r), 0);
	CHECK_EQ(capnp_get_u64(&r, 0), 43);
}

TEST(capnp_far_pointer_into_missing_segment)
{
	uint64_t s0[1] = { fp(7, 0, false) };
	uint64_t s1[2] = { fp(9, 0, false), sp(0, 1, 0) };
	const uint64_t *segs[2] = { s0, s1 };
	uint32_t sizes[2] = { 1, 2 };
	struct capnp_struct r;
	struct capnp_msg m;

	CHECK_EQ(capnp_msg_init(&m, msgbuf, frame(msgbuf, segs, sizes, 2)), 0);
	CHECK_EQ(capnp_msg_root(&m, &r), CAPNP_E_FAR_SEGMENT);
	/* The double-far pad names the missing segment instead. */
	s0[0] = fp(1, 0, true);
	CHECK_EQ(capnp_msg_init(&m, msgbuf, frame(msgbuf, segs, sizes, 2)), 0);
	CHECK_EQ(capnp_msg_root(&m, &r), CAPNP_E_FAR_SEGMENT);
	/* A pad beyond the end of an existing segment. */
	s0[0] = fp(1, 1, true);
	CHECK_EQ(capnp_msg_init(&m, msgbuf, frame(msgbuf, segs, sizes, 2)), 0);
	CHECK_EQ(capnp_msg_root(&m, &r), CAPNP_E_BOUNDS);
	/* A single-far pad that is itself far. */
	s0[0] = fp(1, 0, false);
	CHECK_EQ(capnp_msg_init(&m, msgbuf, frame(msgbuf, segs, sizes, 2)), 0);
	CHECK_EQ(capnp_msg_root(&m, &r), CAPNP_E_FAR_LANDING);
	/* A double-far pad whose first word is not far. */
	s1[0] = sp(0, 0, 0);
	s0[0] = fp(1, 0, true);
	CHECK_EQ(capnp_msg_init(&m, msgbuf, frame(msgbuf, segs, sizes, 2)), 0);
	CHECK_EQ(capnp_msg_root(&m, &r), CAPNP_E_FAR_LANDING);
}

TEST(capnp_wrong_kinds)
{
	/* Pointers 0 and 1 both reach "abc" with no NUL; pointer 2 is null. */
	uint64_t w[5] = { sp(0, 0, 3), lp(2, CAPNP_ELEM_BYTE, 3),
	    lp(1, CAPNP_ELEM_BYTE, 2), 0, 0x00636261 };
	struct capnp_struct r;
	struct capnp_text t;
	struct capnp_data d;
	struct capnp_msg m;
	struct capnp_list l;
	uint32_t cap;

	CHECK_EQ(root1(&m, w, 5, &r), 0);
	CHECK_EQ(capnp_get_text(&r, 0, NULL, &t), CAPNP_E_TEXT);
	CHECK_EQ(capnp_get_text(&r, 1, NULL, &t), CAPNP_E_TEXT);
	CHECK_EQ(capnp_get_data(&r, 1, NULL, 0, &d), 0);
	CHECK_EQ(d.len, 2);
	CHECK_EQ(capnp_get_list(&r, 0, CAPNP_ELEM_FOUR, &l),
	    CAPNP_E_ELEMSIZE);
	CHECK_EQ(capnp_get_list(&r, 0, CAPNP_ELEM_BIT, &l), CAPNP_E_ELEMSIZE);
	CHECK_EQ(capnp_get_cap(&r, 0, &cap), CAPNP_E_TYPE);
	CHECK_EQ(capnp_get_cap(&r, 2, &cap), 0);
	CHECK_EQ_U64(cap, CAPNP_CAP_NONE);
	/* An "other" pointer that is not a capability. */
	w[0] = sp(0, 0, 1);
	w[1] = 7;
	CHECK_EQ(root1(&m, w, 2, &r), 0);
	CHECK_EQ(capnp_get_cap(&r, 0, &cap), CAPNP_E_TYPE);
	CHECK_EQ(capnp_get_text(&r, 0, NULL, &t), CAPNP_E_TYPE);
}

TEST(capnp_capabilities)
{
	uint8_t buf[256];
	struct capnp_builder b;
	struct capnp_sb root;
	struct capnp_lb l;
	struct capnp_struct r;
	struct capnp_list rl;
	struct capnp_msg m;
	uint32_t cap;

	CHECK_EQ(capnp_builder_init(&b, buf, sizeof(buf)), 0);
	CHECK_EQ(capnp_init_root(&b, 0, 2, &root), 0);
	capnp_set_cap(&root, 0, 5);
	CHECK_EQ(capnp_init_list(&root, 1, CAPNP_ELEM_PTR, 2, &l), 0);
	CHECK_EQ(capnp_lb_set_cap(&l, 1, 0), 0);
	CHECK_EQ(capnp_msg_init(&m, buf, capnp_builder_finish(&b)), 0);
	CHECK_EQ(capnp_msg_root(&m, &r), 0);
	CHECK_EQ(capnp_get_cap(&r, 0, &cap), 0);
	CHECK_EQ(cap, 5);
	CHECK_EQ(capnp_get_list(&r, 1, CAPNP_ELEM_PTR, &rl), 0);
	CHECK_EQ(capnp_list_cap(&rl, 0, &cap), 0);
	CHECK_EQ_U64(cap, CAPNP_CAP_NONE);
	CHECK_EQ(capnp_list_cap(&rl, 1, &cap), 0);
	CHECK_EQ(cap, 0);
	CHECK_EQ(capnp_list_cap(&rl, 2, &cap), CAPNP_E_INDEX);
}

TEST(capnp_builder_never_writes_past_its_buffer)
{
	uint8_t buf[96];
	struct capnp_builder b;
	struct capnp_sb root;
	struct capnp_lb l;
	int err = 0, n = 0;

	memset(buf, 0xaa, sizeof(buf));
	CHECK_EQ(capnp_builder_init(&b, buf, 64), 0);
	CHECK_EQ(capnp_init_root(&b, 1, 1, &root), 0);
	/* Seven words: the root pointer and struct use three. */
	CHECK_EQ(capnp_set_text(&root, 0, "0123456789abcdefghij0123456789"
	    "abcdefghij", 40), CAPNP_E_NOSPACE);
	CHECK_EQ(capnp_init_list(&root, 0, CAPNP_ELEM_EIGHT, 1u << 28, &l),
	    CAPNP_E_NOSPACE);
	CHECK_EQ(capnp_init_list(&root, 0, CAPNP_ELEM_EIGHT, 1u << 29, &l),
	    CAPNP_E_TOOBIG);
	CHECK_EQ(capnp_init_struct_list(&root, 0, 1u << 20, 1024, 0, &l),
	    CAPNP_E_TOOBIG);
	while (n < 100 && (err = capnp_set_text(&root, 0, "x", 1)) == 0)
		n++;
	CHECK_EQ(err, CAPNP_E_NOSPACE);
	CHECK_EQ(n, 4);
	for (size_t i = 64; i < sizeof(buf); i++)
		CHECK_EQ(buf[i], 0xaa);
	CHECK_EQ(capnp_builder_init(&b, buf, 8), CAPNP_E_NOSPACE);
	CHECK_EQ(capnp_set_text(&root, 1, "x", 1), CAPNP_E_INVAL);
}

TEST(capnp_copy_across_segments)
{
	/* Root in segment 0 points (far) to a struct with a text in seg 1. */
	uint64_t s0[1] = { fp(1, 0, false) };
	uint64_t s1[4] = { sp(0, 1, 1), 99, lp(0, CAPNP_ELEM_BYTE, 3),
	    0x006b6f };
	const uint64_t *segs[2] = { s0, s1 };
	uint32_t sizes[2] = { 1, 4 };
	uint8_t out[256];
	struct capnp_builder b;
	struct capnp_sb dst;
	struct capnp_struct r, c;
	struct capnp_text t;
	struct capnp_msg m, m2;

	CHECK_EQ(capnp_msg_init(&m, msgbuf, frame(msgbuf, segs, sizes, 2)), 0);
	CHECK_EQ(capnp_msg_root(&m, &r), 0);
	CHECK_EQ(capnp_builder_init(&b, out, sizeof(out)), 0);
	CHECK_EQ(capnp_init_root(&b, 0, 1, &dst), 0);
	CHECK_EQ(capnp_copy_struct(&dst, 0, &r), 0);
	CHECK_EQ(capnp_msg_init(&m2, out, capnp_builder_finish(&b)), 0);
	CHECK_EQ(capnp_msg_root(&m2, &r), 0);
	CHECK_EQ(capnp_get_struct(&r, 0, &c), 0);
	CHECK_EQ(capnp_get_u64(&c, 0), 99);
	CHECK_EQ(capnp_get_text(&c, 0, NULL, &t), 0);
	CHECK_STR(t.str, "ok");
}

TEST(capnp_flat_segment)
{
	const uint64_t w[2] = { sp(0, 1, 0), 5 };
	struct capnp_struct r;
	struct capnp_msg m;

	CHECK_EQ(capnp_msg_init_flat(&m, w, 2), 0);
	CHECK_EQ(capnp_msg_root(&m, &r), 0);
	CHECK_EQ(capnp_get_u64(&r, 0), 5);
	CHECK_EQ(capnp_msg_init_flat(&m, NULL, 0), CAPNP_E_TRUNCATED);
}

TEST(capnp_error_names)
{
	for (int e = CAPNP_E_LAST; e < 0; e++) {
		CHECK(strcmp(capnp_strerror(e), "unknown error") != 0);
		for (int f = e + 1; f < 0; f++)
			CHECK(strcmp(capnp_strerror(e), capnp_strerror(f)) != 0);
	}
	CHECK_STR(capnp_strerror(CAPNP_E_LAST - 1), "unknown error");
	CHECK_STR(capnp_strerror(1), "unknown error");
	CHECK_STR(capnp_strerror(CAPNP_E_FAR_SEGMENT),
	    "far pointer into missing segment");
}
