/*
 * services/auth/passkey.c: auth's passkeys with the vectors of
 * tests/webauthn/gen.js (ES256 and EdDSA, RP ID localhost, origin
 * https://localhost:8443): the origin argument; challenges refused when
 * the generator refuses, spent once, expired, bound to their session
 * and kind; enrolment recorded, and refused when repeated or full; login
 * by the credential with its account's user handle, and each refusal
 * with its reason: a spent or unknown challenge, a wrong origin, a wrong
 * RP ID, a tampered signature, a counter that did not increase, an
 * unknown credential or handle; refusals counted as a wrong password's,
 * up to the lock.
 */
#include <stdlib.h>

#include "passkey.h"
#include "test.h"
#include "vectors.h"

static const uint8_t salt[PW_SALT_LEN] = { 1, 2, 3 };

/* Gives the bytes it is pointed at (a vector's challenge), or refuses
 * when pointed at nothing. */
static int
fixed_rng(void *ctx, uint8_t *out, size_t n)
{
	const uint8_t *src = ctx;

	if (src == NULL)
		return -1;
	memcpy(out, src, n);
	return 0;
}

static const uint8_t handle[PASSKEY_HANDLE_LEN] = {
	0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48,
	0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48,
};

/* admin (1000) with ES256's passkey enrolled under session serial 5. */
static struct account *
fixture(struct login_state *ls, struct passkey_state *ps)
{
	char text[PW_RECORD_MAX + 1], line[256];
	struct pw_record rec;
	struct account *a;
	uint8_t ch[PASSKEY_CHALLENGE_LEN];
	const char *why;

	memset(ls, 0, sizeof(*ls));
	memset(ps, 0, sizeof(*ps));
	CHECK_EQ(login_init(ls), 0);
	CHECK_EQ(pw_make("right", 5, salt, PW_N_MIN, 1, 1, &rec), 0);
	CHECK_EQ(pw_format(&rec, text, sizeof(text)), 0);
	snprintf(line, sizeof(line), "admin:1000:active:operator:%s", text);
	CHECK(account_add(&ls->accounts, line, strlen(line)) == NULL);
	CHECK(passkey_configure(ps, WA_ORIGIN, strlen(WA_ORIGIN)) == NULL);
	a = account_find(&ls->accounts, "admin", 5);
	CHECK_EQ(passkey_handle(a, fixed_rng, (void *)handle), 0);
	CHECK_EQ(passkey_challenge(ps, fixed_rng, (void *)wa_reg_challenge,
	    PASSKEY_ENROL, 5, 0, ch), 0);
	CHECK_EQ(passkey_enrol(ps, &ls->accounts, a, 5,
	    wa_es256_reg_client_data, sizeof(wa_es256_reg_client_data),
	    wa_es256_att_obj, sizeof(wa_es256_att_obj), 1, &why), CRED_OK);
	return a;
}

/* A login at now_ns with a fresh login challenge issued just before;
 * the outcome's reason. */
static int
login(struct login_state *ls, struct passkey_state *ps, const uint8_t *cd,
    size_t cdlen, const uint8_t *ad, size_t adlen, const uint8_t *sig,
    size_t siglen, const uint8_t *h, uint64_t now_ns, bool issue)
{
	uint8_t ch[PASSKEY_CHALLENGE_LEN];
	struct login_outcome out;
	const char *why;

	if (issue)
		CHECK_EQ(passkey_challenge(ps, fixed_rng,
		    (void *)wa_auth_challenge, PASSKEY_LOGIN, 0, now_ns, ch), 0);
	passkey_attempt(ps, ls, wa_es256_cred_id, sizeof(wa_es256_cred_id),
	    cd, cdlen, ad, adlen, sig, siglen, h, h != NULL ?
	    PASSKEY_HANDLE_LEN : 0, "web", 3, now_ns, &out, &why);
	return out.reason;
}

#define GOOD	wa_es256_auth_client_data, sizeof(wa_es256_auth_client_data), \
	wa_es256_auth_auth_data, sizeof(wa_es256_auth_auth_data), \
	wa_es256_auth_sig, sizeof(wa_es256_auth_sig)

TEST(passkey_origin_argument)
{
	struct passkey_state *ps = calloc(1, sizeof(*ps));

	CHECK(passkey_configure(ps, "https://localhost:8443", 22) == NULL);
	CHECK_STR(ps->rp_id, "localhost");
	CHECK_STR(ps->origin, "https://localhost:8443");
	CHECK(passkey_configure(ps, "https://capos.example", 21) == NULL);
	CHECK_STR(ps->rp_id, "capos.example");
	CHECK(passkey_configure(ps, "http://localhost", 16) != NULL);
	CHECK(passkey_configure(ps, "https://", 8) != NULL);
	CHECK(passkey_configure(ps, "https://:443", 12) != NULL);
	CHECK(passkey_configure(ps, "https://Local", 13) != NULL);
	CHECK(passkey_configure(ps, "https://a/b", 11) != NULL);
	free(ps);
}

TEST(passkey_challenges_fail_closed_and_are_spent_once)
{
	struct passkey_state *ps = calloc(1, sizeof(*ps));
	uint8_t ch[PASSKEY_CHALLENGE_LEN];

	CHECK(passkey_configure(ps, WA_ORIGIN, strlen(WA_ORIGIN)) == NULL);
	memset(ch, 0xee, sizeof(ch));
	CHECK_EQ(passkey_challenge(ps, fixed_rng, NULL, PASSKEY_LOGIN, 0, 0,
	    ch), -1);
	for (size_t i = 0; i < PASSKEY_CHALLENGES; i++)
		CHECK(!ps->ch[i].live);
	for (size_t i = 0; i < sizeof(ch); i++)
		CHECK_EQ(ch[i], 0);
	/* A full table: the oldest slot goes, never one still younger. */
	for (uint64_t t = 0; t < PASSKEY_CHALLENGES + 1; t++)
		CHECK_EQ(passkey_challenge(ps, fixed_rng,
		    (void *)wa_auth_challenge, PASSKEY_LOGIN, 0, 100 + t, ch), 0);
	for (size_t i = 0; i < PASSKEY_CHALLENGES; i++)
		CHECK(ps->ch[i].live && ps->ch[i].issued_ns != 100);
	free(ps);
}

TEST(passkey_enrolment_is_recorded_once)
{
	struct login_state *ls = calloc(1, sizeof(*ls));
	struct passkey_state *ps = calloc(1, sizeof(*ps));
	uint8_t ch[PASSKEY_CHALLENGE_LEN];
	struct account *a = fixture(ls, ps);
	const char *why;

	CHECK_EQ(a->npasskeys, 1);
	CHECK(a->passkeys[0].id_len == sizeof(wa_es256_cred_id) &&
	    memcmp(a->passkeys[0].id, wa_es256_cred_id,
	    sizeof(wa_es256_cred_id)) == 0);
	CHECK_EQ(a->passkeys[0].key.alg, COSE_ALG_ES256);
	/* The same answer again: its challenge is spent. */
	CHECK_EQ(passkey_enrol(ps, &ls->accounts, a, 5,
	    wa_es256_reg_client_data, sizeof(wa_es256_reg_client_data),
	    wa_es256_att_obj, sizeof(wa_es256_att_obj), 2, &why),
	    CRED_CHALLENGE_UNKNOWN);
	/* Another session's challenge does not serve, nor a login's. */
	CHECK_EQ(passkey_challenge(ps, fixed_rng, (void *)wa_reg_challenge,
	    PASSKEY_ENROL, 6, 3, ch), 0);
	CHECK_EQ(passkey_enrol(ps, &ls->accounts, a, 5,
	    wa_es256_reg_client_data, sizeof(wa_es256_reg_client_data),
	    wa_es256_att_obj, sizeof(wa_es256_att_obj), 4, &why),
	    CRED_CHALLENGE_UNKNOWN);
	CHECK_EQ(passkey_challenge(ps, fixed_rng, (void *)wa_reg_challenge,
	    PASSKEY_LOGIN, 0, 5, ch), 0);
	CHECK_EQ(passkey_enrol(ps, &ls->accounts, a, 5,
	    wa_es256_reg_client_data, sizeof(wa_es256_reg_client_data),
	    wa_es256_att_obj, sizeof(wa_es256_att_obj), 6, &why),
	    CRED_CHALLENGE_UNKNOWN);
	/* A fresh challenge for the same credential: already registered. */
	CHECK_EQ(passkey_challenge(ps, fixed_rng, (void *)wa_reg_challenge,
	    PASSKEY_ENROL, 5, 7, ch), 0);
	CHECK_EQ(passkey_enrol(ps, &ls->accounts, a, 5,
	    wa_es256_reg_client_data, sizeof(wa_es256_reg_client_data),
	    wa_es256_att_obj, sizeof(wa_es256_att_obj), 8, &why),
	    CRED_MALFORMED);
	CHECK_STR(why, "credential already registered");
	/* EdDSA's is a second one; past ACCOUNT_PASSKEYS the account is
	 * full. */
	CHECK_EQ(passkey_challenge(ps, fixed_rng, (void *)wa_reg_challenge,
	    PASSKEY_ENROL, 5, 9, ch), 0);
	CHECK_EQ(passkey_enrol(ps, &ls->accounts, a, 5,
	    wa_eddsa_reg_client_data, sizeof(wa_eddsa_reg_client_data),
	    wa_eddsa_att_obj, sizeof(wa_eddsa_att_obj), 10, &why), CRED_OK);
	CHECK_EQ(a->npasskeys, 2);
	a->npasskeys = ACCOUNT_PASSKEYS;
	a->passkeys[1].id[0] ^= 1;
	CHECK_EQ(passkey_challenge(ps, fixed_rng, (void *)wa_reg_challenge,
	    PASSKEY_ENROL, 5, 11, ch), 0);
	CHECK_EQ(passkey_enrol(ps, &ls->accounts, a, 5,
	    wa_eddsa_reg_client_data, sizeof(wa_eddsa_reg_client_data),
	    wa_eddsa_att_obj, sizeof(wa_eddsa_att_obj), 12, &why),
	    CRED_MALFORMED);
	CHECK_STR(why, "the account holds its most passkeys");
	/* An expired challenge. */
	a->npasskeys = 1;
	CHECK_EQ(passkey_challenge(ps, fixed_rng, (void *)wa_reg_challenge,
	    PASSKEY_ENROL, 5, 100, ch), 0);
	CHECK_EQ(passkey_enrol(ps, &ls->accounts, a, 5,
	    wa_eddsa_reg_client_data, sizeof(wa_eddsa_reg_client_data),
	    wa_eddsa_att_obj, sizeof(wa_eddsa_att_obj),
	    100 + PASSKEY_CHALLENGE_NS, &why), CRED_CHALLENGE_UNKNOWN);
	free(ls);
	free(ps);
}

/* Enrolment codes: refused without random bytes, found only whole and
 * live, expired at PASSKEY_CODE_NS, spent by the first enrolment that
 * names them, and served only by a challenge issued for the code. */
TEST(passkey_enrolment_codes)
{
	static const uint8_t r1[PASSKEY_CODE_BYTES] = { 1, 2, 3, 4 };
	static const uint8_t r2[PASSKEY_CODE_BYTES] = { 5, 6, 7, 8 };
	struct login_state *ls = calloc(1, sizeof(*ls));
	struct passkey_state *ps = calloc(1, sizeof(*ps));
	uint8_t ch[PASSKEY_CHALLENGE_LEN];
	struct account *a = fixture(ls, ps);
	char code[PASSKEY_CODE_LEN + 1], other[PASSKEY_CODE_LEN + 1];
	const struct passkey_code *pc;
	const char *who, *why;

	CHECK_EQ(passkey_code_issue(ps, fixed_rng, NULL, "admin", 10, code),
	    -1);
	CHECK_EQ(code[0], '\0');
	for (size_t i = 0; i < PASSKEY_CODES; i++)
		CHECK(!ps->codes[i].live);
	CHECK_EQ(passkey_code_issue(ps, fixed_rng, (void *)r1, "admin", 10,
	    code), 0);
	CHECK_EQ(strlen(code), PASSKEY_CODE_LEN);
	pc = passkey_code_find(ps, code, PASSKEY_CODE_LEN, 11);
	CHECK(pc != NULL && strcmp(pc->account, "admin") == 0 &&
	    pc->serial > PASSKEY_CODE_SERIAL);
	/* Cut, wrong in one character, or expired: no code. */
	CHECK(passkey_code_find(ps, code, PASSKEY_CODE_LEN - 1, 11) == NULL);
	memcpy(other, code, sizeof(other));
	other[PASSKEY_CODE_LEN - 1] ^= 1;
	CHECK(passkey_code_find(ps, other, PASSKEY_CODE_LEN, 11) == NULL);
	CHECK(passkey_code_find(ps, code, PASSKEY_CODE_LEN,
	    10 + PASSKEY_CODE_NS) == NULL);
	CHECK(passkey_code_find(ps, code, PASSKEY_CODE_LEN,
	    9 + PASSKEY_CODE_NS) != NULL);
	/* A challenge for the code; a wrong or an expired code enrols
	 * nothing and spends nothing. */
	CHECK_EQ(passkey_challenge(ps, fixed_rng, (void *)wa_reg_challenge,
	    PASSKEY_ENROL, pc->serial, 12, ch), 0);
	CHECK_EQ(passkey_enrol_code(ps, &ls->accounts, other,
	    PASSKEY_CODE_LEN, wa_eddsa_reg_client_data,
	    sizeof(wa_eddsa_reg_client_data), wa_eddsa_att_obj,
	    sizeof(wa_eddsa_att_obj), 13, &who, &why),
	    CRED_ENROL_CODE_UNKNOWN);
	CHECK_EQ(who[0], '\0');
	CHECK_EQ(passkey_enrol_code(ps, &ls->accounts, code, PASSKEY_CODE_LEN,
	    wa_eddsa_reg_client_data, sizeof(wa_eddsa_reg_client_data),
	    wa_eddsa_att_obj, sizeof(wa_eddsa_att_obj), 10 + PASSKEY_CODE_NS,
	    &who, &why), CRED_ENROL_CODE_UNKNOWN);
	CHECK_EQ(a->npasskeys, 1);
	/* The code enrols the passkey for its account, once. */
	CHECK_EQ(passkey_enrol_code(ps, &ls->accounts, code, PASSKEY_CODE_LEN,
	    wa_eddsa_reg_client_data, sizeof(wa_eddsa_reg_client_data),
	    wa_eddsa_att_obj, sizeof(wa_eddsa_att_obj), 13, &who, &why),
	    CRED_OK);
	CHECK(strcmp(who, "admin") == 0);
	CHECK_EQ(a->npasskeys, 2);
	CHECK_EQ(a->passkeys[1].key.alg, COSE_ALG_EDDSA);
	CHECK_EQ(passkey_enrol_code(ps, &ls->accounts, code, PASSKEY_CODE_LEN,
	    wa_eddsa_reg_client_data, sizeof(wa_eddsa_reg_client_data),
	    wa_eddsa_att_obj, sizeof(wa_eddsa_att_obj), 14, &who, &why),
	    CRED_ENROL_CODE_UNKNOWN);
	/* A session's challenge does not serve a code, and the code is
	 * spent by the refused answer all the same. */
	a->npasskeys = 1;
	CHECK_EQ(passkey_code_issue(ps, fixed_rng, (void *)r2, "admin", 20,
	    code), 0);
	CHECK_EQ(passkey_challenge(ps, fixed_rng, (void *)wa_reg_challenge,
	    PASSKEY_ENROL, 5, 20, ch), 0);
	CHECK_EQ(passkey_enrol_code(ps, &ls->accounts, code, PASSKEY_CODE_LEN,
	    wa_eddsa_reg_client_data, sizeof(wa_eddsa_reg_client_data),
	    wa_eddsa_att_obj, sizeof(wa_eddsa_att_obj), 21, &who, &why),
	    CRED_CHALLENGE_UNKNOWN);
	CHECK(passkey_code_find(ps, code, PASSKEY_CODE_LEN, 22) == NULL);
	CHECK_EQ(a->npasskeys, 1);
	free(ls);
	free(ps);
}

TEST(passkey_login_and_each_refusal)
{
	struct login_state *ls = calloc(1, sizeof(*ls));
	struct passkey_state *ps = calloc(1, sizeof(*ps));
	struct account *a = fixture(ls, ps);
	uint8_t sig[sizeof(wa_es256_auth_sig)], other[PASSKEY_HANDLE_LEN];
	uint64_t t = 1000;

	CHECK_EQ(login(ls, ps, GOOD, handle, t++, true), CRED_OK);
	CHECK_EQ(a->passkeys[0].sign_count, 7);
	/* The same assertion: its challenge is spent. */
	CHECK_EQ(login(ls, ps, GOOD, handle, t++, false),
	    CRED_CHALLENGE_UNKNOWN);
	/* With a fresh challenge, the counter did not increase. */
	CHECK_EQ(login(ls, ps, GOOD, handle, t++, true), CRED_REPLAYED);
	a->passkeys[0].sign_count = 0;
	memset(&a->fails, 0, sizeof(a->fails));
	memset(ls->sources, 0, sizeof(ls->sources));
	CHECK_EQ(login(ls, ps, wa_es256_evil_origin_client_data,
	    sizeof(wa_es256_evil_origin_client_data),
	    wa_es256_evil_origin_auth_data,
	    sizeof(wa_es256_evil_origin_auth_data), wa_es256_evil_origin_sig,
	    sizeof(wa_es256_evil_origin_sig), handle, t++, true),
	    CRED_PASSKEY_REFUSED);
	CHECK_EQ(login(ls, ps, wa_es256_evil_rpid_client_data,
	    sizeof(wa_es256_evil_rpid_client_data),
	    wa_es256_evil_rpid_auth_data, sizeof(wa_es256_evil_rpid_auth_data),
	    wa_es256_evil_rpid_sig, sizeof(wa_es256_evil_rpid_sig), handle,
	    t++, true), CRED_PASSKEY_REFUSED);
	memcpy(sig, wa_es256_auth_sig, sizeof(sig));
	sig[sizeof(sig) - 1] ^= 1;
	CHECK_EQ(login(ls, ps, wa_es256_auth_client_data,
	    sizeof(wa_es256_auth_client_data), wa_es256_auth_auth_data,
	    sizeof(wa_es256_auth_auth_data), sig, sizeof(sig), handle, t++,
	    true), CRED_BAD_SIGNATURE);
	memset(other, 0x11, sizeof(other));
	CHECK_EQ(login(ls, ps, GOOD, other, t++, true), CRED_UNKNOWN_KEY);
	/* Five refusals in a row lock the account and the source: even a
	 * right answer is refused now, unchecked. */
	CHECK_EQ(a->fails.failures, 4);
	CHECK_EQ(login(ls, ps, GOOD, NULL, t + PASSKEY_CHALLENGE_NS, false),
	    CRED_CHALLENGE_UNKNOWN);
	CHECK(fail_locked(&a->fails, t + PASSKEY_CHALLENGE_NS + 1));
	CHECK_EQ(login(ls, ps, GOOD, handle, t + PASSKEY_CHALLENGE_NS + 1,
	    true), CRED_THROTTLED);
	CHECK_EQ(a->passkeys[0].sign_count, 0);
	/* Past the lock, without the user handle (it is optional). */
	t += PASSKEY_CHALLENGE_NS + FAIL_LOCK_NS + 2;
	memset(ls->sources, 0, sizeof(ls->sources));
	CHECK_EQ(login(ls, ps, GOOD, NULL, t, true), CRED_OK);
	CHECK_EQ(a->fails.failures, 0);
	/* An account disabled since enrolment. */
	a->passkeys[0].sign_count = 0;
	a->status = ACCOUNT_DISABLED;
	CHECK_EQ(login(ls, ps, GOOD, handle, t + 1, true),
	    CRED_ACCOUNT_DISABLED);
	free(ls);
	free(ps);
}

TEST(passkey_unknown_credential_and_no_policy)
{
	struct login_state *ls = calloc(1, sizeof(*ls));
	struct passkey_state *ps = calloc(1, sizeof(*ps));
	uint8_t ch[PASSKEY_CHALLENGE_LEN];
	struct login_outcome out;
	const char *why;

	fixture(ls, ps);
	CHECK_EQ(passkey_challenge(ps, fixed_rng, (void *)wa_auth_challenge,
	    PASSKEY_LOGIN, 0, 10, ch), 0);
	passkey_attempt(ps, ls, wa_eddsa_cred_id, sizeof(wa_eddsa_cred_id),
	    wa_es256_auth_client_data, sizeof(wa_es256_auth_client_data),
	    wa_es256_auth_auth_data, sizeof(wa_es256_auth_auth_data),
	    wa_es256_auth_sig, sizeof(wa_es256_auth_sig), NULL, 0, "web", 3,
	    11, &out, &why);
	CHECK_EQ(out.reason, CRED_UNKNOWN_KEY);
	CHECK(out.account == NULL);
	/* Without passkeys=, nothing passes. */
	ps->origin[0] = '\0';
	CHECK_EQ(login(ls, ps, GOOD, handle, 20, true),
	    CRED_CHALLENGE_UNKNOWN);
	free(ls);
	free(ps);
}
