/*
 * SHA-1, SHA-256, SHA-512, HMAC and HKDF over wolfCrypt. wolfCrypt's
 * hash and HMAC functions fail only on NULL arguments and lengths above
 * 32 bits; the first cannot happen here and the second is avoided by
 * feeding long input in pieces, so these functions return nothing.
 */
#include "wc.h"

#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/sha.h>
#include <wolfssl/wolfcrypt/sha256.h>
#include <wolfssl/wolfcrypt/sha512.h>

_Static_assert(sizeof(wc_Sha256) <= sizeof(struct crypto_sha256),
    "crypto_sha256 too small for wolfCrypt's SHA-256 state");
_Static_assert(sizeof(wc_Sha512) <= sizeof(struct crypto_sha512),
    "crypto_sha512 too small for wolfCrypt's SHA-512 state");

void
crypto_sha1(const void *msg, size_t len, uint8_t out[CRYPTO_SHA1_LEN])
{
	const uint8_t *b = msg;
	wc_Sha h;

	wc_InitSha(&h);
	while (len > 0) {
		size_t k = len < CRYPTO_CHUNK ? len : CRYPTO_CHUNK;

		wc_ShaUpdate(&h, b, (word32)k);
		b += k;
		len -= k;
	}
	wc_ShaFinal(&h, out);
	wc_ShaFree(&h);
	crypto_wipe(&h, sizeof(h));
}

void
crypto_sha256_init(struct crypto_sha256 *h)
{
	wc_InitSha256((wc_Sha256 *)h->opaque);
}

void
crypto_sha256_update(struct crypto_sha256 *h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 0) {
		size_t k = n < CRYPTO_CHUNK ? n : CRYPTO_CHUNK;

		wc_Sha256Update((wc_Sha256 *)h->opaque, b, (word32)k);
		b += k;
		n -= k;
	}
}

void
crypto_sha256_final(struct crypto_sha256 *h, uint8_t out[CRYPTO_SHA256_LEN])
{
	wc_Sha256Final((wc_Sha256 *)h->opaque, out);
	wc_Sha256Free((wc_Sha256 *)h->opaque);
	crypto_wipe(h, sizeof(*h));
}

void
crypto_sha256(const void *msg, size_t len, uint8_t out[CRYPTO_SHA256_LEN])
{
	struct crypto_sha256 h;

	crypto_sha256_init(&h);
	crypto_sha256_update(&h, msg, len);
	crypto_sha256_final(&h, out);
}

void
crypto_sha512_init(struct crypto_sha512 *h)
{
	wc_InitSha512((wc_Sha512 *)h->opaque);
}

void
crypto_sha512_update(struct crypto_sha512 *h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 0) {
		size_t k = n < CRYPTO_CHUNK ? n : CRYPTO_CHUNK;

		wc_Sha512Update((wc_Sha512 *)h->opaque, b, (word32)k);
		b += k;
		n -= k;
	}
}

void
crypto_sha512_final(struct crypto_sha512 *h, uint8_t out[CRYPTO_SHA512_LEN])
{
	wc_Sha512Final((wc_Sha512 *)h->opaque, out);
	wc_Sha512Free((wc_Sha512 *)h->opaque);
	crypto_wipe(h, sizeof(*h));
}

void
crypto_sha512(const void *msg, size_t len, uint8_t out[CRYPTO_SHA512_LEN])
{
	struct crypto_sha512 h;

	crypto_sha512_init(&h);
	crypto_sha512_update(&h, msg, len);
	crypto_sha512_final(&h, out);
}

/*
 * HMAC with one of wolfCrypt's hash types. A key longer than the hash's
 * block is hashed first, inside wolfCrypt, as RFC 2104 says; keys longer
 * than 32 bits of length are not a thing anyone passes and are hashed
 * here the same way.
 */
static void
hmac(int type, size_t hlen, const void *key, size_t klen, const void *msg,
    size_t mlen, uint8_t *out)
{
	uint8_t kh[CRYPTO_SHA512_LEN];
	const uint8_t *m = msg;
	Hmac h;

	if (klen > CRYPTO_CHUNK) {
		if (type == WC_SHA256)
			crypto_sha256(key, klen, kh);
		else
			crypto_sha512(key, klen, kh);
		key = kh;
		klen = hlen;
	}
	wc_HmacInit(&h, NULL, INVALID_DEVID);
	wc_HmacSetKey(&h, type, key, (word32)klen);
	while (mlen > 0) {
		size_t k = mlen < CRYPTO_CHUNK ? mlen : CRYPTO_CHUNK;

		wc_HmacUpdate(&h, m, (word32)k);
		m += k;
		mlen -= k;
	}
	wc_HmacFinal(&h, out);
	wc_HmacFree(&h);
	crypto_wipe(&h, sizeof(h));
	crypto_wipe(kh, sizeof(kh));
}

void
crypto_hmac_sha256(const void *key, size_t klen, const void *msg,
    size_t mlen, uint8_t out[CRYPTO_SHA256_LEN])
{
	hmac(WC_SHA256, CRYPTO_SHA256_LEN, key, klen, msg, mlen, out);
}

void
crypto_hmac_sha512(const void *key, size_t klen, const void *msg,
    size_t mlen, uint8_t out[CRYPTO_SHA512_LEN])
{
	hmac(WC_SHA512, CRYPTO_SHA512_LEN, key, klen, msg, mlen, out);
}

/* RFC 5869 2.2: PRK = HMAC(salt, IKM), salt defaulting to HashLen zeros. */
void
crypto_hkdf_sha256_extract(const void *salt, size_t slen, const void *ikm,
    size_t ilen, uint8_t prk[CRYPTO_SHA256_LEN])
{
	static const uint8_t zeros[CRYPTO_SHA256_LEN];

	if (salt == NULL) {
		salt = zeros;
		slen = sizeof(zeros);
	}
	crypto_hmac_sha256(salt, slen, ikm, ilen, prk);
}

/* RFC 5869 2.3, on wolfCrypt's expand. */
int
crypto_hkdf_sha256_expand(const uint8_t prk[CRYPTO_SHA256_LEN],
    const void *info, size_t nlen, uint8_t *out, size_t olen)
{
	if (olen > CRYPTO_HKDF_SHA256_MAX || nlen > CRYPTO_CHUNK ||
	    (info == NULL && nlen != 0))
		return CRYPTO_EINVAL;
	if (olen == 0)
		return 0;
	if (wc_HKDF_Expand(WC_SHA256, prk, CRYPTO_SHA256_LEN, info,
	    (word32)nlen, out, (word32)olen) != 0) {
		crypto_wipe(out, olen);
		return CRYPTO_EINTERNAL;
	}
	return 0;
}

int
crypto_hkdf_sha256(const void *salt, size_t slen, const void *ikm,
    size_t ilen, const void *info, size_t nlen, uint8_t *out, size_t olen)
{
	uint8_t prk[CRYPTO_SHA256_LEN];
	int rc;

	if (olen > CRYPTO_HKDF_SHA256_MAX)
		return CRYPTO_EINVAL;
	crypto_hkdf_sha256_extract(salt, slen, ikm, ilen, prk);
	rc = crypto_hkdf_sha256_expand(prk, info, nlen, out, olen);
	crypto_wipe(prk, sizeof(prk));
	return rc;
}
