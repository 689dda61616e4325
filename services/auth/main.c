/*
 * auth: the identity services (docs/auth.md). One process serves
 *   SessionManager  on its "sessionManager" export (login, anonymous,
 *                   the key and passkey logins, passkey enrolment by a
 *                   one-time code);
 *   UserSession     per session, a badged client it mints (info,
 *                   shellBundle: the authority broker; logout; passkey
 *                   enrolment and its one-time codes; and for
 *                   the agent shell toolPermissions, stepUp and
 *                   recordTool, docs/agent.md);
 *   AuditLog        per operator session, a badged reader client.
 * The account store, credential check, session table, broker rules and
 * audit log are pure code beside this file (account.c, credential.c,
 * login.c, pubkey.c, passkey.c, session.c, broker.c, audit.c), tested
 * on the host.
 *
 * Holds: "sessionManager" (the endpoint it serves), "console" (its own
 * status lines, never a password or a name that failed), "entropy" (the
 * DRBG that draws session ids), "timer" (expiry and the failure delays),
 * "virtualMemory" (the heap scrypt works in), and whatever capabilities
 * the manifest grants it to hand out in bundles (a profile names them).
 *
 * Arguments (the manifest's seed, docs/auth.md has the forms):
 *   account=NAME:PRINCIPAL:STATUS:PROFILE[+PROFILE]:scrypt$N$r$p$SALT$HASH
 *   sshKey=NAME:ssh-ed25519 BASE64[ COMMENT]   (after NAME's account=)
 *   profile=NAME:CAP[+CAP...]
 *   tools=PROFILE:CAP.METHOD=MODE[+CAP.METHOD=MODE...]
 *   sessionTtl=SECONDS   expiry of logged-in sessions (default: none)
 *   passkeys=https://HOST[:PORT]   the origin passkeys are used from; HOST
 *                        is the RP ID (without it, no passkey method works)
 * A malformed argument is reported and skipped; the rest still load.
 *
 * Queues and bounds: calls wait in the kernel's endpoint queue and are
 * decided one at a time. A refusal that owes the failure policy's delay
 * (at most 4 s, credential.h) is not slept: its answer is prepared and
 * waits in the pending queue (pending.h) until a one-shot notification
 * of the timer says it is due, while every other call is served; so one
 * caller that keeps failing holds back no one else, and a success is
 * never answered behind a failure. PEND_PER_SOURCE answers may wait per
 * source, the next attempt from it is refused at once as throttled
 * without a credential check; PEND_MAX in all, past which a refusal is
 * answered at once. SESSION_MAX sessions, AUDIT_MAX audit records (the
 * oldest overwritten, and counted), and requests' texts are refused
 * beyond SessionManager's max* constants. auth ends when no client
 * capability to it is left and no answer is still owed.
 */
#include <string.h>

#include "answer.h"
#include "audit.h"
#include "auth.capnp.h"
#include "broker.h"
#include "crypto.h"
#include "crypto_rt.h"
#include "login.h"
#include "pending.h"
#include "passkey.h"
#include "pubkey.h"
#include "rt.h"
#include "session.h"

/* credential.h's reasons are the schema's, number for number. */
_Static_assert((int)CRED_UNKNOWN_ACCOUNT == (int)capos_AuthReason_unknownAccount &&
    (int)CRED_BAD_PASSWORD == (int)capos_AuthReason_badPassword &&
    (int)CRED_ACCOUNT_LOCKED == (int)capos_AuthReason_accountLocked &&
    (int)CRED_ACCOUNT_DISABLED == (int)capos_AuthReason_accountDisabled &&
    (int)CRED_THROTTLED == (int)capos_AuthReason_throttled &&
    (int)CRED_MALFORMED == (int)capos_AuthReason_malformed &&
    (int)CRED_BAD_SIGNATURE == (int)capos_AuthReason_badSignature &&
    (int)CRED_UNKNOWN_KEY == (int)capos_AuthReason_unknownKey &&
    (int)CRED_REPLAYED == (int)capos_AuthReason_replayed &&
    (int)CRED_CHALLENGE_UNKNOWN == (int)capos_AuthReason_challengeUnknown &&
    (int)CRED_PASSKEY_REFUSED == (int)capos_AuthReason_passkeyRefused,
    "credential.h's reasons differ from schema/auth.capnp's AuthReason");
_Static_assert(PEND_KEY_MAX >= capos_SessionManager_maxName &&
    PEND_KEY_MAX >= capos_SessionManager_maxSource &&
    PEND_KEY_MAX >= ACCOUNT_NAME_MAX,
    "a pending answer's keys hold every name and source");

static struct login_state logins;
static struct profile_set profiles;
static struct session_table sessions;
static struct audit_log audit;
static struct pend_queue pend;
static struct passkey_state passkeys;
static struct crypto_drbg drbg;
static struct crypto_rt_source entropy;
static uint64_t session_ttl_ns;
static capos_cap_t owner;
static uint8_t mint_buf[512] __attribute__((aligned(8)));

static int
rng(void *ctx, uint8_t *out, size_t n)
{
	return crypto_drbg_generate(ctx, out, n);
}

static void
text_of(const struct capnp_text *t, const char **s, size_t *len)
{
	*s = t->str != NULL ? t->str : "";
	*len = t->str != NULL ? t->len : 0;
}

/* A new client of our endpoint, typed iface and carrying badge. */
static capos_cap_t
mint(uint64_t badge, uint64_t iface)
{
	struct capos_Endpoint_client_Params_b p;
	struct capos_Endpoint_client_Results_r r;
	uint8_t pbuf[128] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct rt_result res;
	uint32_t idx;

	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_Endpoint_client_Params_init_root(&b, &p) != 0)
		return CAPOS_CAP_NULL;
	capos_Endpoint_client_Params_set_badge(&p, badge);
	capos_Endpoint_client_Params_set_interfaceId(&p, iface);
	if (rt_call(owner, capos_Endpoint_INTERFACE_ID,
	    capos_Endpoint_client_ORDINAL, &b, NULL, 0, mint_buf,
	    sizeof(mint_buf), &res) != 0)
		return CAPOS_CAP_NULL;
	r.s = res.root;
	if (capos_Endpoint_client_Results_get_client(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return CAPOS_CAP_NULL;
	return res.caps[idx].cap;
}

/* Moves a freshly minted client into the answer; -1 when it cannot. */
static int
reply_minted(struct rt_request *rq, capos_cap_t cap)
{
	int idx;

	if (cap == CAPOS_CAP_NULL)
		return -1;
	if ((idx = rt_reply_cap(rq, cap, CAPOS_XFER_MOVE)) < 0) {
		rt_release(cap);
		return -1;
	}
	return idx;
}

/*
 * Makes the refusal built in rq wait out delay_ns instead of answering it
 * now: it falls due one delay after the source's and the account's
 * answers already waiting (pending.h). An account of "" chains by source
 * only. When the queue is full the refusal is answered at once.
 */
static void
defer_refusal(struct rt_request *rq, uint64_t delay_ns, const char *sn,
    size_t slen, const char *n, size_t nlen)
{
	uint64_t due;
	int rc;

	if (delay_ns == 0 || rq->exc_type >= 0)
		return;
	due = pend_due(&pend, rt_now_ns(), delay_ns, sn, slen, n, nlen);
	rc = pend_add(&pend, rq->hdr->call_id, due, sn, slen, n, nlen,
	    rq->reply.buf, capnp_builder_finish(&rq->reply));
	if (rc == 0) {
		rq->deferred = true;
		return;
	}
	rt_warn("[auth] a refusal answered without its delay: %s\n",
	    rc == PEND_FULL ? "the pending answers are full" :
	    "its answer is too big to keep");
}

/* Whether the source already has PEND_PER_SOURCE answers waiting: its
 * next attempt is then refused unchecked, so it spends no guess. */
static bool
source_waiting(const char *sn, size_t slen)
{
	return pend_count(&pend, sn, slen) >= PEND_PER_SOURCE;
}

/* ---- SessionManager ---- */

/*
 * Answers a login that login_attempt or pubkey_attempt decided: a refusal
 * deferred by the failure policy's delay, or a freshly minted session of
 * that strength, at once. Both kinds are audited alike, the strength
 * recorded.
 */
static int
finish_login(struct rt_request *rq, const struct login_outcome *out,
    const char *n, size_t nlen, const char *sn, size_t slen,
    enum session_strength strength)
{
	struct capos_SessionManager_LoginResult_b r;
	struct session *s;
	const char *why;
	uint64_t seq;
	int idx;

	if (capos_SessionManager_LoginResult_init_root(&rq->reply, &r) != 0)
		return -1;
	if (out->reason != CRED_OK) {
		/* A name that matches no account is not recorded: it may be
		 * a password typed at the wrong prompt. */
		seq = audit_append(&audit, rt_now_ns(), AUDIT_LOGIN_FAILED,
		    out->reason, out->account != NULL ? n : "",
		    out->account != NULL ? nlen : 0, sn, slen, "", 0, 0);
		audit_set_strength(&audit, seq, strength);
		capos_SessionManager_LoginResult_set_denied(&r);
		defer_refusal(rq, out->delay_ns, sn, slen,
		    out->account != NULL ? n : "",
		    out->account != NULL ? nlen : 0);
		return 0;
	}
	s = session_mint(&sessions, rng, &drbg, out->account->principal,
	    out->account->name, sn, slen, strength, rt_now_ns(),
	    session_ttl_ns, &why);
	if (s == NULL) {
		seq = audit_append(&audit, rt_now_ns(), AUDIT_LOGIN_FAILED,
		    capos_AuthReason_tableFull, n, nlen, sn, slen, "", 0, 0);
		audit_set_strength(&audit, seq, strength);
		return rt_reply_exception(rq, capos_CapException_Type_overloaded,
		    strcmp(why, "table") == 0 ? "no room for another session" :
		    "the random generator failed");
	}
	idx = reply_minted(rq, mint(session_badge(&sessions, s,
	    SESSION_KIND_SESSION), capos_UserSession_INTERFACE_ID));
	if (idx < 0) {
		session_end(s);
		return rt_reply_exception(rq, capos_CapException_Type_overloaded,
		    "cannot mint the session capability");
	}
	seq = audit_append(&audit, rt_now_ns(), AUDIT_LOGIN_OK,
	    capos_AuthReason_ok, n, nlen, sn, slen, "", 0, s->serial);
	audit_set_strength(&audit, seq, strength);
	capos_SessionManager_LoginResult_set_session(&r, (uint32_t)idx);
	return 0;
}

static int
do_login(void *ctx, struct rt_request *rq)
{
	struct capos_SessionManager_login_Params_r p = { rq->params };
	struct capnp_text name = { 0 }, src = { 0 };
	struct capnp_data pw = { 0 };
	struct login_outcome out;
	const char *n, *sn;
	size_t nlen, slen;

	(void)ctx;
	if (capos_SessionManager_login_Params_get_account(&p, &name) != 0 ||
	    capos_SessionManager_login_Params_get_password(&p, &pw) != 0 ||
	    capos_SessionManager_login_Params_get_source(&p, &src) != 0 ||
	    name.len > capos_SessionManager_maxName ||
	    pw.len > capos_SessionManager_maxPassword ||
	    src.len > capos_SessionManager_maxSource)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "malformed login request");
	text_of(&name, &n, &nlen);
	text_of(&src, &sn, &slen);
	if (source_waiting(sn, slen)) {
		memset(&out, 0, sizeof(out));
		out.reason = CRED_THROTTLED;
		return finish_login(rq, &out, n, nlen, sn, slen,
		    STRENGTH_PASSWORD);
	}
	login_attempt(&logins, n, nlen, pw.ptr, pw.len, sn, slen,
	    rt_now_ns(), &out);
	return finish_login(rq, &out, n, nlen, sn, slen, STRENGTH_PASSWORD);
}

static int
do_login_key(void *ctx, struct rt_request *rq)
{
	struct capos_SessionManager_loginKey_Params_r p = { rq->params };
	struct capnp_text name = { 0 }, src = { 0 };
	struct capnp_data blob = { 0 }, sd = { 0 }, sig = { 0 };
	struct login_outcome out;
	const char *n, *sn;
	size_t nlen, slen;

	(void)ctx;
	if (capos_SessionManager_loginKey_Params_get_account(&p, &name) != 0 ||
	    capos_SessionManager_loginKey_Params_get_keyBlob(&p, &blob) != 0 ||
	    capos_SessionManager_loginKey_Params_get_signedData(&p,
	    &sd) != 0 ||
	    capos_SessionManager_loginKey_Params_get_signature(&p, &sig) != 0 ||
	    capos_SessionManager_loginKey_Params_get_source(&p, &src) != 0 ||
	    name.len > capos_SessionManager_maxName ||
	    src.len > capos_SessionManager_maxSource ||
	    sd.len > capos_SessionManager_maxSignedData ||
	    blob.len > capos_SessionManager_keyBlobLen ||
	    sig.len > capos_SessionManager_signatureBlobLen)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "malformed key login request");
	text_of(&name, &n, &nlen);
	text_of(&src, &sn, &slen);
	if (source_waiting(sn, slen)) {
		memset(&out, 0, sizeof(out));
		out.reason = CRED_THROTTLED;
		return finish_login(rq, &out, n, nlen, sn, slen,
		    STRENGTH_PUBLIC_KEY);
	}
	pubkey_attempt(&logins, n, nlen, blob.ptr, blob.len, sd.ptr, sd.len,
	    sig.ptr, sig.len, sn, slen, rt_now_ns(), &out);
	return finish_login(rq, &out, n, nlen, sn, slen, STRENGTH_PUBLIC_KEY);
}

static int
do_key_acceptable(void *ctx, struct rt_request *rq)
{
	struct capos_SessionManager_keyAcceptable_Params_r p = { rq->params };
	struct capos_SessionManager_keyAcceptable_Results_b r;
	struct capnp_text name = { 0 }, src = { 0 };
	struct capnp_data blob = { 0 };
	const char *n, *sn;
	size_t nlen, slen;

	(void)ctx;
	if (capos_SessionManager_keyAcceptable_Params_get_account(&p,
	    &name) != 0 ||
	    capos_SessionManager_keyAcceptable_Params_get_keyBlob(&p,
	    &blob) != 0 ||
	    capos_SessionManager_keyAcceptable_Params_get_source(&p,
	    &src) != 0 ||
	    name.len > capos_SessionManager_maxName ||
	    src.len > capos_SessionManager_maxSource ||
	    blob.len > capos_SessionManager_keyBlobLen)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "malformed key query");
	text_of(&name, &n, &nlen);
	text_of(&src, &sn, &slen);
	if (capos_SessionManager_keyAcceptable_Results_init_root(&rq->reply,
	    &r) != 0)
		return -1;
	capos_SessionManager_keyAcceptable_Results_set_acceptable(&r,
	    pubkey_acceptable(&logins, n, nlen, blob.ptr, blob.len, sn, slen,
	    rt_now_ns()));
	return 0;
}

/* ---- Passkeys (passkey.h) ---- */

/* A challenge refused for want of random bytes: audited, failed. */
static int
no_challenge(struct rt_request *rq, const char *n, size_t nlen,
    const char *sn, size_t slen, uint64_t serial)
{
	audit_append(&audit, rt_now_ns(), AUDIT_PASSKEY_CHALLENGE,
	    capos_AuthReason_noEntropy, n, nlen, sn, slen, "", 0, serial);
	rt_printf("[auth] passkey challenge refused: no random numbers\n");
	return rt_reply_exception(rq, capos_CapException_Type_failed,
	    "no random numbers");
}

static int
do_passkey_challenge(void *ctx, struct rt_request *rq)
{
	struct capos_SessionManager_passkeyChallenge_Params_r p = {
	    rq->params };
	struct capos_SessionManager_passkeyChallenge_Results_b r;
	struct capnp_text src = { 0 };
	uint8_t ch[PASSKEY_CHALLENGE_LEN];
	const char *sn;
	size_t slen;

	(void)ctx;
	if (passkeys.origin[0] == '\0')
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "passkeys are not configured");
	if (capos_SessionManager_passkeyChallenge_Params_get_source(&p,
	    &src) != 0 || src.len > capos_SessionManager_maxSource)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "malformed source");
	text_of(&src, &sn, &slen);
	if (passkey_challenge(&passkeys, rng, &drbg, PASSKEY_LOGIN, 0,
	    rt_now_ns(), ch) != 0)
		return no_challenge(rq, "", 0, sn, slen, 0);
	if (capos_SessionManager_passkeyChallenge_Results_init_root(
	    &rq->reply, &r) != 0 ||
	    capos_SessionManager_passkeyChallenge_Results_set_challenge(&r,
	    ch, sizeof(ch)) != 0 ||
	    capos_SessionManager_passkeyChallenge_Results_set_rpId(&r,
	    passkeys.rp_id, strlen(passkeys.rp_id)) != 0)
		return -1;
	return 0;
}

static int
do_login_passkey(void *ctx, struct rt_request *rq)
{
	struct capos_SessionManager_loginPasskey_Params_r p = { rq->params };
	struct capnp_data id = { 0 }, cdj = { 0 }, ad = { 0 }, sig = { 0 },
	    h = { 0 };
	struct capnp_text src = { 0 };
	struct login_outcome out;
	const char *sn, *n = "", *why = "throttled";
	size_t slen, nlen = 0;

	(void)ctx;
	if (passkeys.origin[0] == '\0')
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "passkeys are not configured");
	if (capos_SessionManager_loginPasskey_Params_get_credentialId(&p,
	    &id) != 0 ||
	    capos_SessionManager_loginPasskey_Params_get_clientDataJson(&p,
	    &cdj) != 0 ||
	    capos_SessionManager_loginPasskey_Params_get_authenticatorData(&p,
	    &ad) != 0 ||
	    capos_SessionManager_loginPasskey_Params_get_signature(&p,
	    &sig) != 0 ||
	    capos_SessionManager_loginPasskey_Params_get_userHandle(&p,
	    &h) != 0 ||
	    capos_SessionManager_loginPasskey_Params_get_source(&p, &src) != 0 ||
	    id.len > capos_SessionManager_maxCredentialId ||
	    cdj.len > capos_SessionManager_maxClientData ||
	    ad.len > capos_SessionManager_maxAuthenticatorData ||
	    sig.len > capos_SessionManager_maxPasskeySignature ||
	    h.len > capos_SessionManager_userHandleLen ||
	    src.len > capos_SessionManager_maxSource)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "malformed passkey login request");
	text_of(&src, &sn, &slen);
	if (source_waiting(sn, slen)) {
		memset(&out, 0, sizeof(out));
		out.reason = CRED_THROTTLED;
	} else {
		passkey_attempt(&passkeys, &logins, id.ptr, id.len, cdj.ptr,
		    cdj.len, ad.ptr, ad.len, sig.ptr, sig.len, h.ptr, h.len,
		    sn, slen, rt_now_ns(), &out, &why);
	}
	if (out.account != NULL) {
		n = out.account->name;
		nlen = strlen(n);
	}
	/* The reason, never a byte of what was sent. */
	if (out.reason != CRED_OK)
		rt_printf("[auth] passkey login refused: %s\n", why);
	return finish_login(rq, &out, n, nlen, sn, slen, STRENGTH_PASSKEY);
}

static int
do_anonymous(void *ctx, struct rt_request *rq)
{
	struct capos_SessionManager_anonymous_Params_r p = { rq->params };
	struct capos_SessionManager_anonymous_Results_b r;
	struct capnp_text src = { 0 };
	struct session *s;
	const char *sn, *why;
	size_t slen;
	int idx;

	(void)ctx;
	if (capos_SessionManager_anonymous_Params_get_source(&p, &src) != 0 ||
	    src.len > capos_SessionManager_maxSource)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "malformed source");
	text_of(&src, &sn, &slen);
	s = session_mint(&sessions, rng, &drbg, 0, "", sn, slen,
	    STRENGTH_NONE, rt_now_ns(), 0, &why);
	if (s == NULL)
		return rt_reply_exception(rq, capos_CapException_Type_overloaded,
		    "no room for another session");
	if (capos_SessionManager_anonymous_Results_init_root(&rq->reply,
	    &r) != 0 || (idx = reply_minted(rq, mint(session_badge(&sessions,
	    s, SESSION_KIND_SESSION), capos_UserSession_INTERFACE_ID))) < 0) {
		session_end(s);
		return -1;
	}
	audit_append(&audit, rt_now_ns(), AUDIT_ANONYMOUS, capos_AuthReason_ok,
	    "", 0, sn, slen, "", 0, s->serial);
	capos_SessionManager_anonymous_Results_set_session(&r, (uint32_t)idx);
	return 0;
}

/* ---- UserSession ---- */

/* The caller's live session, or NULL after answering with an exception:
 * an ended session's capabilities fail closed. */
static struct session *
caller_session(struct rt_request *rq, enum session_kind kind)
{
	struct session *s = session_lookup(&sessions, rq->hdr->badge, kind,
	    rt_now_ns());

	if (s == NULL)
		rt_reply_exception(rq, capos_CapException_Type_failed,
		    "the session has ended");
	return s;
}

static int
do_info(void *ctx, struct rt_request *rq)
{
	struct capos_SessionInfo_b r;
	struct session *s = caller_session(rq, SESSION_KIND_SESSION);

	(void)ctx;
	if (s == NULL)
		return 0;
	if (capos_SessionInfo_init_root(&rq->reply, &r) != 0 ||
	    capos_SessionInfo_set_id(&r, s->id, sizeof(s->id)) != 0 ||
	    capos_SessionInfo_set_account(&r, s->account,
	    strlen(s->account)) != 0 ||
	    capos_SessionInfo_set_profile(&r, s->profile,
	    strlen(s->profile)) != 0 ||
	    capos_SessionInfo_set_source(&r, s->source,
	    strlen(s->source)) != 0)
		return -1;
	capos_SessionInfo_set_serial(&r, s->serial);
	capos_SessionInfo_set_principal(&r, s->principal);
	capos_SessionInfo_set_strength(&r, (enum capos_AuthStrength)
	    s->strength);
	capos_SessionInfo_set_createdNs(&r, s->created_ns);
	capos_SessionInfo_set_expiresNs(&r, s->expires_ns);
	return 0;
}

/* The interface id of a capability in our own CapSet, by name. */
static capos_cap_t
own_cap(const char *name, uint64_t *iface)
{
	const struct capos_start *sb = rt_start();

	for (uint32_t i = 0; i < sb->ncaps && i < CAPOS_CAPSET_MAX; i++)
		if (strcmp(sb->caps[i].name, name) == 0) {
			*iface = sb->caps[i].interface_id;
			return sb->caps[i].cap;
		}
	return CAPOS_CAP_NULL;
}

/* Adds one bundle entry: minted for "session" and "audit", else a copy of
 * our own capability of that name. 0, or -1 when it cannot be had. */
static int
bundle_entry(struct rt_request *rq, struct session *s, const char *name,
    struct capos_BundleEntry_b *e)
{
	uint64_t iface;
	capos_cap_t cap;
	int idx;

	if (strcmp(name, "session") == 0) {
		iface = capos_UserSession_INTERFACE_ID;
		idx = reply_minted(rq, mint(session_badge(&sessions, s,
		    SESSION_KIND_SESSION), iface));
	} else if (strcmp(name, "audit") == 0) {
		iface = capos_AuditLog_INTERFACE_ID;
		idx = reply_minted(rq, mint(session_badge(&sessions, s,
		    SESSION_KIND_AUDIT), iface));
	} else {
		if ((cap = own_cap(name, &iface)) == CAPOS_CAP_NULL)
			return -1;
		idx = rt_reply_cap(rq, cap, CAPOS_XFER_COPY);
	}
	if (idx < 0 || capos_BundleEntry_set_name(e, name, strlen(name)) != 0)
		return -1;
	capos_BundleEntry_set_interfaceId(e, iface);
	capos_BundleEntry_set_cap(e, (uint32_t)idx);
	return 0;
}

static int
do_bundle(void *ctx, struct rt_request *rq)
{
	struct capos_UserSession_shellBundle_Params_r p = { rq->params };
	struct capos_UserSession_BundleResult_b r;
	struct capos_BundleEntry_b e;
	struct session *s = caller_session(rq, SESSION_KIND_SESSION);
	const struct profile *prof;
	const struct account *a = NULL;
	struct capnp_text want = { 0 };
	struct capnp_lb list;
	const char *w;
	size_t wlen;
	int reason;

	(void)ctx;
	if (s == NULL)
		return 0;
	if (capos_UserSession_shellBundle_Params_get_profile(&p, &want) != 0 ||
	    want.len > ACCOUNT_NAME_MAX)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "malformed profile name");
	text_of(&want, &w, &wlen);
	if (s->principal != 0)
		a = account_find(&logins.accounts, s->account,
		    strlen(s->account));
	if (capos_UserSession_BundleResult_init_root(&rq->reply, &r) != 0)
		return -1;
	reason = broker_decide(&profiles, a, w, wlen, &prof);
	/* An account deleted or disabled since login gets nothing more. */
	if (s->principal != 0 && (a == NULL || a->status != ACCOUNT_ACTIVE))
		reason = capos_AuthReason_profileNotAllowed;
	if (reason != BROKER_OK) {
		audit_append(&audit, rt_now_ns(), AUDIT_BUNDLE_REFUSED,
		    (uint32_t)reason, s->account, strlen(s->account),
		    s->source, strlen(s->source), w, wlen, s->serial);
		capos_UserSession_BundleResult_set_refused(&r,
		    (enum capos_AuthReason)reason);
		return 0;
	}
	if (capos_UserSession_BundleResult_init_entries(&r, prof->ncaps,
	    &list) != 0)
		return -1;
	for (uint32_t i = 0; i < prof->ncaps; i++)
		if (capos_BundleEntry_b_at(&list, i, &e) != 0 ||
		    bundle_entry(rq, s, prof->caps[i], &e) != 0)
			return rt_reply_exception(rq,
			    capos_CapException_Type_failed,
			    "a capability of the profile cannot be had");
	memcpy(s->profile, prof->name, strlen(prof->name) + 1);
	audit_append(&audit, rt_now_ns(), AUDIT_BUNDLE_ISSUED,
	    capos_AuthReason_ok, s->account, strlen(s->account), s->source,
	    strlen(s->source), prof->name, strlen(prof->name), s->serial);
	return 0;
}

static void
end_session(struct session *s, uint32_t reason)
{
	if (s->principal != 0)
		audit_append(&audit, rt_now_ns(), AUDIT_SESSION_ENDED, reason,
		    s->account, strlen(s->account), s->source,
		    strlen(s->source), s->profile, strlen(s->profile),
		    s->serial);
	session_end(s);
}

static int
do_logout(void *ctx, struct rt_request *rq)
{
	struct capos_UserSession_logout_Results_b r;
	struct session *s = caller_session(rq, SESSION_KIND_SESSION);

	(void)ctx;
	if (s == NULL)
		return 0;
	end_session(s, capos_AuthReason_ok);
	return capos_UserSession_logout_Results_init_root(&rq->reply, &r);
}

/* The kernel's notice that a badged client is gone: a session whose
 * UserSession capability was dropped has lost its shell. */
static int
do_dropped(void *ctx, struct rt_request *rq)
{
	struct session *s = session_lookup(&sessions, rq->hdr->badge,
	    SESSION_KIND_SESSION, rt_now_ns());

	(void)ctx;
	if (s != NULL)
		end_session(s, capos_AuthReason_sessionEnded);
	return 0;
}

/* ---- The agent shell's part (docs/agent.md) ---- */

static int
do_tool_permissions(void *ctx, struct rt_request *rq)
{
	struct capos_UserSession_toolPermissions_Results_b r;
	struct capos_ToolPermission_b e;
	struct session *s = caller_session(rq, SESSION_KIND_SESSION);
	const struct profile *prof = NULL;
	struct capnp_lb list;

	(void)ctx;
	if (s == NULL)
		return 0;
	for (uint32_t i = 0; i < profiles.n; i++)
		if (strcmp(profiles.p[i].name, s->profile) == 0)
			prof = &profiles.p[i];
	if (capos_UserSession_toolPermissions_Results_init_root(&rq->reply,
	    &r) != 0 || capos_UserSession_toolPermissions_Results_init_tools(
	    &r, prof != NULL ? prof->ntools : 0, &list) != 0)
		return -1;
	for (uint32_t i = 0; prof != NULL && i < prof->ntools; i++) {
		if (capos_ToolPermission_b_at(&list, i, &e) != 0 ||
		    capos_ToolPermission_set_tool(&e, prof->tools[i].tool,
		    strlen(prof->tools[i].tool)) != 0)
			return -1;
		capos_ToolPermission_set_mode(&e, (enum capos_PermissionMode)
		    prof->tools[i].mode);
	}
	return 0;
}

/* The session's own account checked again, under login's failure
 * policy (a refusal deferred like login's); the answer is a reason, and
 * the attempt is audited. */
static int
do_step_up(void *ctx, struct rt_request *rq)
{
	struct capos_UserSession_stepUp_Params_r p = { rq->params };
	struct capos_UserSession_stepUp_Results_b r;
	struct session *s = caller_session(rq, SESSION_KIND_SESSION);
	struct capnp_data pw = { 0 };
	struct login_outcome out;
	uint32_t reason;

	(void)ctx;
	if (s == NULL)
		return 0;
	if (capos_UserSession_stepUp_Params_get_password(&p, &pw) != 0 ||
	    pw.len > capos_SessionManager_maxPassword)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "malformed step-up request");
	if (capos_UserSession_stepUp_Results_init_root(&rq->reply, &r) != 0)
		return -1;
	out.delay_ns = 0;
	if (s->principal == 0) {
		reason = capos_AuthReason_malformed;
	} else if (source_waiting(s->source, strlen(s->source))) {
		reason = capos_AuthReason_throttled;
	} else {
		login_attempt(&logins, s->account, strlen(s->account),
		    pw.ptr, pw.len, s->source, strlen(s->source), rt_now_ns(),
		    &out);
		reason = out.reason;
	}
	audit_append(&audit, rt_now_ns(), AUDIT_STEP_UP, reason, s->account,
	    strlen(s->account), s->source, strlen(s->source), s->profile,
	    strlen(s->profile), s->serial);
	capos_UserSession_stepUp_Results_set_reason(&r,
	    (enum capos_AuthReason)reason);
	defer_refusal(rq, out.delay_ns, s->source, strlen(s->source),
	    s->account, strlen(s->account));
	return 0;
}

static int
do_record_tool(void *ctx, struct rt_request *rq)
{
	struct capos_UserSession_recordTool_Params_r p = { rq->params };
	struct capos_UserSession_recordTool_Results_b r;
	struct session *s = caller_session(rq, SESSION_KIND_SESSION);
	struct capnp_text tool = { 0 }, call = { 0 };
	uint32_t reason = capos_UserSession_recordTool_Params_get_reason(&p);
	uint64_t seq;

	(void)ctx;
	if (s == NULL)
		return 0;
	/* Only the tool decisions: a shell cannot write a login record. */
	if (capos_UserSession_recordTool_Params_get_tool(&p, &tool) != 0 ||
	    tool.len == 0 || tool.len > capos_UserSession_maxTool ||
	    capos_UserSession_recordTool_Params_get_call(&p, &call) != 0 ||
	    ((reason < capos_AuthReason_toolAuto ||
	    reason > capos_AuthReason_toolMalformed) &&
	    reason != capos_AuthReason_turnTimedOut))
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "malformed tool record");
	seq = audit_append(&audit, rt_now_ns(), AUDIT_TOOL_DECISION, reason,
	    s->account, strlen(s->account), s->source, strlen(s->source),
	    s->profile, strlen(s->profile), s->serial);
	audit_set_tool(&audit, seq, tool.str, tool.len);
	audit_set_call(&audit, seq, call.str, call.len);
	return capos_UserSession_recordTool_Results_init_root(&rq->reply, &r);
}

static int
do_enrol_challenge(void *ctx, struct rt_request *rq)
{
	struct capos_UserSession_enrolChallenge_Results_b r;
	struct session *s = caller_session(rq, SESSION_KIND_SESSION);
	uint8_t ch[PASSKEY_CHALLENGE_LEN];
	struct account *a;

	(void)ctx;
	if (s == NULL)
		return 0;
	if (passkeys.origin[0] == '\0')
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "passkeys are not configured");
	a = s->principal != 0 ? account_find(&logins.accounts, s->account,
	    strlen(s->account)) : NULL;
	if (a == NULL || a->status != ACCOUNT_ACTIVE)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "no active account to enrol for");
	if (passkey_handle(a, rng, &drbg) != 0 ||
	    passkey_challenge(&passkeys, rng, &drbg, PASSKEY_ENROL, s->serial,
	    rt_now_ns(), ch) != 0)
		return no_challenge(rq, s->account, strlen(s->account),
		    s->source, strlen(s->source), s->serial);
	if (capos_UserSession_enrolChallenge_Results_init_root(&rq->reply,
	    &r) != 0 ||
	    capos_UserSession_enrolChallenge_Results_set_challenge(&r, ch,
	    sizeof(ch)) != 0 ||
	    capos_UserSession_enrolChallenge_Results_set_userHandle(&r,
	    a->handle, sizeof(a->handle)) != 0 ||
	    capos_UserSession_enrolChallenge_Results_set_rpId(&r,
	    passkeys.rp_id, strlen(passkeys.rp_id)) != 0 ||
	    capos_UserSession_enrolChallenge_Results_set_account(&r, a->name,
	    strlen(a->name)) != 0)
		return -1;
	return 0;
}

static int
do_enrol_passkey(void *ctx, struct rt_request *rq)
{
	struct capos_UserSession_enrolPasskey_Params_r p = { rq->params };
	struct capos_UserSession_enrolPasskey_Results_b r;
	struct session *s = caller_session(rq, SESSION_KIND_SESSION);
	struct capnp_data cdj = { 0 }, ao = { 0 };
	const char *why = "no active account";
	struct account *a;
	int reason = CRED_MALFORMED;

	(void)ctx;
	if (s == NULL)
		return 0;
	if (capos_UserSession_enrolPasskey_Params_get_clientDataJson(&p,
	    &cdj) != 0 ||
	    capos_UserSession_enrolPasskey_Params_get_attestationObject(&p,
	    &ao) != 0 ||
	    cdj.len > capos_SessionManager_maxClientData ||
	    ao.len > capos_SessionManager_maxAttestation)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "malformed enrolment");
	a = s->principal != 0 ? account_find(&logins.accounts, s->account,
	    strlen(s->account)) : NULL;
	if (a != NULL && a->status == ACCOUNT_ACTIVE)
		reason = passkey_enrol(&passkeys, &logins.accounts, a,
		    s->serial, cdj.ptr, cdj.len, ao.ptr, ao.len, rt_now_ns(),
		    &why);
	audit_append(&audit, rt_now_ns(), AUDIT_PASSKEY_ENROLLED,
	    (uint32_t)reason, s->account, strlen(s->account), s->source,
	    strlen(s->source), s->profile, strlen(s->profile), s->serial);
	if (reason == CRED_OK)
		rt_printf("[auth] passkey enrolled for %s (%u held)\n",
		    s->account, a->npasskeys);
	else
		rt_printf("[auth] passkey enrolment refused: %s\n", why);
	if (capos_UserSession_enrolPasskey_Results_init_root(&rq->reply,
	    &r) != 0)
		return -1;
	capos_UserSession_enrolPasskey_Results_set_reason(&r,
	    (enum capos_AuthReason)reason);
	return 0;
}

/* A one-time code that enrols a passkey for this session's account from a
 * browser (passkey.h, "Enrolment codes"). The code goes to the caller
 * only: the console and the audit record never hold it. */
static int
do_enrol_code(void *ctx, struct rt_request *rq)
{
	struct capos_UserSession_enrolCode_Results_b r;
	struct session *s = caller_session(rq, SESSION_KIND_SESSION);
	char code[PASSKEY_CODE_LEN + 1];
	struct account *a;
	int rc;

	(void)ctx;
	if (s == NULL)
		return 0;
	if (passkeys.origin[0] == '\0')
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "passkeys are not configured");
	a = s->principal != 0 ? account_find(&logins.accounts, s->account,
	    strlen(s->account)) : NULL;
	if (a == NULL || a->status != ACCOUNT_ACTIVE)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "no active account to enrol for");
	if (passkey_code_issue(&passkeys, rng, &drbg, a->name, rt_now_ns(),
	    code) != 0) {
		audit_append(&audit, rt_now_ns(), AUDIT_ENROL_CODE_ISSUED,
		    capos_AuthReason_noEntropy, s->account, strlen(s->account),
		    s->source, strlen(s->source), s->profile,
		    strlen(s->profile), s->serial);
		rt_printf("[auth] enrolment code refused: no random numbers\n");
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "no random numbers");
	}
	audit_append(&audit, rt_now_ns(), AUDIT_ENROL_CODE_ISSUED,
	    capos_AuthReason_ok, s->account, strlen(s->account), s->source,
	    strlen(s->source), s->profile, strlen(s->profile), s->serial);
	rt_printf("[auth] enrolment code issued for %s, valid %u s\n",
	    s->account, (unsigned)(PASSKEY_CODE_NS / 1000000000ull));
	rc = -1;
	if (capos_UserSession_enrolCode_Results_init_root(&rq->reply, &r) == 0 &&
	    capos_UserSession_enrolCode_Results_set_code(&r, code,
	    PASSKEY_CODE_LEN) == 0 &&
	    capos_UserSession_enrolCode_Results_set_origin(&r,
	    passkeys.origin, strlen(passkeys.origin)) == 0) {
		capos_UserSession_enrolCode_Results_set_validSeconds(&r,
		    (uint32_t)(PASSKEY_CODE_NS / 1000000000ull));
		rc = 0;
	}
	memset(code, 0, sizeof(code));
	return rc;
}

/* A code that names no live code: audited (never the code), failed. */
static int
no_code(struct rt_request *rq, const char *sn, size_t slen)
{
	audit_append(&audit, rt_now_ns(), AUDIT_PASSKEY_ENROLLED,
	    CRED_ENROL_CODE_UNKNOWN, "", 0, sn, slen, "", 0, 0);
	rt_printf("[auth] passkey enrolment refused: not an enrolment code "
	    "issued, or used, or expired\n");
	return rt_reply_exception(rq, capos_CapException_Type_failed,
	    "no such enrolment code");
}

/* The options for navigator.credentials.create, for a live code: a
 * challenge bound to the code. The code is not spent here. */
static int
do_enrol_code_options(void *ctx, struct rt_request *rq)
{
	struct capos_SessionManager_enrolCodeOptions_Params_r p = {
	    rq->params };
	struct capos_SessionManager_enrolCodeOptions_Results_b r;
	struct capnp_text code = { 0 }, src = { 0 };
	const struct passkey_code *pc;
	uint8_t ch[PASSKEY_CHALLENGE_LEN];
	struct account *a;
	const char *sn;
	size_t slen;

	(void)ctx;
	if (passkeys.origin[0] == '\0')
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "passkeys are not configured");
	if (capos_SessionManager_enrolCodeOptions_Params_get_code(&p,
	    &code) != 0 ||
	    capos_SessionManager_enrolCodeOptions_Params_get_source(&p,
	    &src) != 0 || src.len > capos_SessionManager_maxSource)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "malformed enrolment code request");
	text_of(&src, &sn, &slen);
	pc = passkey_code_find(&passkeys, code.str, code.len, rt_now_ns());
	if (pc == NULL)
		return no_code(rq, sn, slen);
	a = account_find(&logins.accounts, pc->account, strlen(pc->account));
	if (a == NULL || a->status != ACCOUNT_ACTIVE)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "no active account to enrol for");
	if (passkey_handle(a, rng, &drbg) != 0 ||
	    passkey_challenge(&passkeys, rng, &drbg, PASSKEY_ENROL, pc->serial,
	    rt_now_ns(), ch) != 0)
		return no_challenge(rq, a->name, strlen(a->name), sn, slen, 0);
	if (capos_SessionManager_enrolCodeOptions_Results_init_root(
	    &rq->reply, &r) != 0 ||
	    capos_SessionManager_enrolCodeOptions_Results_set_challenge(&r, ch,
	    sizeof(ch)) != 0 ||
	    capos_SessionManager_enrolCodeOptions_Results_set_userHandle(&r,
	    a->handle, sizeof(a->handle)) != 0 ||
	    capos_SessionManager_enrolCodeOptions_Results_set_rpId(&r,
	    passkeys.rp_id, strlen(passkeys.rp_id)) != 0 ||
	    capos_SessionManager_enrolCodeOptions_Results_set_account(&r,
	    a->name, strlen(a->name)) != 0)
		return -1;
	return 0;
}

/* The browser's answer for a code: the code is spent, the passkey
 * checked and recorded for the code's account. */
static int
do_enrol_by_code(void *ctx, struct rt_request *rq)
{
	struct capos_SessionManager_enrolByCode_Params_r p = { rq->params };
	struct capos_SessionManager_enrolByCode_Results_b r;
	struct capnp_text code = { 0 }, src = { 0 };
	struct capnp_data cdj = { 0 }, ao = { 0 };
	const char *sn, *n, *why;
	struct account *a;
	size_t slen;
	int reason;

	(void)ctx;
	if (passkeys.origin[0] == '\0')
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "passkeys are not configured");
	if (capos_SessionManager_enrolByCode_Params_get_code(&p, &code) != 0 ||
	    capos_SessionManager_enrolByCode_Params_get_clientDataJson(&p,
	    &cdj) != 0 ||
	    capos_SessionManager_enrolByCode_Params_get_attestationObject(&p,
	    &ao) != 0 ||
	    capos_SessionManager_enrolByCode_Params_get_source(&p, &src) != 0 ||
	    cdj.len > capos_SessionManager_maxClientData ||
	    ao.len > capos_SessionManager_maxAttestation ||
	    src.len > capos_SessionManager_maxSource)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "malformed enrolment");
	text_of(&src, &sn, &slen);
	reason = passkey_enrol_code(&passkeys, &logins.accounts, code.str,
	    code.len, cdj.ptr, cdj.len, ao.ptr, ao.len, rt_now_ns(), &n, &why);
	audit_append(&audit, rt_now_ns(), AUDIT_PASSKEY_ENROLLED,
	    (uint32_t)reason, n, strlen(n), sn, slen, "", 0, 0);
	a = reason == CRED_OK ? account_find(&logins.accounts, n, strlen(n)) :
	    NULL;
	if (a != NULL)
		rt_printf("[auth] passkey enrolled by code for %s (%u held)\n",
		    n, a->npasskeys);
	else
		rt_printf("[auth] passkey enrolment by code refused: %s\n",
		    why);
	if (capos_SessionManager_enrolByCode_Results_init_root(&rq->reply,
	    &r) != 0)
		return -1;
	capos_SessionManager_enrolByCode_Results_set_reason(&r,
	    (enum capos_AuthReason)reason);
	return 0;
}

/* ---- AuditLog ---- */

static int
do_audit_read(void *ctx, struct rt_request *rq)
{
	struct capos_AuditLog_read_Params_r p = { rq->params };
	struct capos_AuditLog_read_Results_b r;
	struct capos_AuditRecord_b e;
	const struct audit_record *recs[capos_AuditLog_maxRead];
	struct capnp_lb list;
	uint32_t max = capos_AuditLog_read_Params_get_max(&p), n;

	(void)ctx;
	if (caller_session(rq, SESSION_KIND_AUDIT) == NULL)
		return 0;
	if (max == 0 || max > capos_AuditLog_maxRead)
		max = capos_AuditLog_maxRead;
	n = audit_read(&audit, capos_AuditLog_read_Params_get_after(&p), max,
	    recs);
	if (capos_AuditLog_read_Results_init_root(&rq->reply, &r) != 0 ||
	    capos_AuditLog_read_Results_init_records(&r, n, &list) != 0)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		const struct audit_record *a = recs[i];

		if (capos_AuditRecord_b_at(&list, i, &e) != 0 ||
		    capos_AuditRecord_set_account(&e, a->account,
		    strlen(a->account)) != 0 ||
		    capos_AuditRecord_set_source(&e, a->source,
		    strlen(a->source)) != 0 ||
		    capos_AuditRecord_set_profile(&e, a->profile,
		    strlen(a->profile)) != 0 ||
		    capos_AuditRecord_set_tool(&e, a->tool,
		    strlen(a->tool)) != 0 ||
		    capos_AuditRecord_set_call(&e, a->call,
		    strlen(a->call)) != 0)
			return -1;
		capos_AuditRecord_set_seq(&e, a->seq);
		capos_AuditRecord_set_timeNs(&e, a->time_ns);
		capos_AuditRecord_set_event(&e, (enum capos_AuditEvent)a->event);
		capos_AuditRecord_set_reason(&e, (enum capos_AuthReason)
		    a->reason);
		capos_AuditRecord_set_sessionSerial(&e, a->session_serial);
		capos_AuditRecord_set_strength(&e, (enum capos_AuthStrength)
		    a->strength);
	}
	capos_AuditLog_read_Results_set_dropped(&r, audit.dropped);
	capos_AuditLog_read_Results_set_last(&r, audit.last);
	return 0;
}

static const struct rt_method methods[] = {
	{ capos_SessionManager_INTERFACE_ID, capos_SessionManager_login_ORDINAL,
	  do_login },
	{ capos_SessionManager_INTERFACE_ID,
	  capos_SessionManager_anonymous_ORDINAL, do_anonymous },
	{ capos_SessionManager_INTERFACE_ID,
	  capos_SessionManager_keyAcceptable_ORDINAL, do_key_acceptable },
	{ capos_SessionManager_INTERFACE_ID,
	  capos_SessionManager_loginKey_ORDINAL, do_login_key },
	{ capos_SessionManager_INTERFACE_ID,
	  capos_SessionManager_passkeyChallenge_ORDINAL, do_passkey_challenge },
	{ capos_SessionManager_INTERFACE_ID,
	  capos_SessionManager_loginPasskey_ORDINAL, do_login_passkey },
	{ capos_UserSession_INTERFACE_ID, capos_UserSession_info_ORDINAL,
	  do_info },
	{ capos_UserSession_INTERFACE_ID, capos_UserSession_shellBundle_ORDINAL,
	  do_bundle },
	{ capos_UserSession_INTERFACE_ID, capos_UserSession_logout_ORDINAL,
	  do_logout },
	{ capos_UserSession_INTERFACE_ID,
	  capos_UserSession_toolPermissions_ORDINAL, do_tool_permissions },
	{ capos_UserSession_INTERFACE_ID, capos_UserSession_stepUp_ORDINAL,
	  do_step_up },
	{ capos_UserSession_INTERFACE_ID, capos_UserSession_recordTool_ORDINAL,
	  do_record_tool },
	{ capos_UserSession_INTERFACE_ID,
	  capos_UserSession_enrolChallenge_ORDINAL, do_enrol_challenge },
	{ capos_UserSession_INTERFACE_ID, capos_UserSession_enrolPasskey_ORDINAL,
	  do_enrol_passkey },
	{ capos_UserSession_INTERFACE_ID, capos_UserSession_enrolCode_ORDINAL,
	  do_enrol_code },
	{ capos_SessionManager_INTERFACE_ID,
	  capos_SessionManager_enrolCodeOptions_ORDINAL,
	  do_enrol_code_options },
	{ capos_SessionManager_INTERFACE_ID,
	  capos_SessionManager_enrolByCode_ORDINAL, do_enrol_by_code },
	{ capos_AuditLog_INTERFACE_ID, capos_AuditLog_read_ORDINAL,
	  do_audit_read },
	{ 0, CAPOS_METHOD_DROPPED, do_dropped },
};

/* ---- The loop ---- */

static uint8_t recv_buf[SVC_RECV_BUF] __attribute__((aligned(8)));
static struct capos_capdesc recv_caps[CAPOS_MAX_XCAPS];
static uint8_t reply_buf[CAPOS_MAX_RESULT] __attribute__((aligned(8)));
static uint8_t wake_buf[128] __attribute__((aligned(8)));
/* The one-shot notification armed for the earliest answer owed, its
 * next() in flight, and the time it was armed for. */
static capos_cap_t wake = CAPOS_CAP_NULL;
static uint64_t wake_tag, wake_at;

/* Decides one call and answers it, unless its handler deferred it: as
 * rt_serve does, with the table above. */
static void
serve_call(const struct capos_cqe *cqe)
{
	static struct rt_request rq;
	const struct rt_method *m = NULL;
	const size_t n = sizeof(methods) / sizeof(methods[0]);
	struct svc_call call;
	int rc = svc_take(cqe, recv_buf, &call);

	if (rc < 0 && rc != RT_BAD_PARAMS)
		return;
	memset(&rq, 0, sizeof(rq));
	rq.exc_type = -1;
	rq.hdr = call.hdr;
	rq.params_bytes = recv_buf + sizeof(*call.hdr);
	rq.msg = call.msg;
	rq.params = call.params;
	memcpy(rq.caps, recv_caps, sizeof(rq.caps));
	if (capnp_builder_init(&rq.reply, reply_buf, sizeof(reply_buf)) != 0)
		return;
	/* Notices have call id 0 and reach only the notice entry. */
	for (size_t i = 0; i < n && m == NULL; i++)
		if (methods[i].iface == rq.hdr->interface_id &&
		    methods[i].method == rq.hdr->method &&
		    call.notice == (methods[i].iface == 0))
			m = &methods[i];
	if (call.notice) {
		if (m != NULL)
			(void)m->fn(NULL, &rq);
	} else {
		if (rc == RT_BAD_PARAMS)
			rt_reply_exception(&rq, capos_CapException_Type_failed,
			    "malformed params");
		else if (m == NULL)
			rt_reply_exception(&rq,
			    capos_CapException_Type_unimplemented,
			    "no such method");
		else if (m->fn(NULL, &rq) != 0 && rq.exc_type < 0)
			rt_reply_exception(&rq, capos_CapException_Type_failed,
			    "the method failed");
		if (rq.exc_type >= 0)
			(void)svc_answer_exception(owner, rq.hdr->call_id,
			    (enum capos_CapException_Type)rq.exc_type,
			    rq.exc_reason != NULL ? rq.exc_reason : "");
		else if (!rq.deferred)
			(void)svc_answer(owner, rq.hdr->call_id, &rq.reply,
			    rq.reply_caps, rq.nreply_caps);
	}
	/* No method of ours keeps a capability a call brought. */
	for (uint32_t i = 0; i < rq.hdr->ncaps && i < CAPOS_MAX_XCAPS; i++)
		(void)rt_release(recv_caps[i].cap);
}

static void
disarm(void)
{
	if (wake == CAPOS_CAP_NULL)
		return;
	/* Releasing it answers its next() as disconnected; nobody waits. */
	(void)rt_forget(wake_tag);
	(void)rt_release(wake);
	wake = CAPOS_CAP_NULL;
}

/* Sends every answer due at now_ns; the caller may be gone, which is no
 * matter to anyone else. */
static void
answer_due(uint64_t now_ns)
{
	struct pend_entry e;
	struct capos_sqe sqe;
	struct capos_cqe c;

	while (pend_take(&pend, now_ns, &e)) {
		rt_prep_return(&sqe, owner, e.call_id, e.msg, e.len, NULL, 0);
		if (rt_submit(&sqe) == 0)
			(void)rt_wait(sqe.user_data, &c);
	}
}

/* Arms the notification for the earliest answer owed, unless it already
 * fires no later. Without a notification (the kernel's limits) the owed
 * answers go at once rather than never. */
static void
arm(void)
{
	uint64_t due, now;
	struct capos_sqe e;

	if (!pend_next(&pend, &due)) {
		disarm();
		return;
	}
	if (wake != CAPOS_CAP_NULL && wake_at <= due)
		return;
	disarm();
	now = rt_now_ns();
	if (rt_timer_notify(due > now ? due - now : 1, 0, &wake) != 0) {
		wake = CAPOS_CAP_NULL;
		rt_warn("[auth] no timer notification: owed answers sent "
		    "at once\n");
		answer_due(UINT64_MAX);
		return;
	}
	rt_prep_call(&e, wake, capos_TimerNotification_INTERFACE_ID,
	    capos_TimerNotification_next_ORDINAL, NULL, wake_buf,
	    sizeof(wake_buf), NULL, 0, 0);
	if (rt_submit(&e) != 0) {
		(void)rt_release(wake);
		wake = CAPOS_CAP_NULL;
		return;
	}
	wake_tag = e.user_data;
	wake_at = due;
}

/*
 * Waits at once on the next call and on the notification for the owed
 * answers. Returns CAPOS_EPEER once no client is left and nothing is
 * owed, or a ring error.
 */
static int
serve(void)
{
	struct capos_cqe cqe;
	struct capos_sqe e;
	uint64_t tags[2], recv_tag = 0;
	bool open = true, posted = false;

	for (;;) {
		int n = 0, k;

		if (open && !posted) {
			rt_prep_recv(&e, owner, recv_buf, sizeof(recv_buf),
			    recv_caps);
			if ((k = rt_submit(&e)) != 0)
				return k;
			recv_tag = e.user_data;
			posted = true;
		}
		if (!open && pend.n == 0)
			return CAPOS_EPEER;
		if (posted)
			tags[n++] = recv_tag;
		if (wake != CAPOS_CAP_NULL)
			tags[n++] = wake_tag;
		if (n == 0)
			return CAPOS_EPEER;
		if ((k = rt_wait_any(tags, n, &cqe)) < 0)
			return k;
		if (posted && k == 0) {
			posted = false;
			if (cqe.status == CAPOS_EPEER ||
			    cqe.status == CAPOS_ECANCELED)
				open = false;
			else if (cqe.status >= 0 ||
			    cqe.status == CAPOS_ERESULT ||
			    cqe.status == CAPOS_ETRANSFER ||
			    cqe.status == CAPOS_EFAULT)
				serve_call(&cqe);
			else
				return cqe.status;
		} else {
			(void)rt_release(wake);
			wake = CAPOS_CAP_NULL;
		}
		answer_due(rt_now_ns());
		arm();
	}
}

/* Reads the arguments; returns how many were refused. */
static int
load_seed(void)
{
	int bad = 0;

	for (int i = 0; i < rt_argc(); i++) {
		const char *a = rt_argv(i), *why = "unknown argument";

		if (strncmp(a, "account=", 8) == 0)
			why = account_add(&logins.accounts, a + 8,
			    strlen(a + 8));
		else if (strncmp(a, "sshKey=", 7) == 0)
			why = pubkey_add(&logins.accounts, a + 7,
			    strlen(a + 7));
		else if (strncmp(a, "profile=", 8) == 0)
			why = profile_add(&profiles, a + 8, strlen(a + 8));
		else if (strncmp(a, "passkeys=", 9) == 0)
			why = passkey_configure(&passkeys, a + 9,
			    strlen(a + 9));
		else if (strncmp(a, "tools=", 6) == 0)
			why = profile_tools_add(&profiles, a + 6,
			    strlen(a + 6));
		else if (strncmp(a, "sessionTtl=", 11) == 0) {
			uint64_t v = 0;

			why = a[11] == '\0' ? "malformed sessionTtl" : NULL;
			for (const char *c = a + 11; *c != '\0'; c++) {
				if (*c < '0' || *c > '9' || v > 1000000000ull) {
					why = "malformed sessionTtl";
					break;
				}
				v = v * 10 + (uint64_t)(*c - '0');
			}
			session_ttl_ns = v * 1000000000ull;
		}
		if (why != NULL) {
			/* The argument itself is not printed: it may hold a
			 * password record. */
			rt_printf("[auth] argument %d refused: %s\n", i, why);
			bad++;
		}
	}
	return bad;
}

int
main(void)
{
	int rc;

	owner = rt_cap("sessionManager", capos_Endpoint_INTERFACE_ID);
	entropy.cap = rt_cap("entropy", capos_Entropy_INTERFACE_ID);
	entropy.iface = capos_Entropy_INTERFACE_ID;
	if (owner == CAPOS_CAP_NULL || entropy.cap == CAPOS_CAP_NULL ||
	    rt_cap("timer", capos_Timer_INTERFACE_ID) == CAPOS_CAP_NULL) {
		rt_printf("[auth] needs sessionManager, entropy and timer\n");
		return 1;
	}
	load_seed();
	if ((rc = crypto_drbg_init(&drbg, crypto_rt_entropy, &entropy)) != 0 ||
	    (rc = login_init(&logins)) != 0) {
		rt_printf("[auth] cannot start: the random generator or "
		    "scrypt failed\n");
		return 1;
	}
	rt_debug("[auth] %u accounts, %u profiles\n", logins.accounts.n,
	    profiles.n);
	rc = serve();
	crypto_drbg_free(&drbg);
	if (rc != CAPOS_EPEER) {
		rt_printf("[auth] stopped: %s\n", rt_strerror(rc));
		return 1;
	}
	return 0;
}
