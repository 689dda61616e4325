/*
 * WebAuthn Level 2 relying-party verification (W3C, sections 7.1 and
 * 7.2): registration with "none" attestation and authentication with
 * ES256 or EdDSA credentials. Pure: the caller supplies the challenge it
 * issued, the policy and the stored credential; this code checks bytes
 * and returns a verdict (docs/web.md).
 */
#ifndef CAPOS_PROTO_WEBAUTHN_H
#define CAPOS_PROTO_WEBAUTHN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cbor.h"

/* Bounds on what a client sends [WEBAUTHN_ETOOBIG]. */
#define WEBAUTHN_MAX_CLIENT_DATA	1024	/* clientDataJSON */
#define WEBAUTHN_MAX_ATTESTATION	2048	/* attestationObject */
#define WEBAUTHN_MAX_AUTH_DATA		1024	/* authenticatorData */
#define WEBAUTHN_MAX_CRED_ID		1023	/* Level 2, 5.10.3 */
#define WEBAUTHN_MAX_CHALLENGE		64	/* challenge bytes issued */
#define WEBAUTHN_MAX_ORIGIN		128	/* origin and RP ID text */

enum webauthn_err {
	WEBAUTHN_OK = 0,
	WEBAUTHN_ETOOBIG = -1,		/* an input past its bound */
	WEBAUTHN_EJSON = -2,		/* clientDataJSON unreadable */
	WEBAUTHN_ETYPE = -3,		/* wrong "type" */
	WEBAUTHN_ECHALLENGE = -4,	/* not the challenge issued */
	WEBAUTHN_EORIGIN = -5,		/* wrong origin, or cross-origin */
	WEBAUTHN_ECBOR = -6,		/* attestationObject unreadable */
	WEBAUTHN_EFORMAT = -7,		/* an attestation format not taken */
	WEBAUTHN_EAUTHDATA = -8,	/* authenticatorData malformed */
	WEBAUTHN_ERPID = -9,		/* rpIdHash is not our RP ID's */
	WEBAUTHN_EPRESENCE = -10,	/* UP not set */
	WEBAUTHN_EVERIFY = -11,		/* UV required and not set */
	WEBAUTHN_EKEY = -12,		/* no credential, or a key not taken */
	WEBAUTHN_ESIG = -13,		/* the signature does not verify */
	WEBAUTHN_ECOUNTER = -14,	/* signCount did not increase */
};

const char *webauthn_strerror(int err);

struct webauthn_policy {
	const char *rp_id;		/* e.g. "localhost" */
	const char *origin;		/* e.g. "https://localhost:8443" */
	bool require_uv;		/* user verification, not only presence */
};

/* A registered credential: what the gateway stores for an account. */
struct webauthn_credential {
	uint8_t id[WEBAUTHN_MAX_CRED_ID];
	uint16_t id_len;
	struct cose_key key;
	uint32_t sign_count;
	bool uv;			/* UV was set at registration */
};

/* authenticatorData (Level 2, 6.1), as parsed. */
#define WEBAUTHN_FLAG_UP	0x01
#define WEBAUTHN_FLAG_UV	0x04
#define WEBAUTHN_FLAG_AT	0x40
#define WEBAUTHN_FLAG_ED	0x80

struct webauthn_auth_data {
	const uint8_t *rp_id_hash;	/* 32 bytes */
	uint8_t flags;
	uint32_t sign_count;
	/* With AT: */
	const uint8_t *aaguid;		/* 16 bytes */
	const uint8_t *cred_id;
	uint16_t cred_id_len;
	struct cose_key key;
};

/* Parses authenticatorData of n bytes; 0 or WEBAUTHN_EAUTHDATA (or
 * WEBAUTHN_EKEY for a credential key of another kind). */
int webauthn_parse_auth_data(const uint8_t *p, size_t n,
    struct webauthn_auth_data *ad);

/* The fields of clientDataJSON (Level 2, 5.8.1) that are checked. */
struct webauthn_client_data {
	char type[32];
	char challenge[WEBAUTHN_MAX_CHALLENGE * 4 / 3 + 4];	/* base64url */
	char origin[WEBAUTHN_MAX_ORIGIN + 1];
	bool cross_origin;
};

/* Reads clientDataJSON: one JSON object of at most
 * WEBAUTHN_MAX_CLIENT_DATA bytes. 0 or WEBAUTHN_EJSON / _ETOOBIG. */
int webauthn_parse_client_data(const uint8_t *json, size_t n,
    struct webauthn_client_data *cd);

/*
 * Registration (7.1): clientDataJSON of type "webauthn.create" for the
 * challenge and origin, an attestationObject in format "none" whose
 * authenticatorData names our RP ID, has UP (and UV when the policy
 * requires it) and an ES256 or EdDSA credential. Fills cred.
 */
int webauthn_register(const struct webauthn_policy *pol,
    const uint8_t *challenge, size_t clen, const uint8_t *client_data,
    size_t cdlen, const uint8_t *att_obj, size_t aolen,
    struct webauthn_credential *cred);

/*
 * Authentication (7.2): clientDataJSON of type "webauthn.get", our RP ID,
 * UP (and UV by policy), and sig (DER for ES256, 64 bytes for EdDSA) by
 * cred's key over authenticatorData || SHA-256(clientDataJSON). The
 * signature counter (6.1.1): when either the stored or the new count is
 * not zero, the new one must be greater, else the assertion is refused as
 * a possible cloned authenticator (WEBAUTHN_ECOUNTER). On success
 * *new_count is the count to store.
 */
int webauthn_authenticate(const struct webauthn_policy *pol,
    const uint8_t *challenge, size_t clen,
    const struct webauthn_credential *cred, const uint8_t *client_data,
    size_t cdlen, const uint8_t *auth_data, size_t adlen,
    const uint8_t *sig, size_t siglen, uint32_t *new_count);

/* An ES256 signature in DER (SEC 1, ECDSA-Sig-Value) into raw r and s;
 * 0 or WEBAUTHN_ESIG for anything but a strict DER encoding. */
int webauthn_der_to_raw(const uint8_t *der, size_t n, uint8_t r[32],
    uint8_t s[32]);

#endif
