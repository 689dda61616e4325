/*
 * The session table: the live sessions auth has minted. A session is
 * named to its holders only by capabilities auth mints for it, each
 * carrying a badge (slot and generation, below); a badge whose session
 * has ended matches nothing, so every capability of an ended session
 * fails closed.
 *
 * Bound: SESSION_MAX sessions. Minting when all are live refuses
 * (tableFull); an ended or expired session's slot is reused, its
 * generation raised so old badges stay dead.
 *
 * A session ends on logout, when its UserSession capability is dropped
 * (its shell or terminal went away), or at its expiry time if it has one.
 */
#ifndef AUTH_SESSION_H
#define AUTH_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SESSION_MAX		16
#define SESSION_ID_LEN		16
#define SESSION_TEXT_MAX	31

/* What a badged capability is for; part of the badge. */
enum session_kind {
	SESSION_KIND_SESSION = 1,	/* UserSession */
	SESSION_KIND_AUDIT = 2,		/* AuditLog reader */
};

/* The values of schema/auth.capnp's AuthStrength. */
enum session_strength {
	STRENGTH_NONE = 0,
	STRENGTH_PASSWORD = 1,
	STRENGTH_PUBLIC_KEY = 2,
	STRENGTH_PASSKEY = 3,
};

struct session {
	bool live;
	uint32_t gen;
	uint8_t id[SESSION_ID_LEN];
	uint64_t serial;
	uint64_t principal;		/* 0: anonymous */
	char account[SESSION_TEXT_MAX + 1];
	char profile[SESSION_TEXT_MAX + 1];
	char source[SESSION_TEXT_MAX + 1];
	enum session_strength strength;
	uint64_t created_ns;
	uint64_t expires_ns;		/* 0: no expiry */
};

struct session_table {
	struct session s[SESSION_MAX];
	uint64_t last_serial;
};

/* Fills out with n random bytes; 0, or anything else to refuse. */
typedef int (*session_rng)(void *ctx, uint8_t *out, size_t n);

/*
 * Mints a session. account is "" for the anonymous session; ttl_ns 0
 * means no expiry. Returns the session, or NULL when the table is full
 * or the random generator refused (*why says which: "table", "random").
 */
struct session *session_mint(struct session_table *t, session_rng rng,
    void *ctx, uint64_t principal, const char *account, const char *source,
    size_t slen, enum session_strength strength, uint64_t now_ns,
    uint64_t ttl_ns, const char **why);

/* The badge of a capability of this kind for session s. */
uint64_t session_badge(const struct session_table *t,
    const struct session *s, enum session_kind kind);

/* The live, unexpired session a badge of this kind names, or NULL. An
 * expired session found this way is ended on the spot. */
struct session *session_lookup(struct session_table *t, uint64_t badge,
    enum session_kind kind, uint64_t now_ns);

/* Ends a session (idempotent). */
void session_end(struct session *s);

#endif
