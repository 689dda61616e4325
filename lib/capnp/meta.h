/*
 * Schema metadata: what capnpc-c emits for each struct, enum and
 * interface when a file defines CAPNP_META before including generated
 * headers (docs/schema.md, "Metadata"). It names every field and method
 * with its ordinal, type and place in the message, so a program can build
 * and print messages of interfaces it was not written against: the
 * shell's typed calls (docs/shell.md) do.
 *
 * Offsets are those of schema.capnp: a data field's offset counts in
 * units of its own width (bits for Bool), a pointer field's is its
 * pointer index.
 */
#ifndef CAPNP_META_H
#define CAPNP_META_H

#include <stdint.h>

/* Type kinds: schema.capnp's Type numbering, plus a group. */
enum capnp_meta_kind {
	CAPNP_META_VOID, CAPNP_META_BOOL, CAPNP_META_INT8, CAPNP_META_INT16,
	CAPNP_META_INT32, CAPNP_META_INT64, CAPNP_META_UINT8,
	CAPNP_META_UINT16, CAPNP_META_UINT32, CAPNP_META_UINT64,
	CAPNP_META_FLOAT32, CAPNP_META_FLOAT64, CAPNP_META_TEXT,
	CAPNP_META_DATA, CAPNP_META_LIST, CAPNP_META_ENUM, CAPNP_META_STRUCT,
	CAPNP_META_INTERFACE, CAPNP_META_ANYPOINTER, CAPNP_META_GROUP,
};

#define CAPNP_META_NO_DISC	0xffff

/* Flags from schema/c.capnp's annotations: a field marked $C.secret
 * (its value is never shown in traces or audit records), a method marked
 * $C.readOnly (it changes nothing the caller could notice). */
#define CAPNP_META_SECRET	1
#define CAPNP_META_READ_ONLY	1

struct capnp_meta_struct;

struct capnp_meta_enum {
	const char *name;
	uint16_t n;
	const char *const *names;	/* by value */
};

struct capnp_meta_field {
	const char *name;
	uint16_t kind;			/* enum capnp_meta_kind */
	uint16_t disc;			/* union member value, or NO_DISC */
	uint32_t offset;
	/* For lists: the element's kind, and its struct or enum. */
	uint16_t elem;
	const struct capnp_meta_struct *st;	/* struct, group, list */
	const struct capnp_meta_enum *en;	/* enum, list of enums */
	uint16_t flags;			/* CAPNP_META_SECRET */
};

struct capnp_meta_struct {
	const char *name;
	uint16_t data_words, ptr_count;
	uint16_t ndisc;			/* union members; 0: no union */
	uint32_t disc_offset;		/* in bytes */
	uint16_t nfields;
	const struct capnp_meta_field *fields;
};

struct capnp_meta_method {
	const char *name;
	uint16_t ordinal;
	const struct capnp_meta_struct *params, *results;
	uint16_t flags;			/* CAPNP_META_READ_ONLY */
};

struct capnp_meta_interface {
	const char *name;
	uint64_t id;
	uint16_t nmethods;
	const struct capnp_meta_method *methods;
};

#endif
