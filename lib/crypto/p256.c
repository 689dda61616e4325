/*
 * P-256 ECDSA over wolfCrypt's single-precision P-256 code. For
 * verification, the checks SEC 1 4.1.4 makes before any arithmetic are
 * made here, on the raw bytes: the key is a point on the curve
 * (wolfCrypt's import, WOLFSSL_VALIDATE_ECC_IMPORT) and r and s lie in
 * [1, n-1]. Signing (the key vault's TLS key) uses RFC 6979 nonces and
 * DER signatures, as TLS 1.3 carries them.
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

/* ---- Signing ---- */

/* Loads k's private scalar into a wolfCrypt key; 0 or CRYPTO_EINTERNAL. */
static int
load_private(ecc_key *key, const uint8_t d[CRYPTO_P256_SCALAR_LEN],
    WC_RNG *rng)
{
	if (wc_ecc_init(key) != 0)
		return CRYPTO_EINTERNAL;
	if (wc_ecc_import_private_key_ex(d, CRYPTO_P256_SCALAR_LEN, NULL, 0,
	    key, ECC_SECP256R1) != 0 ||
	    (rng != NULL && wc_ecc_set_rng(key, rng) != 0)) {
		wc_ecc_free(key);
		return CRYPTO_EINTERNAL;
	}
	return 0;
}

int
crypto_p256_from_scalar(struct crypto_p256_key *k,
    const uint8_t d[CRYPTO_P256_SCALAR_LEN])
{
	ecc_key key;
	word32 xl = CRYPTO_P256_COORD_LEN, yl = CRYPTO_P256_COORD_LEN;
	int rc;

	memset(k, 0, sizeof(*k));
	if (!in_range(d))
		return CRYPTO_EINVAL;
	if ((rc = load_private(&key, d, NULL)) != 0)
		return rc;
	rc = wc_ecc_make_pub(&key, NULL) == 0 &&
	    wc_ecc_export_public_raw(&key, k->qx, &xl, k->qy, &yl) == 0 &&
	    xl == CRYPTO_P256_COORD_LEN && yl == CRYPTO_P256_COORD_LEN ?
	    0 : CRYPTO_EINTERNAL;
	wc_ecc_free(&key);
	if (rc != 0) {
		crypto_wipe(k, sizeof(*k));
		return rc;
	}
	memcpy(k->d, d, CRYPTO_P256_SCALAR_LEN);
	return 0;
}

/* Appends INTEGER v (32 bytes big endian, non-zero) in minimal DER. */
static size_t
der_integer(uint8_t *out, const uint8_t v[CRYPTO_P256_COORD_LEN])
{
	size_t i = 0, n;

	while (i < CRYPTO_P256_COORD_LEN - 1 && v[i] == 0)
		i++;
	n = CRYPTO_P256_COORD_LEN - i;
	out[0] = 0x02;
	if (v[i] & 0x80) {
		out[1] = (uint8_t)(n + 1);
		out[2] = 0;
		memcpy(out + 3, v + i, n);
		return n + 3;
	}
	out[1] = (uint8_t)n;
	memcpy(out + 2, v + i, n);
	return n + 2;
}

int
crypto_p256_sign(const struct crypto_p256_key *k, struct crypto_drbg *rng,
    const uint8_t *hash, size_t hlen, uint8_t *sig, size_t *siglen)
{
	uint8_t r[CRYPTO_P256_COORD_LEN], s[CRYPTO_P256_COORD_LEN];
	uint8_t der[CRYPTO_P256_DER_SIG_MAX];
	ecc_key key;
	mp_int mr, ms;
	size_t n;
	int rc;

	if (hlen < 1 || hlen > 64 || *siglen < 8)
		return CRYPTO_EINVAL;
	if (rng == NULL || rng->state != 1)
		return CRYPTO_EFAILED;
	if ((rc = load_private(&key, k->d, (WC_RNG *)rng->opaque)) != 0)
		return rc;
	if (wc_ecc_set_deterministic(&key, 1) != 0 ||
	    mp_init_multi(&mr, &ms, NULL, NULL, NULL, NULL) != 0) {
		wc_ecc_free(&key);
		return CRYPTO_EINTERNAL;
	}
	rc = wc_ecc_sign_hash_ex(hash, (word32)hlen, (WC_RNG *)rng->opaque,
	    &key, &mr, &ms) == 0 &&
	    mp_to_unsigned_bin_len(&mr, r, CRYPTO_P256_COORD_LEN) == 0 &&
	    mp_to_unsigned_bin_len(&ms, s, CRYPTO_P256_COORD_LEN) == 0 ?
	    0 : CRYPTO_EINTERNAL;
	mp_clear(&mr);
	mp_clear(&ms);
	/* wolfSSL 5.5.4's wc_ecc_free releases the RFC 6979 nonce only when
	 * WOLFSSL_ECDSA_SET_K is defined: the nonce is secret, so it is
	 * zeroed and released here. */
	if (key.sign_k != NULL) {
		mp_forcezero(key.sign_k);
		XFREE(key.sign_k, key.heap, DYNAMIC_TYPE_ECC);
		key.sign_k = NULL;
	}
	wc_ecc_free(&key);
	/* A signature that does not verify was made by a faulty
	 * computation, and could reveal the key: it is never returned. */
	if (rc == 0 && crypto_p256_verify(k->qx, k->qy, hash, hlen, r, s) != 0)
		rc = CRYPTO_EINTERNAL;
	if (rc != 0)
		return rc;
	n = der_integer(der + 2, r);
	n += der_integer(der + 2 + n, s);
	der[0] = 0x30;
	der[1] = (uint8_t)n;
	n += 2;
	if (n > *siglen)
		return CRYPTO_EINVAL;
	memcpy(sig, der, n);
	*siglen = n;
	return 0;
}

/* Reads one minimal non-negative DER INTEGER of at most 32 value bytes
 * into v; the bytes it took, or 0 when it is malformed. */
static size_t
der_read_integer(const uint8_t *p, size_t len,
    uint8_t v[CRYPTO_P256_COORD_LEN])
{
	size_t n, total;

	if (len < 3 || p[0] != 0x02 || p[1] < 1 || p[1] > 33 ||
	    (size_t)p[1] + 2 > len)
		return 0;
	n = p[1];
	total = n + 2;
	p += 2;
	if (p[0] & 0x80)
		return 0;	/* negative */
	if (p[0] == 0 && n > 1) {
		if (!(p[1] & 0x80))
			return 0;	/* padding beyond a sign byte */
		p++;
		n--;
	}
	if (n > CRYPTO_P256_COORD_LEN)
		return 0;
	memset(v, 0, CRYPTO_P256_COORD_LEN);
	memcpy(v + CRYPTO_P256_COORD_LEN - n, p, n);
	return total;
}

int
crypto_p256_sig_from_der(const uint8_t *der, size_t len,
    uint8_t r[CRYPTO_P256_COORD_LEN], uint8_t s[CRYPTO_P256_COORD_LEN])
{
	size_t a, b;

	/* Short-form lengths only: the longest signature is 72 bytes. */
	if (len < 8 || len > CRYPTO_P256_DER_SIG_MAX || der[0] != 0x30 ||
	    der[1] != len - 2)
		return CRYPTO_EINVAL;
	if ((a = der_read_integer(der + 2, len - 2, r)) == 0 ||
	    (b = der_read_integer(der + 2 + a, len - 2 - a, s)) == 0 ||
	    2 + a + b != len) {
		memset(r, 0, CRYPTO_P256_COORD_LEN);
		memset(s, 0, CRYPTO_P256_COORD_LEN);
		return CRYPTO_EINVAL;
	}
	return 0;
}

/* SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (0
 * unused bits) 0x04 ... }: everything of a P-256 SubjectPublicKeyInfo
 * before the coordinates (RFC 5480 2). */
static const uint8_t spki_prefix[] = {
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d,
	0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01,
	0x07, 0x03, 0x42, 0x00, 0x04,
};

int
crypto_p256_cert_key(const uint8_t *der, size_t len,
    uint8_t qx[CRYPTO_P256_COORD_LEN], uint8_t qy[CRYPTO_P256_COORD_LEN])
{
	const size_t need = sizeof(spki_prefix) + 2 * CRYPTO_P256_COORD_LEN;
	const uint8_t *found = NULL;
	ecc_key key;
	int rc;

	for (size_t i = 0; len >= need && i <= len - need; i++) {
		if (memcmp(der + i, spki_prefix, sizeof(spki_prefix)) != 0)
			continue;
		if (found != NULL)
			return CRYPTO_EINVAL;
		found = der + i + sizeof(spki_prefix);
	}
	if (found == NULL)
		return CRYPTO_EINVAL;
	if (wc_ecc_init(&key) != 0)
		return CRYPTO_EINTERNAL;
	rc = wc_ecc_import_unsigned(&key, found, found +
	    CRYPTO_P256_COORD_LEN, NULL, ECC_SECP256R1) == 0 ? 0 :
	    CRYPTO_EINVAL;
	wc_ecc_free(&key);
	if (rc != 0)
		return rc;
	memcpy(qx, found, CRYPTO_P256_COORD_LEN);
	memcpy(qy, found + CRYPTO_P256_COORD_LEN, CRYPTO_P256_COORD_LEN);
	return 0;
}
