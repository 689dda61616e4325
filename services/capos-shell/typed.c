/*
 * Typed calls (typed.h).
 */
#include <string.h>

#include "fmt/fmt.h"
#include "typed.h"

static void
errf(char err[TYPED_ERR_MAX], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(err, TYPED_ERR_MAX, fmt, ap);
	va_end(ap);
}

static int
is_ident(char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	    (!first && c >= '0' && c <= '9');
}

static void
skip_space(const char *s, size_t n, size_t *i)
{
	while (*i < n && s[*i] == ' ')
		(*i)++;
}

/* An identifier into out (room TYPED_NAME_MAX + 1); -1 if none or long. */
static int
ident(const char *s, size_t n, size_t *i, char *out)
{
	size_t b = *i;

	if (*i >= n || !is_ident(s[*i], 1))
		return -1;
	while (*i < n && is_ident(s[*i], 0))
		(*i)++;
	if (*i - b > TYPED_NAME_MAX)
		return -1;
	memcpy(out, s + b, *i - b);
	out[*i - b] = '\0';
	return 0;
}

static int
hexdig(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
parse_string(const char *s, size_t n, size_t *i, struct typed_arg *a,
    char err[TYPED_ERR_MAX])
{
	(*i)++;
	for (;;) {
		char c;

		if (*i >= n) {
			errf(err, "%s: the string has no closing quote",
			    a->name);
			return -1;
		}
		c = s[(*i)++];
		if (c == '"')
			break;
		if (c == '\\') {
			int h, l;

			if (*i >= n)
				continue;
			c = s[(*i)++];
			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c == 'x') {
				if (*i + 1 >= n || (h = hexdig(s[*i])) < 0 ||
				    (l = hexdig(s[*i + 1])) < 0) {
					errf(err, "%s: \\x needs two hex "
					    "digits", a->name);
					return -1;
				}
				c = (char)(h << 4 | l);
				*i += 2;
			} else if (c != '"' && c != '\\') {
				errf(err, "%s: unknown escape \\%c", a->name,
				    c);
				return -1;
			}
		}
		if (a->len == TYPED_VALUE_MAX) {
			errf(err, "%s: longer than %d bytes", a->name,
			    TYPED_VALUE_MAX);
			return -1;
		}
		a->text[a->len++] = c;
	}
	a->kind = TV_STRING;
	return 0;
}

static int
parse_number(const char *s, size_t n, size_t *i, struct typed_arg *a,
    char err[TYPED_ERR_MAX])
{
	uint64_t v = 0;
	unsigned base = 10;
	size_t digits = 0;
	int d;

	if (s[*i] == '-') {
		a->neg = 1;
		(*i)++;
	}
	if (*i + 1 < n && s[*i] == '0' && (s[*i + 1] == 'x' ||
	    s[*i + 1] == 'X')) {
		base = 16;
		*i += 2;
	}
	while (*i < n && (d = hexdig(s[*i])) >= 0 && (unsigned)d < base) {
		if (v > (UINT64_MAX - (uint64_t)d) / base) {
			errf(err, "%s: the number is too large", a->name);
			return -1;
		}
		v = v * base + (uint64_t)d;
		digits++;
		(*i)++;
	}
	if (digits == 0 || (*i < n && is_ident(s[*i], 0))) {
		errf(err, "%s: not a number", a->name);
		return -1;
	}
	a->num = v;
	a->kind = TV_NUMBER;
	return 0;
}

static int
parse_value(const char *s, size_t n, size_t *i, struct typed_arg *a,
    char err[TYPED_ERR_MAX])
{
	if (*i >= n || s[*i] == ')' || s[*i] == ',') {
		errf(err, "%s: a value is missing", a->name);
		return -1;
	}
	if (s[*i] == '"')
		return parse_string(s, n, i, a, err);
	if (s[*i] == '-' || (s[*i] >= '0' && s[*i] <= '9'))
		return parse_number(s, n, i, a, err);
	if (ident(s, n, i, a->text) == 0) {
		a->len = strlen(a->text);
		a->kind = TV_WORD;
		return 0;
	}
	errf(err, "%s: a value is a number, a \"string\", true, false or a "
	    "name", a->name);
	return -1;
}

int
typed_parse(const char *s, size_t n, struct typed_call *c,
    char err[TYPED_ERR_MAX])
{
	size_t i = 0;

	memset(c, 0, sizeof(*c));
	skip_space(s, n, &i);
	if (ident(s, n, &i, c->cap) != 0 || i >= n || s[i++] != '.' ||
	    ident(s, n, &i, c->method) != 0) {
		errf(err, "expected CAPABILITY.METHOD(ARG=VALUE, ...)");
		return -1;
	}
	skip_space(s, n, &i);
	if (i >= n || s[i++] != '(') {
		errf(err, "expected ( after %s.%s", c->cap, c->method);
		return -1;
	}
	skip_space(s, n, &i);
	while (i < n && s[i] != ')') {
		struct typed_arg *a = &c->args[c->nargs];

		if (c->nargs == TYPED_ARGS_MAX) {
			errf(err, "more than %d arguments", TYPED_ARGS_MAX);
			return -1;
		}
		if (ident(s, n, &i, a->name) != 0) {
			errf(err, "expected an argument name at column %u",
			    (unsigned)i + 1);
			return -1;
		}
		for (int k = 0; k < c->nargs; k++)
			if (strcmp(c->args[k].name, a->name) == 0) {
				errf(err, "%s is given twice", a->name);
				return -1;
			}
		skip_space(s, n, &i);
		if (i >= n || s[i++] != '=') {
			errf(err, "expected = after %s", a->name);
			return -1;
		}
		skip_space(s, n, &i);
		if (parse_value(s, n, &i, a, err) != 0)
			return -1;
		c->nargs++;
		skip_space(s, n, &i);
		if (i < n && s[i] == ',') {
			i++;
			skip_space(s, n, &i);
			if (i < n && s[i] == ')') {
				errf(err, "an argument is missing after ,");
				return -1;
			}
		} else if (i < n && s[i] != ')') {
			errf(err, "expected , or ) at column %u",
			    (unsigned)i + 1);
			return -1;
		}
	}
	if (i >= n) {
		errf(err, "expected ) to end the arguments");
		return -1;
	}
	i++;
	skip_space(s, n, &i);
	if (i != n) {
		errf(err, "unexpected text after )");
		return -1;
	}
	return 0;
}

const struct capnp_meta_method *
typed_method(const struct capnp_meta_interface *iface, const char *name)
{
	for (uint16_t i = 0; i < iface->nmethods; i++)
		if (strcmp(iface->methods[i].name, name) == 0)
			return &iface->methods[i];
	return NULL;
}

static const char *const kind_names[] = {
	"Void", "Bool", "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16",
	"UInt32", "UInt64", "Float32", "Float64", "Text", "Data", "List",
	"an enum", "a struct", "a capability", "a pointer", "a group",
};

static const char *
kind_name(const struct capnp_meta_field *f)
{
	if (f->kind == CAPNP_META_ENUM && f->en != NULL)
		return f->en->name;
	return f->kind < sizeof(kind_names) / sizeof(kind_names[0]) ?
	    kind_names[f->kind] : "?";
}

/* Sets an integer field, checking its range. */
static int
set_int(const struct capnp_sb *sb, const struct capnp_meta_field *f,
    const struct typed_arg *a, char err[TYPED_ERR_MAX])
{
	static const unsigned bits[] = {
		[CAPNP_META_INT8] = 8, [CAPNP_META_INT16] = 16,
		[CAPNP_META_INT32] = 32, [CAPNP_META_INT64] = 64,
		[CAPNP_META_UINT8] = 8, [CAPNP_META_UINT16] = 16,
		[CAPNP_META_UINT32] = 32, [CAPNP_META_UINT64] = 64,
	};
	unsigned w = bits[f->kind];
	int sign = f->kind <= CAPNP_META_INT64;
	uint64_t max = w == 64 ? UINT64_MAX : ((uint64_t)1 << w) - 1, v;

	if (a->kind != TV_NUMBER) {
		errf(err, "%s is %s: give a number", a->name, kind_name(f));
		return -1;
	}
	if (sign) {
		uint64_t lim = (uint64_t)1 << (w - 1);

		if ((a->neg && a->num > lim) || (!a->neg && a->num >= lim)) {
			errf(err, "%s is %s: out of range", a->name,
			    kind_name(f));
			return -1;
		}
		v = a->neg ? (uint64_t)0 - a->num : a->num;
	} else {
		if (a->neg || a->num > max) {
			errf(err, "%s is %s: out of range", a->name,
			    kind_name(f));
			return -1;
		}
		v = a->num;
	}
	switch (w) {
	case 8:
		capnp_set_u8(sb, f->offset, (uint8_t)v);
		break;
	case 16:
		capnp_set_u16(sb, f->offset * 2, (uint16_t)v);
		break;
	case 32:
		capnp_set_u32(sb, f->offset * 4, (uint32_t)v);
		break;
	default:
		capnp_set_u64(sb, f->offset * 8, v);
		break;
	}
	return 0;
}

static int
set_field(const struct capnp_sb *sb, const struct capnp_meta_field *f,
    const struct typed_arg *a, char err[TYPED_ERR_MAX])
{
	switch (f->kind) {
	case CAPNP_META_BOOL:
		if (a->kind != TV_WORD || (strcmp(a->text, "true") != 0 &&
		    strcmp(a->text, "false") != 0)) {
			errf(err, "%s is Bool: give true or false", a->name);
			return -1;
		}
		capnp_set_bit(sb, f->offset, a->text[0] == 't');
		return 0;
	case CAPNP_META_INT8: case CAPNP_META_INT16: case CAPNP_META_INT32:
	case CAPNP_META_INT64: case CAPNP_META_UINT8: case CAPNP_META_UINT16:
	case CAPNP_META_UINT32: case CAPNP_META_UINT64:
		return set_int(sb, f, a, err);
	case CAPNP_META_TEXT:
	case CAPNP_META_DATA:
		if (a->kind != TV_STRING) {
			errf(err, "%s is %s: give a \"quoted\" string",
			    a->name, kind_name(f));
			return -1;
		}
		if (f->kind == CAPNP_META_TEXT && memchr(a->text, '\0',
		    a->len) != NULL) {
			errf(err, "%s is Text: it may not hold \\x00",
			    a->name);
			return -1;
		}
		if ((f->kind == CAPNP_META_TEXT ? capnp_set_text(sb,
		    (uint16_t)f->offset, a->text, a->len) :
		    capnp_set_data(sb, (uint16_t)f->offset, a->text,
		    a->len)) != 0) {
			errf(err, "%s: no room in the message", a->name);
			return -1;
		}
		return 0;
	case CAPNP_META_ENUM:
		if (a->kind == TV_WORD && f->en != NULL)
			for (uint16_t v = 0; v < f->en->n; v++)
				if (strcmp(f->en->names[v], a->text) == 0) {
					capnp_set_u16(sb, f->offset * 2, v);
					return 0;
				}
		errf(err, "%s is %s: not one of its names", a->name,
		    kind_name(f));
		return -1;
	default:
		errf(err, "%s is %s: not supported in typed calls", a->name,
		    kind_name(f));
		return -1;
	}
}

int
typed_build(const struct capnp_meta_method *m, const struct typed_call *c,
    struct capnp_builder *b, char err[TYPED_ERR_MAX])
{
	const struct capnp_meta_struct *st = m->params;
	struct capnp_sb sb;

	if (capnp_init_root(b, st->data_words, st->ptr_count, &sb) != 0) {
		errf(err, "no room for the message");
		return -1;
	}
	for (int i = 0; i < c->nargs; i++) {
		const struct capnp_meta_field *f = NULL;

		for (uint16_t k = 0; k < st->nfields; k++)
			if (strcmp(st->fields[k].name, c->args[i].name) == 0)
				f = &st->fields[k];
		if (f == NULL || f->disc != CAPNP_META_NO_DISC) {
			errf(err, "%s takes no argument %s", m->name,
			    c->args[i].name);
			return -1;
		}
		if (set_field(&sb, f, &c->args[i], err) != 0)
			return -1;
	}
	return 0;
}

/* ---- Printing ---- */

struct out {
	char *p;
	size_t room, len;
	int full;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->full)
		return;
	if (o->len + n + 4 > o->room) {
		n = o->room > o->len + 4 ? o->room - o->len - 4 : 0;
		memcpy(o->p + o->len, s, n);
		o->len += n;
		memcpy(o->p + o->len, "...", 3);
		o->len += 3;
		o->full = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void
putf(struct out *o, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(o, buf, (size_t)n < sizeof(buf) ? (size_t)n :
		    sizeof(buf) - 1);
}

static void
put_quoted(struct out *o, const char *s, size_t n)
{
	put(o, "\"", 1);
	for (size_t i = 0; i < n && !o->full; i++) {
		uint8_t c = (uint8_t)s[i];

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			put(o, e, 2);
		} else if (c == '\n')
			put(o, "\\n", 2);
		else if (c < 0x20 || c == 0x7f)
			putf(o, "\\x%02x", c);
		else
			put(o, (const char *)&c, 1);
	}
	put(o, "\"", 1);
}

static void print_struct(struct out *o, const struct capnp_meta_struct *st,
    const struct capnp_struct *s, int depth);

static void
print_enum(struct out *o, const struct capnp_meta_enum *en, uint16_t v)
{
	if (en != NULL && v < en->n)
		puts_(o, en->names[v]);
	else
		putf(o, "%u", v);
}

/* A primitive at offset off (in the type's units) of a data section. */
static void
print_prim(struct out *o, unsigned kind, const struct capnp_meta_enum *en,
    const struct capnp_struct *s, uint32_t off)
{
	switch (kind) {
	case CAPNP_META_VOID:
		puts_(o, "void");
		break;
	case CAPNP_META_BOOL:
		puts_(o, capnp_get_bit(s, off) ? "true" : "false");
		break;
	case CAPNP_META_INT8:
		putf(o, "%d", (int8_t)capnp_get_u8(s, off));
		break;
	case CAPNP_META_INT16:
		putf(o, "%d", (int16_t)capnp_get_u16(s, off * 2));
		break;
	case CAPNP_META_INT32:
		putf(o, "%d", (int32_t)capnp_get_u32(s, off * 4));
		break;
	case CAPNP_META_INT64:
		putf(o, "%lld", (long long)(int64_t)capnp_get_u64(s, off * 8));
		break;
	case CAPNP_META_UINT8:
		putf(o, "%u", capnp_get_u8(s, off));
		break;
	case CAPNP_META_UINT16:
		putf(o, "%u", capnp_get_u16(s, off * 2));
		break;
	case CAPNP_META_UINT32:
		putf(o, "%u", capnp_get_u32(s, off * 4));
		break;
	case CAPNP_META_UINT64:
		putf(o, "%llu", (unsigned long long)capnp_get_u64(s, off * 8));
		break;
	case CAPNP_META_ENUM:
		print_enum(o, en, capnp_get_u16(s, off * 2));
		break;
	default:
		/* Floats are printed as their bits: lib/fmt has no %f. */
		putf(o, "<%s bits %#llx>", kind == CAPNP_META_FLOAT32 ?
		    "Float32" : "Float64", (unsigned long long)(kind ==
		    CAPNP_META_FLOAT32 ? capnp_get_u32(s, off * 4) :
		    capnp_get_u64(s, off * 8)));
		break;
	}
}

static void
print_data(struct out *o, const struct capnp_data *d)
{
	put(o, "0x\"", 3);
	for (uint32_t i = 0; i < d->len && !o->full; i++)
		putf(o, "%02x", d->ptr[i]);
	put(o, "\"", 1);
}

static void
print_list(struct out *o, const struct capnp_meta_field *f,
    const struct capnp_struct *s, int depth)
{
	static const int esize[] = {
		[CAPNP_META_BOOL] = CAPNP_ELEM_BIT,
		[CAPNP_META_INT8] = CAPNP_ELEM_BYTE,
		[CAPNP_META_UINT8] = CAPNP_ELEM_BYTE,
		[CAPNP_META_INT16] = CAPNP_ELEM_TWO,
		[CAPNP_META_UINT16] = CAPNP_ELEM_TWO,
		[CAPNP_META_ENUM] = CAPNP_ELEM_TWO,
		[CAPNP_META_INT32] = CAPNP_ELEM_FOUR,
		[CAPNP_META_UINT32] = CAPNP_ELEM_FOUR,
		[CAPNP_META_FLOAT32] = CAPNP_ELEM_FOUR,
		[CAPNP_META_INT64] = CAPNP_ELEM_EIGHT,
		[CAPNP_META_UINT64] = CAPNP_ELEM_EIGHT,
		[CAPNP_META_FLOAT64] = CAPNP_ELEM_EIGHT,
		[CAPNP_META_TEXT] = CAPNP_ELEM_PTR,
		[CAPNP_META_DATA] = CAPNP_ELEM_PTR,
		[CAPNP_META_INTERFACE] = CAPNP_ELEM_PTR,
		[CAPNP_META_STRUCT] = CAPNP_ELEM_COMPOSITE,
	};
	struct capnp_list l;
	struct capnp_struct e;
	struct capnp_text t;
	struct capnp_data d;
	uint32_t cap;

	if (f->elem >= sizeof(esize) / sizeof(esize[0]) ||
	    (f->elem != CAPNP_META_VOID && esize[f->elem] == 0) ||
	    capnp_get_list(s, (uint16_t)f->offset, f->elem == CAPNP_META_VOID ?
	    CAPNP_ELEM_VOID : esize[f->elem], &l) != 0) {
		puts_(o, "<unreadable list>");
		return;
	}
	put(o, "[", 1);
	for (uint32_t i = 0; i < l.n && !o->full; i++) {
		if (i > 0)
			put(o, ", ", 2);
		switch (f->elem) {
		case CAPNP_META_STRUCT:
			if (capnp_list_struct(&l, i, &e) == 0 && f->st != NULL)
				print_struct(o, f->st, &e, depth + 1);
			else
				puts_(o, "<unreadable>");
			break;
		case CAPNP_META_TEXT:
			if (capnp_list_text(&l, i, &t) == 0)
				put_quoted(o, t.str, t.len);
			break;
		case CAPNP_META_DATA:
			if (capnp_list_data(&l, i, &d) == 0)
				print_data(o, &d);
			break;
		case CAPNP_META_INTERFACE:
			if (capnp_list_cap(&l, i, &cap) == 0)
				putf(o, "<capability %u>", cap);
			break;
		case CAPNP_META_BOOL:
			puts_(o, capnp_list_bit(&l, i) ? "true" : "false");
			break;
		case CAPNP_META_ENUM:
			print_enum(o, f->en, capnp_list_u16(&l, i));
			break;
		case CAPNP_META_INT8: case CAPNP_META_UINT8:
			putf(o, f->elem == CAPNP_META_INT8 ? "%d" : "%u",
			    f->elem == CAPNP_META_INT8 ?
			    (int)(int8_t)capnp_list_u8(&l, i) :
			    (int)capnp_list_u8(&l, i));
			break;
		case CAPNP_META_INT16: case CAPNP_META_UINT16:
			putf(o, "%d", f->elem == CAPNP_META_INT16 ?
			    (int)(int16_t)capnp_list_u16(&l, i) :
			    (int)capnp_list_u16(&l, i));
			break;
		case CAPNP_META_INT32:
			putf(o, "%d", (int32_t)capnp_list_u32(&l, i));
			break;
		case CAPNP_META_UINT32:
			putf(o, "%u", capnp_list_u32(&l, i));
			break;
		case CAPNP_META_INT64:
			putf(o, "%lld", (long long)(int64_t)
			    capnp_list_u64(&l, i));
			break;
		case CAPNP_META_UINT64:
			putf(o, "%llu", (unsigned long long)
			    capnp_list_u64(&l, i));
			break;
		default:
			puts_(o, "?");
			break;
		}
	}
	put(o, "]", 1);
}

static void
print_field(struct out *o, const struct capnp_meta_field *f,
    const struct capnp_struct *s, int depth)
{
	struct capnp_struct sub;
	struct capnp_text t;
	struct capnp_data d;
	uint32_t cap;

	puts_(o, f->name);
	put(o, " = ", 3);
	switch (f->kind) {
	case CAPNP_META_TEXT:
		if (capnp_get_text(s, (uint16_t)f->offset, "", &t) == 0)
			put_quoted(o, t.str, t.len);
		else
			puts_(o, "<unreadable>");
		break;
	case CAPNP_META_DATA:
		if (capnp_get_data(s, (uint16_t)f->offset, NULL, 0, &d) == 0)
			print_data(o, &d);
		else
			puts_(o, "<unreadable>");
		break;
	case CAPNP_META_STRUCT:
		if (capnp_get_struct(s, (uint16_t)f->offset, &sub) == 0 &&
		    f->st != NULL)
			print_struct(o, f->st, &sub, depth + 1);
		else
			puts_(o, "<unreadable>");
		break;
	case CAPNP_META_GROUP:
		if (f->st != NULL)
			print_struct(o, f->st, s, depth + 1);
		break;
	case CAPNP_META_LIST:
		print_list(o, f, s, depth);
		break;
	case CAPNP_META_INTERFACE:
	case CAPNP_META_ANYPOINTER:
		if (capnp_get_cap(s, (uint16_t)f->offset, &cap) == 0)
			putf(o, "<capability %u>", cap);
		else
			puts_(o, "<pointer>");
		break;
	default:
		print_prim(o, f->kind, f->en, s, f->offset);
		break;
	}
}

static void
print_struct(struct out *o, const struct capnp_meta_struct *st,
    const struct capnp_struct *s, int depth)
{
	uint16_t which = st->ndisc != 0 ? capnp_get_u16(s, st->disc_offset) :
	    0;
	int n = 0;

	if (depth > TYPED_DEPTH) {
		puts_(o, "(...)");
		return;
	}
	put(o, "(", 1);
	for (uint16_t i = 0; i < st->nfields && !o->full; i++) {
		const struct capnp_meta_field *f = &st->fields[i];

		/* Of a union, only the member that is set. */
		if (f->disc != CAPNP_META_NO_DISC && f->disc != which)
			continue;
		if (n++ > 0)
			put(o, ", ", 2);
		print_field(o, f, s, depth);
	}
	put(o, ")", 1);
}

size_t
typed_print(const struct capnp_meta_struct *st, const struct capnp_struct *s,
    char *out, size_t room)
{
	struct out o = { out, room, 0, 0 };

	if (room < 8) {
		if (room > 0)
			out[0] = '\0';
		return 0;
	}
	print_struct(&o, st, s, 0);
	out[o.len] = '\0';
	return o.len;
}
