/*
 * authtest: drives auth (services/auth) through its interfaces as a shell,
 * an SSH gateway and a guessing caller would, for tests/qemu/test_auth.py.
 * It holds "console" and "sessionManager" (a client of auth's export) and
 * nothing else; everything further it gets from auth's answers.
 *
 * Argument: "userKey=HEX", the 32-byte seed of admin's SSH key, made at
 * build time (tests/programs/authtest/mkuserkey.sh); auth's seed lists the
 * public half. authtest signs with it as an SSH client would, and plays
 * the gateway that hands the request on to SessionManager.loginKey.
 *
 *   1. the anonymous session: no principal, the "anonymous" profile only
 *   2. a wrong password and an unknown name get the same refusal
 *   3. the right password: a session whose operator bundle holds exactly
 *      the profile's capabilities; a guest may not have that profile
 *   4. (after 5) the audit reader: the failures with their reason codes, the login,
 *      and none of the passwords typed, searched for in every byte
 *   5. five failures lock the account: even the right password is
 *      refused (read back from the audit log as accountLocked)
 *   6. logout: the session and its audit reader fail from then on
 *   7. (before 4) public keys: the query (PK_OK) for admin's key, another
 *      key, and an unknown account; a key login that gives a publicKey
 *      session; refusals of another key, another account, a tampered
 *      signature and a replay, each with its reason in the audit log
 *   8. (after 4) a wrong password that owes a 2 s delay and a right one
 *      from another source in flight together: the right one is
 *      answered first, the wrong one later and denied; three wrong
 *      ones side by side from one source: the third, past the bound of
 *      two waiting, is answered first
 */
#include <string.h>

#include "auth.capnp.h"
#include "check.h"
#include "crypto.h"
#include "rt.h"

#define ADMIN_PW	"capos-dev"
#define GUEST_PW	"guest-dev"
#define VICTIM_PW	"victim-dev"
#define WRONG_PW	"Wr0ng-Guess"

static capos_cap_t manager;
static uint8_t pbuf[1024] __attribute__((aligned(8)));
static uint8_t rbuf[65536] __attribute__((aligned(8)));

/* Builds login's params in buf; 0 or -1. */
static int
login_params(struct capnp_builder *b, uint8_t *buf, size_t room,
    const char *name, const char *pw, const char *src)
{
	struct capos_SessionManager_login_Params_b p;

	if (capnp_builder_init(b, buf, room) != 0 ||
	    capos_SessionManager_login_Params_init_root(b, &p) != 0 ||
	    capos_SessionManager_login_Params_set_account(&p, name,
	    strlen(name)) != 0 ||
	    capos_SessionManager_login_Params_set_password(&p, pw,
	    strlen(pw)) != 0 ||
	    capos_SessionManager_login_Params_set_source(&p, src,
	    strlen(src)) != 0)
		return -1;
	return 0;
}

/* Reads a LoginResult: the session, or CAPOS_CAP_NULL with *status 0
 * for denied and -1 for anything else. */
static capos_cap_t
login_result(struct rt_result *res, int *status)
{
	struct capos_SessionManager_LoginResult_r r = { res->root };
	uint32_t idx;

	*status = -1;
	if (capos_SessionManager_LoginResult_which(&r) ==
	    capos_SessionManager_LoginResult_which_denied) {
		*status = 0;
		return CAPOS_CAP_NULL;
	}
	if (capos_SessionManager_LoginResult_get_session(&r, &idx) != 0 ||
	    idx >= res->cqe.ncaps)
		return CAPOS_CAP_NULL;
	*status = 1;
	return res->caps[idx].cap;
}

/* Logs in; returns the session, or CAPOS_CAP_NULL when denied. *status
 * is 1 for a session, 0 for denied, -1 for a failed call. */
static capos_cap_t
login(const char *name, const char *pw, const char *src, int *status)
{
	struct capnp_builder b;
	struct rt_result res;

	*status = -1;
	if (login_params(&b, pbuf, sizeof(pbuf), name, pw, src) != 0 ||
	    rt_call(manager, capos_SessionManager_INTERFACE_ID,
	    capos_SessionManager_login_ORDINAL, &b, NULL, 0, rbuf, sizeof(rbuf),
	    &res) != 0)
		return CAPOS_CAP_NULL;
	return login_result(&res, status);
}

/* Two logins in flight at once, for the order of their answers. */
struct async_login {
	uint8_t params[512] __attribute__((aligned(8)));
	uint8_t result[1024] __attribute__((aligned(8)));
	struct capos_capdesc caps[CAPOS_MAX_XCAPS];
	uint64_t tag;
};

static int
post_login(struct async_login *a, const char *name, const char *pw,
    const char *src)
{
	struct capnp_builder b;
	struct capos_sqe e;

	if (login_params(&b, a->params, sizeof(a->params), name, pw,
	    src) != 0)
		return -1;
	rt_prep_call(&e, manager, capos_SessionManager_INTERFACE_ID,
	    capos_SessionManager_login_ORDINAL, &b, a->result,
	    sizeof(a->result), a->caps, 0, CAPOS_MAX_XCAPS);
	if (rt_submit(&e) != 0)
		return -1;
	a->tag = e.user_data;
	return 0;
}

/*
 * A refusal waits out its delay without holding anyone else back: after
 * three failures from one source its fourth wrong password owes 2 s,
 * and a right password from another source, called after it, is
 * answered before it. (auth used to sleep the delay out, answering in
 * call order.)
 */
/* The answer of a login posted with post_login: 1 session (released
 * here), 0 denied, -1 anything else. */
static int
async_status(struct async_login *a, const struct capos_cqe *c)
{
	struct rt_result res;
	capos_cap_t s;
	int st;

	if (rt_result_read(c, a->result, &res) != 0)
		return -1;
	memcpy(res.caps, a->caps, sizeof(res.caps));
	if ((s = login_result(&res, &st)) != CAPOS_CAP_NULL)
		(void)rt_release(s);
	return st;
}

static void
check_deferred(void)
{
	static struct async_login slow, fast;
	struct async_login *both[2] = { &slow, &fast };
	struct capos_cqe c;
	uint64_t tags[2];
	int st, first;

	for (int i = 0; i < 3; i++)
		(void)login("mallory", WRONG_PW, "slow:1", &st);
	if (post_login(&slow, "mallory", WRONG_PW, "slow:1") != 0 ||
	    post_login(&fast, "admin", ADMIN_PW, "fast:1") != 0) {
		expect("two logins in flight", 0, 1);
		return;
	}
	tags[0] = slow.tag;
	tags[1] = fast.tag;
	first = rt_wait_any(tags, 2, &c);
	expect("the right password is answered first", first, 1);
	if (first < 0)
		return;
	st = async_status(both[first], &c);
	expect("the first answer", st, first == 1 ? 1 : 0);
	if (rt_wait(tags[1 - first], &c) != 0) {
		expect("the second answer comes", 0, 1);
		return;
	}
	expect("the second answer", async_status(both[1 - first], &c),
	    first == 1 ? 0 : 1);
	if (test_failed == 0)
		rt_debug("[proof] deferred-refusal ok: a right password from "
		    "another source was answered while a wrong one waited out "
		    "its delay, which then came back denied\n");
}

/*
 * At most two refusals wait per source (pending.h): three wrong
 * passwords side by side from one source, and the third, refused
 * unchecked as throttled, comes back first, denied; the first two after
 * it, in the order they were made. The source has failed three times
 * before, so the first falls due 2 s after its check: the third is
 * answered when auth reads it, one password check later, and a check
 * taking 2 s even on a loaded host is out of reach. (From a fresh
 * source the first fell due after 0.25 s, less than a loaded TCG host
 * can take for the second's check, and was answered before the third.)
 */
static void
check_source_bound(void)
{
	static struct async_login a[3];
	uint64_t tags[3];
	struct capos_cqe c;
	int order[3], k, st;

	for (int i = 0; i < 3; i++)
		(void)login("mallory", WRONG_PW, "slow:2", &st);
	for (int i = 0; i < 3; i++) {
		if (post_login(&a[i], "mallory", WRONG_PW, "slow:2") != 0) {
			expect("three logins in flight", 0, 1);
			return;
		}
		tags[i] = a[i].tag;
	}
	for (int n = 0; n < 3; n++) {
		if ((k = rt_wait_any(tags, 3, &c)) < 0) {
			expect("an answer comes", k, 0);
			return;
		}
		order[n] = k;
		expect("each of the three is denied", async_status(&a[k], &c),
		    0);
		tags[k] = 0;
	}
	expect("the third, past the bound, is answered first", order[0], 2);
	expect("then the first two in order", order[1] == 0 && order[2] == 1,
	    1);
	if (test_failed == 0)
		rt_debug("[proof] source-bound ok: a third wrong password from "
		    "a source with two refusals waiting was answered first, "
		    "unchecked, and the two after it in order\n");
}

/* admin's key (from the userKey= argument) and one auth does not list. */
static struct crypto_ed25519_key admin_key, wrong_key;
static uint8_t admin_blob[CRYPTO_SSH_ED25519_KEY_BLOB_LEN];
static uint8_t wrong_blob[CRYPTO_SSH_ED25519_KEY_BLOB_LEN];
static bool have_key;

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : -1;
}

/* Reads userKey=HEX; whether it was there and well formed. */
static bool
read_key(void)
{
	uint8_t seed[CRYPTO_ED25519_SEED_LEN];
	bool ok = false;

	for (int i = 0; i < rt_argc(); i++) {
		const char *a = rt_argv(i);

		if (strncmp(a, "userKey=", 8) != 0 ||
		    strlen(a + 8) != 2 * sizeof(seed))
			continue;
		ok = true;
		for (size_t k = 0; k < sizeof(seed); k++) {
			int hi = hexval(a[8 + 2 * k]), lo = hexval(a[9 + 2 * k]);

			if (hi < 0 || lo < 0)
				ok = false;
			seed[k] = (uint8_t)(hi << 4 | lo);
		}
	}
	if (!ok || crypto_ed25519_from_seed(&admin_key, seed) != 0)
		return false;
	crypto_wipe(seed, sizeof(seed));
	memset(seed, 0x5a, sizeof(seed));
	if (crypto_ed25519_from_seed(&wrong_key, seed) != 0)
		return false;
	crypto_ssh_ed25519_key_blob(admin_key.pub, admin_blob);
	crypto_ssh_ed25519_key_blob(wrong_key.pub, wrong_blob);
	return true;
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

/* What an SSH client signs (RFC 4252 7) for user with key blob, under
 * the session identifier sid; its length. */
static size_t
signed_data(uint8_t *sd, const char *sid, const char *user,
    const uint8_t *blob)
{
	size_t n = 0;

	put_str(sd, &n, sid, strlen(sid));
	sd[n++] = 50;		/* SSH_MSG_USERAUTH_REQUEST */
	put_str(sd, &n, user, strlen(user));
	put_str(sd, &n, "ssh-connection", 14);
	put_str(sd, &n, "publickey", 9);
	sd[n++] = 1;
	put_str(sd, &n, "ssh-ed25519", 11);
	put_str(sd, &n, blob, CRYPTO_SSH_ED25519_KEY_BLOB_LEN);
	return n;
}

/* SessionManager.keyAcceptable; 1, 0, or -1 when the call failed. */
static int
key_acceptable(const char *name, const uint8_t *blob)
{
	struct capos_SessionManager_keyAcceptable_Params_b p;
	struct capos_SessionManager_keyAcceptable_Results_r r;
	struct capnp_builder b;
	struct rt_result res;

	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_SessionManager_keyAcceptable_Params_init_root(&b, &p) != 0 ||
	    capos_SessionManager_keyAcceptable_Params_set_account(&p, name,
	    strlen(name)) != 0 ||
	    capos_SessionManager_keyAcceptable_Params_set_keyBlob(&p, blob,
	    CRYPTO_SSH_ED25519_KEY_BLOB_LEN) != 0 ||
	    capos_SessionManager_keyAcceptable_Params_set_source(&p, "ssh:1",
	    5) != 0 ||
	    rt_call(manager, capos_SessionManager_INTERFACE_ID,
	    capos_SessionManager_keyAcceptable_ORDINAL, &b, NULL, 0, rbuf,
	    sizeof(rbuf), &res) != 0)
		return -1;
	r.s = res.root;
	return capos_SessionManager_keyAcceptable_Results_get_acceptable(&r);
}

/*
 * Logs name in with key k (its blob `blob`) as a gateway would: the
 * client's signature over the signed data, handed on. tamper flips a bit
 * of the signature after signing. Returns as login() does.
 */
static capos_cap_t
login_key(const char *name, const struct crypto_ed25519_key *k,
    const uint8_t *blob, const char *sid, bool tamper, const char *src,
    int *status)
{
	struct capos_SessionManager_loginKey_Params_b p;
	struct capos_SessionManager_LoginResult_r r;
	uint8_t sd[256], sig[CRYPTO_ED25519_SIG_LEN];
	uint8_t sigblob[CRYPTO_SSH_ED25519_SIG_BLOB_LEN];
	struct capnp_builder b;
	struct rt_result res;
	size_t n = signed_data(sd, sid, name, blob);
	uint32_t idx;

	*status = -1;
	if (crypto_ed25519_sign(k, sd, n, sig) != 0)
		return CAPOS_CAP_NULL;
	crypto_ssh_ed25519_sig_blob(sig, sigblob);
	if (tamper)
		sigblob[sizeof(sigblob) - 10] ^= 0x04;
	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_SessionManager_loginKey_Params_init_root(&b, &p) != 0 ||
	    capos_SessionManager_loginKey_Params_set_account(&p, name,
	    strlen(name)) != 0 ||
	    capos_SessionManager_loginKey_Params_set_keyBlob(&p, blob,
	    CRYPTO_SSH_ED25519_KEY_BLOB_LEN) != 0 ||
	    capos_SessionManager_loginKey_Params_set_signedData(&p, sd,
	    n) != 0 ||
	    capos_SessionManager_loginKey_Params_set_signature(&p, sigblob,
	    sizeof(sigblob)) != 0 ||
	    capos_SessionManager_loginKey_Params_set_source(&p, src,
	    strlen(src)) != 0)
		return CAPOS_CAP_NULL;
	if (rt_call(manager, capos_SessionManager_INTERFACE_ID,
	    capos_SessionManager_loginKey_ORDINAL, &b, NULL, 0, rbuf,
	    sizeof(rbuf), &res) != 0)
		return CAPOS_CAP_NULL;
	r.s = res.root;
	if (capos_SessionManager_LoginResult_which(&r) ==
	    capos_SessionManager_LoginResult_which_denied) {
		*status = 0;
		return CAPOS_CAP_NULL;
	}
	if (capos_SessionManager_LoginResult_get_session(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return CAPOS_CAP_NULL;
	*status = 1;
	return res.caps[idx].cap;
}

static capos_cap_t
anonymous(void)
{
	struct capos_SessionManager_anonymous_Params_b p;
	struct capos_SessionManager_anonymous_Results_r r;
	struct capnp_builder b;
	struct rt_result res;
	uint32_t idx;

	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_SessionManager_anonymous_Params_init_root(&b, &p) != 0 ||
	    capos_SessionManager_anonymous_Params_set_source(&p, "authtest",
	    8) != 0 ||
	    rt_call(manager, capos_SessionManager_INTERFACE_ID,
	    capos_SessionManager_anonymous_ORDINAL, &b, NULL, 0, rbuf,
	    sizeof(rbuf), &res) != 0)
		return CAPOS_CAP_NULL;
	r.s = res.root;
	if (capos_SessionManager_anonymous_Results_get_session(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return CAPOS_CAP_NULL;
	return res.caps[idx].cap;
}

/* The session's principal, or -1 when the call fails (ended session). */
static int64_t
principal_of(capos_cap_t s)
{
	struct capos_SessionInfo_r r;
	struct rt_result res;
	struct capnp_data id;

	if (rt_call(s, capos_UserSession_INTERFACE_ID,
	    capos_UserSession_info_ORDINAL, NULL, NULL, 0, rbuf, sizeof(rbuf),
	    &res) != 0)
		return -1;
	r.s = res.root;
	if (capos_SessionInfo_get_id(&r, &id) != 0 || id.len != 16)
		return -2;
	return (int64_t)capos_SessionInfo_get_principal(&r);
}

/* The session's AuthStrength, or -1 when the call fails. */
static int
strength_of(capos_cap_t s)
{
	struct capos_SessionInfo_r r;
	struct rt_result res;

	if (rt_call(s, capos_UserSession_INTERFACE_ID,
	    capos_UserSession_info_ORDINAL, NULL, NULL, 0, rbuf, sizeof(rbuf),
	    &res) != 0)
		return -1;
	r.s = res.root;
	return (int)capos_SessionInfo_get_strength(&r);
}

/* Section 7: public-key logins, as an SSH gateway would make them. */
static void
check_keys(void)
{
	capos_cap_t s;
	int st, refused = 0;

	expect("userKey= argument", have_key, 1);
	if (!have_key)
		return;
	expect("admin's key is acceptable (PK_OK)",
	    key_acceptable("admin", admin_blob), 1);
	expect("another key is not acceptable",
	    key_acceptable("admin", wrong_blob), 0);
	expect("an unknown account: the same answer",
	    key_acceptable("mallory", admin_blob), 0);

	s = login_key("admin", &admin_key, admin_blob, "authtest-sid-1", false,
	    "ssh:1", &st);
	expect("key login accepted", st, 1);
	expect("key session principal", principal_of(s), 1000);
	expect("key session strength is publicKey", strength_of(s),
	    capos_AuthStrength_publicKey);
	if (st == 1 && principal_of(s) == 1000 &&
	    strength_of(s) == capos_AuthStrength_publicKey)
		rt_printf("[proof] key-login ok: auth verified admin's "
		    "build-time ed25519 key's signature and minted a "
		    "publicKey session\n");

	(void)login_key("admin", &wrong_key, wrong_blob, "authtest-sid-2",
	    false, "ssh:2", &st);
	expect("a key admin does not hold refused", st, 0);
	refused += st == 0;
	(void)login_key("guest", &admin_key, admin_blob, "authtest-sid-3",
	    false, "ssh:3", &st);
	expect("admin's key for the guest account refused", st, 0);
	refused += st == 0;
	(void)login_key("mallory", &admin_key, admin_blob, "authtest-sid-4",
	    false, "ssh:4", &st);
	expect("admin's key for an unknown account refused", st, 0);
	refused += st == 0;
	(void)login_key("admin", &admin_key, admin_blob, "authtest-sid-5",
	    true, "ssh:5", &st);
	expect("a tampered signature refused", st, 0);
	refused += st == 0;
	(void)login_key("admin", &admin_key, admin_blob, "authtest-sid-1",
	    false, "ssh:6", &st);
	expect("the first login's signed data again refused", st, 0);
	refused += st == 0;
	if (refused == 5)
		rt_printf("[proof] key-refusals ok: a wrong key, a wrong "
		    "account, an unknown account, a tampered signature and "
		    "a replay are all denied\n");
	rt_release(s);
}

struct bundle {
	int n;
	char names[8][32];
	uint64_t iface[8];
	capos_cap_t caps[8];
	int refused;		/* the AuthReason, or -1 */
};

/* Asks for a profile's bundle; 0, or -1 when the call failed. */
static int
bundle(capos_cap_t s, const char *profile, struct bundle *out)
{
	struct capos_UserSession_shellBundle_Params_b p;
	struct capos_UserSession_BundleResult_r r;
	struct capos_BundleEntry_r e;
	struct capnp_builder b;
	struct capnp_list list;
	struct capnp_text t;
	struct rt_result res;
	uint32_t idx;

	memset(out, 0, sizeof(*out));
	out->refused = -1;
	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_UserSession_shellBundle_Params_init_root(&b, &p) != 0 ||
	    capos_UserSession_shellBundle_Params_set_profile(&p, profile,
	    strlen(profile)) != 0 ||
	    rt_call(s, capos_UserSession_INTERFACE_ID,
	    capos_UserSession_shellBundle_ORDINAL, &b, NULL, 0, rbuf,
	    sizeof(rbuf), &res) != 0)
		return -1;
	r.s = res.root;
	if (capos_UserSession_BundleResult_which(&r) ==
	    capos_UserSession_BundleResult_which_refused) {
		out->refused = (int)capos_UserSession_BundleResult_get_refused(&r);
		return 0;
	}
	if (capos_UserSession_BundleResult_get_entries(&r, &list) != 0 ||
	    list.n > 8)
		return -1;
	for (uint32_t i = 0; i < list.n; i++) {
		if (capos_BundleEntry_at(&list, i, &e) != 0 ||
		    capos_BundleEntry_get_name(&e, &t) != 0 || t.len > 31 ||
		    capos_BundleEntry_get_cap(&e, &idx) != 0 ||
		    idx >= res.cqe.ncaps)
			return -1;
		memcpy(out->names[i], t.str, t.len);
		out->iface[i] = capos_BundleEntry_get_interfaceId(&e);
		out->caps[i] = res.caps[idx].cap;
	}
	out->n = (int)list.n;
	return 0;
}

static bool
contains(const uint8_t *p, size_t n, const char *s)
{
	size_t k = strlen(s);

	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(p + i, s, k) == 0)
			return true;
	return false;
}

static bool
contains_bytes(const uint8_t *p, size_t n, const uint8_t *s, size_t k)
{
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(p + i, s, k) == 0)
			return true;
	return false;
}

/* Counts one audit record of a key login by its outcome. */
static void
count_key(struct capos_AuditRecord_r *rec, const struct capnp_text *acct,
    int *ok, int *bad_sig, int *unknown_key, int *unknown, int *replayed)
{
	switch (capos_AuditRecord_get_reason(rec)) {
	case capos_AuthReason_ok:
		*ok += capos_AuditRecord_get_event(rec) ==
		    capos_AuditEvent_loginSucceeded && acct->len == 5 &&
		    memcmp(acct->str, "admin", 5) == 0;
		break;
	case capos_AuthReason_badSignature:
		(*bad_sig)++;
		break;
	case capos_AuthReason_unknownKey:
		(*unknown_key)++;
		break;
	case capos_AuthReason_unknownAccount:
		*unknown += acct->len == 0;
		break;
	case capos_AuthReason_replayed:
		(*replayed)++;
		break;
	default:
		break;
	}
}

/* Reads the whole audit log; checks what it must and must not hold. */
static void
check_audit(capos_cap_t reader)
{
	struct capos_AuditLog_read_Params_b p;
	struct capos_AuditLog_read_Results_r r;
	struct capos_AuditRecord_r rec;
	struct capnp_builder b;
	struct capnp_list list;
	struct capnp_text acct;
	struct rt_result res;
	int bad_pw = 0, unknown = 0, ok = 0, locked = 0, leaks = 0;
	int key_ok = 0, bad_sig = 0, unknown_key = 0, key_unknown = 0;
	int replayed = 0;
	uint64_t after = 0;

	for (;;) {
		if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
		    capos_AuditLog_read_Params_init_root(&b, &p) != 0)
			break;
		capos_AuditLog_read_Params_set_after(&p, after);
		capos_AuditLog_read_Params_set_max(&p, capos_AuditLog_maxRead);
		if (rt_call(reader, capos_AuditLog_INTERFACE_ID,
		    capos_AuditLog_read_ORDINAL, &b, NULL, 0, rbuf,
		    sizeof(rbuf), &res) != 0) {
			expect("the audit reader answers", 0, 1);
			return;
		}
		/* Every byte of the answer, not only the fields. */
		leaks += contains(rbuf, sizeof(rbuf), ADMIN_PW) +
		    contains(rbuf, sizeof(rbuf), GUEST_PW) +
		    contains(rbuf, sizeof(rbuf), WRONG_PW) +
		    contains(rbuf, sizeof(rbuf), VICTIM_PW) +
		    contains_bytes(rbuf, sizeof(rbuf), admin_key.seed,
		    sizeof(admin_key.seed));
		r.s = res.root;
		if (capos_AuditLog_read_Results_get_records(&r, &list) != 0 ||
		    list.n == 0)
			break;
		for (uint32_t i = 0; i < list.n; i++) {
			if (capos_AuditRecord_at(&list, i, &rec) != 0 ||
			    capos_AuditRecord_get_account(&rec, &acct) != 0)
				continue;
			after = capos_AuditRecord_get_seq(&rec);
			if (capos_AuditRecord_get_strength(&rec) ==
			    capos_AuthStrength_publicKey) {
				count_key(&rec, &acct, &key_ok, &bad_sig,
				    &unknown_key, &key_unknown, &replayed);
				continue;
			}
			switch (capos_AuditRecord_get_reason(&rec)) {
			case capos_AuthReason_badPassword:
				bad_pw += acct.len == 5 &&
				    memcmp(acct.str, "admin", 5) == 0;
				break;
			case capos_AuthReason_unknownAccount:
				/* The name typed is not kept. */
				unknown += acct.len == 0;
				break;
			case capos_AuthReason_accountLocked:
				locked++;
				break;
			case capos_AuthReason_ok:
				ok += capos_AuditRecord_get_event(&rec) ==
				    capos_AuditEvent_loginSucceeded;
				break;
			default:
				break;
			}
		}
		memset(rbuf, 0, sizeof(rbuf));
	}
	expect("audit: the wrong admin password, reason badPassword", bad_pw,
	    1);
	expect("audit: the unknown name, reason unknownAccount, name kept "
	    "out", unknown, 1);
	expect("audit: the logins that succeeded", ok, 2);
	expect("audit: the locked account's refusal, reason accountLocked",
	    locked, 1);
	expect("audit: bytes of a typed password or key in the log", leaks,
	    0);
	expect("audit: the key login, strength publicKey", key_ok, 1);
	expect("audit: the tampered signature, reason badSignature", bad_sig,
	    1);
	expect("audit: keys not held, reason unknownKey", unknown_key, 2);
	expect("audit: the key for an unknown account, name kept out",
	    key_unknown, 1);
	expect("audit: the replay, reason replayed", replayed, 1);
	if (key_ok == 1 && bad_sig == 1 && unknown_key == 2 &&
	    key_unknown == 1 && replayed == 1)
		rt_printf("[proof] key-audit ok: key logins audited with "
		    "strength publicKey and reasons badSignature, unknownKey, "
		    "unknownAccount and replayed\n");
	if (locked == 1)
		rt_debug("[proof] lockout ok: after 5 failures the right "
		    "password is refused, audited as accountLocked\n");
	if (bad_pw == 1 && unknown == 1 && leaks == 0)
		rt_debug("[proof] audit-redacted ok: failures recorded with "
		    "reason codes badPassword and unknownAccount, no typed "
		    "password in any byte read\n");
}

int
main(void)
{
	capos_cap_t anon, admin, guest;
	struct bundle bu;
	int st, st2;

	manager = rt_cap("sessionManager", capos_SessionManager_INTERFACE_ID);
	have_key = read_key();
	if (manager == CAPOS_CAP_NULL) {
		rt_printf("authtest: no sessionManager\n");
		return 1;
	}

	anon = anonymous();
	expect("anonymous session principal", principal_of(anon), 0);
	expect("anonymous bundle call", bundle(anon, "operator", &bu), 0);
	expect("anonymous may not have operator", bu.refused,
	    capos_AuthReason_profileNotAllowed);
	expect("anonymous profile call", bundle(anon, "anonymous", &bu), 0);
	expect("anonymous profile: one capability", bu.n, 1);

	(void)login("admin", WRONG_PW, "authtest", &st);
	(void)login("mallory", ADMIN_PW, "authtest", &st2);
	expect("wrong password refused", st, 0);
	expect("unknown name refused the same way", st2, 0);
	if (st == 0 && st2 == 0)
		rt_debug("[proof] login-refusal ok: a wrong password and an "
		    "unknown name get the same answer, denied\n");

	admin = login("admin", ADMIN_PW, "authtest", &st);
	expect("right password accepted", st, 1);
	expect("admin principal", principal_of(admin), 1000);
	expect("operator bundle call", bundle(admin, "operator", &bu), 0);
	expect("operator bundle size", bu.n, 3);
	expect("bundle[0] is the session", strcmp(bu.names[0], "session"), 0);
	expect("bundle[1] is the audit reader", strcmp(bu.names[1], "audit"),
	    0);
	expect("bundle[1] interface", bu.iface[1] ==
	    capos_AuditLog_INTERFACE_ID, 1);
	expect("bundle[2] is the clock", strcmp(bu.names[2], "clock"), 0);
	expect("bundle[2] interface", bu.iface[2] == capos_Timer_INTERFACE_ID,
	    1);
	expect("the bundle's session names admin", principal_of(bu.caps[0]),
	    1000);
	if (test_failed == 0)
		rt_debug("[proof] login-bundle ok: the right password gives a "
		    "session whose operator bundle is exactly session, audit, "
		    "clock\n");

	guest = login("guest", GUEST_PW, "authtest", &st);
	expect("guest login", st, 1);
	expect("guest operator call", bundle(guest, "operator", &bu), 0);
	expect("guest may not have operator", bu.refused,
	    capos_AuthReason_profileNotAllowed);
	expect("guest bundle call", bundle(guest, "guest", &bu), 0);
	expect("guest bundle size", bu.n, 1);

	/* Five failures from five sources lock the account (and no
	 * source): the right password is then refused too. */
	for (int i = 0; i < 5; i++) {
		char src[8] = "net:0";

		src[4] = (char)('1' + i);
		(void)login("victim", WRONG_PW, src, &st);
	}
	(void)login("victim", VICTIM_PW, "authtest", &st);
	expect("the right password on a locked account", st, 0);

	check_keys();
	expect("operator bundle again", bundle(admin, "operator", &bu), 0);
	check_audit(bu.caps[1]);
	check_deferred();
	check_source_bound();

	expect("logout", rt_call(admin, capos_UserSession_INTERFACE_ID,
	    capos_UserSession_logout_ORDINAL, NULL, NULL, 0, rbuf,
	    sizeof(rbuf), &(struct rt_result){ 0 }), 0);
	expect("the session after logout", principal_of(admin), -1);
	expect("the bundle's session copy after logout",
	    principal_of(bu.caps[0]), -1);
	expect("the audit reader after logout", rt_call(bu.caps[1],
	    capos_AuditLog_INTERFACE_ID, capos_AuditLog_read_ORDINAL, NULL,
	    NULL, 0, rbuf, sizeof(rbuf), &(struct rt_result){ 0 }),
	    RT_EXCEPTION);
	if (test_failed == 0)
		rt_debug("[proof] session-revoked ok: after logout the session "
		    "and its audit reader fail closed\n");

	rt_printf("[authtest] %d checks, %d failed\n", test_checks,
	    test_failed);
	return test_failed != 0;
}
