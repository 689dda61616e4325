/*
 * WebAuthn Level 2 relying-party verification: clientDataJSON,
 * attestationObject ("none" format), authenticatorData, and ES256 and
 * EdDSA assertion signatures.
 *
 * State: none between calls. The caller keeps the challenge it issued
 * (single use and expiry are its business) and the stored credential,
 * and stores the new signature count this returns.
 *
 * Buffers and their bounds (outcome in brackets):
 *   clientDataJSON      at most WEBAUTHN_MAX_CLIENT_DATA bytes, read in
 *                       place                          [WEBAUTHN_ETOOBIG]
 *   its fields          type 31, challenge 89, origin 128 bytes once
 *                       unescaped; longer values       [WEBAUTHN_EJSON]
 *   JSON nesting        JSON_MAX_DEPTH in values skipped [WEBAUTHN_EJSON]
 *   attestationObject   at most WEBAUTHN_MAX_ATTESTATION bytes, read in
 *                       place by lib/proto/cbor    [WEBAUTHN_ETOOBIG]
 *   authenticatorData   at most WEBAUTHN_MAX_AUTH_DATA bytes; with the
 *                       client data hash it is copied into one stack
 *                       buffer of that size + 32 for Ed25519, which signs
 *                       the message whole                [WEBAUTHN_ETOOBIG]
 *   credential ID       at most WEBAUTHN_MAX_CRED_ID (1023) bytes, copied
 *                       into the credential        [WEBAUTHN_EAUTHDATA]
 *   an ES256 signature  strict DER, at most 72 bytes    [WEBAUTHN_ESIG]
 * Every length read from authenticatorData or CBOR is checked against the
 * bytes that remain before it is used; trailing bytes are refused.
 */
#include "webauthn.h"

#include <string.h>

#include "crypto.h"

#define JSON_MAX_DEPTH	4

const char *
webauthn_strerror(int err)
{
	switch (err) {
	case WEBAUTHN_OK: return "ok";
	case WEBAUTHN_ETOOBIG: return "input too large";
	case WEBAUTHN_EJSON: return "clientDataJSON malformed";
	case WEBAUTHN_ETYPE: return "wrong clientData type";
	case WEBAUTHN_ECHALLENGE: return "challenge mismatch";
	case WEBAUTHN_EORIGIN: return "origin mismatch";
	case WEBAUTHN_ECBOR: return "attestationObject malformed";
	case WEBAUTHN_EFORMAT: return "attestation format not accepted";
	case WEBAUTHN_EAUTHDATA: return "authenticatorData malformed";
	case WEBAUTHN_ERPID: return "rpIdHash mismatch";
	case WEBAUTHN_EPRESENCE: return "user not present";
	case WEBAUTHN_EVERIFY: return "user not verified";
	case WEBAUTHN_EKEY: return "credential key not accepted";
	case WEBAUTHN_ESIG: return "signature invalid";
	case WEBAUTHN_ECOUNTER: return "signature counter did not increase";
	default: return "unknown error";
	}
}

/* ---- clientDataJSON: a bounded reader for one flat object ---- */

struct json {
	const uint8_t *p, *end;
};

static void
ws(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
hex4(struct json *j, uint32_t *v)
{
	*v = 0;
	if (j->end - j->p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int c = *j->p++;

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* Appends code point cp as UTF-8 to out (room bytes, *n used). */
static int
put_utf8(char *out, size_t room, size_t *n, uint32_t cp)
{
	uint8_t b[4];
	size_t k;

	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | cp >> 18);
		b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (uint8_t)(0x80 | (cp & 0x3f));
		k = 4;
	}
	if (room - *n < k + 1)
		return -1;
	memcpy(out + *n, b, k);
	*n += k;
	return 0;
}

/*
 * A JSON string (RFC 8259 7) at j, unescaped into out (room bytes with
 * its NUL); out NULL only checks it. -1 when malformed or too long.
 */
static int
string(struct json *j, char *out, size_t room)
{
	char scratch[8];
	size_t n = 0;

	if (out == NULL) {
		out = scratch;
		room = sizeof(scratch);
	}
	if (j->p == j->end || *j->p != '"')
		return -1;
	j->p++;
	for (;;) {
		uint32_t cp;

		if (j->p == j->end || *j->p < 0x20)
			return -1;
		cp = *j->p++;
		if (cp == '"')
			break;
		if (cp == '\\') {
			if (j->p == j->end)
				return -1;
			switch (*j->p++) {
			case '"': cp = '"'; break;
			case '\\': cp = '\\'; break;
			case '/': cp = '/'; break;
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u':
				if (hex4(j, &cp) != 0)
					return -1;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return -1;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					uint32_t lo;

					if (j->end - j->p < 2 || j->p[0] != '\\' ||
					    j->p[1] != 'u')
						return -1;
					j->p += 2;
					if (hex4(j, &lo) != 0 || lo < 0xdc00 ||
					    lo > 0xdfff)
						return -1;
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
				}
				break;
			default:
				return -1;
			}
			if (cp == 0)
				return -1;	/* no NUL inside our strings */
		} else if (cp >= 0x80) {
			/* Raw UTF-8 was checked whole; copy the byte. */
			if (out != scratch) {
				if (room - n < 2)
					return -1;
				out[n++] = (char)cp;
			}
			continue;
		}
		if (out == scratch)
			continue;
		if (put_utf8(out, room, &n, cp) != 0)
			return -1;
	}
	if (out != scratch)
		out[n] = '\0';
	return 0;
}

static int value_skip(struct json *j, unsigned depth);

static int
literal(struct json *j, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, s, n) != 0)
		return -1;
	j->p += n;
	return 0;
}

static int
number(struct json *j)
{
	const uint8_t *s = j->p;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	while (j->p < j->end && ((*j->p >= '0' && *j->p <= '9') ||
	    *j->p == '.' || *j->p == 'e' || *j->p == 'E' || *j->p == '+' ||
	    *j->p == '-'))
		j->p++;
	return j->p > s ? 0 : -1;
}

/* Members of an object or items of an array, after its opening byte. */
static int
container_skip(struct json *j, unsigned depth, bool object)
{
	uint8_t close = object ? '}' : ']';

	ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		if (object) {
			ws(j);
			if (string(j, NULL, 0) != 0)
				return -1;
			ws(j);
			if (j->p == j->end || *j->p++ != ':')
				return -1;
		}
		if (value_skip(j, depth) != 0)
			return -1;
		ws(j);
		if (j->p == j->end)
			return -1;
		if (*j->p == close) {
			j->p++;
			return 0;
		}
		if (*j->p++ != ',')
			return -1;
	}
}

static int
value_skip(struct json *j, unsigned depth)
{
	ws(j);
	if (j->p == j->end)
		return -1;
	switch (*j->p) {
	case '"':
		return string(j, NULL, 0);
	case '{':
	case '[':
		if (depth == 0)
			return -1;
		return container_skip(j, depth - 1, *j->p++ == '{');
	case 't':
		return literal(j, "true");
	case 'f':
		return literal(j, "false");
	case 'n':
		return literal(j, "null");
	default:
		return number(j);
	}
}

int
webauthn_parse_client_data(const uint8_t *json, size_t n,
    struct webauthn_client_data *cd)
{
	enum { TYPE = 1, CHALLENGE = 2, ORIGIN = 4, CROSS = 8 };
	struct json j = { json, json + n };
	unsigned seen = 0;

	memset(cd, 0, sizeof(*cd));
	if (n > WEBAUTHN_MAX_CLIENT_DATA)
		return WEBAUTHN_ETOOBIG;
	if (!cbor_utf8_valid(json, n))
		return WEBAUTHN_EJSON;
	ws(&j);
	if (j.p == j.end || *j.p++ != '{')
		return WEBAUTHN_EJSON;
	ws(&j);
	if (j.p < j.end && *j.p == '}')
		return WEBAUTHN_EJSON;
	for (;;) {
		char key[16];
		unsigned bit = 0;
		int rc;

		ws(&j);
		/* A key longer than ours is some other member. */
		{
			struct json k = j;

			if (string(&k, key, sizeof(key)) != 0) {
				key[0] = '\0';
				if (string(&j, NULL, 0) != 0)
					return WEBAUTHN_EJSON;
			} else {
				j = k;
			}
		}
		ws(&j);
		if (j.p == j.end || *j.p++ != ':')
			return WEBAUTHN_EJSON;
		ws(&j);
		if (strcmp(key, "type") == 0)
			bit = TYPE;
		else if (strcmp(key, "challenge") == 0)
			bit = CHALLENGE;
		else if (strcmp(key, "origin") == 0)
			bit = ORIGIN;
		else if (strcmp(key, "crossOrigin") == 0)
			bit = CROSS;
		if (seen & bit)
			return WEBAUTHN_EJSON;
		seen |= bit;
		switch (bit) {
		case TYPE:
			rc = string(&j, cd->type, sizeof(cd->type));
			break;
		case CHALLENGE:
			rc = string(&j, cd->challenge, sizeof(cd->challenge));
			break;
		case ORIGIN:
			rc = string(&j, cd->origin, sizeof(cd->origin));
			break;
		case CROSS:
			cd->cross_origin = j.p < j.end && *j.p == 't';
			rc = literal(&j, cd->cross_origin ? "true" : "false");
			break;
		default:
			rc = value_skip(&j, JSON_MAX_DEPTH);
			break;
		}
		if (rc != 0)
			return WEBAUTHN_EJSON;
		ws(&j);
		if (j.p == j.end)
			return WEBAUTHN_EJSON;
		if (*j.p == '}') {
			j.p++;
			break;
		}
		if (*j.p++ != ',')
			return WEBAUTHN_EJSON;
	}
	ws(&j);
	if (j.p != j.end || (seen & (TYPE | CHALLENGE | ORIGIN)) !=
	    (TYPE | CHALLENGE | ORIGIN))
		return WEBAUTHN_EJSON;
	return 0;
}

/* The checks on clientDataJSON common to both ceremonies (7.1 steps
 * 7-10, 7.2 steps 11-14), and its hash. */
static int
check_client_data(const struct webauthn_policy *pol, const char *type,
    const uint8_t *challenge, size_t clen, const uint8_t *cdj, size_t cdlen,
    uint8_t hash[CRYPTO_SHA256_LEN])
{
	struct webauthn_client_data cd;
	char want[sizeof(cd.challenge)];
	int rc, n;

	if ((rc = webauthn_parse_client_data(cdj, cdlen, &cd)) != 0)
		return rc;
	if (strcmp(cd.type, type) != 0)
		return WEBAUTHN_ETYPE;
	if (clen == 0 || clen > WEBAUTHN_MAX_CHALLENGE)
		return WEBAUTHN_ECHALLENGE;
	/* base64url without padding (5.8.1 via RFC 4648 5). */
	n = crypto_base64(challenge, clen, false, want, sizeof(want));
	if (n < 0)
		return WEBAUTHN_ECHALLENGE;
	for (int i = 0; i < n; i++)
		if (want[i] == '+')
			want[i] = '-';
		else if (want[i] == '/')
			want[i] = '_';
	if (strlen(cd.challenge) != (size_t)n ||
	    crypto_memcmp(cd.challenge, want, (size_t)n) != 0)
		return WEBAUTHN_ECHALLENGE;
	if (strcmp(cd.origin, pol->origin) != 0 || cd.cross_origin)
		return WEBAUTHN_EORIGIN;
	crypto_sha256(cdj, cdlen, hash);
	return 0;
}

/* ---- authenticatorData (6.1) ---- */

int
webauthn_parse_auth_data(const uint8_t *p, size_t n,
    struct webauthn_auth_data *ad)
{
	size_t at = 37;

	memset(ad, 0, sizeof(*ad));
	if (n > WEBAUTHN_MAX_AUTH_DATA)
		return WEBAUTHN_ETOOBIG;
	if (n < 37)
		return WEBAUTHN_EAUTHDATA;
	ad->rp_id_hash = p;
	ad->flags = p[32];
	ad->sign_count = (uint32_t)p[33] << 24 | (uint32_t)p[34] << 16 |
	    (uint32_t)p[35] << 8 | p[36];
	if (ad->flags & WEBAUTHN_FLAG_AT) {
		size_t used;
		int rc;

		if (n - at < 18)
			return WEBAUTHN_EAUTHDATA;
		ad->aaguid = p + at;
		ad->cred_id_len = (uint16_t)(p[at + 16] << 8 | p[at + 17]);
		at += 18;
		if (ad->cred_id_len == 0 ||
		    ad->cred_id_len > WEBAUTHN_MAX_CRED_ID ||
		    ad->cred_id_len > n - at)
			return WEBAUTHN_EAUTHDATA;
		ad->cred_id = p + at;
		at += ad->cred_id_len;
		rc = cose_key_parse(p + at, n - at, &ad->key, &used);
		if (rc == CBOR_ETYPE)
			return WEBAUTHN_EKEY;
		if (rc != 0)
			return WEBAUTHN_EAUTHDATA;
		at += used;
	}
	if (ad->flags & WEBAUTHN_FLAG_ED) {
		struct cbor c;

		/* Extension outputs: one map, which nothing here reads. */
		if (at == n || p[at] >> 5 != CBOR_MAP)
			return WEBAUTHN_EAUTHDATA;
		cbor_init(&c, p + at, n - at);
		if (cbor_skip(&c, CBOR_MAX_DEPTH) != 0)
			return WEBAUTHN_EAUTHDATA;
		at = n - cbor_left(&c);
	}
	return at == n ? 0 : WEBAUTHN_EAUTHDATA;
}

/* The checks on authenticatorData common to both ceremonies. */
static int
check_auth_data(const struct webauthn_policy *pol,
    const struct webauthn_auth_data *ad)
{
	uint8_t h[CRYPTO_SHA256_LEN];

	crypto_sha256(pol->rp_id, strlen(pol->rp_id), h);
	if (crypto_memcmp(ad->rp_id_hash, h, sizeof(h)) != 0)
		return WEBAUTHN_ERPID;
	if (!(ad->flags & WEBAUTHN_FLAG_UP))
		return WEBAUTHN_EPRESENCE;
	if (pol->require_uv && !(ad->flags & WEBAUTHN_FLAG_UV))
		return WEBAUTHN_EVERIFY;
	return 0;
}

/* ---- Registration (7.1) ---- */

int
webauthn_register(const struct webauthn_policy *pol,
    const uint8_t *challenge, size_t clen, const uint8_t *client_data,
    size_t cdlen, const uint8_t *att_obj, size_t aolen,
    struct webauthn_credential *cred)
{
	enum { FMT = 1, STMT = 2, AUTH = 4 };
	uint8_t hash[CRYPTO_SHA256_LEN];
	struct webauthn_auth_data ad;
	struct cbor c;
	struct cbor_item it, authdata = { 0 };
	bool none = false, empty_stmt = false;
	unsigned seen = 0;
	uint64_t pairs;
	int rc;

	memset(cred, 0, sizeof(*cred));
	rc = check_client_data(pol, "webauthn.create", challenge, clen,
	    client_data, cdlen, hash);
	if (rc != 0)
		return rc;
	if (aolen > WEBAUTHN_MAX_ATTESTATION)
		return WEBAUTHN_ETOOBIG;
	/* attestationObject (6.5): {"fmt", "attStmt", "authData"}. */
	cbor_init(&c, att_obj, aolen);
	if (cbor_next(&c, &it) != 0 || it.major != CBOR_MAP)
		return WEBAUTHN_ECBOR;
	pairs = it.val;
	for (uint64_t i = 0; i < pairs; i++) {
		unsigned bit;

		if (cbor_next(&c, &it) != 0)
			return WEBAUTHN_ECBOR;
		if (cbor_is_text(&it, "fmt"))
			bit = FMT;
		else if (cbor_is_text(&it, "attStmt"))
			bit = STMT;
		else if (cbor_is_text(&it, "authData"))
			bit = AUTH;
		else
			return WEBAUTHN_ECBOR;
		if (seen & bit)
			return WEBAUTHN_ECBOR;
		seen |= bit;
		if (bit == STMT) {
			struct cbor peek = c;

			if (cbor_next(&peek, &it) != 0 || it.major != CBOR_MAP)
				return WEBAUTHN_ECBOR;
			empty_stmt = it.val == 0;
			if (cbor_skip(&c, CBOR_MAX_DEPTH) != 0)
				return WEBAUTHN_ECBOR;
			continue;
		}
		if (cbor_next(&c, &it) != 0)
			return WEBAUTHN_ECBOR;
		if (bit == FMT) {
			if (it.major != CBOR_TEXT)
				return WEBAUTHN_ECBOR;
			none = cbor_is_text(&it, "none");
		} else {
			if (it.major != CBOR_BYTES)
				return WEBAUTHN_ECBOR;
			authdata = it;
		}
	}
	if (seen != (FMT | STMT | AUTH) || cbor_left(&c) != 0)
		return WEBAUTHN_ECBOR;
	rc = webauthn_parse_auth_data(authdata.ptr, (size_t)authdata.val, &ad);
	if (rc != 0)
		return rc;
	if ((rc = check_auth_data(pol, &ad)) != 0)
		return rc;
	if (!(ad.flags & WEBAUTHN_FLAG_AT))
		return WEBAUTHN_EAUTHDATA;
	/* "none" (8.7): the statement is empty and there is nothing more
	 * to verify. Other formats are not taken. */
	if (!none || !empty_stmt)
		return WEBAUTHN_EFORMAT;
	memcpy(cred->id, ad.cred_id, ad.cred_id_len);
	cred->id_len = ad.cred_id_len;
	cred->key = ad.key;
	cred->sign_count = ad.sign_count;
	cred->uv = (ad.flags & WEBAUTHN_FLAG_UV) != 0;
	return 0;
}

/* ---- Authentication (7.2) ---- */

/* One DER INTEGER at *p (n bytes left) into a 32-byte big-endian value:
 * non-negative, minimally encoded, below 2^256. */
static int
der_int(const uint8_t **p, size_t *n, uint8_t out[32])
{
	const uint8_t *v;
	size_t len;

	if (*n < 2 || (*p)[0] != 0x02)
		return -1;
	len = (*p)[1];
	if (len == 0 || len > 33 || len > *n - 2)
		return -1;
	v = *p + 2;
	*p += 2 + len;
	*n -= 2 + len;
	if (v[0] & 0x80)
		return -1;			/* negative */
	if (len > 1 && v[0] == 0 && !(v[1] & 0x80))
		return -1;			/* not minimal */
	if (v[0] == 0 && len > 1) {
		v++;
		len--;
	}
	if (len > 32)
		return -1;
	memset(out, 0, 32);
	memcpy(out + 32 - len, v, len);
	return 0;
}

int
webauthn_der_to_raw(const uint8_t *der, size_t n, uint8_t r[32],
    uint8_t s[32])
{
	size_t left;

	/* SEQUENCE of two INTEGERs of at most 33 bytes: a short-form
	 * length, so at most 2 + 2 * 35 bytes in all. */
	if (n < 2 || n > 72 || der[0] != 0x30 || der[1] != n - 2)
		return WEBAUTHN_ESIG;
	der += 2;
	left = n - 2;
	if (der_int(&der, &left, r) != 0 || der_int(&der, &left, s) != 0 ||
	    left != 0)
		return WEBAUTHN_ESIG;
	return 0;
}

static int
verify(const struct cose_key *k, const uint8_t *ad, size_t adlen,
    const uint8_t cdhash[CRYPTO_SHA256_LEN], const uint8_t *sig,
    size_t siglen)
{
	if (k->alg == COSE_ALG_ES256) {
		struct crypto_sha256 h;
		uint8_t d[CRYPTO_SHA256_LEN], r[32], s[32];

		if (webauthn_der_to_raw(sig, siglen, r, s) != 0)
			return WEBAUTHN_ESIG;
		crypto_sha256_init(&h);
		crypto_sha256_update(&h, ad, adlen);
		crypto_sha256_update(&h, cdhash, CRYPTO_SHA256_LEN);
		crypto_sha256_final(&h, d);
		return crypto_p256_verify(k->x, k->y, d, sizeof(d), r, s) == 0 ?
		    0 : WEBAUTHN_ESIG;
	}
	if (k->alg == COSE_ALG_EDDSA) {
		uint8_t msg[WEBAUTHN_MAX_AUTH_DATA + CRYPTO_SHA256_LEN];

		if (siglen != CRYPTO_ED25519_SIG_LEN ||
		    adlen > WEBAUTHN_MAX_AUTH_DATA)
			return WEBAUTHN_ESIG;
		memcpy(msg, ad, adlen);
		memcpy(msg + adlen, cdhash, CRYPTO_SHA256_LEN);
		return crypto_ed25519_verify(k->x, msg,
		    adlen + CRYPTO_SHA256_LEN, sig) == 0 ? 0 : WEBAUTHN_ESIG;
	}
	return WEBAUTHN_EKEY;
}

int
webauthn_authenticate(const struct webauthn_policy *pol,
    const uint8_t *challenge, size_t clen,
    const struct webauthn_credential *cred, const uint8_t *client_data,
    size_t cdlen, const uint8_t *auth_data, size_t adlen,
    const uint8_t *sig, size_t siglen, uint32_t *new_count)
{
	uint8_t hash[CRYPTO_SHA256_LEN];
	struct webauthn_auth_data ad;
	int rc;

	*new_count = cred->sign_count;
	if (cred->key.alg != COSE_ALG_ES256 && cred->key.alg != COSE_ALG_EDDSA)
		return WEBAUTHN_EKEY;
	rc = check_client_data(pol, "webauthn.get", challenge, clen,
	    client_data, cdlen, hash);
	if (rc != 0)
		return rc;
	if ((rc = webauthn_parse_auth_data(auth_data, adlen, &ad)) != 0)
		return rc;
	if ((rc = check_auth_data(pol, &ad)) != 0)
		return rc;
	if ((rc = verify(&cred->key, auth_data, adlen, hash, sig, siglen)) != 0)
		return rc;
	/* 6.1.1: a counter that does not move forward means two
	 * authenticators may hold this credential; refuse. Both zero means
	 * the authenticator keeps no counter. */
	if ((ad.sign_count != 0 || cred->sign_count != 0) &&
	    ad.sign_count <= cred->sign_count)
		return WEBAUTHN_ECOUNTER;
	*new_count = ad.sign_count;
	return 0;
}
