/*
 * The agent shell's decisions (agentpolicy.h).
 */
#include <string.h>

#include "agentpolicy.h"
#include "fmt/fmt.h"

int
agent_map_add(struct agent_map *m, const char *tool, size_t len,
    unsigned mode)
{
	if (m->n == AGENT_MAP_MAX || len == 0 || len > AGENT_TOOL_MAX ||
	    mode > AGENT_STEP_UP)
		return -1;
	memcpy(m->e[m->n].tool, tool, len);
	m->e[m->n].tool[len] = '\0';
	m->e[m->n++].mode = (enum agent_mode)mode;
	return 0;
}

/* The map's mode for a tool; -1 when the map does not name it. */
static int
map_mode(const struct agent_map *m, const char *tool, size_t len)
{
	for (int i = 0; i < m->n; i++)
		if (strlen(m->e[i].tool) == len &&
		    memcmp(m->e[i].tool, tool, len) == 0)
			return (int)m->e[i].mode;
	return -1;
}

void
agent_tools_build(const struct agent_map *m, const struct agent_cap *caps,
    int ncaps, struct agent_tools *out)
{
	out->n = 0;
	for (int c = 0; c < ncaps; c++) {
		const struct capnp_meta_interface *in = caps[c].iface;

		for (uint16_t k = 0; in != NULL && k < in->nmethods; k++) {
			const struct capnp_meta_method *me = &in->methods[k];
			struct agent_tool *t;
			char name[AGENT_TOOL_MAX + 2];
			int n, mode;

			n = fmt_snprintf(name, sizeof(name), "%s.%s",
			    caps[c].name, me->name);
			if (n <= 0 || n > AGENT_TOOL_MAX)
				continue;
			mode = map_mode(m, name, (size_t)n);
			if (mode <= AGENT_FORBIDDEN || out->n == AGENT_TOOLS_MAX)
				continue;
			t = &out->t[out->n++];
			memcpy(t->name, name, (size_t)n + 1);
			t->cap = c;
			t->method = me;
			t->mode = (enum agent_mode)mode;
		}
	}
}

enum agent_gate
agent_gate(const struct agent_map *m, const struct agent_tools *tools,
    const char *tool, size_t len, const struct agent_tool **out)
{
	*out = NULL;
	for (int i = 0; i < tools->n; i++)
		if (strlen(tools->t[i].name) == len &&
		    memcmp(tools->t[i].name, tool, len) == 0) {
			*out = &tools->t[i];
			switch (tools->t[i].mode) {
			case AGENT_AUTO:
				return GATE_RUN;
			case AGENT_CONSENT:
				return GATE_CONSENT;
			case AGENT_STEP_UP:
				return GATE_STEP_UP;
			case AGENT_FORBIDDEN:
			default:
				*out = NULL;
				return GATE_FORBIDDEN;
			}
		}
	/* Not described: the map forbids it, or it is not offered at all
	 * (outside the map, or not a method of a capability held). */
	return map_mode(m, tool, len) == AGENT_FORBIDDEN ? GATE_FORBIDDEN :
	    GATE_NOT_OFFERED;
}

static const struct capnp_meta_field *
param(const struct agent_tool *t, const char *name, size_t len)
{
	const struct capnp_meta_struct *st = t->method->params;

	for (uint16_t i = 0; st != NULL && i < st->nfields; i++)
		if (strlen(st->fields[i].name) == len &&
		    memcmp(st->fields[i].name, name, len) == 0)
			return &st->fields[i];
	return NULL;
}

int
agent_call_text(const struct agent_tool *t, const struct agent_arg *args,
    int nargs, int redact, char *out, size_t room)
{
	size_t len = strlen(t->name);

	if (len + 3 > room)
		return -1;
	memcpy(out, t->name, len);
	out[len++] = '(';
	for (int i = 0; i < nargs; i++) {
		const struct capnp_meta_field *f = param(t, args[i].name,
		    args[i].nlen);
		int secret = redact && f != NULL &&
		    (f->flags & CAPNP_META_SECRET) != 0;
		const char *v = secret ? "<secret>" : args[i].value;
		size_t vl = secret ? 8 : args[i].vlen;

		if (len + args[i].nlen + vl + 4 > room)
			return -1;
		if (i > 0) {
			out[len++] = ',';
			out[len++] = ' ';
		}
		memcpy(out + len, args[i].name, args[i].nlen);
		len += args[i].nlen;
		out[len++] = '=';
		memcpy(out + len, v, vl);
		len += vl;
	}
	if (len + 2 > room)
		return -1;
	out[len++] = ')';
	out[len] = '\0';
	return (int)len;
}

int
agent_call_parse(const struct agent_tool *t, const struct agent_arg *args,
    int nargs, char *shown, size_t shown_room, char *exact,
    size_t exact_room, struct typed_call *tc, char err[TYPED_ERR_MAX])
{
	int n;

	if (agent_call_text(t, args, nargs, 1, shown, shown_room) < 0 ||
	    (n = agent_call_text(t, args, nargs, 0, exact, exact_room)) < 0) {
		fmt_snprintf(err, TYPED_ERR_MAX, "the call is too long");
		return -1;
	}
	if (typed_parse(exact, (size_t)n, tc, err) != 0)
		return -1;
	if (tc->nargs != nargs)
		goto smuggled;
	for (int i = 0; i < nargs; i++)
		if (strlen(tc->args[i].name) != args[i].nlen ||
		    memcmp(tc->args[i].name, args[i].name, args[i].nlen) != 0)
			goto smuggled;
	return 0;
smuggled:
	fmt_snprintf(err, TYPED_ERR_MAX, "an argument's value is not one "
	    "value");
	return -1;
}

void
agent_tty_start(struct agent_tty_state *st)
{
	memset(st, 0, sizeof(*st));
	st->lo = 0x80;
	st->hi = 0xbf;
}

size_t
agent_tty_filter(struct agent_tty_state *st, const char *in, size_t len,
    char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)in[i];

		if (st->need > 0) {
			if (c >= st->lo && c <= st->hi) {
				if (st->held_c2) {
					/* U+0080..U+009F are the C1 controls. */
					if (c <= 0x9f) {
						out[o++] = '?';
						st->replaced++;
					} else {
						out[o++] = (char)0xc2;
						out[o++] = (char)c;
					}
					st->held_c2 = false;
				} else
					out[o++] = (char)c;
				st->need--;
				st->lo = 0x80;
				st->hi = 0xbf;
				continue;
			}
			/* The sequence broke off: what was written of it is
			 * harmless, a held lead becomes '?'. */
			if (st->held_c2)
				out[o++] = '?';
			st->replaced++;
			st->need = 0;
			st->held_c2 = false;
		}
		st->lo = 0x80;
		st->hi = 0xbf;
		if ((c < 0x20 && c != '\n') || c == 0x7f || (c >= 0x80 &&
		    c <= 0xc1) || c >= 0xf5) {
			out[o++] = '?';
			st->replaced++;
			continue;
		}
		if (c >= 0xc2) {
			st->need = c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
			/* The second byte's range rules out overlong forms
			 * (which a lax decoder would read as a C1 control),
			 * surrogates, and code points past U+10FFFF. */
			if (c == 0xe0)
				st->lo = 0xa0;
			else if (c == 0xed)
				st->hi = 0x9f;
			else if (c == 0xf0)
				st->lo = 0x90;
			else if (c == 0xf4)
				st->hi = 0x8f;
		}
		if (c == 0xc2)
			st->held_c2 = true;
		else
			out[o++] = (char)c;
	}
	return o;
}

bool
agent_tty_clean(const char *s, size_t len)
{
	struct agent_tty_state st;
	char out[64 + 1];

	/* In pieces, so the check needs no buffer of the text's size. */
	agent_tty_start(&st);
	for (size_t i = 0; i < len; i += 64)
		(void)agent_tty_filter(&st, s + i, len - i < 64 ? len - i : 64,
		    out);
	return st.replaced == 0 && st.need == 0;
}

static const char *const kinds[] = {
	"Void", "Bool", "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16",
	"UInt32", "UInt64", "Float32", "Float64", "Text", "Data", "List",
	"Enum", "Struct", "Capability", "AnyPointer", "Group",
};

void
agent_param_type(const struct capnp_meta_field *f, char *out, size_t room)
{
	size_t len;

	if (room == 0)
		return;
	if (f->kind == CAPNP_META_ENUM && f->en != NULL) {
		/* Each write is cut to the room left, and NUL-terminated. */
		len = (size_t)fmt_snprintf(out, room, "%s (", f->en->name);
		for (uint16_t i = 0; i < f->en->n && len < room; i++)
			len += (size_t)fmt_snprintf(out + len, room - len,
			    "%s%s", i > 0 ? "|" : "", f->en->names[i]);
		if (len < room)
			fmt_snprintf(out + len, room - len, ")");
		return;
	}
	if (f->kind == CAPNP_META_STRUCT && f->st != NULL)
		fmt_snprintf(out, room, "%s", f->st->name);
	else
		fmt_snprintf(out, room, "%s", f->kind < sizeof(kinds) /
		    sizeof(kinds[0]) ? kinds[f->kind] : "?");
}

/* "(NAME :Type, ...)" of a struct's fields at out + *len. */
static void
describe_fields(const struct capnp_meta_struct *st, char *out, size_t room,
    size_t *len)
{
	if (*len < room)
		*len += (size_t)fmt_snprintf(out + *len, room - *len, "(");
	for (uint16_t i = 0; st != NULL && i < st->nfields && *len < room;
	    i++) {
		char ty[64];

		agent_param_type(&st->fields[i], ty, sizeof(ty));
		*len += (size_t)fmt_snprintf(out + *len, room - *len,
		    "%s%s :%s", i > 0 ? ", " : "", st->fields[i].name, ty);
	}
	if (*len < room)
		*len += (size_t)fmt_snprintf(out + *len, room - *len, ")");
}

void
agent_describe(const struct agent_tool *t, const struct agent_cap *caps,
    char *out, size_t room)
{
	const struct capnp_meta_struct *r = t->method->results;
	size_t len;

	if (room == 0)
		return;
	len = (size_t)fmt_snprintf(out, room, "%s.%s",
	    caps[t->cap].iface->name, t->method->name);
	describe_fields(t->method->params, out, room, &len);
	if (len < room)
		len += (size_t)fmt_snprintf(out + len, room - len, " -> ");
	/* A named result struct by its name; a method's own results by
	 * their fields, since their struct's name means nothing. */
	if (r != NULL && strchr(r->name, '$') == NULL) {
		if (len < room)
			fmt_snprintf(out + len, room - len, "%s", r->name);
	} else
		describe_fields(r, out, room, &len);
}
