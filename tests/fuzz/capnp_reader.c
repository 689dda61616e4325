/*
 * libFuzzer target for lib/capnp's reader: the input is a framed message
 * from an attacker. It is walked generically (every pointer tried as a
 * struct, a list, text, data and a capability), read as a SystemManifest
 * through the generated accessors, and deep-copied into a builder whose
 * output must read back. The sanitizers catch any read outside the input.
 *
 *	make fuzz && build/fuzz/capnp_reader -max_total_time=60 tests/fuzz/corpus/capnp_reader
 */
#include <stdlib.h>

#include "capos.capnp.h"

/* Enough elements per list to reach every code path, few enough to be fast. */
#define MAX_ELEMS 256

/* Values read are folded in here, so no read is optimised away. */
static volatile uint32_t sink;

static void walk_struct(const struct capnp_struct *s);

static void
walk_list(const struct capnp_list *l)
{
	struct capnp_struct e;
	uint32_t n = l->n < MAX_ELEMS ? l->n : MAX_ELEMS;

	for (uint32_t i = 0; i < n; i++) {
		if (l->esize == CAPNP_ELEM_BIT) {
			(void)capnp_list_bit(l, i);
			continue;
		}
		(void)capnp_list_u64(l, i);
		if (capnp_list_elem(l, i, &e) == 0)
			walk_struct(&e);
	}
}

static void
walk_ptr(const struct capnp_struct *s, uint16_t i)
{
	struct capnp_struct c;
	struct capnp_list l;
	struct capnp_text t;
	struct capnp_data d;
	uint32_t cap;

	if (capnp_get_struct(s, i, &c) == 0)
		walk_struct(&c);
	if (capnp_get_list(s, i, CAPNP_ELEM_VOID, &l) == 0)
		walk_list(&l);
	if (capnp_get_text(s, i, NULL, &t) == 0 && t.str[t.len] != '\0')
		abort();
	if (capnp_get_data(s, i, NULL, 0, &d) == 0 && d.len != 0)
		(void)d.ptr[d.len - 1];
	if (capnp_get_cap(s, i, &cap) == 0)
		sink ^= cap;
}

/* Recursion is bounded by the nesting limit each get_* enforces. */
static void
walk_struct(const struct capnp_struct *s)
{
	for (uint32_t off = 0; off + 8 <= s->data_bytes; off += 8)
		(void)capnp_get_u64(s, off);
	for (uint16_t i = 0; i < s->nptrs; i++)
		walk_ptr(s, i);
}

static void
read_manifest(struct capnp_msg *m)
{
	struct capos_SystemManifest_r sm;
	struct capos_Service_r svc;
	struct capos_Grant_r g;
	struct capos_Grant_source_r src;
	struct capnp_list services, grants;
	struct capnp_text t;

	if (capos_SystemManifest_read_root(m, &sm) != 0 ||
	    capos_SystemManifest_get_services(&sm, &services) != 0)
		return;
	for (uint32_t i = 0; i < services.n && i < MAX_ELEMS; i++) {
		if (capos_Service_at(&services, i, &svc) != 0 ||
		    capos_Service_get_name(&svc, &t) != 0 ||
		    capos_Service_get_grants(&svc, &grants) != 0)
			continue;
		for (uint32_t j = 0; j < grants.n && j < MAX_ELEMS; j++) {
			if (capos_Grant_at(&grants, j, &g) != 0)
				continue;
			src = capos_Grant_get_source(&g);
			if (capos_Grant_source_which(&src) ==
			    capos_Grant_source_which_init &&
			    capos_Grant_source_get_init(&src, &t) == 0 &&
			    t.str[t.len] != '\0')
				abort();
		}
	}
}

static uint8_t out[1 << 20];

static void
copy_and_reread(struct capnp_msg *m)
{
	struct capnp_builder b;
	struct capnp_struct r;
	struct capnp_sb root;
	struct capnp_msg m2;

	if (capnp_msg_root(m, &r) != 0 ||
	    capnp_builder_init(&b, out, sizeof(out)) != 0 ||
	    capnp_init_root(&b, 0, 1, &root) != 0 ||
	    capnp_copy_struct(&root, 0, &r) != 0)
		return;
	/* What the builder wrote must always be a valid message. */
	if (capnp_msg_init(&m2, out, capnp_builder_finish(&b)) != 0 ||
	    capnp_msg_root(&m2, &r) != 0)
		abort();
	walk_struct(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct capnp_struct root;
	struct capnp_msg m;

	if (capnp_msg_init(&m, data, len) != 0)
		return 0;
	m.budget = 1 << 14;
	if (capnp_msg_root(&m, &root) == 0)
		walk_struct(&root);
	m.budget = 1 << 14;
	read_manifest(&m);
	m.budget = 1 << 14;
	copy_and_reread(&m);
	return 0;
}
