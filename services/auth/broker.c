/*
 * The authority broker's rules (broker.h).
 */
#include <string.h>

#include "broker.h"

static bool
cap_name_ok(const char *s, size_t len)
{
	if (len == 0 || len > ACCOUNT_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static const struct profile *
find(const struct profile_set *ps, const char *name, size_t len)
{
	for (uint32_t i = 0; i < ps->n; i++)
		if (strlen(ps->p[i].name) == len &&
		    memcmp(ps->p[i].name, name, len) == 0)
			return &ps->p[i];
	return NULL;
}

const char *
profile_add(struct profile_set *ps, const char *s, size_t len)
{
	struct profile p;
	size_t colon = 0, b;

	memset(&p, 0, sizeof(p));
	if (ps->n == PROFILE_MAX)
		return "too many profiles";
	while (colon < len && s[colon] != ':')
		colon++;
	if (colon == len || !account_name_ok(s, colon))
		return "malformed profile name";
	if (find(ps, s, colon) != NULL)
		return "duplicate profile";
	memcpy(p.name, s, colon);
	b = colon + 1;
	for (size_t i = b; i <= len; i++) {
		if (i < len && s[i] != '+')
			continue;
		if (p.ncaps == PROFILE_CAPS)
			return "too many capabilities";
		if (!cap_name_ok(s + b, i - b))
			return "malformed capability name";
		for (uint32_t k = 0; k < p.ncaps; k++)
			if (strlen(p.caps[k]) == i - b &&
			    memcmp(p.caps[k], s + b, i - b) == 0)
				return "duplicate capability name";
		memcpy(p.caps[p.ncaps++], s + b, i - b);
		b = i + 1;
	}
	ps->p[ps->n++] = p;
	return NULL;
}

int
broker_decide(const struct profile_set *ps, const struct account *a,
    const char *name, size_t len, const struct profile **out)
{
	const struct profile *p = find(ps, name, len);

	*out = NULL;
	if (p == NULL)
		return BROKER_UNKNOWN_PROFILE;
	if (a == NULL ? strcmp(p->name, "anonymous") != 0 :
	    !account_may_use(a, name, len))
		return BROKER_PROFILE_NOT_ALLOWED;
	*out = p;
	return BROKER_OK;
}

/* "CAP.METHOD" with both parts names as profile_add takes them. */
static bool
tool_name_ok(const char *s, size_t len)
{
	size_t dot = 0;

	while (dot < len && s[dot] != '.')
		dot++;
	return dot < len && cap_name_ok(s, dot) &&
	    cap_name_ok(s + dot + 1, len - dot - 1);
}

static int
mode_of(const char *s, size_t len)
{
	static const char *const names[] = {
		[TOOL_FORBIDDEN] = "forbidden", [TOOL_AUTO] = "auto",
		[TOOL_CONSENT] = "consent", [TOOL_STEP_UP] = "stepUp",
	};

	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return i;
	return -1;
}

const char *
profile_tools_add(struct profile_set *ps, const char *s, size_t len)
{
	struct profile *p = NULL;
	struct tool_perm t[PROFILE_TOOLS];
	uint32_t n;
	size_t colon = 0, b;

	while (colon < len && s[colon] != ':')
		colon++;
	for (uint32_t i = 0; colon < len && i < ps->n; i++)
		if (strlen(ps->p[i].name) == colon &&
		    memcmp(ps->p[i].name, s, colon) == 0)
			p = &ps->p[i];
	if (p == NULL)
		return "tools for an unknown profile";
	n = p->ntools;
	memcpy(t, p->tools, sizeof(t));
	b = colon + 1;
	for (size_t i = b; i <= len; i++) {
		size_t eq = b;
		int mode;

		if (i < len && s[i] != '+')
			continue;
		while (eq < i && s[eq] != '=')
			eq++;
		if (eq == i || !tool_name_ok(s + b, eq - b))
			return "malformed tool name";
		if ((mode = mode_of(s + eq + 1, i - eq - 1)) < 0)
			return "unknown permission mode";
		for (uint32_t k = 0; k < n; k++)
			if (strlen(t[k].tool) == eq - b &&
			    memcmp(t[k].tool, s + b, eq - b) == 0)
				return "duplicate tool";
		if (n == PROFILE_TOOLS)
			return "too many tools";
		memset(&t[n], 0, sizeof(t[n]));
		memcpy(t[n].tool, s + b, eq - b);
		t[n++].mode = (enum tool_mode)mode;
		b = i + 1;
	}
	memcpy(p->tools, t, sizeof(t));
	p->ntools = n;
	return NULL;
}
