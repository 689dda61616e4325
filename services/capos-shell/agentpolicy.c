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
