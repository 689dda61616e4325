/*
 * P-256 ECDSA verification over wolfCrypt's single-precision P-256 code.
 * The checks SEC 1 4.1.4 makes before any arithmetic are made here, on
 * the raw bytes: the key is a point on the curve (wolfCrypt's import,
 * WOLFSSL_VALIDATE_ECC_IMPORT) and r and s lie in [1, n-1].
 */
#include "wc.h"

#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/wolfmath.h>

/* The order n of the P-256 base point, big endian. */
static const uint8_t order_n[CRYPTO_P256_COORD_LEN] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

/* 1 <= v <= n - 1 for a big-endian v; signatures are public values. */
static bool
in_range(const uint8_t v[CRYPTO_P256_COORD_LEN])
{
	uint8_t any = 0;

	for (int i = 0; i < CRYPTO_P256_COORD_LEN; i++)
		any |= v[i];
	if (any == 0)
		return false;
	for (int i = 0; i < CRYPTO_P256_COORD_LEN; i++) {
		if (v[i] != order_n[i])
			return v[i] < order_n[i];
	}
	return false;
}

int
crypto_p256_verify(const uint8_t qx[CRYPTO_P256_COORD_LEN],
    const uint8_t qy[CRYPTO_P256_COORD_LEN], const uint8_t *hash,
    size_t hlen, const uint8_t r[CRYPTO_P256_COORD_LEN],
    const uint8_t s[CRYPTO_P256_COORD_LEN])
{
	ecc_key key;
	mp_int mr, ms;
	int res = 0, rc;

	if (hlen < 1 || hlen > 64)
		return CRYPTO_EINVAL;
	if (wc_ecc_init(&key) != 0)
		return CRYPTO_EINTERNAL;
	if (wc_ecc_import_unsigned(&key, qx, qy, NULL, ECC_SECP256R1) != 0) {
		wc_ecc_free(&key);
		return CRYPTO_EINVAL;
	}
	if (!in_range(r) || !in_range(s)) {
		wc_ecc_free(&key);
		return CRYPTO_EBADSIG;
	}
	rc = mp_init_multi(&mr, &ms, NULL, NULL, NULL, NULL);
	if (rc == 0)
		rc = mp_read_unsigned_bin(&mr, r, CRYPTO_P256_COORD_LEN);
	if (rc == 0)
		rc = mp_read_unsigned_bin(&ms, s, CRYPTO_P256_COORD_LEN);
	if (rc == 0)
		rc = wc_ecc_verify_hash_ex(&mr, &ms, hash, (word32)hlen, &res,
		    &key);
	mp_clear(&mr);
	mp_clear(&ms);
	wc_ecc_free(&key);
	return rc == 0 && res == 1 ? 0 : CRYPTO_EBADSIG;
}
