/*
 * ChaCha20, Poly1305 and their RFC 8439 AEAD over wolfCrypt.
 */
#include "wc.h"

#include <wolfssl/wolfcrypt/chacha.h>
#include <wolfssl/wolfcrypt/chacha20_poly1305.h>
#include <wolfssl/wolfcrypt/poly1305.h>

int
crypto_chacha20_xor(const uint8_t key[CRYPTO_CHACHA20_KEY_LEN],
    const uint8_t nonce[CRYPTO_CHACHA20_NONCE_LEN], uint32_t counter,
    const void *in, void *out, size_t len)
{
	const uint8_t *s = in;
	uint8_t *d = out;
	/* wolfCrypt reads the key and nonce a 32-bit word at a time: callers'
	 * bytes may sit anywhere, so they are copied to aligned storage. */
	uint32_t k32[CRYPTO_CHACHA20_KEY_LEN / 4];
	uint32_t n32[CRYPTO_CHACHA20_NONCE_LEN / 4];
	ChaCha c;
	int rc = 0;

	/* The blocks used are counter .. counter + ceil(len / 64) - 1; the
	 * last must not wrap around to block 0 of the same nonce. */
	if (len > 0 && (uint64_t)counter + (len - 1) / 64 > UINT32_MAX)
		return CRYPTO_EINVAL;
	memcpy(k32, key, sizeof(k32));
	memcpy(n32, nonce, sizeof(n32));
	if (wc_Chacha_SetKey(&c, (const byte *)k32,
	    CRYPTO_CHACHA20_KEY_LEN) != 0 ||
	    wc_Chacha_SetIV(&c, (const byte *)n32, counter) != 0)
		rc = CRYPTO_EINTERNAL;
	crypto_wipe(k32, sizeof(k32));
	while (rc == 0 && len > 0) {
		/* A multiple of the block size, so pieces join seamlessly. */
		size_t k = len < CRYPTO_CHUNK ? len : CRYPTO_CHUNK;

		if (wc_Chacha_Process(&c, d, s, (word32)k) != 0)
			rc = CRYPTO_EINTERNAL;
		s += k;
		d += k;
		len -= k;
	}
	crypto_wipe(&c, sizeof(c));
	return rc;
}

void
crypto_poly1305(const uint8_t key[CRYPTO_POLY1305_KEY_LEN], const void *msg,
    size_t len, uint8_t tag[CRYPTO_POLY1305_TAG_LEN])
{
	const uint8_t *m = msg;
	Poly1305 p;

	wc_Poly1305SetKey(&p, key, CRYPTO_POLY1305_KEY_LEN);
	while (len > 0) {
		size_t k = len < CRYPTO_CHUNK ? len : CRYPTO_CHUNK;

		wc_Poly1305Update(&p, m, (word32)k);
		m += k;
		len -= k;
	}
	wc_Poly1305Final(&p, tag);
	crypto_wipe(&p, sizeof(p));
}

int
crypto_aead_seal(const uint8_t key[CRYPTO_CHACHA20_KEY_LEN],
    const uint8_t nonce[CRYPTO_CHACHA20_NONCE_LEN], const void *aad,
    size_t alen, const void *in, size_t len, void *out,
    uint8_t tag[CRYPTO_POLY1305_TAG_LEN])
{
	if (len > CRYPTO_AEAD_MAX || alen > CRYPTO_AEAD_MAX)
		return CRYPTO_EINVAL;
	if (wc_ChaCha20Poly1305_Encrypt(key, nonce, aad, (word32)alen, in,
	    (word32)len, out, tag) != 0) {
		crypto_wipe(out, len);
		crypto_wipe(tag, CRYPTO_POLY1305_TAG_LEN);
		return CRYPTO_EINTERNAL;
	}
	return 0;
}

int
crypto_aead_open(const uint8_t key[CRYPTO_CHACHA20_KEY_LEN],
    const uint8_t nonce[CRYPTO_CHACHA20_NONCE_LEN], const void *aad,
    size_t alen, const void *in, size_t len,
    const uint8_t tag[CRYPTO_POLY1305_TAG_LEN], void *out)
{
	int rc;

	if (len > CRYPTO_AEAD_MAX || alen > CRYPTO_AEAD_MAX)
		return CRYPTO_EINVAL;
	/* wolfCrypt decrypts while it authenticates: on a bad tag the
	 * plaintext it wrote is wiped before anyone sees it. */
	rc = wc_ChaCha20Poly1305_Decrypt(key, nonce, aad, (word32)alen, in,
	    (word32)len, tag, out);
	if (rc != 0) {
		crypto_wipe(out, len);
		return rc == MAC_CMP_FAILED_E ? CRYPTO_EBADSIG :
		    CRYPTO_EINTERNAL;
	}
	return 0;
}
