/*
 * The login decision: account store, password check and failure policy
 * together (credential.h has the policy). Pure: the caller gives the
 * time, and sleeps for the delay the decision asks for.
 */
#ifndef AUTH_LOGIN_H
#define AUTH_LOGIN_H

#include "account.h"
#include "credential.h"

/* Session identifiers of key logins that succeeded (pubkey.h), the
 * newest LOGIN_SEEN_MAX kept as their SHA-256. */
#define LOGIN_SEEN_MAX	64

struct login_state {
	struct account_store accounts;
	struct fail_source sources[FAIL_SOURCES];
	/* Checked against when the account is unknown, so an unknown name
	 * costs the same scrypt as a known one and timing does not tell
	 * which names exist. */
	struct pw_record decoy;
	uint8_t seen[LOGIN_SEEN_MAX][32];
	uint32_t nseen;			/* written so far; the ring's next */
};

struct login_outcome {
	enum cred_reason reason;
	struct account *account;	/* when the name is known */
	uint64_t delay_ns;		/* to wait before answering */
};

/* Sets up the decoy record (salt fixed: it matches no password anyone
 * is told). 0, or -1 when scrypt fails. */
int login_init(struct login_state *ls);

/*
 * Decides one attempt at now_ns. A locked source or account is refused
 * without checking the password; otherwise the password is checked
 * (against the decoy when the name is unknown) and a failure counts for
 * the account and the source.
 */
void login_attempt(struct login_state *ls, const char *name, size_t nlen,
    const void *pw, size_t plen, const char *source, size_t slen,
    uint64_t now_ns, struct login_outcome *out);

/*
 * The two halves every kind of login shares. login_gate looks the account
 * up and refuses a locked source or account (out->reason set, true) before
 * any credential is checked; it returns the source's failure state in
 * *src. login_settle then takes the credential check's reason: a success
 * clears the account's and source's counts, a failure counts for both and
 * sets the delay owed.
 */
bool login_gate(struct login_state *ls, const char *name, size_t nlen,
    const char *source, size_t slen, uint64_t now_ns,
    struct fail_state **src, struct login_outcome *out);
void login_settle(struct fail_state *src, uint64_t now_ns,
    enum cred_reason reason, struct login_outcome *out);

#endif
