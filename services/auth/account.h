/*
 * The account store: the accounts auth knows, read once from its
 * arguments (the manifest's seed) and kept in a fixed table. An account
 * has a principal id, a name, a status, the shell profiles it may use, a
 * password record (credential.h), the ssh-ed25519 public keys that may
 * log in to it (pubkey.h) and its passkeys' public records (passkey.h);
 * it never holds a password or a private key. Passkeys are enrolled while
 * auth runs and kept in this table like the rest, so they last as long
 * as auth does: the seed has no form for them.
 *
 * Bounds: ACCOUNT_MAX accounts, names of 1..ACCOUNT_NAME_MAX bytes of
 * [a-z0-9_-], ACCOUNT_PROFILES profile names, ACCOUNT_KEYS public keys
 * and ACCOUNT_PASSKEYS passkeys each. A seed entry beyond these is
 * refused with a reason, never truncated; so is an enrolment.
 */
#ifndef AUTH_ACCOUNT_H
#define AUTH_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cbor.h"
#include "credential.h"

#define ACCOUNT_MAX		16
#define ACCOUNT_NAME_MAX	31
#define ACCOUNT_PROFILES	4
#define ACCOUNT_KEYS		4
#define ACCOUNT_KEY_LEN		32	/* an Ed25519 public key */
#define ACCOUNT_PASSKEYS	4
#define PASSKEY_ID_MAX		128	/* SessionManager.maxCredentialId */
#define PASSKEY_HANDLE_LEN	16	/* SessionManager.userHandleLen */

/* The values of schema/auth.capnp's AccountStatus. */
enum account_status {
	ACCOUNT_ACTIVE = 0,
	ACCOUNT_DISABLED = 1,
	ACCOUNT_LOCKED = 2,
	ACCOUNT_RECOVERY_ONLY = 3,
};

struct account {
	char name[ACCOUNT_NAME_MAX + 1];
	uint64_t principal;
	enum account_status status;
	uint32_t nprofiles;
	char profiles[ACCOUNT_PROFILES][ACCOUNT_NAME_MAX + 1];
	struct pw_record pw;
	uint32_t nkeys;
	uint8_t keys[ACCOUNT_KEYS][ACCOUNT_KEY_LEN];
	struct fail_state fails;	/* the failure policy's count for it */
	/* Passkeys (passkey.h): the user handle all of them carry, made at
	 * the first enrolment, and one record each. */
	bool has_handle;
	uint8_t handle[PASSKEY_HANDLE_LEN];
	uint32_t npasskeys;
	struct passkey_record {
		uint8_t id[PASSKEY_ID_MAX];
		uint16_t id_len;
		struct cose_key key;
		uint32_t sign_count;
	} passkeys[ACCOUNT_PASSKEYS];
};

struct account_store {
	uint32_t n;
	struct account a[ACCOUNT_MAX];
};

/* A name is 1..ACCOUNT_NAME_MAX bytes of [a-z0-9_-]. */
bool account_name_ok(const char *s, size_t len);

/*
 * Adds the account a seed entry describes:
 *   NAME:PRINCIPAL:STATUS:PROFILE[+PROFILE...]:RECORD
 * with PRINCIPAL a decimal number, STATUS one of active, disabled, locked,
 * recoveryOnly, and RECORD a password record (pw_parse). Returns NULL, or
 * the reason the entry is refused.
 */
const char *account_add(struct account_store *st, const char *s,
    size_t len);

/* The account of that name, or NULL. */
struct account *account_find(struct account_store *st, const char *name,
    size_t len);

/* Whether the account may use the profile. */
bool account_may_use(const struct account *a, const char *profile,
    size_t len);

#endif
