/*
 * Passkeys (WebAuthn Level 2; docs/auth.md, "Passkeys"): the challenges
 * auth issues, enrolment into an account's records, and the login by a
 * discoverable credential. A web gateway relays the browser's bytes;
 * every check is made here, with auth's own origin and RP ID
 * (lib/proto/webauthn does the parsing and the signature).
 *
 * Challenges: PASSKEY_CHALLENGE_LEN bytes from the caller's generator
 * (a refusal issues none: fail closed), kept in a table of
 * PASSKEY_CHALLENGES. Each is valid PASSKEY_CHALLENGE_NS and is spent by
 * the first answer that names it, whether that answer passes or not.
 * When the table is full a new challenge takes the slot of one expired,
 * else of the oldest: flooding the table cancels others' challenges,
 * which then fail as unknown; it never makes one valid longer. An
 * enrolment challenge is bound to the session that asked for it.
 *
 * Login: the credential id names the account (the scan covers every
 * account's records); the account and source then go through
 * login_gate and login_settle, so refusals count, lock and are slowed
 * down as a wrong password is. Reasons: CRED_CHALLENGE_UNKNOWN,
 * CRED_UNKNOWN_KEY (no such credential, or a user handle not its
 * account's), CRED_BAD_SIGNATURE, CRED_REPLAYED (the signature counter
 * did not increase: a cloned authenticator, or a replay),
 * CRED_PASSKEY_REFUSED (type, origin, RP ID, flags or shape),
 * CRED_ACCOUNT_DISABLED, CRED_MALFORMED, CRED_OK.
 */
#ifndef AUTH_PASSKEY_H
#define AUTH_PASSKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "account.h"
#include "login.h"

#define PASSKEY_CHALLENGE_LEN	32
#define PASSKEY_CHALLENGES	8
#define PASSKEY_CHALLENGE_NS	(60ull * 1000000000ull)
#define PASSKEY_ORIGIN_MAX	127

enum passkey_kind {
	PASSKEY_LOGIN = 1,
	PASSKEY_ENROL = 2,
};

struct passkey_state {
	char origin[PASSKEY_ORIGIN_MAX + 1];	/* "" when not configured */
	char rp_id[PASSKEY_ORIGIN_MAX + 1];
	struct passkey_challenge {
		bool live;
		enum passkey_kind kind;
		uint64_t serial;		/* PASSKEY_ENROL: its session */
		uint64_t issued_ns;
		uint8_t c[PASSKEY_CHALLENGE_LEN];
	} ch[PASSKEY_CHALLENGES];
};

/* Fills out with n random bytes; 0, or anything else to refuse. */
typedef int (*passkey_rng)(void *ctx, uint8_t *out, size_t n);

/* Reads "https://HOST[:PORT]": the origin, and HOST as the RP ID.
 * NULL, or why it is refused. */
const char *passkey_configure(struct passkey_state *ps, const char *s,
    size_t len);

/* A new challenge into out; 0, or -1 when the generator refused. */
int passkey_challenge(struct passkey_state *ps, passkey_rng rng, void *ctx,
    enum passkey_kind kind, uint64_t serial, uint64_t now_ns,
    uint8_t out[PASSKEY_CHALLENGE_LEN]);

/* The account's user handle, made on first use; 0 or -1 (generator). */
int passkey_handle(struct account *a, passkey_rng rng, void *ctx);

/* Checks a registration for the account, from the session serial's
 * enrolment challenge, and records it. A CRED_* reason; a full account
 * or a credential already registered gives CRED_MALFORMED. *why says
 * more, for the console (never a secret). */
int passkey_enrol(struct passkey_state *ps, struct account_store *st,
    struct account *a, uint64_t serial, const uint8_t *cdj, size_t cdlen,
    const uint8_t *ao, size_t aolen, uint64_t now_ns, const char **why);

/* Decides a login as pubkey_attempt does; *why as above. */
void passkey_attempt(struct passkey_state *ps, struct login_state *ls,
    const uint8_t *cred_id, size_t idlen, const uint8_t *cdj, size_t cdlen,
    const uint8_t *ad, size_t adlen, const uint8_t *sig, size_t siglen,
    const uint8_t *handle, size_t hlen, const char *source, size_t slen,
    uint64_t now_ns, struct login_outcome *out, const char **why);

#endif
