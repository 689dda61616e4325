/*
 * The deterministic model's script (script.h).
 */
#include <string.h>

#include "script.h"

static int
copy(char *dst, size_t room, const char *src, size_t len)
{
	if (len >= room)
		return -1;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

static size_t
trim(const char *s, size_t *b, size_t e)
{
	while (*b < e && s[*b] == ' ')
		(*b)++;
	while (e > *b && s[e - 1] == ' ')
		e--;
	return e;
}

/* "CAP.METHOD(A=V, ...)": the arguments are split at commas outside
 * quotes; their values stay as written. */
static const char *
parse_call(const char *s, size_t len, struct script_step *st)
{
	size_t open = 0, b, i;
	int quoted = 0;

	while (open < len && s[open] != '(')
		open++;
	if (open == 0 || open == len || s[len - 1] != ')')
		return "a call is TOOL(ARG=VALUE, ...)";
	if (copy(st->text, sizeof(st->text), s, open) != 0)
		return "the tool name is too long";
	st->kind = STEP_CALL;
	b = open + 1;
	for (i = b; i < len; i++) {
		size_t e, eq;

		if (quoted) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				quoted = 0;
			continue;
		}
		if (s[i] == '"') {
			quoted = 1;
			continue;
		}
		if (s[i] != ',' && i != len - 1)
			continue;
		e = trim(s, &b, i);
		if (b == e) {
			if (s[i] == ',' || st->nargs > 0)
				return "an argument is empty";
			break;
		}
		if (st->nargs == SCRIPT_ARGS_MAX)
			return "too many arguments";
		for (eq = b; eq < e && s[eq] != '='; eq++)
			;
		if (eq == b || eq == e)
			return "an argument is NAME=VALUE";
		{
			struct script_arg *a = &st->args[st->nargs++];
			size_t ne = trim(s, &b, eq), vb = eq + 1;
			size_t ve = trim(s, &vb, e);

			if (copy(a->name, sizeof(a->name), s + b, ne - b) != 0 ||
			    copy(a->value, sizeof(a->value), s + vb,
			    ve - vb) != 0 || ve == vb)
				return "an argument is too long or empty";
		}
		b = i + 1;
	}
	return quoted ? "a string has no closing quote" : NULL;
}

static const char *
parse_step(const char *s, size_t len, struct script_step *st)
{
	memset(st, 0, sizeof(*st));
	if (len == 5 && memcmp(s, "stall", 5) == 0) {
		st->kind = STEP_STALL;
		return NULL;
	}
	if (len >= 4 && memcmp(s, "say:", 4) == 0) {
		st->kind = STEP_SAY;
		return copy(st->text, sizeof(st->text), s + 4, len - 4) != 0 ||
		    len == 4 ? "the text is empty or too long" : NULL;
	}
	if (len >= 5 && memcmp(s, "call:", 5) == 0)
		return parse_call(s + 5, len - 5, st);
	return "a step is say:TEXT, call:TOOL(...) or stall";
}

const char *
script_add(struct script *s, const char *arg, size_t len)
{
	struct script_rule *r;
	size_t b = 0, i;
	const char *why;

	if (s->n == SCRIPT_RULES_MAX)
		return "too many rules";
	r = &s->r[s->n];
	memset(r, 0, sizeof(*r));
	while (b < len && arg[b] != '|')
		b++;
	if (b == 0 || b == len || copy(r->words, sizeof(r->words), arg, b) != 0)
		return "a rule is WORDS|STEP[|STEP...]";
	b++;
	for (i = b; i <= len; i++) {
		if (i < len && arg[i] != '|')
			continue;
		if (r->nsteps == SCRIPT_STEPS_MAX)
			return "too many steps";
		if ((why = parse_step(arg + b, i - b,
		    &r->steps[r->nsteps])) != NULL)
			return why;
		r->nsteps++;
		b = i + 1;
	}
	s->n++;
	return NULL;
}

const struct script_rule *
script_match(const struct script *s, const char *said, size_t len)
{
	for (int i = 0; i < s->n; i++) {
		size_t w = strlen(s->r[i].words);

		for (size_t k = 0; w <= len && k <= len - w; k++)
			if (memcmp(said + k, s->r[i].words, w) == 0)
				return &s->r[i];
	}
	return NULL;
}
