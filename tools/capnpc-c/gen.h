/* Shared state of the C code generator. */
#ifndef CAPNPC_C_GEN_H
#define CAPNPC_C_GEN_H

#include <stdio.h>

#include "capnp.h"

struct node {
	uint64_t id;
	struct capnp_struct r;
};

struct gen {
	struct node *nodes;	/* Sorted by id. */
	size_t nnodes;
	size_t *order;		/* Indexes of nodes sorted by name. */
	FILE *out;
	char *prefix;		/* C namespace of the file being emitted. */
	const char *file;	/* Display name of the file being emitted. */
};

void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
    noreturn));
void must(int err, const char *what);
const struct capnp_struct *find_node(const struct gen *g, uint64_t id);
struct capnp_text text_of(const struct capnp_struct *s, uint16_t idx);
void c_name(const struct gen *g, const struct capnp_struct *node, char *buf,
    size_t len);
void emit_file(struct gen *g, const struct capnp_list *imports);

#endif
