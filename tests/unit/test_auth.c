/*
 * auth's pure logic (services/auth): password records, the failure
 * policy, the login decision, public-key logins, sessions, the broker's
 * profiles, the audit log and the queue of answers waiting out a
 * failure's delay.
 */
#include <stdlib.h>

#include "account.h"
#include "audit.h"
#include "broker.h"
#include "credential.h"
#include "crypto.h"
#include "login.h"
#include "pending.h"
#include "pubkey.h"
#include "session.h"
#include "test.h"

static const uint8_t salt[PW_SALT_LEN] = "0123456789abcdef";

/* A fast record (the floor's parameters) for "pw". */
static void
make_record(const char *pw, char *text, size_t room)
{
	struct pw_record rec;

	CHECK_EQ(pw_make(pw, strlen(pw), salt, PW_N_MIN, 1, 1, &rec), 0);
	CHECK_EQ(pw_format(&rec, text, room), 0);
}

TEST(auth_pw_record_round_trip_and_verify)
{
	char text[PW_RECORD_MAX + 1];
	struct pw_record rec;

	make_record("hunter2", text, sizeof(text));
	CHECK(strncmp(text, "scrypt$1024$1$1$", 16) == 0);
	CHECK_EQ(pw_parse(text, strlen(text), &rec), 0);
	CHECK_EQ(pw_verify(&rec, "hunter2", 7), 0);
	CHECK_EQ(pw_verify(&rec, "hunter3", 7), 1);
	CHECK_EQ(pw_verify(&rec, "hunter", 6), 1);
	CHECK_EQ(pw_verify(&rec, "", 0), 1);
}

TEST(auth_pw_parse_refuses_malformed_and_weak_records)
{
	char text[PW_RECORD_MAX + 1], bad[PW_RECORD_MAX + 8];
	struct pw_record rec;
	size_t n;

	make_record("x", text, sizeof(text));
	n = strlen(text);
	/* Truncated anywhere. */
	for (size_t k = 0; k < n; k++)
		CHECK_EQ(pw_parse(text, k, &rec), -1);
	/* A trailing byte, an upper-case hex digit, a wrong scheme. */
	memcpy(bad, text, n);
	bad[n] = '0';
	CHECK_EQ(pw_parse(bad, n + 1, &rec), -1);
	memcpy(bad, text, n);
	bad[n - 1] = 'A';
	CHECK_EQ(pw_parse(bad, n, &rec), -1);
	memcpy(bad, "bcrypt", 6);
	CHECK_EQ(pw_parse(bad, n, &rec), -1);
	/* Parameters: below the floor, not a power of two, r and p. */
	CHECK_EQ(pw_parse("scrypt$512$1$1$", 15, &rec), -1);
	snprintf(bad, sizeof(bad), "scrypt$1000%s", text + 11);
	CHECK_EQ(pw_parse(bad, strlen(bad), &rec), -1);
	snprintf(bad, sizeof(bad), "scrypt$1024$9%s", text + 13);
	CHECK_EQ(pw_parse(bad, strlen(bad), &rec), -1);
	snprintf(bad, sizeof(bad), "scrypt$1024$1$5%s", text + 15);
	CHECK_EQ(pw_parse(bad, strlen(bad), &rec), -1);
	snprintf(bad, sizeof(bad), "scrypt$99999999999%s", text + 11);
	CHECK_EQ(pw_parse(bad, strlen(bad), &rec), -1);
}

TEST(auth_failure_policy_slows_then_locks)
{
	struct fail_state st = { 0 };
	uint64_t t = 1000;

	CHECK_EQ_U64(fail_delay(&st), 0);
	fail_count(&st, t);
	CHECK_EQ_U64(fail_delay(&st), FAIL_DELAY_NS);
	fail_count(&st, t);
	CHECK_EQ_U64(fail_delay(&st), 2 * FAIL_DELAY_NS);
	for (int i = 2; i < FAIL_LOCK_AFTER - 1; i++)
		fail_count(&st, t);
	CHECK(!fail_locked(&st, t));
	fail_count(&st, t);
	CHECK(fail_locked(&st, t));
	CHECK(fail_locked(&st, t + FAIL_LOCK_NS - 1));
	CHECK(!fail_locked(&st, t + FAIL_LOCK_NS));
	for (int i = 0; i < 40; i++)
		fail_count(&st, t + FAIL_LOCK_NS);
	CHECK_EQ_U64(fail_delay(&st), FAIL_DELAY_MAX_NS);
}

TEST(auth_failure_sources_are_separate_and_bounded)
{
	struct fail_source tab[FAIL_SOURCES];
	struct fail_state *a, *b;
	char name[16];

	memset(tab, 0, sizeof(tab));
	a = fail_source(tab, "console", 7, 1);
	b = fail_source(tab, "telnet:1", 8, 1);
	CHECK(a != NULL && b != NULL && a != b);
	CHECK(fail_source(tab, "console", 7, 2) == a);
	CHECK(fail_source(tab, "", 0, 2) == fail_source(tab, "", 0, 3));
	/* Lock every entry: a new source then has no place, and a locked
	 * one is never forgotten to make room. */
	for (int i = 0; i < FAIL_SOURCES; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		struct fail_state *st = fail_source(tab, name, strlen(name),
		    10);

		CHECK(st != NULL);
		for (int k = 0; k < FAIL_LOCK_AFTER && st != NULL; k++)
			fail_count(st, 10);
	}
	CHECK(fail_source(tab, "another", 7, 11) == NULL);
	CHECK(fail_source(tab, "another", 7, 10 + FAIL_LOCK_NS) != NULL);
}

TEST(auth_accounts_parse_and_refuse_bad_entries)
{
	struct account_store st;
	char rec[PW_RECORD_MAX + 1], line[256];
	struct account *a;

	memset(&st, 0, sizeof(st));
	make_record("pw", rec, sizeof(rec));
	snprintf(line, sizeof(line), "admin:1000:active:operator+guest:%s",
	    rec);
	CHECK(account_add(&st, line, strlen(line)) == NULL);
	a = account_find(&st, "admin", 5);
	CHECK(a != NULL);
	if (a == NULL)
		return;
	CHECK_EQ_U64(a->principal, 1000);
	CHECK_EQ(a->status, ACCOUNT_ACTIVE);
	CHECK(account_may_use(a, "guest", 5));
	CHECK(!account_may_use(a, "gues", 4));
	CHECK(account_find(&st, "admi", 4) == NULL);
	CHECK_STR(account_add(&st, line, strlen(line)),
	    "duplicate account name");
	snprintf(line, sizeof(line), "b:1000:active:guest:%s", rec);
	CHECK_STR(account_add(&st, line, strlen(line)), "duplicate principal");
	snprintf(line, sizeof(line), "Bob:1:active:guest:%s", rec);
	CHECK_STR(account_add(&st, line, strlen(line)),
	    "malformed account name");
	snprintf(line, sizeof(line), "bob:0:active:guest:%s", rec);
	CHECK(account_add(&st, line, strlen(line)) != NULL);
	snprintf(line, sizeof(line), "bob:2:asleep:guest:%s", rec);
	CHECK_STR(account_add(&st, line, strlen(line)), "unknown status");
	snprintf(line, sizeof(line), "bob:2:active:a+b+c+d+e:%s", rec);
	CHECK_STR(account_add(&st, line, strlen(line)), "too many profiles");
	snprintf(line, sizeof(line), "bob:2:active:guest:plain");
	CHECK_STR(account_add(&st, line, strlen(line)),
	    "malformed password record");
	CHECK_STR(account_add(&st, "bob:2:active:", 13), "missing profiles");
	CHECK_STR(account_add(&st, "bob:2:active", 12), "unknown status");
	CHECK_EQ(st.n, 1);
}

static void
login_fixture(struct login_state *ls)
{
	char rec[PW_RECORD_MAX + 1], line[256];

	memset(ls, 0, sizeof(*ls));
	CHECK_EQ(login_init(ls), 0);
	make_record("right", rec, sizeof(rec));
	snprintf(line, sizeof(line), "admin:1000:active:operator:%s", rec);
	CHECK(account_add(&ls->accounts, line, strlen(line)) == NULL);
	snprintf(line, sizeof(line), "old:1001:disabled:guest:%s", rec);
	CHECK(account_add(&ls->accounts, line, strlen(line)) == NULL);
}

TEST(auth_login_decides_and_counts)
{
	struct login_state *ls = calloc(1, sizeof(*ls));
	struct login_outcome o;

	login_fixture(ls);
	login_attempt(ls, "admin", 5, "right", 5, "console", 7, 1, &o);
	CHECK_EQ(o.reason, CRED_OK);
	CHECK_EQ_U64(o.delay_ns, 0);
	login_attempt(ls, "admin", 5, "wrong", 5, "console", 7, 2, &o);
	CHECK_EQ(o.reason, CRED_BAD_PASSWORD);
	CHECK_EQ_U64(o.delay_ns, FAIL_DELAY_NS);
	login_attempt(ls, "nobody", 6, "right", 5, "other", 5, 3, &o);
	CHECK_EQ(o.reason, CRED_UNKNOWN_ACCOUNT);
	CHECK(o.account == NULL);
	CHECK_EQ_U64(o.delay_ns, FAIL_DELAY_NS);
	/* The right password of a disabled account still fails. */
	login_attempt(ls, "old", 3, "right", 5, "third", 5, 4, &o);
	CHECK_EQ(o.reason, CRED_ACCOUNT_DISABLED);
	/* A success clears the account's run of failures. */
	login_attempt(ls, "admin", 5, "right", 5, "console", 7, 5, &o);
	CHECK_EQ(o.reason, CRED_OK);
	CHECK_EQ(ls->accounts.a[0].fails.failures, 0);
	free(ls);
}

TEST(auth_login_locks_account_and_source)
{
	struct login_state *ls = calloc(1, sizeof(*ls));
	struct login_outcome o;
	char src[16];

	login_fixture(ls);
	/* Failures from five sources lock the account, not the sources. */
	for (int i = 0; i < FAIL_LOCK_AFTER; i++) {
		snprintf(src, sizeof(src), "src%d", i);
		login_attempt(ls, "admin", 5, "bad", 3, src, strlen(src), 10,
		    &o);
		CHECK_EQ(o.reason, CRED_BAD_PASSWORD);
	}
	login_attempt(ls, "admin", 5, "right", 5, "fresh", 5, 11, &o);
	CHECK_EQ(o.reason, CRED_ACCOUNT_LOCKED);
	login_attempt(ls, "admin", 5, "right", 5, "fresh", 5,
	    10 + FAIL_LOCK_NS, &o);
	CHECK_EQ(o.reason, CRED_OK);
	/* Five failures from one source over unknown names lock the
	 * source: even the right password from there is refused. */
	for (int i = 0; i < FAIL_LOCK_AFTER; i++)
		login_attempt(ls, "ghost", 5, "x", 1, "evil", 4, 20, &o);
	CHECK_EQ(o.reason, CRED_UNKNOWN_ACCOUNT);
	login_attempt(ls, "admin", 5, "right", 5, "evil", 4, 21, &o);
	CHECK_EQ(o.reason, CRED_THROTTLED);
	login_attempt(ls, "admin", 5, "right", 5, "console", 7, 22, &o);
	CHECK_EQ(o.reason, CRED_OK);
	free(ls);
}

static uint8_t rng_byte;
static int rng_refuse;

static int
test_rng(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	if (rng_refuse)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = rng_byte++;
	return 0;
}

TEST(auth_sessions_fail_closed)
{
	struct session_table t;
	struct session *s, *s2;
	const char *why;
	uint64_t b, ba;

	memset(&t, 0, sizeof(t));
	s = session_mint(&t, test_rng, NULL, 1000, "admin", "console", 7,
	    STRENGTH_PASSWORD, 100, 50, &why);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ_U64(s->expires_ns, 150);
	b = session_badge(&t, s, SESSION_KIND_SESSION);
	ba = session_badge(&t, s, SESSION_KIND_AUDIT);
	CHECK(b != 0 && b != ba);
	CHECK(session_lookup(&t, b, SESSION_KIND_SESSION, 120) == s);
	CHECK(session_lookup(&t, ba, SESSION_KIND_AUDIT, 120) == s);
	/* A badge of one kind does not open the other. */
	CHECK(session_lookup(&t, b, SESSION_KIND_AUDIT, 120) == NULL);
	CHECK(session_lookup(&t, 0, SESSION_KIND_SESSION, 120) == NULL);
	/* Expiry ends it for good. */
	CHECK(session_lookup(&t, b, SESSION_KIND_SESSION, 150) == NULL);
	CHECK(session_lookup(&t, b, SESSION_KIND_SESSION, 120) == NULL);
	/* The slot is reused under a new generation: old badges stay dead. */
	s2 = session_mint(&t, test_rng, NULL, 0, "", "console", 7,
	    STRENGTH_NONE, 200, 0, &why);
	CHECK(s2 == s);
	CHECK(session_lookup(&t, b, SESSION_KIND_SESSION, 200) == NULL);
	CHECK(session_lookup(&t, session_badge(&t, s2, SESSION_KIND_SESSION),
	    SESSION_KIND_SESSION, 1u << 30) == s2);
	session_end(s2);
	CHECK(session_lookup(&t, session_badge(&t, s2, SESSION_KIND_SESSION),
	    SESSION_KIND_SESSION, 201) == NULL);
}

TEST(auth_sessions_ids_random_table_bounded)
{
	struct session_table t;
	struct session *s[SESSION_MAX];
	const char *why;

	memset(&t, 0, sizeof(t));
	for (int i = 0; i < SESSION_MAX; i++) {
		s[i] = session_mint(&t, test_rng, NULL, 1, "a", "c", 1,
		    STRENGTH_PASSWORD, 1, 0, &why);
		CHECK(s[i] != NULL);
	}
	CHECK(memcmp(s[0]->id, s[1]->id, SESSION_ID_LEN) != 0);
	CHECK(s[0]->serial != s[1]->serial);
	CHECK(session_mint(&t, test_rng, NULL, 1, "a", "c", 1,
	    STRENGTH_PASSWORD, 1, 0, &why) == NULL);
	CHECK_STR(why, "table");
	session_end(s[3]);
	rng_refuse = 1;
	CHECK(session_mint(&t, test_rng, NULL, 1, "a", "c", 1,
	    STRENGTH_PASSWORD, 1, 0, &why) == NULL);
	CHECK_STR(why, "random");
	rng_refuse = 0;
	CHECK(session_mint(&t, test_rng, NULL, 1, "a", "c", 1,
	    STRENGTH_PASSWORD, 1, 0, &why) == s[3]);
}

TEST(auth_broker_grants_only_allowed_profiles)
{
	struct profile_set ps;
	struct account_store st;
	const struct profile *p;
	char rec[PW_RECORD_MAX + 1], line[256];

	memset(&ps, 0, sizeof(ps));
	memset(&st, 0, sizeof(st));
	CHECK(profile_add(&ps, "operator:session+audit+launcher", 31) == NULL);
	CHECK(profile_add(&ps, "guest:session", 13) == NULL);
	CHECK(profile_add(&ps, "anonymous:session", 17) == NULL);
	CHECK_STR(profile_add(&ps, "guest:x", 7), "duplicate profile");
	CHECK_STR(profile_add(&ps, "bad:a++b", 8), "malformed capability name");
	CHECK_STR(profile_add(&ps, "bad:a+a", 7), "duplicate capability name");
	CHECK_STR(profile_add(&ps, "nocolon", 7), "malformed profile name");
	make_record("pw", rec, sizeof(rec));
	snprintf(line, sizeof(line), "g:7:active:guest:%s", rec);
	CHECK(account_add(&st, line, strlen(line)) == NULL);
	CHECK_EQ(broker_decide(&ps, &st.a[0], "guest", 5, &p), BROKER_OK);
	CHECK(p != NULL && p->ncaps == 1);
	CHECK_EQ(broker_decide(&ps, &st.a[0], "operator", 8, &p),
	    BROKER_PROFILE_NOT_ALLOWED);
	CHECK(p == NULL);
	CHECK_EQ(broker_decide(&ps, &st.a[0], "root", 4, &p),
	    BROKER_UNKNOWN_PROFILE);
	CHECK_EQ(broker_decide(&ps, NULL, "anonymous", 9, &p), BROKER_OK);
	CHECK_EQ(broker_decide(&ps, NULL, "guest", 5, &p),
	    BROKER_PROFILE_NOT_ALLOWED);
}

TEST(auth_audit_is_bounded_and_counts_overwrites)
{
	static struct audit_log log;
	const struct audit_record *out[8];
	uint32_t n;

	memset(&log, 0, sizeof(log));
	audit_append(&log, 1, AUDIT_LOGIN_FAILED, 2, "admin", 5, "console", 7,
	    "", 0, 0);
	n = audit_read(&log, 0, 8, out);
	CHECK_EQ(n, 1);
	CHECK_EQ_U64(out[0]->seq, 1);
	CHECK_STR(out[0]->account, "admin");
	CHECK_EQ(out[0]->reason, 2);
	/* Long texts are cut to the field's width. */
	audit_append(&log, 2, AUDIT_LOGIN_OK, 0,
	    "a-name-far-longer-than-thirty-one-bytes", 39, "", 0, "", 0, 1);
	n = audit_read(&log, 1, 8, out);
	CHECK_EQ(n, 1);
	CHECK_EQ(strlen(out[0]->account), AUDIT_TEXT_MAX);
	/* Fill past the bound: the unread oldest are overwritten and
	 * counted; a read starts at the oldest kept. */
	for (int i = 0; i < AUDIT_MAX + 10; i++)
		audit_append(&log, 3, AUDIT_LOGIN_FAILED, 1, "", 0, "c", 1, "",
		    0, 0);
	CHECK_EQ_U64(log.dropped, 10);
	n = audit_read(&log, 0, 8, out);
	CHECK_EQ(n, 8);
	CHECK_EQ_U64(out[0]->seq, log.last - AUDIT_MAX + 1);
	for (uint32_t i = 1; i < n; i++)
		CHECK_EQ_U64(out[i]->seq, out[i - 1]->seq + 1);
}

/* ---- Public-key logins (pubkey.c) ---- */

struct keyfix {
	struct crypto_ed25519_key key;
	uint8_t blob[CRYPTO_SSH_ED25519_KEY_BLOB_LEN];
	char line[160];		/* "ssh-ed25519 BASE64 comment" */
};

static void
make_key(struct keyfix *k, uint8_t seed_byte)
{
	uint8_t seed[CRYPTO_ED25519_SEED_LEN];
	char b64[80];

	memset(seed, seed_byte, sizeof(seed));
	CHECK_EQ(crypto_ed25519_from_seed(&k->key, seed), 0);
	crypto_ssh_ed25519_key_blob(k->key.pub, k->blob);
	CHECK(crypto_base64(k->blob, sizeof(k->blob), true, b64,
	    sizeof(b64)) > 0);
	snprintf(k->line, sizeof(k->line), "ssh-ed25519 %s user@host", b64);
}

static void
put_str(uint8_t *out, size_t *n, const void *s, size_t len)
{
	out[(*n)++] = (uint8_t)(len >> 24);
	out[(*n)++] = (uint8_t)(len >> 16);
	out[(*n)++] = (uint8_t)(len >> 8);
	out[(*n)++] = (uint8_t)len;
	memcpy(out + *n, s, len);
	*n += len;
}

/* RFC 4252 7's signed data for user with k's key, and its signature
 * blob; the data's length. */
static size_t
sign_request(const struct keyfix *k, const char *sid, const char *user,
    uint8_t *sd, uint8_t sigblob[CRYPTO_SSH_ED25519_SIG_BLOB_LEN])
{
	uint8_t sig[CRYPTO_ED25519_SIG_LEN];
	size_t n = 0;

	put_str(sd, &n, sid, strlen(sid));
	sd[n++] = 50;
	put_str(sd, &n, user, strlen(user));
	put_str(sd, &n, "ssh-connection", 14);
	put_str(sd, &n, "publickey", 9);
	sd[n++] = 1;
	put_str(sd, &n, "ssh-ed25519", 11);
	put_str(sd, &n, k->blob, sizeof(k->blob));
	CHECK_EQ(crypto_ed25519_sign(&k->key, sd, n, sig), 0);
	crypto_ssh_ed25519_sig_blob(sig, sigblob);
	return n;
}

static void
key_fixture(struct login_state *ls, struct keyfix *mine,
    struct keyfix *other)
{
	char line[256];

	login_fixture(ls);
	make_key(mine, 7);
	make_key(other, 9);
	snprintf(line, sizeof(line), "admin:%s", mine->line);
	CHECK(pubkey_add(&ls->accounts, line, strlen(line)) == NULL);
	snprintf(line, sizeof(line), "old:%s", mine->line);
	CHECK(pubkey_add(&ls->accounts, line, strlen(line)) == NULL);
}

TEST(auth_pubkey_seed_lines_parse_and_refuse)
{
	struct login_state *ls = calloc(1, sizeof(*ls));
	struct keyfix k, o;
	char line[256];
	size_t n;

	key_fixture(ls, &k, &o);
	CHECK_EQ(ls->accounts.a[0].nkeys, 1);
	CHECK(memcmp(ls->accounts.a[0].keys[0], k.key.pub, 32) == 0);
	/* No comment is fine; the same key twice is not. */
	snprintf(line, sizeof(line), "admin:%s", o.line);
	n = strlen(line) - strlen(" user@host");
	CHECK(pubkey_add(&ls->accounts, line, n) == NULL);
	CHECK_STR(pubkey_add(&ls->accounts, line, n), "duplicate key");
	CHECK_STR(pubkey_add(&ls->accounts, "ghost:x", 7),
	    "key for an unknown account");
	CHECK_STR(pubkey_add(&ls->accounts, "admin:ssh-rsa AAAA", 18),
	    "not an ssh-ed25519 key");
	/* Every truncation of the base64, and a changed algorithm name
	 * inside the blob, are refused. */
	snprintf(line, sizeof(line), "admin:%s", o.line);
	for (size_t cut = 18; cut < 6 + 12 + 68; cut++)
		CHECK_STR(pubkey_add(&ls->accounts, line, cut),
		    "malformed ssh-ed25519 key");
	line[6 + 12 + 7] = 'A';		/* within "c3NoLWVkMjU1MTk" */
	CHECK_STR(pubkey_add(&ls->accounts, line, strlen(line)),
	    "malformed ssh-ed25519 key");
	free(ls);
}

TEST(auth_pubkey_login_verifies_in_auth)
{
	struct login_state *ls = calloc(1, sizeof(*ls));
	uint8_t sd[300], sig[CRYPTO_SSH_ED25519_SIG_BLOB_LEN];
	struct login_outcome o;
	struct keyfix k, other;
	size_t n;

	key_fixture(ls, &k, &other);
	n = sign_request(&k, "session-id-1", "admin", sd, sig);
	pubkey_attempt(ls, "admin", 5, k.blob, sizeof(k.blob), sd, n, sig,
	    sizeof(sig), "net:1", 5, 1, &o);
	CHECK_EQ(o.reason, CRED_OK);
	CHECK(o.account == &ls->accounts.a[0]);
	CHECK_EQ_U64(o.delay_ns, 0);

	/* The same signed data again is a replay. */
	pubkey_attempt(ls, "admin", 5, k.blob, sizeof(k.blob), sd, n, sig,
	    sizeof(sig), "net:1", 5, 2, &o);
	CHECK_EQ(o.reason, CRED_REPLAYED);
	CHECK_EQ_U64(o.delay_ns, FAIL_DELAY_NS);

	/* A tampered signature and tampered signed data. */
	n = sign_request(&k, "session-id-2", "admin", sd, sig);
	sig[CRYPTO_SSH_ED25519_SIG_BLOB_LEN - 1] ^= 1;
	pubkey_attempt(ls, "admin", 5, k.blob, sizeof(k.blob), sd, n, sig,
	    sizeof(sig), "net:2", 5, 3, &o);
	CHECK_EQ(o.reason, CRED_BAD_SIGNATURE);
	sig[CRYPTO_SSH_ED25519_SIG_BLOB_LEN - 1] ^= 1;
	sd[5] ^= 1;
	pubkey_attempt(ls, "admin", 5, k.blob, sizeof(k.blob), sd, n, sig,
	    sizeof(sig), "net:2", 5, 4, &o);
	CHECK_EQ(o.reason, CRED_BAD_SIGNATURE);

	/* A key the account does not hold, correctly signed. */
	n = sign_request(&other, "session-id-3", "admin", sd, sig);
	pubkey_attempt(ls, "admin", 5, other.blob, sizeof(other.blob), sd, n,
	    sig, sizeof(sig), "net:3", 5, 5, &o);
	CHECK_EQ(o.reason, CRED_UNKNOWN_KEY);
	/* An unknown account, and a disabled one that holds the key. */
	n = sign_request(&k, "session-id-4", "ghost", sd, sig);
	pubkey_attempt(ls, "ghost", 5, k.blob, sizeof(k.blob), sd, n, sig,
	    sizeof(sig), "net:4", 5, 6, &o);
	CHECK_EQ(o.reason, CRED_UNKNOWN_ACCOUNT);
	CHECK(o.account == NULL);
	n = sign_request(&k, "session-id-5", "old", sd, sig);
	pubkey_attempt(ls, "old", 3, k.blob, sizeof(k.blob), sd, n, sig,
	    sizeof(sig), "net:5", 5, 7, &o);
	CHECK_EQ(o.reason, CRED_ACCOUNT_DISABLED);

	/* Signed data that names another account than the request, or
	 * another key than the blob given, is not this login's. (admin's
	 * failures so far are cleared, so no lock answers first.) */
	memset(&ls->accounts.a[0].fails, 0, sizeof(struct fail_state));
	n = sign_request(&k, "session-id-6", "old", sd, sig);
	pubkey_attempt(ls, "admin", 5, k.blob, sizeof(k.blob), sd, n, sig,
	    sizeof(sig), "net:6", 5, 8, &o);
	CHECK_EQ(o.reason, CRED_MALFORMED);
	n = sign_request(&other, "session-id-7", "admin", sd, sig);
	pubkey_attempt(ls, "admin", 5, k.blob, sizeof(k.blob), sd, n, sig,
	    sizeof(sig), "net:6", 5, 9, &o);
	CHECK_EQ(o.reason, CRED_MALFORMED);
	/* Every truncation of the signed data and of the blobs (the
	 * failure counts cleared each time, so no lock answers first). */
	n = sign_request(&k, "session-id-8", "admin", sd, sig);
	for (size_t cut = 0; cut <= n; cut++) {
		memset(&ls->accounts.a[0].fails, 0, sizeof(struct fail_state));
		memset(ls->sources, 0, sizeof(ls->sources));
		pubkey_attempt(ls, "admin", 5, k.blob, sizeof(k.blob), sd, cut,
		    sig, sizeof(sig), "trunc", 5, 10, &o);
		CHECK_EQ(o.reason, cut == n ? CRED_OK : CRED_MALFORMED);
	}
	pubkey_attempt(ls, "admin", 5, k.blob, sizeof(k.blob) - 1, sd, n,
	    sig, sizeof(sig), "net:7", 5, 11, &o);
	CHECK_EQ(o.reason, CRED_MALFORMED);
	pubkey_attempt(ls, "admin", 5, k.blob, sizeof(k.blob), sd, n, sig,
	    sizeof(sig) - 1, "net:7", 5, 12, &o);
	CHECK_EQ(o.reason, CRED_MALFORMED);
	free(ls);
}

TEST(auth_pubkey_failures_count_and_lock)
{
	struct login_state *ls = calloc(1, sizeof(*ls));
	uint8_t sd[300], sig[CRYPTO_SSH_ED25519_SIG_BLOB_LEN];
	struct login_outcome o;
	struct keyfix k, other;
	char sid[32];
	size_t n;

	key_fixture(ls, &k, &other);
	/* Failures slow down as a wrong password's do, then lock. */
	for (int i = 0; i < FAIL_LOCK_AFTER; i++) {
		snprintf(sid, sizeof(sid), "sid-%d", i);
		n = sign_request(&other, sid, "admin", sd, sig);
		pubkey_attempt(ls, "admin", 5, other.blob, sizeof(other.blob),
		    sd, n, sig, sizeof(sig), "net:9", 5, 100, &o);
		CHECK_EQ(o.reason, CRED_UNKNOWN_KEY);
		CHECK_EQ_U64(o.delay_ns, i < 4 ? FAIL_DELAY_NS << i :
		    FAIL_DELAY_MAX_NS);
	}
	n = sign_request(&k, "sid-ok", "admin", sd, sig);
	pubkey_attempt(ls, "admin", 5, k.blob, sizeof(k.blob), sd, n, sig,
	    sizeof(sig), "net:10", 6, 101, &o);
	CHECK_EQ(o.reason, CRED_ACCOUNT_LOCKED);
	/* While locked, the query says no as well. */
	CHECK(!pubkey_acceptable(ls, "admin", 5, k.blob, sizeof(k.blob),
	    "net:10", 6, 101));
	pubkey_attempt(ls, "admin", 5, k.blob, sizeof(k.blob), sd, n, sig,
	    sizeof(sig), "net:10", 6, 100 + FAIL_LOCK_NS, &o);
	CHECK_EQ(o.reason, CRED_OK);
	free(ls);
}

TEST(auth_pubkey_query_answers_alike_for_unknown_accounts)
{
	struct login_state *ls = calloc(1, sizeof(*ls));
	struct login_outcome o;
	struct keyfix k, other;

	key_fixture(ls, &k, &other);
	CHECK(pubkey_acceptable(ls, "admin", 5, k.blob, sizeof(k.blob),
	    "net:1", 5, 1));
	/* A key not held, an unknown account, a disabled account: all the
	 * same false; a malformed blob too. */
	CHECK(!pubkey_acceptable(ls, "admin", 5, other.blob,
	    sizeof(other.blob), "net:1", 5, 1));
	CHECK(!pubkey_acceptable(ls, "ghost", 5, k.blob, sizeof(k.blob),
	    "net:1", 5, 1));
	CHECK(!pubkey_acceptable(ls, "old", 3, k.blob, sizeof(k.blob),
	    "net:1", 5, 1));
	CHECK(!pubkey_acceptable(ls, "admin", 5, k.blob, sizeof(k.blob) - 1,
	    "net:1", 5, 1));
	CHECK(!pubkey_acceptable(ls, "a-name-longer-than-any-account-can-be",
	    37, k.blob, sizeof(k.blob), "net:1", 5, 1));
	/* A query counts nothing and makes no source entry. */
	CHECK_EQ(ls->accounts.a[0].fails.failures, 0);
	CHECK_EQ(ls->sources[0].name[0], '\0');
	/* A locked source gets false even for a good key. */
	for (int i = 0; i < FAIL_LOCK_AFTER; i++)
		login_attempt(ls, "ghost", 5, "x", 1, "evil", 4, 5, &o);
	CHECK(!pubkey_acceptable(ls, "admin", 5, k.blob, sizeof(k.blob),
	    "evil", 4, 6));
	free(ls);
}

static int
add(struct pend_queue *q, uint64_t id, uint64_t now, uint64_t delay,
    const char *src, const char *acct)
{
	static const uint8_t msg[16] = "refusal message";

	return pend_add(q, id, pend_due(q, now, delay, src, strlen(src), acct,
	    strlen(acct)), src, strlen(src), acct, strlen(acct), msg,
	    sizeof(msg));
}

/* The ids pend_take gives at now, in order, ended by 0. */
static void
take_all(struct pend_queue *q, uint64_t now, uint64_t *ids, int room)
{
	struct pend_entry e;
	int n = 0;

	while (n < room - 1 && pend_take(q, now, &e))
		ids[n++] = e.call_id;
	ids[n] = 0;
}

TEST(auth_pending_answers_leave_by_due_time_not_arrival)
{
	static struct pend_queue q;
	uint64_t ids[8], due;

	memset(&q, 0, sizeof(q));
	CHECK(!pend_next(&q, &due));
	/* A long delay first, then a short one for someone else. */
	CHECK_EQ(add(&q, 1, 100, 4000, "net:1", "victim"), 0);
	CHECK_EQ(add(&q, 2, 110, 250, "console", "guest"), 0);
	CHECK(pend_next(&q, &due));
	CHECK_EQ_U64(due, 360);
	take_all(&q, 359, ids, 8);
	CHECK_EQ_U64(ids[0], 0);
	take_all(&q, 360, ids, 8);
	CHECK_EQ_U64(ids[0], 2);
	CHECK_EQ_U64(ids[1], 0);
	take_all(&q, 4100, ids, 8);
	CHECK_EQ_U64(ids[0], 1);
	CHECK_EQ(q.n, 0);
	/* Equal due times leave in the order they came. */
	CHECK_EQ(add(&q, 7, 0, 10, "a", "x"), 0);
	CHECK_EQ(add(&q, 5, 0, 10, "b", "y"), 0);
	take_all(&q, 10, ids, 8);
	CHECK_EQ_U64(ids[0], 7);
	CHECK_EQ_U64(ids[1], 5);
}

TEST(auth_pending_delay_chains_per_source_and_account)
{
	static struct pend_queue q;
	uint64_t ids[8];

	memset(&q, 0, sizeof(q));
	/* Side by side from one source: one delay apart, as if serial. */
	CHECK_EQ(add(&q, 1, 0, 1000, "net:1", "admin"), 0);
	CHECK_EQ_U64(pend_due(&q, 10, 1000, "net:1", 5, "other", 5), 2000);
	/* Another source on the same account waits behind it too. */
	CHECK_EQ_U64(pend_due(&q, 10, 1000, "net:2", 5, "admin", 5), 2000);
	/* A stranger does not. */
	CHECK_EQ_U64(pend_due(&q, 10, 1000, "net:2", 5, "guest", 5), 1010);
	/* No account named (unknown): only the source chains. */
	CHECK_EQ_U64(pend_due(&q, 10, 1000, "net:2", 5, "", 0), 1010);
	CHECK_EQ(add(&q, 2, 10, 1000, "net:1", "admin"), 0);
	take_all(&q, 1999, ids, 8);
	CHECK_EQ_U64(ids[0], 1);
	CHECK_EQ_U64(ids[1], 0);
	take_all(&q, 2000, ids, 8);
	CHECK_EQ_U64(ids[0], 2);
	/* Past entries do not push a new one later than now + delay. */
	CHECK_EQ_U64(pend_due(&q, 5000, 250, "net:1", 5, "admin", 5), 5250);
	CHECK_EQ_U64(pend_due(&q, 1, UINT64_MAX, "z", 1, "", 0), UINT64_MAX);
}

TEST(auth_pending_is_bounded_and_counts_per_source)
{
	static struct pend_queue q;
	uint8_t big[PEND_MSG_MAX + 1] = { 0 };
	char src[8] = "net:00";

	memset(&q, 0, sizeof(q));
	CHECK_EQ(pend_count(&q, "net:1", 5), 0);
	CHECK_EQ(add(&q, 1, 0, 10, "net:1", "a"), 0);
	CHECK_EQ(add(&q, 2, 0, 10, "net:1", "b"), 0);
	CHECK_EQ(pend_count(&q, "net:1", 5), 2);
	CHECK_EQ(pend_count(&q, "net:10", 6), 0);
	CHECK_EQ(pend_add(&q, 3, 0, "s", 1, "", 0, big, sizeof(big)),
	    PEND_TOO_BIG);
	CHECK_EQ(pend_add(&q, 3, 0, "0123456789012345678901234567890123",
	    34, "", 0, big, 8), PEND_TOO_BIG);
	for (int i = 2; i < PEND_MAX; i++) {
		src[4] = (char)('a' + i / 10);
		src[5] = (char)('0' + i % 10);
		CHECK_EQ(add(&q, 10 + (uint64_t)i, 0, 10, src, ""), 0);
	}
	CHECK_EQ(q.n, PEND_MAX);
	CHECK_EQ(add(&q, 99, 0, 10, "console", ""), PEND_FULL);
}
