/*
 * The credential store's logic: password records (scrypt, RFC 7914, with a
 * per-account salt and parameters), their constant-time check, and the
 * failure policy that slows down and locks out guessing.
 *
 * A password passes through pw_verify and is never kept: the caller's
 * buffer is the only copy, and the derived key is wiped after the
 * compare.
 *
 * The failure policy (per account and, separately, per source; a source
 * is the name a gateway gives its caller, "console" on the console):
 *   - each failure delays its answer by FAIL_DELAY_NS << (failures - 1),
 *     at most FAIL_DELAY_MAX_NS, so guessing slows with every miss;
 *   - FAIL_LOCK_AFTER failures in a row lock the account (or source) for
 *     FAIL_LOCK_NS; while locked every attempt is refused without the
 *     password being checked;
 *   - a success clears the account's and the source's counts.
 * The source table keeps FAIL_SOURCES entries; when full, the entry whose
 * last failure is oldest and that is not locked is reused (a locked one
 * is never forgotten early).
 */
#ifndef AUTH_CREDENTIAL_H
#define AUTH_CREDENTIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest password (SessionManager.maxPassword). */
#define PW_MAX		256
#define PW_SALT_LEN	16
#define PW_HASH_LEN	32
/* The longest record text: "scrypt$N$r$p$" and the hex of salt and hash. */
#define PW_RECORD_MAX	(7 + 3 * 11 + 2 * PW_SALT_LEN + 1 + 2 * PW_HASH_LEN)

/* Limits on a record's scrypt parameters: below the floor is too weak
 * to accept, above the cap would let a record exhaust auth's memory. */
#define PW_N_MIN	1024
#define PW_N_MAX	65536
#define PW_R_MAX	8
#define PW_P_MAX	4

#define FAIL_DELAY_NS		250000000ull	/* 0.25 s */
#define FAIL_DELAY_MAX_NS	4000000000ull	/* 4 s */
#define FAIL_LOCK_AFTER		5
#define FAIL_LOCK_NS		60000000000ull	/* 60 s */
#define FAIL_SOURCES		8
#define FAIL_SOURCE_MAX		31

struct pw_record {
	uint32_t n, r, p;
	uint8_t salt[PW_SALT_LEN];
	uint8_t hash[PW_HASH_LEN];
};

struct fail_state {
	uint32_t failures;		/* in a row */
	uint64_t last_ns;		/* of the last failure */
	uint64_t locked_until_ns;	/* 0: not locked */
};

struct fail_source {
	char name[FAIL_SOURCE_MAX + 1];	/* "" when the slot is free */
	struct fail_state st;
};

/* The values of schema/auth.capnp's AuthReason that a login can give. */
enum cred_reason {
	CRED_OK = 0,
	CRED_UNKNOWN_ACCOUNT = 1,
	CRED_BAD_PASSWORD = 2,
	CRED_ACCOUNT_LOCKED = 3,
	CRED_ACCOUNT_DISABLED = 4,
	CRED_THROTTLED = 5,
	CRED_MALFORMED = 9,
	CRED_BAD_SIGNATURE = 21,
	CRED_UNKNOWN_KEY = 22,
	CRED_REPLAYED = 23,
	CRED_CHALLENGE_UNKNOWN = 25,
	CRED_PASSKEY_REFUSED = 26,
	CRED_ENROL_CODE_UNKNOWN = 28,
};

/*
 * Reads "scrypt$N$r$p$SALT$HASH" (decimal parameters, lower-case hex salt
 * and hash of PW_SALT_LEN and PW_HASH_LEN bytes). 0, or -1 when malformed
 * or outside the limits above.
 */
int pw_parse(const char *s, size_t len, struct pw_record *out);
/* Writes the record's text (PW_RECORD_MAX + 1 bytes of room); 0 or -1. */
int pw_format(const struct pw_record *rec, char *out, size_t room);
/* A record for a password with this salt and these parameters. */
int pw_make(const void *pw, size_t len, const uint8_t salt[PW_SALT_LEN],
    uint32_t n, uint32_t r, uint32_t p, struct pw_record *out);
/* 0 when the password matches (compared in constant time), 1 when it
 * does not, or a negative CRYPTO_E* when scrypt failed. */
int pw_verify(const struct pw_record *rec, const void *pw, size_t len);

/* Whether the state refuses attempts at now_ns. */
bool fail_locked(const struct fail_state *st, uint64_t now_ns);
/* Counts a failure at now_ns (locking on the FAIL_LOCK_AFTER-th). */
void fail_count(struct fail_state *st, uint64_t now_ns);
/* The delay owed for a state's current run of failures. */
uint64_t fail_delay(const struct fail_state *st);
/* The source's entry, made if new (reusing the oldest unlocked one when
 * the table is full); NULL when every entry is locked. */
struct fail_state *fail_source(struct fail_source *tab, const char *name,
    size_t len, uint64_t now_ns);

#endif
