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
 *
 * Enrolment codes (UserSession.enrolCode), for enrolling from a session
 * with no browser: PASSKEY_CODE_BYTES from the caller's generator (a
 * refusal issues none), written as PASSKEY_CODE_LEN characters of
 * base64url, each bound to one account and to a serial of its own
 * (PASSKEY_CODE_SERIAL and up, never a session's) that its enrolment
 * challenges are bound to. Each is valid PASSKEY_CODE_NS and is spent by
 * the first enrolment that names it, whether that passes or not; it does
 * not end with the session that asked for it. PASSKEY_CODES at most: a
 * new code takes the slot of one spent or expired, else of the oldest,
 * which then fails as unknown (CRED_ENROL_CODE_UNKNOWN). Codes are
 * compared in constant time.
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
#define PASSKEY_CODE_BYTES	16
#define PASSKEY_CODE_LEN	22	/* SessionManager.enrolCodeLen */
#define PASSKEY_CODES		8
#define PASSKEY_CODE_NS		(600ull * 1000000000ull)
#define PASSKEY_CODE_SERIAL	(1ull << 63)

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
	struct passkey_code {
		bool live;
		uint64_t serial;
		uint64_t issued_ns;
		char code[PASSKEY_CODE_LEN + 1];
		char account[ACCOUNT_NAME_MAX + 1];
	} codes[PASSKEY_CODES];
	uint64_t code_serials;		/* codes issued so far */
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

/* A new enrolment code for the account into out; 0, or -1 when the
 * generator refused (out is then ""). */
int passkey_code_issue(struct passkey_state *ps, passkey_rng rng, void *ctx,
    const char *account, uint64_t now_ns, char out[PASSKEY_CODE_LEN + 1]);

/* The live, unexpired code that code names (not spent by this), or NULL. */
const struct passkey_code *passkey_code_find(const struct passkey_state *ps,
    const char *code, size_t len, uint64_t now_ns);

/* Spends the code, then checks a registration as passkey_enrol does for
 * the code's account, from a challenge issued for the code (serial
 * pc->serial). A CRED_* reason: CRED_ENROL_CODE_UNKNOWN when the code is
 * not live, CRED_ACCOUNT_DISABLED when its account is no longer active.
 * *account is the code's account ("" when unknown), for the audit. */
int passkey_enrol_code(struct passkey_state *ps, struct account_store *st,
    const char *code, size_t len, const uint8_t *cdj, size_t cdlen,
    const uint8_t *ao, size_t aolen, uint64_t now_ns, const char **account,
    const char **why);

/* Decides a login as pubkey_attempt does; *why as above. */
void passkey_attempt(struct passkey_state *ps, struct login_state *ls,
    const uint8_t *cred_id, size_t idlen, const uint8_t *cdj, size_t cdlen,
    const uint8_t *ad, size_t adlen, const uint8_t *sig, size_t siglen,
    const uint8_t *handle, size_t hlen, const char *source, size_t slen,
    uint64_t now_ns, struct login_outcome *out, const char **why);

#endif
