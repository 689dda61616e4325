/*
 * authtest: drives auth (services/auth) through its interfaces as a shell
 * and a guessing caller would, for tests/qemu/test_auth.py. It holds
 * "console" and "sessionManager" (a client of auth's export) and nothing
 * else; everything further it gets from auth's answers.
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
 */
#include <string.h>

#include "auth.capnp.h"
#include "check.h"
#include "rt.h"

#define ADMIN_PW	"capos-dev"
#define GUEST_PW	"guest-dev"
#define VICTIM_PW	"victim-dev"
#define WRONG_PW	"Wr0ng-Guess"

static capos_cap_t manager;
static uint8_t pbuf[1024] __attribute__((aligned(8)));
static uint8_t rbuf[65536] __attribute__((aligned(8)));

/* Logs in; returns the session, or CAPOS_CAP_NULL when denied. *status
 * is 1 for a session, 0 for denied, -1 for a failed call. */
static capos_cap_t
login(const char *name, const char *pw, const char *src, int *status)
{
	struct capos_SessionManager_login_Params_b p;
	struct capos_SessionManager_LoginResult_r r;
	struct capnp_builder b;
	struct rt_result res;
	uint32_t idx;

	*status = -1;
	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_SessionManager_login_Params_init_root(&b, &p) != 0 ||
	    capos_SessionManager_login_Params_set_account(&p, name,
	    strlen(name)) != 0 ||
	    capos_SessionManager_login_Params_set_password(&p, pw,
	    strlen(pw)) != 0 ||
	    capos_SessionManager_login_Params_set_source(&p, src,
	    strlen(src)) != 0)
		return CAPOS_CAP_NULL;
	if (rt_call(manager, capos_SessionManager_INTERFACE_ID,
	    capos_SessionManager_login_ORDINAL, &b, NULL, 0, rbuf, sizeof(rbuf),
	    &res) != 0)
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
		    contains(rbuf, sizeof(rbuf), VICTIM_PW);
		r.s = res.root;
		if (capos_AuditLog_read_Results_get_records(&r, &list) != 0 ||
		    list.n == 0)
			break;
		for (uint32_t i = 0; i < list.n; i++) {
			if (capos_AuditRecord_at(&list, i, &rec) != 0 ||
			    capos_AuditRecord_get_account(&rec, &acct) != 0)
				continue;
			after = capos_AuditRecord_get_seq(&rec);
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
	expect("audit: bytes of a typed password in the log", leaks, 0);
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

	expect("operator bundle again", bundle(admin, "operator", &bu), 0);
	check_audit(bu.caps[1]);

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
