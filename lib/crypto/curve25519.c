/*
 * X25519 and Ed25519 over wolfCrypt's field and group arithmetic. The
 * checks RFC 7748 and RFC 8032 leave to the caller are made here: the
 * all-zero X25519 output of a low-order point is refused, and so is an
 * Ed25519 signature whose S is not below the group order.
 */
#include "wc.h"

#include <wolfssl/wolfcrypt/curve25519.h>
#include <wolfssl/wolfcrypt/ed25519.h>

static const uint8_t basepoint[CRYPTO_X25519_LEN] = { 9 };

int
crypto_x25519(uint8_t out[CRYPTO_X25519_LEN],
    const uint8_t scalar[CRYPTO_X25519_LEN],
    const uint8_t point[CRYPTO_X25519_LEN])
{
	uint8_t k[CRYPTO_X25519_LEN], u[CRYPTO_X25519_LEN];
	uint8_t any = 0;
	int rc;

	/* RFC 7748 5: clamp the scalar, ignore the point's top bit. */
	memcpy(k, scalar, sizeof(k));
	k[0] &= 248;
	k[31] &= 127;
	k[31] |= 64;
	memcpy(u, point, sizeof(u));
	u[31] &= 127;
	rc = wc_curve25519_generic(CRYPTO_X25519_LEN, out, sizeof(k), k,
	    sizeof(u), u);
	crypto_wipe(k, sizeof(k));
	if (rc != 0) {
		crypto_wipe(out, CRYPTO_X25519_LEN);
		return CRYPTO_EINTERNAL;
	}
	/* RFC 7748 6.1: an all-zero result means a low-order point; the
	 * test runs over every byte so its time says nothing of out. */
	for (size_t i = 0; i < CRYPTO_X25519_LEN; i++)
		any |= out[i];
	if (any == 0)
		return CRYPTO_EWEAK;
	return 0;
}

int
crypto_x25519_public(uint8_t pub[CRYPTO_X25519_LEN],
    const uint8_t scalar[CRYPTO_X25519_LEN])
{
	return crypto_x25519(pub, scalar, basepoint);
}

int
crypto_ed25519_from_seed(struct crypto_ed25519_key *k,
    const uint8_t seed[CRYPTO_ED25519_SEED_LEN])
{
	ed25519_key key;
	int rc = 0;

	wc_ed25519_init(&key);
	if (wc_ed25519_import_private_only(seed, CRYPTO_ED25519_SEED_LEN,
	    &key) != 0 ||
	    wc_ed25519_make_public(&key, k->pub, CRYPTO_ED25519_PUB_LEN) != 0)
		rc = CRYPTO_EINTERNAL;
	else
		memcpy(k->seed, seed, CRYPTO_ED25519_SEED_LEN);
	wc_ed25519_free(&key);
	crypto_wipe(&key, sizeof(key));
	if (rc != 0)
		crypto_wipe(k, sizeof(*k));
	return rc;
}

int
crypto_ed25519_sign(const struct crypto_ed25519_key *k, const void *msg,
    size_t len, uint8_t sig[CRYPTO_ED25519_SIG_LEN])
{
	ed25519_key key;
	word32 slen = CRYPTO_ED25519_SIG_LEN;
	int rc = 0;

	if (len > UINT32_MAX)
		return CRYPTO_EINVAL;
	wc_ed25519_init(&key);
	if (wc_ed25519_import_private_key(k->seed, CRYPTO_ED25519_SEED_LEN,
	    k->pub, CRYPTO_ED25519_PUB_LEN, &key) != 0 ||
	    wc_ed25519_sign_msg(msg, (word32)len, sig, &slen, &key) != 0 ||
	    slen != CRYPTO_ED25519_SIG_LEN) {
		crypto_wipe(sig, CRYPTO_ED25519_SIG_LEN);
		rc = CRYPTO_EINTERNAL;
	}
	wc_ed25519_free(&key);
	crypto_wipe(&key, sizeof(key));
	return rc;
}

/* The group order L = 2^252 + 27742317777372353535851937790883648493,
 * little endian as S is encoded. */
static const uint8_t order_l[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
	0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

/* S < L, reading both as little-endian numbers. Signatures are public,
 * so the comparison may stop at the first differing byte. */
static bool
s_below_order(const uint8_t s[32])
{
	for (int i = 31; i >= 0; i--) {
		if (s[i] != order_l[i])
			return s[i] < order_l[i];
	}
	return false;
}

int
crypto_ed25519_verify(const uint8_t pub[CRYPTO_ED25519_PUB_LEN],
    const void *msg, size_t len, const uint8_t sig[CRYPTO_ED25519_SIG_LEN])
{
	ed25519_key key;
	int res = 0, rc;

	if (len > UINT32_MAX)
		return CRYPTO_EINVAL;
	if (!s_below_order(sig + 32))
		return CRYPTO_EBADSIG;
	wc_ed25519_init(&key);
	rc = wc_ed25519_import_public(pub, CRYPTO_ED25519_PUB_LEN, &key);
	if (rc == 0)
		rc = wc_ed25519_verify_msg(sig, CRYPTO_ED25519_SIG_LEN, msg,
		    (word32)len, &res, &key);
	wc_ed25519_free(&key);
	return rc == 0 && res == 1 ? 0 : CRYPTO_EBADSIG;
}
