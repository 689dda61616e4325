/*
 * Pieces of the runtime shared by its own source files only: word access
 * and the validated resolution of a pointer to its target.
 */
#ifndef CAPNP_INTERNAL_H
#define CAPNP_INTERNAL_H

#include "capnp.h"

#define PTR_STRUCT	0
#define PTR_LIST	1
#define PTR_FAR		2
#define PTR_OTHER	3

/*
 * A resolved pointer: ptr is the word that describes the target (the
 * landing pad or the double-far tag when the original was far), and the
 * target starts at word index target of segment seg. target is signed
 * and not yet bounds-checked; make_struct/make_list check it.
 */
struct capnp_ref {
	uint64_t ptr;
	uint32_t seg;
	int64_t target;
};

static inline uint64_t
capnp_ld(const struct capnp_msg *m, uint32_t seg, uint32_t pos)
{
	uint64_t v;

	memcpy(&v, m->seg[seg].p + (size_t)pos * 8, 8);
	return v;
}

/* The signed 30-bit word offset of a struct or list pointer. */
static inline int64_t
capnp_ptr_off(uint64_t p)
{
	return (int32_t)((uint32_t)p & ~3u) / 4;
}

int capnp_follow(struct capnp_msg *m, uint32_t seg, uint32_t pos,
    struct capnp_ref *r);
int capnp_make_struct(struct capnp_msg *m, const struct capnp_ref *r,
    uint8_t depth, struct capnp_struct *out);
int capnp_make_list(struct capnp_msg *m, const struct capnp_ref *r,
    uint8_t depth, struct capnp_list *out);
int capnp_cap_index(uint64_t ptr, uint32_t *out);

#endif
