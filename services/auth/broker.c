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
