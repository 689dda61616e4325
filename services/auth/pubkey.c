/*
 * Public-key logins (pubkey.h).
 */
#include <string.h>

#include "crypto.h"
#include "pubkey.h"

/* SSH_MSG_USERAUTH_REQUEST (RFC 4252 6). */
#define MSG_USERAUTH_REQUEST	50

/* The value of one base64 character (RFC 4648 4), or -1. */
static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes padded base64 s[0..len) into out (room bytes); the length
 * written, or -1 when malformed or too long. */
static long
b64_decode(const char *s, size_t len, uint8_t *out, size_t room)
{
	size_t n = 0;

	if (len == 0 || len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;
		uint32_t w;

		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			/* Nothing may follow a pad character. */
			if (pad != 0 || (v[k] = b64_value(s[i + k])) < 0)
				return -1;
		}
		w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
		    (uint32_t)v[2] << 6 | (uint32_t)v[3];
		if (n + 3 - (size_t)pad > room)
			return -1;
		out[n++] = (uint8_t)(w >> 16);
		if (pad < 2)
			out[n++] = (uint8_t)(w >> 8);
		if (pad < 1)
			out[n++] = (uint8_t)w;
	}
	return (long)n;
}

const char *
pubkey_add(struct account_store *st, const char *s, size_t len)
{
	static const char alg[] = "ssh-ed25519 ";
	uint8_t blob[PUBKEY_BLOB_LEN + 3], pub[ACCOUNT_KEY_LEN];
	const char *colon = memchr(s, ':', len), *k;
	struct account *a;
	size_t klen;
	long n;

	if (len > PUBKEY_LINE_MAX)
		return "key line too long";
	if (colon == NULL ||
	    (a = account_find(st, s, (size_t)(colon - s))) == NULL)
		return "key for an unknown account";
	k = colon + 1;
	klen = len - (size_t)(k - s);
	if (klen < sizeof(alg) - 1 || memcmp(k, alg, sizeof(alg) - 1) != 0)
		return "not an ssh-ed25519 key";
	k += sizeof(alg) - 1;
	klen -= sizeof(alg) - 1;
	/* The base64 ends at the comment's space, if there is one. */
	for (size_t i = 0; i < klen; i++)
		if (k[i] == ' ') {
			klen = i;
			break;
		}
	n = b64_decode(k, klen, blob, sizeof(blob));
	if (n < 0 || crypto_ssh_ed25519_parse_key(blob, (size_t)n, pub) != 0)
		return "malformed ssh-ed25519 key";
	for (uint32_t i = 0; i < a->nkeys; i++)
		if (memcmp(a->keys[i], pub, sizeof(pub)) == 0)
			return "duplicate key";
	if (a->nkeys == ACCOUNT_KEYS)
		return "too many keys for the account";
	memcpy(a->keys[a->nkeys++], pub, sizeof(pub));
	return NULL;
}

/*
 * Scans every slot of the account table and every key slot of each, so
 * the time taken does not depend on whether or where the name is found.
 * Returns whether an account of this name is active, not locked at now_ns,
 * and holds pub.
 */
static bool
holds_key(const struct account_store *st, const char *name, size_t nlen,
    const uint8_t pub[ACCOUNT_KEY_LEN], uint64_t now_ns)
{
	char want[ACCOUNT_NAME_MAX + 1];
	unsigned match = 0;

	memset(want, 0, sizeof(want));
	if (nlen > ACCOUNT_NAME_MAX)
		return false;
	memcpy(want, name, nlen);
	for (uint32_t i = 0; i < ACCOUNT_MAX; i++) {
		const struct account *a = &st->a[i];
		unsigned named = (unsigned)(i < st->n) &
		    (unsigned)(crypto_memcmp(want, a->name, sizeof(want)) == 0);
		unsigned usable = (unsigned)(a->status == ACCOUNT_ACTIVE) &
		    (unsigned)!fail_locked(&a->fails, now_ns);

		for (uint32_t k = 0; k < ACCOUNT_KEYS; k++)
			match |= named & usable & (unsigned)(k < a->nkeys) &
			    (unsigned)(crypto_memcmp(a->keys[k], pub,
			    ACCOUNT_KEY_LEN) == 0);
	}
	return match != 0;
}

/* The source's entry when it exists: a query never makes one, so queries
 * cannot push a guessing source's count out of the table. */
static const struct fail_state *
existing_source(const struct login_state *ls, const char *source,
    size_t slen)
{
	if (slen == 0) {
		source = "-";
		slen = 1;
	}
	if (slen > FAIL_SOURCE_MAX)
		slen = FAIL_SOURCE_MAX;
	for (int i = 0; i < FAIL_SOURCES; i++)
		if (ls->sources[i].name[0] != '\0' &&
		    strlen(ls->sources[i].name) == slen &&
		    memcmp(ls->sources[i].name, source, slen) == 0)
			return &ls->sources[i].st;
	return NULL;
}

bool
pubkey_acceptable(struct login_state *ls, const char *name, size_t nlen,
    const uint8_t *blob, size_t blen, const char *source, size_t slen,
    uint64_t now_ns)
{
	const struct fail_state *src = existing_source(ls, source, slen);
	uint8_t pub[ACCOUNT_KEY_LEN];

	if (crypto_ssh_ed25519_parse_key(blob, blen, pub) != 0)
		return false;
	if (src != NULL && fail_locked(src, now_ns))
		return false;
	return holds_key(&ls->accounts, name, nlen, pub, now_ns);
}

/* A reader over signed data; `bad` once anything ran past its end. */
struct rd {
	const uint8_t *p;
	size_t len;
	bool bad;
};

/* The next RFC 4251 string: its bytes and length, or NULL (bad set). */
static const uint8_t *
rd_str(struct rd *r, size_t *n)
{
	const uint8_t *s;
	uint32_t k;

	if (r->bad || r->len < 4) {
		r->bad = true;
		return NULL;
	}
	k = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	    (uint32_t)r->p[2] << 8 | r->p[3];
	if (k > r->len - 4) {
		r->bad = true;
		return NULL;
	}
	s = r->p + 4;
	r->p += 4 + k;
	r->len -= 4 + k;
	*n = k;
	return s;
}

static uint8_t
rd_u8(struct rd *r)
{
	if (r->bad || r->len < 1) {
		r->bad = true;
		return 0;
	}
	r->len--;
	return *r->p++;
}

static bool
is(const uint8_t *s, size_t n, const void *want, size_t wlen)
{
	return s != NULL && n == wlen && memcmp(s, want, n) == 0;
}

/*
 * Checks that sd is RFC 4252 7's signed data for a publickey login of
 * this account with this key blob, and nothing more; its session
 * identifier in *sid. 0, or -1.
 */
static int
signed_data_ok(const uint8_t *sd, size_t len, const char *name, size_t nlen,
    const uint8_t *blob, size_t blen, const uint8_t **sid, size_t *sidlen)
{
	struct rd r = { sd, len, false };
	const uint8_t *user, *svc, *method, *alg, *kb;
	size_t ulen, svlen, mlen, alen, kblen;
	uint8_t msg, has_sig;

	*sid = rd_str(&r, sidlen);
	msg = rd_u8(&r);
	user = rd_str(&r, &ulen);
	svc = rd_str(&r, &svlen);
	method = rd_str(&r, &mlen);
	has_sig = rd_u8(&r);
	alg = rd_str(&r, &alen);
	kb = rd_str(&r, &kblen);
	if (r.bad || r.len != 0 || *sidlen == 0 || *sidlen > PUBKEY_SID_MAX ||
	    msg != MSG_USERAUTH_REQUEST || has_sig != 1)
		return -1;
	if (!is(user, ulen, name, nlen) ||
	    !is(svc, svlen, "ssh-connection", 14) ||
	    !is(method, mlen, "publickey", 9) ||
	    !is(alg, alen, "ssh-ed25519", 11) || !is(kb, kblen, blob, blen))
		return -1;
	return 0;
}

static bool
seen(const struct login_state *ls, const uint8_t h[CRYPTO_SHA256_LEN])
{
	uint32_t n = ls->nseen < LOGIN_SEEN_MAX ? ls->nseen : LOGIN_SEEN_MAX;
	unsigned hit = 0;

	for (uint32_t i = 0; i < n; i++)
		hit |= (unsigned)(crypto_memcmp(ls->seen[i], h,
		    CRYPTO_SHA256_LEN) == 0);
	return hit != 0;
}

/* The credential check of a key login, after the gate. */
static enum cred_reason
check_key(struct login_state *ls, const struct account *a, const char *name,
    size_t nlen, const uint8_t *blob, size_t blen, const uint8_t *sd,
    size_t sdlen, const uint8_t *sigblob, size_t siglen, uint64_t now_ns,
    uint8_t sid_hash[CRYPTO_SHA256_LEN])
{
	uint8_t pub[ACCOUNT_KEY_LEN], sig[CRYPTO_ED25519_SIG_LEN];
	const uint8_t *sid;
	size_t sidlen;
	bool held;

	if (blen != PUBKEY_BLOB_LEN || siglen != PUBKEY_SIG_BLOB_LEN ||
	    sdlen > PUBKEY_SIGNED_MAX ||
	    crypto_ssh_ed25519_parse_key(blob, blen, pub) != 0 ||
	    crypto_ssh_ed25519_parse_sig(sigblob, siglen, sig) != 0 ||
	    signed_data_ok(sd, sdlen, name, nlen, blob, blen, &sid,
	    &sidlen) != 0)
		return CRED_MALFORMED;
	/* Verified with the key the request names, before the account is
	 * looked at: a known and an unknown account cost the same. */
	if (crypto_ed25519_verify(pub, sd, sdlen, sig) != 0)
		return CRED_BAD_SIGNATURE;
	crypto_sha256(sid, sidlen, sid_hash);
	held = holds_key(&ls->accounts, name, nlen, pub, now_ns);
	if (a == NULL)
		return CRED_UNKNOWN_ACCOUNT;
	if (a->status != ACCOUNT_ACTIVE)
		return CRED_ACCOUNT_DISABLED;
	if (!held)
		return CRED_UNKNOWN_KEY;
	if (seen(ls, sid_hash))
		return CRED_REPLAYED;
	return CRED_OK;
}

void
pubkey_attempt(struct login_state *ls, const char *name, size_t nlen,
    const uint8_t *blob, size_t blen, const uint8_t *signed_data,
    size_t sdlen, const uint8_t *sig, size_t siglen, const char *source,
    size_t slen, uint64_t now_ns, struct login_outcome *out)
{
	uint8_t sid_hash[CRYPTO_SHA256_LEN];
	struct fail_state *src;
	enum cred_reason reason;

	if (login_gate(ls, name, nlen, source, slen, now_ns, &src, out))
		return;
	reason = check_key(ls, out->account, name, nlen, blob, blen,
	    signed_data, sdlen, sig, siglen, now_ns, sid_hash);
	login_settle(src, now_ns, reason, out);
	if (reason == CRED_OK)
		memcpy(ls->seen[ls->nseen++ % LOGIN_SEEN_MAX], sid_hash,
		    sizeof(sid_hash));
}
