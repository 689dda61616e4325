/*
 * The login decision (login.h).
 */
#include <string.h>

#include "login.h"

/* The decoy uses the parameters the default seed uses, so its cost
 * matches a real account's. */
#define DECOY_N	4096
#define DECOY_R	8
#define DECOY_P	1

int
login_init(struct login_state *ls)
{
	static const uint8_t salt[PW_SALT_LEN] = "capos-decoy-salt";
	static const char pw[] = "no password hashes to this";

	return pw_make(pw, sizeof(pw) - 1, salt, DECOY_N, DECOY_R, DECOY_P,
	    &ls->decoy);
}

static uint64_t
max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

bool
login_gate(struct login_state *ls, const char *name, size_t nlen,
    const char *source, size_t slen, uint64_t now_ns,
    struct fail_state **src, struct login_outcome *out)
{
	struct account *a = account_find(&ls->accounts, name, nlen);

	*src = fail_source(ls->sources, source, slen, now_ns);
	memset(out, 0, sizeof(*out));
	out->account = a;
	if (*src == NULL || fail_locked(*src, now_ns)) {
		out->reason = CRED_THROTTLED;
		out->delay_ns = FAIL_DELAY_MAX_NS;
		return true;
	}
	if (a != NULL && fail_locked(&a->fails, now_ns)) {
		out->reason = CRED_ACCOUNT_LOCKED;
		out->delay_ns = FAIL_DELAY_MAX_NS;
		return true;
	}
	return false;
}

void
login_settle(struct fail_state *src, uint64_t now_ns, enum cred_reason reason,
    struct login_outcome *out)
{
	struct account *a = out->account;

	out->reason = reason;
	if (reason == CRED_OK) {
		memset(&a->fails, 0, sizeof(a->fails));
		memset(src, 0, sizeof(*src));
		return;
	}
	fail_count(src, now_ns);
	if (a != NULL)
		fail_count(&a->fails, now_ns);
	out->delay_ns = max64(fail_delay(src),
	    a != NULL ? fail_delay(&a->fails) : 0);
}

void
login_attempt(struct login_state *ls, const char *name, size_t nlen,
    const void *pw, size_t plen, const char *source, size_t slen,
    uint64_t now_ns, struct login_outcome *out)
{
	struct fail_state *src;
	struct account *a;
	int rc;

	if (login_gate(ls, name, nlen, source, slen, now_ns, &src, out))
		return;
	a = out->account;
	rc = pw_verify(a != NULL ? &a->pw : &ls->decoy, pw, plen);
	if (rc < 0) {
		/* scrypt could not run: refuse, and count nothing. */
		out->reason = CRED_MALFORMED;
		return;
	}
	if (a == NULL)
		login_settle(src, now_ns, CRED_UNKNOWN_ACCOUNT, out);
	else if (rc != 0)
		login_settle(src, now_ns, CRED_BAD_PASSWORD, out);
	else if (a->status != ACCOUNT_ACTIVE)
		login_settle(src, now_ns, CRED_ACCOUNT_DISABLED, out);
	else
		login_settle(src, now_ns, CRED_OK, out);
}
