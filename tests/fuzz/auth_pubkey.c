/*
 * libFuzzer target for auth's public-key logins (services/auth/pubkey.c),
 * whose inputs come from an SSH gateway, that is from a client: the first
 * input byte picks what the rest is.
 *
 *   0  an sshKey= seed line (after "sshKey="), added to a fresh store
 *   1  a loginKey request: 51 bytes of key blob, 83 of signature blob,
 *      then the signed data (any length), for the account "admin"
 *   2  the same, with the rest's first byte as the account name's length
 *   3  a keyAcceptable query: the rest is the key blob
 *
 * Every outcome must be one of the documented reasons, and a request
 * that is not a correctly signed one for admin's key must not succeed.
 *
 *	make fuzz && build/fuzz/auth_pubkey -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "pubkey.h"

/* admin, with the key of seed 7 (as tests/unit/test_auth.c makes it). */
static const char account[] = "admin:1000:active:operator:scrypt$1024$1$1$"
    "30313233343536373839616263646566$"
    "0000000000000000000000000000000000000000000000000000000000000000";

static struct login_state ls;
static uint8_t admin_pub[32];

static void
setup(void)
{
	static int done;
	uint8_t seed[32];
	struct crypto_ed25519_key k;

	if (done)
		return;
	done = 1;
	memset(seed, 7, sizeof(seed));
	if (crypto_ed25519_from_seed(&k, seed) != 0 ||
	    account_add(&ls.accounts, account, sizeof(account) - 1) != NULL)
		abort();
	memcpy(admin_pub, k.pub, sizeof(admin_pub));
	memcpy(ls.accounts.a[0].keys[0], k.pub, sizeof(k.pub));
	ls.accounts.a[0].nkeys = 1;
}

static void
check(const struct login_outcome *o)
{
	switch (o->reason) {
	case CRED_OK:
	case CRED_MALFORMED:
	case CRED_BAD_SIGNATURE:
	case CRED_UNKNOWN_ACCOUNT:
	case CRED_UNKNOWN_KEY:
	case CRED_ACCOUNT_DISABLED:
	case CRED_REPLAYED:
	case CRED_THROTTLED:
	case CRED_ACCOUNT_LOCKED:
		break;
	default:
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct account_store st;
	struct login_outcome o;
	const char *name = "admin";
	size_t nlen = 5;
	uint8_t pub[32];

	setup();
	/* Each input starts from no failures and no logins seen, so no
	 * lock or earlier input decides its outcome. */
	memset(ls.sources, 0, sizeof(ls.sources));
	memset(ls.seen, 0, sizeof(ls.seen));
	ls.nseen = 0;
	memset(&ls.accounts.a[0].fails, 0, sizeof(ls.accounts.a[0].fails));
	if (size < 1)
		return 0;
	size--;
	switch (*data++ % 4) {
	case 0:
		memset(&st, 0, sizeof(st));
		if (account_add(&st, account, sizeof(account) - 1) != NULL)
			abort();
		if (pubkey_add(&st, (const char *)data, size) == NULL &&
		    st.a[0].nkeys != 1)
			abort();
		break;
	case 2:
		if (size < 1)
			return 0;
		nlen = *data % 40 < size - 1 ? *data % 40 : size - 1;
		name = (const char *)data + 1;
		data += 1 + nlen;
		size -= 1 + nlen;
		/* fall through */
	case 1:
		if (size < PUBKEY_BLOB_LEN + PUBKEY_SIG_BLOB_LEN)
			return 0;
		pubkey_attempt(&ls, name, nlen, data, PUBKEY_BLOB_LEN,
		    data + PUBKEY_BLOB_LEN + PUBKEY_SIG_BLOB_LEN,
		    size - PUBKEY_BLOB_LEN - PUBKEY_SIG_BLOB_LEN,
		    data + PUBKEY_BLOB_LEN, PUBKEY_SIG_BLOB_LEN, "fuzz", 4, 1,
		    &o);
		check(&o);
		/* Success needs admin's own key, correctly signed. */
		if (o.reason == CRED_OK &&
		    (crypto_ssh_ed25519_parse_key(data, PUBKEY_BLOB_LEN,
		    pub) != 0 || memcmp(pub, admin_pub, 32) != 0 ||
		    crypto_ed25519_verify(pub, data + PUBKEY_BLOB_LEN +
		    PUBKEY_SIG_BLOB_LEN, size - PUBKEY_BLOB_LEN -
		    PUBKEY_SIG_BLOB_LEN, data + PUBKEY_BLOB_LEN + 19) != 0))
			abort();
		break;
	default:
		if (pubkey_acceptable(&ls, "admin", 5, data, size, "fuzz", 4,
		    1) && (size != PUBKEY_BLOB_LEN ||
		    memcmp(data + 19, admin_pub, 32) != 0))
			abort();
		break;
	}
	return 0;
}
