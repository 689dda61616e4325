/*
 * Public-key logins (RFC 4252 7 with RFC 8709's ssh-ed25519): the keys an
 * account holds, the query an SSH gateway answers PK_OK with, and the
 * login itself. auth decides here, never the gateway: the gateway hands
 * on what the client sent (account, key blob, signed data, signature) and
 * auth checks that the signed data is a publickey request naming this
 * account and key, verifies the signature (lib/crypto's Ed25519) with the
 * key, and only then looks at whether the account holds that key.
 *
 * Timing: the signature is verified before the account is looked at, so
 * a known and an unknown account cost the same; the key lookup scans the
 * whole account table in either case. The query scans the same way and
 * answers the same false for an unknown account, a key the account does
 * not hold, a disabled or locked account, and a locked source: RFC 4252
 * forces a different answer only for a key that would be accepted.
 *
 * Replay: the session identifiers (RFC 4253 7.2) of the last
 * LOGIN_SEEN_MAX key logins that succeeded are kept as their SHA-256,
 * and signed data carrying one of them is refused (`replayed`). One SSH
 * connection authenticates once, so a repeat is a copy.
 *
 * Bounds: key blobs of exactly PUBKEY_BLOB_LEN bytes, signature blobs of
 * exactly PUBKEY_SIG_BLOB_LEN, signed data of at most PUBKEY_SIGNED_MAX
 * bytes with a session identifier of 1..PUBKEY_SID_MAX bytes, seed lines
 * of at most PUBKEY_LINE_MAX bytes.
 */
#ifndef AUTH_PUBKEY_H
#define AUTH_PUBKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "account.h"
#include "login.h"

#define PUBKEY_BLOB_LEN		51	/* CRYPTO_SSH_ED25519_KEY_BLOB_LEN */
#define PUBKEY_SIG_BLOB_LEN	83	/* CRYPTO_SSH_ED25519_SIG_BLOB_LEN */
#define PUBKEY_SIGNED_MAX	256	/* SessionManager.maxSignedData */
#define PUBKEY_SID_MAX		64	/* a SHA-512 exchange hash */
#define PUBKEY_LINE_MAX		256

/*
 * Adds a key to an account from a seed entry
 *   NAME:ssh-ed25519 BASE64[ COMMENT]
 * (the account's name, then an OpenSSH public key line as in
 * authorized_keys, without options). Returns NULL, or the reason the
 * entry is refused.
 */
const char *pubkey_add(struct account_store *st, const char *s, size_t len);

/*
 * Whether a login with this key blob would be accepted for the account
 * now: the query form. Counts nothing and never creates a source entry.
 */
bool pubkey_acceptable(struct login_state *ls, const char *name, size_t nlen,
    const uint8_t *blob, size_t blen, const char *source, size_t slen,
    uint64_t now_ns);

/*
 * Decides a login by key at now_ns, as login_attempt does for a password:
 * a locked source or account is refused first; every other refusal counts
 * a failure for the source and, when known, the account, and owes the
 * failure policy's delay. Reasons: CRED_MALFORMED (a blob or the signed
 * data unusable, or naming another account or key), CRED_BAD_SIGNATURE,
 * CRED_UNKNOWN_ACCOUNT, CRED_UNKNOWN_KEY, CRED_ACCOUNT_DISABLED,
 * CRED_REPLAYED, or CRED_OK.
 */
void pubkey_attempt(struct login_state *ls, const char *name, size_t nlen,
    const uint8_t *blob, size_t blen, const uint8_t *signed_data,
    size_t sdlen, const uint8_t *sig, size_t siglen, const char *source,
    size_t slen, uint64_t now_ns, struct login_outcome *out);

#endif
