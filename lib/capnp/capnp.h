/*
 * Cap'n Proto runtime: a validating reader and an arena builder.
 *
 * The same code runs in the kernel, in userspace and in host tools, so it
 * uses no allocator, no floating point and no mutable globals, and it only
 * needs memcpy, memset, memcmp and strlen from the C library.
 *
 * Reading. capnp_msg_init() parses the standard stream framing (segment
 * table followed by segments) of untrusted bytes. Every pointer followed
 * afterwards is bounds-checked against its segment, charged against the
 * message's traversal budget (in words, so aliasing pointers cannot
 * amplify a small message into unbounded work) and against a nesting
 * limit (so cyclic or deep pointers cannot recurse without end). Far
 * pointers are resolved across segments; a far pointer into a segment the
 * message does not have is an error. Pointer getters return 0 or a
 * negative CAPNP_E_* code and are marked warn_unused_result.
 *
 * Building. A capnp_builder is a bump arena over a caller-supplied buffer
 * that produces a single-segment message; running out of space returns
 * CAPNP_E_NOSPACE and leaves the buffer untouched past its end.
 *
 * The host is assumed little-endian (x86_64), like the wire format.
 */
#ifndef CAPNP_H
#define CAPNP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "lib/capnp assumes a little-endian host"
#endif

#define CAPNP_MUST_CHECK __attribute__((warn_unused_result))

/* Error codes: small negative integers; capnp_strerror() names them. */
enum {
	CAPNP_OK = 0,
	CAPNP_E_TRUNCATED = -1,	   /* Bytes end before the framing says. */
	CAPNP_E_SEGCOUNT = -2,	   /* Segment count zero or absurd. */
	CAPNP_E_BOUNDS = -3,	   /* Pointer target outside its segment. */
	CAPNP_E_FAR_SEGMENT = -4,  /* Far pointer into a missing segment. */
	CAPNP_E_FAR_LANDING = -5,  /* Malformed far-pointer landing pad. */
	CAPNP_E_TRAVERSAL = -6,	   /* Traversal budget exhausted. */
	CAPNP_E_NESTING = -7,	   /* Nesting limit exceeded. */
	CAPNP_E_TYPE = -8,	   /* Pointer of the wrong kind. */
	CAPNP_E_ELEMSIZE = -9,	   /* List element size does not fit. */
	CAPNP_E_COMPOSITE = -10,   /* Composite list tag disagrees. */
	CAPNP_E_TEXT = -11,	   /* Text not NUL-terminated. */
	CAPNP_E_INDEX = -12,	   /* List index out of range. */
	CAPNP_E_NOSPACE = -13,	   /* Builder buffer full. */
	CAPNP_E_TOOBIG = -14,	   /* Object too large to encode. */
	CAPNP_E_INVAL = -15,	   /* Bad argument from the caller. */
	CAPNP_E_SEGSIZE = -16,	   /* A segment larger than allowed. */
	CAPNP_E_LAST = -16
};

/* List element size codes, as on the wire. */
enum {
	CAPNP_ELEM_VOID = 0,
	CAPNP_ELEM_BIT = 1,
	CAPNP_ELEM_BYTE = 2,
	CAPNP_ELEM_TWO = 3,
	CAPNP_ELEM_FOUR = 4,
	CAPNP_ELEM_EIGHT = 5,
	CAPNP_ELEM_PTR = 6,
	CAPNP_ELEM_COMPOSITE = 7
};

/*
 * Limits. A message holds at most CAPNP_MAX_SEGS segments; the default
 * traversal budget allows 8 Mi words (64 MiB) to be read and the default
 * nesting limit is 64 levels. Callers may lower both after capnp_msg_init().
 */
#define CAPNP_MAX_SEGS		32
#define CAPNP_DEFAULT_BUDGET	(8ull * 1024 * 1024)
#define CAPNP_DEFAULT_NESTING	64
#define CAPNP_MAX_SEG_WORDS	(1u << 29)

/* A capability field that holds no capability. */
#define CAPNP_CAP_NONE	UINT32_MAX

struct capnp_seg {
	const uint8_t *p;
	uint32_t nwords;
};

/* A message being read. budget is consumed as pointers are followed. */
struct capnp_msg {
	struct capnp_seg seg[CAPNP_MAX_SEGS];
	uint32_t nsegs;
	uint32_t nesting;
	uint64_t budget;
	size_t size;		/* Bytes the framed message occupies. */
};

/*
 * A struct being read. data/data_bytes is the data section; the pointer
 * section is nptrs words at word index ptrs of segment seg. A zeroed
 * capnp_struct reads as the all-defaults struct.
 */
struct capnp_struct {
	struct capnp_msg *msg;
	const uint8_t *data;
	uint32_t data_bytes;
	uint32_t seg;
	uint32_t ptrs;
	uint16_t nptrs;
	uint8_t depth;		/* Levels of nesting still allowed. */
};

/*
 * A list being read. Element i starts at bit start * 64 + i * step_bits of
 * segment seg; it has data_bits of data followed by nptrs pointers.
 */
struct capnp_list {
	struct capnp_msg *msg;
	uint32_t seg;
	uint32_t start;
	uint32_t n;
	uint32_t step_bits;
	uint32_t data_bits;
	uint16_t nptrs;
	uint8_t esize;
	uint8_t depth;
};

/* Text is NUL-terminated in the message; len excludes the NUL. */
struct capnp_text {
	const char *str;
	uint32_t len;
};

struct capnp_data {
	const uint8_t *ptr;
	uint32_t len;
};

/* The arena a message is built in: word 0 of buf holds the framing. */
struct capnp_builder {
	uint8_t *buf;
	uint32_t cap_words;	/* Segment capacity, in words. */
	uint32_t used;		/* Segment words allocated so far. */
};

/* A struct being built; data and ptrs are segment word indexes. */
struct capnp_sb {
	struct capnp_builder *b;
	uint32_t data;
	uint32_t ptrs;
	uint16_t dw;
	uint16_t nptrs;
};

/* A list being built. For composite lists dw/nptrs give element sizes. */
struct capnp_lb {
	struct capnp_builder *b;
	uint32_t start;
	uint32_t n;
	uint8_t esize;
	uint16_t dw;
	uint16_t nptrs;
};

const char *capnp_strerror(int err);

/* Reading. */
CAPNP_MUST_CHECK int capnp_msg_init(struct capnp_msg *m, const void *buf,
    size_t len);
CAPNP_MUST_CHECK int capnp_msg_init_flat(struct capnp_msg *m,
    const void *seg, size_t nwords);
CAPNP_MUST_CHECK int capnp_msg_root(struct capnp_msg *m,
    struct capnp_struct *out);
CAPNP_MUST_CHECK int capnp_get_struct(const struct capnp_struct *s,
    uint16_t idx, struct capnp_struct *out);
CAPNP_MUST_CHECK int capnp_get_list(const struct capnp_struct *s,
    uint16_t idx, int esize, struct capnp_list *out);
CAPNP_MUST_CHECK int capnp_get_text(const struct capnp_struct *s,
    uint16_t idx, const char *def, struct capnp_text *out);
CAPNP_MUST_CHECK int capnp_get_data(const struct capnp_struct *s,
    uint16_t idx, const void *def, uint32_t deflen, struct capnp_data *out);
CAPNP_MUST_CHECK int capnp_get_cap(const struct capnp_struct *s,
    uint16_t idx, uint32_t *out);
bool capnp_ptr_is_null(const struct capnp_struct *s, uint16_t idx);
CAPNP_MUST_CHECK int capnp_list_elem(const struct capnp_list *l, uint32_t i,
    struct capnp_struct *out);
bool capnp_list_bit(const struct capnp_list *l, uint32_t i);

/* Building. */
CAPNP_MUST_CHECK int capnp_builder_init(struct capnp_builder *b, void *buf,
    size_t len);
size_t capnp_builder_finish(struct capnp_builder *b);
CAPNP_MUST_CHECK int capnp_init_root(struct capnp_builder *b, uint16_t dw,
    uint16_t nptrs, struct capnp_sb *out);
CAPNP_MUST_CHECK int capnp_init_struct(const struct capnp_sb *s, uint16_t idx,
    uint16_t dw, uint16_t nptrs, struct capnp_sb *out);
CAPNP_MUST_CHECK int capnp_init_list(const struct capnp_sb *s, uint16_t idx,
    int esize, uint32_t n, struct capnp_lb *out);
CAPNP_MUST_CHECK int capnp_init_struct_list(const struct capnp_sb *s,
    uint16_t idx, uint32_t n, uint16_t dw, uint16_t nptrs,
    struct capnp_lb *out);
CAPNP_MUST_CHECK int capnp_set_text(const struct capnp_sb *s, uint16_t idx,
    const char *str, size_t len);
CAPNP_MUST_CHECK int capnp_set_data(const struct capnp_sb *s, uint16_t idx,
    const void *p, size_t len);
void capnp_set_cap(const struct capnp_sb *s, uint16_t idx, uint32_t cap);
CAPNP_MUST_CHECK int capnp_lb_elem(const struct capnp_lb *l, uint32_t i,
    struct capnp_sb *out);
CAPNP_MUST_CHECK int capnp_lb_set_prim(const struct capnp_lb *l, uint32_t i,
    uint64_t v);
CAPNP_MUST_CHECK int capnp_lb_set_bit(const struct capnp_lb *l, uint32_t i,
    bool v);
CAPNP_MUST_CHECK int capnp_lb_set_text(const struct capnp_lb *l, uint32_t i,
    const char *str, size_t len);
CAPNP_MUST_CHECK int capnp_lb_set_data(const struct capnp_lb *l, uint32_t i,
    const void *p, size_t len);
CAPNP_MUST_CHECK int capnp_lb_set_cap(const struct capnp_lb *l, uint32_t i,
    uint32_t cap);
CAPNP_MUST_CHECK int capnp_lb_init_list(const struct capnp_lb *l, uint32_t i,
    int esize, uint32_t n, struct capnp_lb *out);
CAPNP_MUST_CHECK int capnp_lb_init_struct_list(const struct capnp_lb *l,
    uint32_t i, uint32_t n, uint16_t dw, uint16_t nptrs,
    struct capnp_lb *out);

/* Copying a validated reader value into a builder (deep copy). */
CAPNP_MUST_CHECK int capnp_copy_struct(const struct capnp_sb *s, uint16_t idx,
    const struct capnp_struct *src);
CAPNP_MUST_CHECK int capnp_copy_list(const struct capnp_sb *s, uint16_t idx,
    const struct capnp_list *src);

/*
 * Data-section access. Reads past the end of a (shorter, older) data
 * section return zero, which the generated code XORs with the default.
 */
static inline uint8_t
capnp_get_u8(const struct capnp_struct *s, uint32_t off)
{
	return off < s->data_bytes ? s->data[off] : 0;
}

static inline uint16_t
capnp_get_u16(const struct capnp_struct *s, uint32_t off)
{
	uint16_t v = 0;

	if (s->data_bytes >= 2 && off <= s->data_bytes - 2)
		memcpy(&v, s->data + off, 2);
	return v;
}

static inline uint32_t
capnp_get_u32(const struct capnp_struct *s, uint32_t off)
{
	uint32_t v = 0;

	if (s->data_bytes >= 4 && off <= s->data_bytes - 4)
		memcpy(&v, s->data + off, 4);
	return v;
}

static inline uint64_t
capnp_get_u64(const struct capnp_struct *s, uint32_t off)
{
	uint64_t v = 0;

	if (s->data_bytes >= 8 && off <= s->data_bytes - 8)
		memcpy(&v, s->data + off, 8);
	return v;
}

static inline bool
capnp_get_bit(const struct capnp_struct *s, uint32_t bit)
{
	return (capnp_get_u8(s, bit / 8) >> (bit % 8)) & 1;
}

static inline uint8_t *
capnp_sb_data(const struct capnp_sb *s)
{
	return s->b->buf + 8 + (size_t)s->data * 8;
}

/* Builder data offsets come from the schema, so they are always in range. */
static inline void
capnp_set_u8(const struct capnp_sb *s, uint32_t off, uint8_t v)
{
	capnp_sb_data(s)[off] = v;
}

static inline void
capnp_set_u16(const struct capnp_sb *s, uint32_t off, uint16_t v)
{
	memcpy(capnp_sb_data(s) + off, &v, 2);
}

static inline void
capnp_set_u32(const struct capnp_sb *s, uint32_t off, uint32_t v)
{
	memcpy(capnp_sb_data(s) + off, &v, 4);
}

static inline void
capnp_set_u64(const struct capnp_sb *s, uint32_t off, uint64_t v)
{
	memcpy(capnp_sb_data(s) + off, &v, 8);
}

static inline void
capnp_set_bit(const struct capnp_sb *s, uint32_t bit, bool v)
{
	uint8_t *p = capnp_sb_data(s) + bit / 8;

	*p = (uint8_t)((*p & ~(1u << (bit % 8))) | ((unsigned)v << (bit % 8)));
}

/* List element readers; an index out of range reads as zero. */
static inline uint64_t
capnp_list_u64(const struct capnp_list *l, uint32_t i)
{
	struct capnp_struct e;

	if (capnp_list_elem(l, i, &e) != 0)
		return 0;
	return capnp_get_u64(&e, 0);
}

static inline uint32_t
capnp_list_u32(const struct capnp_list *l, uint32_t i)
{
	struct capnp_struct e;

	if (capnp_list_elem(l, i, &e) != 0)
		return 0;
	return capnp_get_u32(&e, 0);
}

static inline uint16_t
capnp_list_u16(const struct capnp_list *l, uint32_t i)
{
	struct capnp_struct e;

	if (capnp_list_elem(l, i, &e) != 0)
		return 0;
	return capnp_get_u16(&e, 0);
}

static inline uint8_t
capnp_list_u8(const struct capnp_list *l, uint32_t i)
{
	struct capnp_struct e;

	if (capnp_list_elem(l, i, &e) != 0)
		return 0;
	return capnp_get_u8(&e, 0);
}

/* Pointer elements of a list: text, data, nested lists, capabilities. */
CAPNP_MUST_CHECK static inline int
capnp_list_text(const struct capnp_list *l, uint32_t i, struct capnp_text *out)
{
	struct capnp_struct e;
	int err;

	if ((err = capnp_list_elem(l, i, &e)) != 0)
		return err;
	return capnp_get_text(&e, 0, NULL, out);
}

CAPNP_MUST_CHECK static inline int
capnp_list_data(const struct capnp_list *l, uint32_t i, struct capnp_data *out)
{
	struct capnp_struct e;
	int err;

	if ((err = capnp_list_elem(l, i, &e)) != 0)
		return err;
	return capnp_get_data(&e, 0, NULL, 0, out);
}

CAPNP_MUST_CHECK static inline int
capnp_list_list(const struct capnp_list *l, uint32_t i, int esize,
    struct capnp_list *out)
{
	struct capnp_struct e;
	int err;

	if ((err = capnp_list_elem(l, i, &e)) != 0)
		return err;
	return capnp_get_list(&e, 0, esize, out);
}

CAPNP_MUST_CHECK static inline int
capnp_list_cap(const struct capnp_list *l, uint32_t i, uint32_t *out)
{
	struct capnp_struct e;
	int err;

	if ((err = capnp_list_elem(l, i, &e)) != 0)
		return err;
	return capnp_get_cap(&e, 0, out);
}

/*
 * Composite-list elements as structs. A struct element always exists for
 * an index below n, so the only error is an index out of range.
 */
CAPNP_MUST_CHECK static inline int
capnp_list_struct(const struct capnp_list *l, uint32_t i,
    struct capnp_struct *out)
{
	return capnp_list_elem(l, i, out);
}

#endif
