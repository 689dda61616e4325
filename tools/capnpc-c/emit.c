/*
 * Emission of one C header for one schema file. The header holds, in
 * order: the wrapper types of every struct (so accessors can name any of
 * them), enums and union discriminants, interface ids and method
 * ordinals, constants, and then the static inline accessors. Every name
 * starts with the file's C namespace; see docs/schema.md for the shape.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "schema.h"

#define NAMELEN 256

static void emit_meta(struct gen *g);

/* How a primitive field is stored: C type, unsigned carrier, bit width. */
struct prim {
	const char *ctype;
	const char *utype;
	const char *acc;
	unsigned bits;
};

static const struct prim prims[] = {
	[T_BOOL] = { "bool", "bool", "bit", 1 },
	[T_INT8] = { "int8_t", "uint8_t", "u8", 8 },
	[T_INT16] = { "int16_t", "uint16_t", "u16", 16 },
	[T_INT32] = { "int32_t", "uint32_t", "u32", 32 },
	[T_INT64] = { "int64_t", "uint64_t", "u64", 64 },
	[T_UINT8] = { "uint8_t", "uint8_t", "u8", 8 },
	[T_UINT16] = { "uint16_t", "uint16_t", "u16", 16 },
	[T_UINT32] = { "uint32_t", "uint32_t", "u32", 32 },
	[T_UINT64] = { "uint64_t", "uint64_t", "u64", 64 },
	[T_FLOAT32] = { "float", "uint32_t", "u32", 32 },
	[T_FLOAT64] = { "double", "uint64_t", "u64", 64 },
	[T_ENUM] = { NULL, "uint16_t", "u16", 16 },
};

/* One field being emitted, with what every accessor needs to know. */
struct field {
	const char *s;		/* C name of the containing struct. */
	const char *name;	/* Field name. */
	char disc[96];		/* Statement that sets the discriminant. */
	struct capnp_struct type;
	struct capnp_struct def;	/* Default Value, or zeroed. */
	uint32_t offset;
	unsigned kind;
};

static bool
in_file(const struct gen *g, const struct capnp_struct *node)
{
	struct capnp_text t = text_of(node, NODE_P_NAME);
	size_t n = strlen(g->file);

	return strncmp(t.str, g->file, n) == 0 && t.str[n] == ':';
}

static void
emit_string(FILE *out, const uint8_t *p, uint32_t len)
{
	fputc('"', out);
	for (uint32_t i = 0; i < len; i++) {
		if (p[i] == '"' || p[i] == '\\')
			fprintf(out, "\\%c", p[i]);
		else if (isprint(p[i]))
			fputc(p[i], out);
		else
			fprintf(out, "\\%03o", p[i]);
	}
	fputc('"', out);
}

/* The raw bits of a primitive default value, as stored in Value. */
static uint64_t
default_bits(const struct capnp_struct *v, unsigned kind)
{
	switch (prims[kind].bits) {
	case 1:
		return capnp_get_bit(v, 16);
	case 8:
		return capnp_get_u8(v, 2);
	case 16:
		return capnp_get_u16(v, 2);
	case 32:
		return capnp_get_u32(v, 4);
	default:
		return capnp_get_u64(v, 8);
	}
}

static void
emit_types(struct gen *g, const struct capnp_struct *node)
{
	char n[NAMELEN];

	c_name(g, node, n, sizeof(n));
	fprintf(g->out, "struct %s_r {\n\tstruct capnp_struct s;\n};\n\n", n);
	fprintf(g->out, "struct %s_b {\n\tstruct capnp_sb s;\n};\n\n", n);
}

static void
emit_enum(struct gen *g, const struct capnp_struct *node)
{
	struct capnp_list l;
	struct capnp_struct e;
	char n[NAMELEN];

	c_name(g, node, n, sizeof(n));
	must(capnp_get_list(node, NODE_P_FIELDS, CAPNP_ELEM_COMPOSITE, &l),
	    "enumerants");
	fprintf(g->out, "#define %s_TYPE_ID UINT64_C(%#llx)\n", n,
	    (unsigned long long)NODE_ID(node));
	fprintf(g->out, "enum %s {\n", n);
	for (uint32_t i = 0; i < l.n; i++) {
		must(capnp_list_struct(&l, i, &e), "enumerant");
		fprintf(g->out, "\t%s_%s = %u,\n", n, text_of(&e, 0).str, i);
	}
	fprintf(g->out, "};\n\n");
}

/* Union discriminant values of a struct that has an unnamed union. */
static void
emit_which(struct gen *g, const struct capnp_struct *node)
{
	struct capnp_list l;
	struct capnp_struct f;
	char n[NAMELEN];

	if (NODE_STRUCT_DCOUNT(node) == 0)
		return;
	c_name(g, node, n, sizeof(n));
	must(capnp_get_list(node, NODE_P_FIELDS, CAPNP_ELEM_COMPOSITE, &l),
	    "fields");
	fprintf(g->out, "enum %s_which {\n", n);
	for (uint32_t i = 0; i < l.n; i++) {
		must(capnp_list_struct(&l, i, &f), "field");
		if (FIELD_DISC(&f) != NO_DISCRIMINANT)
			fprintf(g->out, "\t%s_which_%s = %u,\n", n,
			    text_of(&f, 0).str, FIELD_DISC(&f));
	}
	fprintf(g->out, "};\n\n");
}

static void
emit_interface(struct gen *g, const struct capnp_struct *node)
{
	struct capnp_list l;
	struct capnp_struct m;
	char n[NAMELEN], p[NAMELEN], r[NAMELEN];

	c_name(g, node, n, sizeof(n));
	must(capnp_get_list(node, NODE_P_FIELDS, CAPNP_ELEM_COMPOSITE, &l),
	    "methods");
	fprintf(g->out, "#define %s_INTERFACE_ID UINT64_C(%#llx)\n", n,
	    (unsigned long long)NODE_ID(node));
	for (uint32_t i = 0; i < l.n; i++) {
		must(capnp_list_struct(&l, i, &m), "method");
		c_name(g, find_node(g, METHOD_PARAMS(&m)), p, sizeof(p));
		c_name(g, find_node(g, METHOD_RESULTS(&m)), r, sizeof(r));
		fprintf(g->out, "/* %s(%s) -> %s */\n", text_of(&m, 0).str,
		    p, r);
		fprintf(g->out, "#define %s_%s_ORDINAL %u\n", n,
		    text_of(&m, 0).str, i);
	}
	fputc('\n', g->out);
}

static void
emit_const(struct gen *g, const struct capnp_struct *node)
{
	struct capnp_struct type, value;
	struct capnp_text t;
	unsigned kind;
	uint64_t bits;
	char n[NAMELEN];

	c_name(g, node, n, sizeof(n));
	must(capnp_get_struct(node, NODE_P_CONST_TYPE, &type), "const type");
	must(capnp_get_struct(node, NODE_P_CONST_VALUE, &value), "value");
	kind = TYPE_WHICH(&type);
	if (kind == T_TEXT) {
		t = text_of(&value, VALUE_P_PTR);
		fprintf(g->out, "#define %s ", n);
		emit_string(g->out, (const uint8_t *)t.str, t.len);
		fputc('\n', g->out);
		return;
	}
	if ((kind < T_BOOL || kind > T_UINT64) && kind != T_ENUM) {
		fprintf(g->out, "/* %s: constant of this type not emitted. */\n",
		    n);
		return;
	}
	bits = default_bits(&value, kind);
	if (kind == T_BOOL)
		fprintf(g->out, "#define %s %s\n", n, bits ? "true" : "false");
	else if (kind == T_INT8 || kind == T_INT16 || kind == T_INT32 ||
	    kind == T_INT64)
		fprintf(g->out, "#define %s ((%s)INT64_C(%lld))\n", n,
		    prims[kind].ctype, (long long)(prims[kind].bits == 64 ?
		    bits : (uint64_t)((int64_t)(bits << (64 -
		    prims[kind].bits)) >> (64 - prims[kind].bits))));
	else
		fprintf(g->out, "#define %s ((%s)UINT64_C(%llu))\n", n,
		    prims[kind].utype, (unsigned long long)bits);
}

/* Functions every non-group struct gets: roots and list elements. */
static void
emit_struct_common(struct gen *g, const char *n, unsigned dw, unsigned pc)
{
	FILE *o = g->out;

	fprintf(o, "#define %s_DATA_WORDS %u\n#define %s_PTR_COUNT %u\n\n",
	    n, dw, n, pc);
	fprintf(o, "CAPNP_MUST_CHECK static inline int\n%s_read_root("
	    "struct capnp_msg *m, struct %s_r *out)\n{\n\treturn "
	    "capnp_msg_root(m, &out->s);\n}\n\n", n, n);
	fprintf(o, "CAPNP_MUST_CHECK static inline int\n%s_init_root("
	    "struct capnp_builder *b, struct %s_b *out)\n{\n\treturn "
	    "capnp_init_root(b, %u, %u, &out->s);\n}\n\n", n, n, dw, pc);
	fprintf(o, "CAPNP_MUST_CHECK static inline int\n%s_at(const struct "
	    "capnp_list *l, uint32_t i, struct %s_r *out)\n{\n\treturn "
	    "capnp_list_struct(l, i, &out->s);\n}\n\n", n, n);
	fprintf(o, "CAPNP_MUST_CHECK static inline int\n%s_b_at(const struct "
	    "capnp_lb *l, uint32_t i, struct %s_b *out)\n{\n\treturn "
	    "capnp_lb_elem(l, i, &out->s);\n}\n\n", n, n);
}

static void
emit_prim(struct gen *g, const struct field *f)
{
	const struct prim *p = &prims[f->kind];
	uint64_t def = f->def.msg != NULL ? default_bits(&f->def, f->kind) : 0;
	unsigned off = p->bits == 1 ? f->offset : f->offset * p->bits / 8;
	char en[NAMELEN], ctype[NAMELEN + 8];
	FILE *o = g->out;

	if (f->kind == T_ENUM) {
		c_name(g, find_node(g, TYPE_ID(&f->type)), en, sizeof(en));
		snprintf(ctype, sizeof(ctype), "enum %s", en);
	} else {
		snprintf(ctype, sizeof(ctype), "%s", p->ctype);
	}
	if (f->kind == T_FLOAT32 || f->kind == T_FLOAT64) {
		fprintf(o, "#ifndef CAPNP_NO_FLOAT\n");
		fprintf(o, "static inline %s\n%s_get_%s(const struct %s_r *r)"
		    "\n{\n\tunion { %s u; %s f; } v;\n\n\tv.u = capnp_get_%s("
		    "&r->s, %u) ^ UINT64_C(%#llx);\n\treturn v.f;\n}\n\n",
		    ctype, f->s, f->name, f->s, p->utype, ctype, p->acc, off,
		    (unsigned long long)def);
		fprintf(o, "static inline void\n%s_set_%s(struct %s_b *b, %s x)"
		    "\n{\n\tunion { %s u; %s f; } v;\n\n\tv.f = x;\n%s"
		    "\tcapnp_set_%s(&b->s, %u, v.u ^ UINT64_C(%#llx));\n}\n",
		    f->s, f->name, f->s, ctype, p->utype, ctype, f->disc,
		    p->acc, off, (unsigned long long)def);
		fprintf(o, "#endif\n\n");
		return;
	}
	fprintf(o, "static inline %s\n%s_get_%s(const struct %s_r *r)\n{\n"
	    "\treturn (%s)(capnp_get_%s(&r->s, %u) ^ %#llxu);\n}\n\n", ctype,
	    f->s, f->name, f->s, ctype, p->acc, off, (unsigned long long)def);
	fprintf(o, "static inline void\n%s_set_%s(struct %s_b *b, %s v)\n{\n"
	    "%s\tcapnp_set_%s(&b->s, %u, (%s)((%s)v ^ %#llxu));\n}\n\n", f->s,
	    f->name, f->s, ctype, f->disc, p->acc, off, p->utype, p->utype,
	    (unsigned long long)def);
}

/* Text and Data: a getter with the schema default, a setter that copies. */
static void
emit_bytes(struct gen *g, const struct field *f)
{
	bool text = f->kind == T_TEXT;
	struct capnp_data d = { NULL, 0 };
	struct capnp_text t;
	FILE *o = g->out;

	if (f->def.msg != NULL && !capnp_ptr_is_null(&f->def, VALUE_P_PTR)) {
		if (text) {
			t = text_of(&f->def, VALUE_P_PTR);
			d.ptr = (const uint8_t *)t.str;
			d.len = t.len;
		} else {
			must(capnp_get_data(&f->def, VALUE_P_PTR, NULL, 0, &d),
			    "default data");
		}
	}
	fprintf(o, "CAPNP_MUST_CHECK static inline int\n%s_get_%s(const "
	    "struct %s_r *r, struct capnp_%s *out)\n{\n\treturn capnp_get_%s("
	    "&r->s, %u, ", f->s, f->name, f->s, text ? "text" : "data",
	    text ? "text" : "data", f->offset);
	if (d.ptr == NULL)
		fprintf(o, text ? "NULL" : "NULL, 0");
	else
		emit_string(o, d.ptr, d.len);
	if (d.ptr != NULL && !text)
		fprintf(o, ", %u", d.len);
	fprintf(o, ", out);\n}\n\n");
	fprintf(o, "CAPNP_MUST_CHECK static inline int\n%s_set_%s(struct %s_b "
	    "*b, const %s *p, size_t len)\n{\n%s\treturn capnp_set_%s(&b->s, "
	    "%u, p, len);\n}\n\n", f->s, f->name, f->s, text ? "char" : "void",
	    f->disc, text ? "text" : "data", f->offset);
}

/* The element size a list of this element type is expected to have. */
static const char *
list_esize(unsigned kind)
{
	switch (kind) {
	case T_VOID:
		return "CAPNP_ELEM_VOID";
	case T_BOOL:
		return "CAPNP_ELEM_BIT";
	case T_INT8: case T_UINT8:
		return "CAPNP_ELEM_BYTE";
	case T_INT16: case T_UINT16: case T_ENUM:
		return "CAPNP_ELEM_TWO";
	case T_INT32: case T_UINT32: case T_FLOAT32:
		return "CAPNP_ELEM_FOUR";
	case T_INT64: case T_UINT64: case T_FLOAT64:
		return "CAPNP_ELEM_EIGHT";
	case T_STRUCT:
		return "CAPNP_ELEM_COMPOSITE";
	default:
		return "CAPNP_ELEM_PTR";
	}
}

static void
no_pointer_default(const struct field *f)
{
	if (f->def.msg != NULL && !capnp_ptr_is_null(&f->def, VALUE_P_PTR))
		die("%s.%s: default values of struct, list and AnyPointer "
		    "fields are not supported", f->s, f->name);
}

static void
emit_struct_field(struct gen *g, const struct field *f)
{
	const struct capnp_struct *t = find_node(g, TYPE_ID(&f->type));
	char tn[NAMELEN];
	FILE *o = g->out;

	no_pointer_default(f);
	c_name(g, t, tn, sizeof(tn));
	fprintf(o, "CAPNP_MUST_CHECK static inline int\n%s_get_%s(const "
	    "struct %s_r *r, struct %s_r *out)\n{\n\treturn capnp_get_struct("
	    "&r->s, %u, &out->s);\n}\n\n", f->s, f->name, f->s, tn, f->offset);
	fprintf(o, "CAPNP_MUST_CHECK static inline int\n%s_init_%s(struct "
	    "%s_b *b, struct %s_b *out)\n{\n%s\treturn capnp_init_struct("
	    "&b->s, %u, %u, %u, &out->s);\n}\n\n", f->s, f->name, f->s, tn,
	    f->disc, f->offset, NODE_STRUCT_DW(t), NODE_STRUCT_PC(t));
	fprintf(o, "CAPNP_MUST_CHECK static inline int\n%s_set_%s(struct "
	    "%s_b *b, const struct %s_r *src)\n{\n%s\treturn "
	    "capnp_copy_struct(&b->s, %u, &src->s);\n}\n\n", f->s, f->name,
	    f->s, tn, f->disc, f->offset);
}

static void
emit_list_field(struct gen *g, const struct field *f)
{
	struct capnp_struct et;
	const struct capnp_struct *t;
	unsigned ek;
	FILE *o = g->out;

	no_pointer_default(f);
	must(capnp_get_struct(&f->type, TYPE_P_ELEMENT, &et), "element");
	ek = TYPE_WHICH(&et);
	fprintf(o, "CAPNP_MUST_CHECK static inline int\n%s_get_%s(const "
	    "struct %s_r *r, struct capnp_list *out)\n{\n\treturn "
	    "capnp_get_list(&r->s, %u, %s, out);\n}\n\n", f->s, f->name, f->s,
	    f->offset, list_esize(ek));
	fprintf(o, "CAPNP_MUST_CHECK static inline int\n%s_init_%s(struct "
	    "%s_b *b, uint32_t n, struct capnp_lb *out)\n{\n%s", f->s, f->name,
	    f->s, f->disc);
	if (ek == T_STRUCT) {
		t = find_node(g, TYPE_ID(&et));
		fprintf(o, "\treturn capnp_init_struct_list(&b->s, %u, n, %u, "
		    "%u, out);\n}\n\n", f->offset, NODE_STRUCT_DW(t),
		    NODE_STRUCT_PC(t));
	} else {
		fprintf(o, "\treturn capnp_init_list(&b->s, %u, %s, n, out);\n"
		    "}\n\n", f->offset, list_esize(ek));
	}
	fprintf(o, "CAPNP_MUST_CHECK static inline int\n%s_set_%s(struct "
	    "%s_b *b, const struct capnp_list *src)\n{\n%s\treturn "
	    "capnp_copy_list(&b->s, %u, src);\n}\n\n", f->s, f->name, f->s,
	    f->disc, f->offset);
}

static void
emit_cap_field(struct gen *g, const struct field *f)
{
	FILE *o = g->out;

	fprintf(o, "CAPNP_MUST_CHECK static inline int\n%s_get_%s(const "
	    "struct %s_r *r, uint32_t *cap)\n{\n\treturn capnp_get_cap(&r->s, "
	    "%u, cap);\n}\n\n", f->s, f->name, f->s, f->offset);
	fprintf(o, "static inline void\n%s_set_%s(struct %s_b *b, uint32_t cap)"
	    "\n{\n%s\tcapnp_set_cap(&b->s, %u, cap);\n}\n\n", f->s, f->name,
	    f->s, f->disc, f->offset);
}

static void
emit_has(struct gen *g, const struct field *f)
{
	fprintf(g->out, "static inline bool\n%s_has_%s(const struct %s_r *r)\n"
	    "{\n\treturn !capnp_ptr_is_null(&r->s, %u);\n}\n\n", f->s, f->name,
	    f->s, f->offset);
}

static void
emit_slot(struct gen *g, struct field *f, const struct capnp_struct *fr)
{
	f->offset = FIELD_SLOT_OFFSET(fr);
	must(capnp_get_struct(fr, FIELD_P_SLOT_TYPE, &f->type), "slot type");
	must(capnp_get_struct(fr, FIELD_P_SLOT_DEFAULT, &f->def), "default");
	if (f->def.nptrs == 0 && f->def.data_bytes == 0)
		f->def.msg = NULL;
	f->kind = TYPE_WHICH(&f->type);
	switch (f->kind) {
	case T_VOID:
		if (f->disc[0] != '\0')
			fprintf(g->out, "static inline void\n%s_set_%s(struct "
			    "%s_b *b)\n{\n%s}\n\n", f->s, f->name, f->s,
			    f->disc);
		return;
	case T_TEXT:
	case T_DATA:
		emit_has(g, f);
		emit_bytes(g, f);
		return;
	case T_STRUCT:
		emit_has(g, f);
		emit_struct_field(g, f);
		return;
	case T_LIST:
		emit_has(g, f);
		emit_list_field(g, f);
		return;
	case T_INTERFACE:
		emit_cap_field(g, f);
		return;
	case T_ANYPOINTER:
		no_pointer_default(f);
		emit_has(g, f);
		if (TYPE_ANY_WHICH(&f->type) == ANY_UNCONSTRAINED &&
		    TYPE_ANY_KIND(&f->type) == ANY_CAPABILITY)
			emit_cap_field(g, f);
		return;
	default:
		emit_prim(g, f);
		return;
	}
}

/* A group shares its parent's sections, so its views are copies. */
static void
emit_group(struct gen *g, const struct field *f, uint64_t id)
{
	char gn[NAMELEN];
	FILE *o = g->out;

	c_name(g, find_node(g, id), gn, sizeof(gn));
	fprintf(o, "static inline struct %s_r\n%s_get_%s(const struct %s_r *r)"
	    "\n{\n\tstruct %s_r v = { r->s };\n\n\treturn v;\n}\n\n", gn, f->s,
	    f->name, f->s, gn);
	fprintf(o, "static inline struct %s_b\n%s_init_%s(struct %s_b *b)\n{\n"
	    "\tstruct %s_b v = { b->s };\n\n%s\treturn v;\n}\n\n", gn, f->s,
	    f->name, f->s, gn, f->disc);
}

static void
emit_accessors(struct gen *g, const struct capnp_struct *node)
{
	struct capnp_list l;
	struct capnp_struct fr;
	struct field f;
	char n[NAMELEN];
	unsigned doff = NODE_STRUCT_DOFF(node) * 2;

	c_name(g, node, n, sizeof(n));
	fprintf(g->out, "/* %s */\n#define %s_TYPE_ID UINT64_C(%#llx)\n", n, n,
	    (unsigned long long)NODE_ID(node));
	if (!NODE_STRUCT_ISGROUP(node))
		emit_struct_common(g, n, NODE_STRUCT_DW(node),
		    NODE_STRUCT_PC(node));
	if (NODE_STRUCT_DCOUNT(node) != 0)
		fprintf(g->out, "static inline enum %s_which\n%s_which(const "
		    "struct %s_r *r)\n{\n\treturn (enum %s_which)capnp_get_u16("
		    "&r->s, %u);\n}\n\n", n, n, n, n, doff);
	must(capnp_get_list(node, NODE_P_FIELDS, CAPNP_ELEM_COMPOSITE, &l),
	    "fields");
	for (uint32_t i = 0; i < l.n; i++) {
		must(capnp_list_struct(&l, i, &fr), "field");
		memset(&f, 0, sizeof(f));
		f.s = n;
		f.name = text_of(&fr, 0).str;
		if (FIELD_DISC(&fr) != NO_DISCRIMINANT)
			snprintf(f.disc, sizeof(f.disc), "\tcapnp_set_u16(&b->s,"
			    " %u, %u);\n", doff, FIELD_DISC(&fr));
		if (FIELD_WHICH(&fr) == FIELD_GROUP)
			emit_group(g, &f, FIELD_GROUP_ID(&fr));
		else
			emit_slot(g, &f, &fr);
	}
}

/* Include the headers of imported files that define any types. */
static void
emit_includes(struct gen *g, const struct capnp_list *imports)
{
	struct capnp_struct im, n;

	for (uint32_t i = 0; i < imports->n; i++) {
		must(capnp_list_struct(imports, i, &im), "import");
		for (size_t j = 0; j < g->nnodes; j++) {
			n = g->nodes[j].r;
			if (NODE_SCOPE(&n) != IMPORT_ID(&im))
				continue;
			if (NODE_WHICH(&n) != NODE_ANNOTATION) {
				fprintf(g->out, "#include \"%s.h\"\n",
				    text_of(&im, IMPORT_P_NAME).str);
				break;
			}
		}
	}
}

static void
emit_guard(struct gen *g, bool open)
{
	char guard[NAMELEN];
	size_t i;

	snprintf(guard, sizeof(guard), "CAPNP_GEN_%s_H", g->file);
	for (i = 0; guard[i] != '\0'; i++)
		guard[i] = isalnum((unsigned char)guard[i]) ?
		    (char)toupper((unsigned char)guard[i]) : '_';
	if (open)
		fprintf(g->out, "#ifndef %s\n#define %s\n\n", guard, guard);
	else
		fprintf(g->out, "#endif /* %s */\n", guard);
}

/* Apply fn to each node of the file whose kind is which. */
static void
each(struct gen *g, unsigned which, void (*fn)(struct gen *,
    const struct capnp_struct *))
{
	const struct capnp_struct *n;

	for (size_t i = 0; i < g->nnodes; i++) {
		n = &g->nodes[g->order[i]].r;
		if (NODE_WHICH(n) == which && in_file(g, n))
			fn(g, n);
	}
}

void
emit_file(struct gen *g, const struct capnp_list *imports)
{
	fprintf(g->out, "/* Generated by capnpc-c from %s. Do not edit. */\n",
	    g->file);
	emit_guard(g, true);
	fprintf(g->out, "#include \"capnp.h\"\n");
	emit_includes(g, imports);
	fputc('\n', g->out);
	each(g, NODE_STRUCT, emit_types);
	each(g, NODE_ENUM, emit_enum);
	each(g, NODE_STRUCT, emit_which);
	each(g, NODE_INTERFACE, emit_interface);
	each(g, NODE_CONST, emit_const);
	fputc('\n', g->out);
	each(g, NODE_STRUCT, emit_accessors);
	emit_meta(g);
	emit_guard(g, false);
}

/* ---- Metadata (lib/capnp/meta.h), emitted under #ifdef CAPNP_META ---- */

/* The short name of a node: its display name after the file's colon. */
static const char *
short_name(const struct capnp_struct *node)
{
	struct capnp_text t = text_of(node, NODE_P_NAME);
	const char *p = strchr(t.str, ':');

	return p != NULL ? p + 1 : t.str;
}

static void
meta_declare(struct gen *g, const struct capnp_struct *node)
{
	char n[NAMELEN];

	c_name(g, node, n, sizeof(n));
	fprintf(g->out, "static const struct capnp_meta_struct %s_meta;\n", n);
}

static void
meta_enum(struct gen *g, const struct capnp_struct *node)
{
	struct capnp_list l;
	struct capnp_struct e;
	char n[NAMELEN];

	c_name(g, node, n, sizeof(n));
	must(capnp_get_list(node, NODE_P_FIELDS, CAPNP_ELEM_COMPOSITE, &l),
	    "enumerants");
	fprintf(g->out, "static const char *const %s_meta_names[] = {", n);
	for (uint32_t i = 0; i < l.n; i++) {
		must(capnp_list_struct(&l, i, &e), "enumerant");
		fprintf(g->out, " \"%s\",", text_of(&e, 0).str);
	}
	fprintf(g->out, " };\nstatic const struct capnp_meta_enum %s_meta = "
	    "{ \"%s\", %u, %s_meta_names };\n", n, short_name(node), l.n, n);
}

/* The C name of the node a type refers to, into buf ("NULL" if none). */
static void
meta_ref(struct gen *g, uint64_t id, char *buf, size_t len)
{
	const struct capnp_struct *t = find_node(g, id);

	if (t == NULL) {
		snprintf(buf, len, "NULL");
		return;
	}
	c_name(g, t, buf, len - 6);
	strcat(buf, "_meta");
	memmove(buf + 1, buf, strlen(buf) + 1);
	buf[0] = '&';
}

/* Whether the annotation list at pointer ptr of node r holds id. */
static int
has_annotation(const struct capnp_struct *r, uint16_t ptr, uint64_t id)
{
	struct capnp_list l;
	struct capnp_struct a;

	must(capnp_get_list(r, ptr, CAPNP_ELEM_COMPOSITE, &l), "annotations");
	for (uint32_t i = 0; i < l.n; i++) {
		must(capnp_list_struct(&l, i, &a), "annotation");
		if (ANNOT_ID(&a) == id)
			return 1;
	}
	return 0;
}

static void
meta_field(struct gen *g, const struct capnp_struct *fr)
{
	struct capnp_struct type, elem;
	unsigned kind, ek = 0;
	uint32_t off = 0;
	char st[NAMELEN] = "NULL", en[NAMELEN] = "NULL";

	if (FIELD_WHICH(fr) == FIELD_GROUP) {
		kind = 19;	/* CAPNP_META_GROUP */
		meta_ref(g, FIELD_GROUP_ID(fr), st, sizeof(st));
	} else {
		must(capnp_get_struct(fr, FIELD_P_SLOT_TYPE, &type), "type");
		kind = TYPE_WHICH(&type);
		off = FIELD_SLOT_OFFSET(fr);
		if (kind == T_STRUCT)
			meta_ref(g, TYPE_ID(&type), st, sizeof(st));
		else if (kind == T_ENUM)
			meta_ref(g, TYPE_ID(&type), en, sizeof(en));
		else if (kind == T_LIST) {
			must(capnp_get_struct(&type, TYPE_P_ELEMENT, &elem),
			    "element type");
			ek = TYPE_WHICH(&elem);
			if (ek == T_STRUCT)
				meta_ref(g, TYPE_ID(&elem), st, sizeof(st));
			else if (ek == T_ENUM)
				meta_ref(g, TYPE_ID(&elem), en, sizeof(en));
		}
	}
	fprintf(g->out, "\t{ \"%s\", %u, %#x, %u, %u, %s, %s, %u },\n",
	    text_of(fr, 0).str, kind, FIELD_DISC(fr), off, ek, st, en,
	    has_annotation(fr, FIELD_P_ANNOTATIONS, C_SECRET_ID) ?
	    1u /* CAPNP_META_SECRET */ : 0u);
}

static void
meta_struct(struct gen *g, const struct capnp_struct *node)
{
	struct capnp_list l;
	struct capnp_struct fr;
	char n[NAMELEN];

	c_name(g, node, n, sizeof(n));
	must(capnp_get_list(node, NODE_P_FIELDS, CAPNP_ELEM_COMPOSITE, &l),
	    "fields");
	if (l.n > 0) {
		fprintf(g->out, "static const struct capnp_meta_field "
		    "%s_meta_fields[] = {\n", n);
		for (uint32_t i = 0; i < l.n; i++) {
			must(capnp_list_struct(&l, i, &fr), "field");
			meta_field(g, &fr);
		}
		fprintf(g->out, "};\n");
	}
	fprintf(g->out, "static const struct capnp_meta_struct %s_meta = { "
	    "\"%s\", %u, %u, %u, %u, %u, %s%s };\n", n, short_name(node),
	    NODE_STRUCT_DW(node), NODE_STRUCT_PC(node),
	    NODE_STRUCT_DCOUNT(node), NODE_STRUCT_DOFF(node) * 2, l.n,
	    l.n > 0 ? n : "NULL", l.n > 0 ? "_meta_fields" : "");
}

static void
meta_interface(struct gen *g, const struct capnp_struct *node)
{
	struct capnp_list l;
	struct capnp_struct m;
	char n[NAMELEN], p[NAMELEN], r[NAMELEN];

	c_name(g, node, n, sizeof(n));
	must(capnp_get_list(node, NODE_P_FIELDS, CAPNP_ELEM_COMPOSITE, &l),
	    "methods");
	if (l.n > 0) {
		fprintf(g->out, "static const struct capnp_meta_method "
		    "%s_meta_methods[] = {\n", n);
		for (uint32_t i = 0; i < l.n; i++) {
			must(capnp_list_struct(&l, i, &m), "method");
			meta_ref(g, METHOD_PARAMS(&m), p, sizeof(p));
			meta_ref(g, METHOD_RESULTS(&m), r, sizeof(r));
			fprintf(g->out, "\t{ \"%s\", %u, %s, %s, %u },\n",
			    text_of(&m, 0).str, i, p, r,
			    has_annotation(&m, METHOD_P_ANNOTATIONS,
			    C_READ_ONLY_ID) ? 1u /* CAPNP_META_READ_ONLY */ :
			    0u);
		}
		fprintf(g->out, "};\n");
	}
	fprintf(g->out, "static const struct capnp_meta_interface %s_meta = {"
	    " \"%s\", UINT64_C(%#llx), %u, %s%s };\n", n, short_name(node),
	    (unsigned long long)NODE_ID(node), l.n, l.n > 0 ? n : "NULL",
	    l.n > 0 ? "_meta_methods" : "");
}

static void
emit_meta(struct gen *g)
{
	fprintf(g->out, "#ifdef CAPNP_META\n#include \"meta.h\"\n");
	each(g, NODE_STRUCT, meta_declare);
	each(g, NODE_ENUM, meta_enum);
	each(g, NODE_STRUCT, meta_struct);
	each(g, NODE_INTERFACE, meta_interface);
	fprintf(g->out, "#endif /* CAPNP_META */\n\n");
}
