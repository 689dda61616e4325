/*
 * Passkeys: challenges, enrolment and login (passkey.h has the rules and
 * bounds). Pure code over the account store; main.c does the I/O.
 */
#include "passkey.h"

#include <string.h>

#include "webauthn.h"

const char *
passkey_configure(struct passkey_state *ps, const char *s, size_t len)
{
	size_t host = 0;

	if (len <= 8 || len > PASSKEY_ORIGIN_MAX ||
	    memcmp(s, "https://", 8) != 0)
		return "passkeys= takes https://HOST[:PORT]";
	for (size_t i = 8; i < len; i++) {
		char ch = s[i];

		if (ch == ':' && host == 0 && i > 8)
			host = i - 8;
		else if (!((ch >= 'a' && ch <= 'z') || ch == '.' ||
		    ch == '-' || (ch >= '0' && ch <= '9')))
			return "passkeys= takes https://HOST[:PORT]";
	}
	if (host == 0)
		host = len - 8;
	memcpy(ps->origin, s, len);
	ps->origin[len] = '\0';
	memcpy(ps->rp_id, s + 8, host);
	ps->rp_id[host] = '\0';
	return NULL;
}

int
passkey_challenge(struct passkey_state *ps, passkey_rng rng, void *ctx,
    enum passkey_kind kind, uint64_t serial, uint64_t now_ns,
    uint8_t out[PASSKEY_CHALLENGE_LEN])
{
	struct passkey_challenge *slot = &ps->ch[0];

	for (size_t i = 0; i < PASSKEY_CHALLENGES; i++) {
		struct passkey_challenge *c = &ps->ch[i];

		if (!c->live || now_ns - c->issued_ns >= PASSKEY_CHALLENGE_NS) {
			slot = c;
			break;
		}
		if (c->issued_ns < slot->issued_ns)
			slot = c;
	}
	if (rng(ctx, out, PASSKEY_CHALLENGE_LEN) != 0) {
		memset(out, 0, PASSKEY_CHALLENGE_LEN);
		return -1;
	}
	slot->live = true;
	slot->kind = kind;
	slot->serial = serial;
	slot->issued_ns = now_ns;
	memcpy(slot->c, out, PASSKEY_CHALLENGE_LEN);
	return 0;
}

int
passkey_handle(struct account *a, passkey_rng rng, void *ctx)
{
	if (a->has_handle)
		return 0;
	if (rng(ctx, a->handle, sizeof(a->handle)) != 0)
		return -1;
	a->has_handle = true;
	return 0;
}

/* base64url without padding (RFC 4648 5), as clientDataJSON carries a
 * challenge. */
static void
b64url(const uint8_t *p, size_t n, char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789-_";
	size_t o = 0, i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t w = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 |
		    p[i + 2];

		out[o++] = abc[w >> 18];
		out[o++] = abc[(w >> 12) & 63];
		out[o++] = abc[(w >> 6) & 63];
		out[o++] = abc[w & 63];
	}
	if (n - i == 1) {
		out[o++] = abc[p[i] >> 2];
		out[o++] = abc[(p[i] & 3) << 4];
	} else if (n - i == 2) {
		uint32_t w = (uint32_t)p[i] << 8 | p[i + 1];

		out[o++] = abc[w >> 10];
		out[o++] = abc[(w >> 4) & 63];
		out[o++] = abc[(w << 2) & 63];
	}
	out[o] = '\0';
}

static bool
same_text(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	uint8_t d = 0;

	if (la != lb)
		return false;
	for (size_t i = 0; i < la; i++)
		d |= (uint8_t)(a[i] ^ b[i]);
	return d == 0;
}

/*
 * Spends the live challenge of that kind (and, for enrolment, session)
 * that clientDataJSON names, copying it to out. Every slot is looked at;
 * false when none matches.
 */
static bool
spend(struct passkey_state *ps, enum passkey_kind kind, uint64_t serial,
    const uint8_t *cdj, size_t cdlen, uint64_t now_ns,
    uint8_t out[PASSKEY_CHALLENGE_LEN])
{
	static struct webauthn_client_data cd;
	char enc[PASSKEY_CHALLENGE_LEN * 4 / 3 + 4];
	bool found = false;

	if (webauthn_parse_client_data(cdj, cdlen, &cd) != 0)
		return false;
	for (size_t i = 0; i < PASSKEY_CHALLENGES; i++) {
		struct passkey_challenge *c = &ps->ch[i];

		if (!c->live || c->kind != kind ||
		    (kind == PASSKEY_ENROL && c->serial != serial))
			continue;
		b64url(c->c, sizeof(c->c), enc);
		if (!same_text(enc, cd.challenge))
			continue;
		c->live = false;
		if (now_ns - c->issued_ns < PASSKEY_CHALLENGE_NS) {
			memcpy(out, c->c, PASSKEY_CHALLENGE_LEN);
			found = true;
		}
	}
	return found;
}

static void
policy(const struct passkey_state *ps, struct webauthn_policy *pol)
{
	pol->rp_id = ps->rp_id;
	pol->origin = ps->origin;
	pol->require_uv = true;
}

/* The account holding the credential, and its record, or NULL. */
static struct account *
find_credential(struct account_store *st, const uint8_t *id, size_t len,
    struct passkey_record **rec)
{
	struct account *found = NULL;

	for (uint32_t i = 0; i < st->n; i++)
		for (uint32_t k = 0; k < st->a[i].npasskeys; k++) {
			struct passkey_record *r = &st->a[i].passkeys[k];

			if (r->id_len == len && memcmp(r->id, id, len) == 0) {
				found = &st->a[i];
				*rec = r;
			}
		}
	return found;
}

static int
reason_of(int err, const char **why)
{
	*why = webauthn_strerror(err);
	switch (err) {
	case WEBAUTHN_OK:
		return CRED_OK;
	case WEBAUTHN_ESIG:
		return CRED_BAD_SIGNATURE;
	case WEBAUTHN_ECOUNTER:
		return CRED_REPLAYED;
	case WEBAUTHN_ECHALLENGE:
		return CRED_CHALLENGE_UNKNOWN;
	default:
		return CRED_PASSKEY_REFUSED;
	}
}

int
passkey_enrol(struct passkey_state *ps, struct account_store *st,
    struct account *a, uint64_t serial, const uint8_t *cdj, size_t cdlen,
    const uint8_t *ao, size_t aolen, uint64_t now_ns, const char **why)
{
	static struct webauthn_credential cred;
	struct webauthn_policy pol;
	struct passkey_record *r, *old;
	uint8_t ch[PASSKEY_CHALLENGE_LEN];
	int rc;

	*why = "ok";
	if (ps->origin[0] == '\0' || !a->has_handle) {
		*why = "no passkey policy, or no challenge asked for";
		return CRED_MALFORMED;
	}
	if (!spend(ps, PASSKEY_ENROL, serial, cdj, cdlen, now_ns, ch)) {
		*why = "not a challenge issued to this session";
		return CRED_CHALLENGE_UNKNOWN;
	}
	policy(ps, &pol);
	rc = webauthn_register(&pol, ch, sizeof(ch), cdj, cdlen, ao, aolen,
	    &cred);
	if (rc != WEBAUTHN_OK)
		return reason_of(rc, why);
	if (cred.id_len > PASSKEY_ID_MAX) {
		*why = "credential id too long";
		return CRED_MALFORMED;
	}
	if (find_credential(st, cred.id, cred.id_len, &old) != NULL) {
		*why = "credential already registered";
		return CRED_MALFORMED;
	}
	if (a->npasskeys >= ACCOUNT_PASSKEYS) {
		*why = "the account holds its most passkeys";
		return CRED_MALFORMED;
	}
	r = &a->passkeys[a->npasskeys++];
	memcpy(r->id, cred.id, cred.id_len);
	r->id_len = cred.id_len;
	r->key = cred.key;
	r->sign_count = cred.sign_count;
	return CRED_OK;
}

int
passkey_code_issue(struct passkey_state *ps, passkey_rng rng, void *ctx,
    const char *account, uint64_t now_ns, char out[PASSKEY_CODE_LEN + 1])
{
	struct passkey_code *slot = &ps->codes[0];
	uint8_t r[PASSKEY_CODE_BYTES];

	out[0] = '\0';
	if (strlen(account) > ACCOUNT_NAME_MAX)
		return -1;
	for (size_t i = 0; i < PASSKEY_CODES; i++) {
		struct passkey_code *c = &ps->codes[i];

		if (!c->live || now_ns - c->issued_ns >= PASSKEY_CODE_NS) {
			slot = c;
			break;
		}
		if (c->issued_ns < slot->issued_ns)
			slot = c;
	}
	if (rng(ctx, r, sizeof(r)) != 0) {
		memset(r, 0, sizeof(r));
		return -1;
	}
	b64url(r, sizeof(r), out);
	memset(r, 0, sizeof(r));
	slot->live = true;
	slot->serial = PASSKEY_CODE_SERIAL | ++ps->code_serials;
	slot->issued_ns = now_ns;
	memcpy(slot->code, out, PASSKEY_CODE_LEN + 1);
	memcpy(slot->account, account, strlen(account) + 1);
	return 0;
}

const struct passkey_code *
passkey_code_find(const struct passkey_state *ps, const char *code,
    size_t len, uint64_t now_ns)
{
	const struct passkey_code *found = NULL;

	if (len != PASSKEY_CODE_LEN)
		return NULL;
	for (size_t i = 0; i < PASSKEY_CODES; i++) {
		const struct passkey_code *c = &ps->codes[i];
		uint8_t d = 0;

		for (size_t k = 0; k < PASSKEY_CODE_LEN; k++)
			d |= (uint8_t)(c->code[k] ^ code[k]);
		if (c->live && d == 0 && now_ns - c->issued_ns < PASSKEY_CODE_NS)
			found = c;
	}
	return found;
}

int
passkey_enrol_code(struct passkey_state *ps, struct account_store *st,
    const char *code, size_t len, const uint8_t *cdj, size_t cdlen,
    const uint8_t *ao, size_t aolen, uint64_t now_ns, const char **account,
    const char **why)
{
	const struct passkey_code *pc = passkey_code_find(ps, code, len,
	    now_ns);
	struct passkey_code *c;
	struct account *a;

	*account = "";
	if (pc == NULL) {
		*why = "not an enrolment code issued, or used, or expired";
		return CRED_ENROL_CODE_UNKNOWN;
	}
	c = &ps->codes[pc - ps->codes];
	c->live = false;
	*account = c->account;
	a = account_find(st, c->account, strlen(c->account));
	if (a == NULL || a->status != ACCOUNT_ACTIVE) {
		*why = "the code's account is not active";
		return CRED_ACCOUNT_DISABLED;
	}
	return passkey_enrol(ps, st, a, c->serial, cdj, cdlen, ao, aolen,
	    now_ns, why);
}

void
passkey_attempt(struct passkey_state *ps, struct login_state *ls,
    const uint8_t *cred_id, size_t idlen, const uint8_t *cdj, size_t cdlen,
    const uint8_t *ad, size_t adlen, const uint8_t *sig, size_t siglen,
    const uint8_t *handle, size_t hlen, const char *source, size_t slen,
    uint64_t now_ns, struct login_outcome *out, const char **why)
{
	static struct webauthn_credential cred;
	struct webauthn_policy pol;
	struct passkey_record *rec = NULL;
	struct fail_state *src;
	struct account *a;
	uint8_t ch[PASSKEY_CHALLENGE_LEN];
	uint32_t count;
	bool spent;
	int rc;

	*why = "ok";
	a = find_credential(&ls->accounts, cred_id, idlen, &rec);
	/* The challenge is spent before any other check, so a refused
	 * answer cannot be tried again. */
	spent = ps->origin[0] != '\0' &&
	    spend(ps, PASSKEY_LOGIN, 0, cdj, cdlen, now_ns, ch);
	if (login_gate(ls, a != NULL ? a->name : "", a != NULL ?
	    strlen(a->name) : 0, source, slen, now_ns, &src, out)) {
		*why = "locked";
		return;
	}
	if (!spent) {
		*why = "not a challenge issued, or used, or expired";
		login_settle(src, now_ns, CRED_CHALLENGE_UNKNOWN, out);
		return;
	}
	if (a == NULL || (hlen != 0 && (hlen != sizeof(a->handle) ||
	    memcmp(handle, a->handle, hlen) != 0))) {
		*why = "no such credential";
		login_settle(src, now_ns, CRED_UNKNOWN_KEY, out);
		return;
	}
	memset(&cred, 0, sizeof(cred));
	memcpy(cred.id, rec->id, rec->id_len);
	cred.id_len = rec->id_len;
	cred.key = rec->key;
	cred.sign_count = rec->sign_count;
	policy(ps, &pol);
	rc = webauthn_authenticate(&pol, ch, sizeof(ch), &cred, cdj, cdlen,
	    ad, adlen, sig, siglen, &count);
	if (rc != WEBAUTHN_OK) {
		login_settle(src, now_ns, reason_of(rc, why), out);
		return;
	}
	rec->sign_count = count;
	login_settle(src, now_ns, a->status == ACCOUNT_ACTIVE ? CRED_OK :
	    CRED_ACCOUNT_DISABLED, out);
}
