/*
 * The session table (session.h).
 *
 * A badge is (gen << 16) | (kind << 8) | (slot + 1): never 0 (the kernel
 * tells only badged clients' drops) and never the same for two sessions
 * that used one slot, until gen wraps after 2^32 reuses of it.
 */
#include <string.h>

#include "session.h"

static void
copy_text(char *dst, const char *src, size_t len)
{
	if (len > SESSION_TEXT_MAX)
		len = SESSION_TEXT_MAX;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

struct session *
session_mint(struct session_table *t, session_rng rng, void *ctx,
    uint64_t principal, const char *account, const char *source,
    size_t slen, enum session_strength strength, uint64_t now_ns,
    uint64_t ttl_ns, const char **why)
{
	struct session *s = NULL;

	for (int i = 0; i < SESSION_MAX; i++) {
		struct session *c = &t->s[i];

		if (c->live && c->expires_ns != 0 && now_ns >= c->expires_ns)
			session_end(c);
		if (!c->live) {
			s = c;
			break;
		}
	}
	if (s == NULL) {
		*why = "table";
		return NULL;
	}
	uint32_t gen = s->gen + 1;

	memset(s, 0, sizeof(*s));
	s->gen = gen;
	if (rng(ctx, s->id, sizeof(s->id)) != 0) {
		memset(s->id, 0, sizeof(s->id));
		*why = "random";
		return NULL;
	}
	s->live = true;
	s->serial = ++t->last_serial;
	s->principal = principal;
	copy_text(s->account, account, strlen(account));
	copy_text(s->source, source, slen);
	s->strength = strength;
	s->created_ns = now_ns;
	s->expires_ns = ttl_ns != 0 ? now_ns + ttl_ns : 0;
	*why = NULL;
	return s;
}

uint64_t
session_badge(const struct session_table *t, const struct session *s,
    enum session_kind kind)
{
	uint64_t slot = (uint64_t)(s - t->s);

	return (uint64_t)s->gen << 16 | (uint64_t)kind << 8 | (slot + 1);
}

struct session *
session_lookup(struct session_table *t, uint64_t badge,
    enum session_kind kind, uint64_t now_ns)
{
	uint64_t slot = (badge & 0xff);
	struct session *s;

	if (slot == 0 || slot > SESSION_MAX || (badge >> 8 & 0xff) != kind)
		return NULL;
	s = &t->s[slot - 1];
	if (!s->live || (badge >> 16) != s->gen)
		return NULL;
	if (s->expires_ns != 0 && now_ns >= s->expires_ns) {
		session_end(s);
		return NULL;
	}
	return s;
}

void
session_end(struct session *s)
{
	s->live = false;
}
