/*
 * Hand-written readers for the parts of capnp/schema.capnp the generator
 * needs. They cannot be generated, since reading the schema is what the
 * generator does first. Offsets are those of schema.capnp as shipped with
 * capnproto 0.9: data offsets in bytes (or bits for bools), pointer
 * offsets in pointer slots.
 */
#ifndef CAPNPC_C_SCHEMA_H
#define CAPNPC_C_SCHEMA_H

#include "capnp.h"

/* Node. */
enum {
	NODE_FILE = 0, NODE_STRUCT = 1, NODE_ENUM = 2, NODE_INTERFACE = 3,
	NODE_CONST = 4, NODE_ANNOTATION = 5
};
#define NODE_ID(r)		capnp_get_u64((r), 0)
#define NODE_WHICH(r)		capnp_get_u16((r), 12)
#define NODE_SCOPE(r)		capnp_get_u64((r), 16)
#define NODE_PREFIX_LEN(r)	capnp_get_u32((r), 8)
#define NODE_P_NAME		0
#define NODE_P_NESTED		1
#define NODE_P_ANNOTATIONS	2
#define NODE_STRUCT_DW(r)	capnp_get_u16((r), 14)
#define NODE_STRUCT_PC(r)	capnp_get_u16((r), 24)
#define NODE_STRUCT_ISGROUP(r)	capnp_get_bit((r), 224)
#define NODE_STRUCT_DCOUNT(r)	capnp_get_u16((r), 30)
#define NODE_STRUCT_DOFF(r)	capnp_get_u32((r), 32)
#define NODE_P_FIELDS		3	/* Also enumerants, methods. */
#define NODE_P_CONST_TYPE	3
#define NODE_P_CONST_VALUE	4

/* Node.NestedNode and Annotation. */
#define NESTED_ID(r)		capnp_get_u64((r), 0)
#define ANNOT_ID(r)		capnp_get_u64((r), 0)
#define ANNOT_P_VALUE		0

/* Field. */
enum { FIELD_SLOT = 0, FIELD_GROUP = 1 };
#define NO_DISCRIMINANT		0xffff
#define FIELD_WHICH(r)		capnp_get_u16((r), 8)
#define FIELD_SLOT_OFFSET(r)	capnp_get_u32((r), 4)
#define FIELD_GROUP_ID(r)	capnp_get_u64((r), 16)
#define FIELD_P_SLOT_TYPE	2
#define FIELD_P_SLOT_DEFAULT	3
#define FIELD_P_ANNOTATIONS	1

/* The discriminant value is stored XORed with its default, 0xffff. */
static inline unsigned
FIELD_DISC(const struct capnp_struct *r)
{
	return capnp_get_u16(r, 2) ^ 0xffffu;
}

/* Method. */
#define METHOD_PARAMS(r)	capnp_get_u64((r), 8)
#define METHOD_RESULTS(r)	capnp_get_u64((r), 16)
#define METHOD_P_ANNOTATIONS	1

/* Type and Value share their discriminant numbering. */
enum {
	T_VOID, T_BOOL, T_INT8, T_INT16, T_INT32, T_INT64, T_UINT8,
	T_UINT16, T_UINT32, T_UINT64, T_FLOAT32, T_FLOAT64, T_TEXT, T_DATA,
	T_LIST, T_ENUM, T_STRUCT, T_INTERFACE, T_ANYPOINTER
};
#define TYPE_WHICH(r)		capnp_get_u16((r), 0)
#define TYPE_P_ELEMENT		0
#define TYPE_ID(r)		capnp_get_u64((r), 8)
#define TYPE_ANY_WHICH(r)	capnp_get_u16((r), 8)
#define TYPE_ANY_KIND(r)	capnp_get_u16((r), 10)
#define ANY_UNCONSTRAINED	0
#define ANY_CAPABILITY		3
#define VALUE_WHICH(r)		capnp_get_u16((r), 0)
#define VALUE_P_PTR		0

/* CodeGeneratorRequest and its RequestedFile and Import. */
#define REQ_P_NODES		0
#define REQ_P_FILES		1
#define RFILE_ID(r)		capnp_get_u64((r), 0)
#define RFILE_P_NAME		0
#define RFILE_P_IMPORTS		1
#define IMPORT_ID(r)		capnp_get_u64((r), 0)
#define IMPORT_P_NAME		0

/* The C namespace annotation declared in schema/c.capnp. */
#define C_NAMESPACE_ID		UINT64_C(0xf2ba8c1c1d2d45e5)
/* $C.readOnly on a method, $C.secret on a field (schema/c.capnp). */
#define C_READ_ONLY_ID		UINT64_C(0xa7cec74c2a49ac87)
#define C_SECRET_ID		UINT64_C(0xe93b026490e73c11)

#endif
