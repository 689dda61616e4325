/*
 * The account store (account.h).
 */
#include <string.h>

#include "account.h"

bool
account_name_ok(const char *s, size_t len)
{
	if (len == 0 || len > ACCOUNT_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* The next ':'-separated field of s[*pos..len); the last one may end at
 * len. Returns its length and start, or -1 when none is left. */
static long
field(const char *s, size_t len, size_t *pos, const char **start, bool last)
{
	size_t i = *pos, b = i;

	if (i > len)
		return -1;
	while (i < len && (last || s[i] != ':'))
		i++;
	if (!last && i >= len)
		return -1;
	*start = s + b;
	*pos = i + 1;
	return (long)(i - b);
}

static bool
word_is(const char *s, long n, const char *w)
{
	return n >= 0 && (size_t)n == strlen(w) && memcmp(s, w, (size_t)n) == 0;
}

static int
parse_status(const char *s, long n, enum account_status *out)
{
	if (word_is(s, n, "active"))
		*out = ACCOUNT_ACTIVE;
	else if (word_is(s, n, "disabled"))
		*out = ACCOUNT_DISABLED;
	else if (word_is(s, n, "locked"))
		*out = ACCOUNT_LOCKED;
	else if (word_is(s, n, "recoveryOnly"))
		*out = ACCOUNT_RECOVERY_ONLY;
	else
		return -1;
	return 0;
}

static const char *
parse_profiles(struct account *a, const char *s, long n)
{
	long b = 0;

	for (long i = 0; i <= n; i++) {
		if (i < n && s[i] != '+')
			continue;
		if (a->nprofiles == ACCOUNT_PROFILES)
			return "too many profiles";
		if (!account_name_ok(s + b, (size_t)(i - b)))
			return "malformed profile name";
		memcpy(a->profiles[a->nprofiles++], s + b, (size_t)(i - b));
		b = i + 1;
	}
	return NULL;
}

const char *
account_add(struct account_store *st, const char *s, size_t len)
{
	struct account a;
	const char *f, *why;
	size_t pos = 0;
	uint64_t principal = 0;
	long n;

	memset(&a, 0, sizeof(a));
	if (st->n == ACCOUNT_MAX)
		return "too many accounts";
	if ((n = field(s, len, &pos, &f, false)) < 0 ||
	    !account_name_ok(f, (size_t)n))
		return "malformed account name";
	memcpy(a.name, f, (size_t)n);
	if (account_find(st, a.name, (size_t)n) != NULL)
		return "duplicate account name";
	if ((n = field(s, len, &pos, &f, false)) <= 0 || n > 19)
		return "malformed principal";
	for (long i = 0; i < n; i++) {
		if (f[i] < '0' || f[i] > '9')
			return "malformed principal";
		principal = principal * 10 + (uint64_t)(f[i] - '0');
	}
	if (principal == 0)
		return "principal 0 is the anonymous one";
	a.principal = principal;
	if ((n = field(s, len, &pos, &f, false)) < 0 ||
	    parse_status(f, n, &a.status) != 0)
		return "unknown status";
	if ((n = field(s, len, &pos, &f, false)) < 0)
		return "missing profiles";
	if ((why = parse_profiles(&a, f, n)) != NULL)
		return why;
	if ((n = field(s, len, &pos, &f, true)) < 0 ||
	    pw_parse(f, (size_t)n, &a.pw) != 0)
		return "malformed password record";
	for (uint32_t i = 0; i < st->n; i++)
		if (st->a[i].principal == a.principal)
			return "duplicate principal";
	st->a[st->n++] = a;
	return NULL;
}

struct account *
account_find(struct account_store *st, const char *name, size_t len)
{
	for (uint32_t i = 0; i < st->n; i++)
		if (strlen(st->a[i].name) == len &&
		    memcmp(st->a[i].name, name, len) == 0)
			return &st->a[i];
	return NULL;
}

bool
account_may_use(const struct account *a, const char *profile, size_t len)
{
	for (uint32_t i = 0; i < a->nprofiles; i++)
		if (strlen(a->profiles[i]) == len &&
		    memcmp(a->profiles[i], profile, len) == 0)
			return true;
	return false;
}
