/*
 * The work of the cryptography rows (docs/benchmarks.md), shared by the
 * capOS bench program and the Linux guest so that both sides make the
 * very same lib/crypto calls on the very same inputs: lib/crypto and
 * wolfCrypt are compiled from the same sources with the same
 * configuration (lib/crypto/user_settings.h) and optimisation for both.
 *
 * Each cryptowork_* function runs n operations and returns how many of
 * them failed. The inputs are fixed test vectors: a benchmark wants the
 * same work every time, not secrecy. In particular the AEAD reuses one
 * nonce, which is only acceptable because nothing here is ever sent.
 */
#ifndef BENCH_CRYPTOWORK_H
#define BENCH_CRYPTOWORK_H

#include <stdint.h>
#include <string.h>

#include "crypto.h"

/* One AEAD operation seals this many bytes: the largest TLS record
 * (RFC 8446 5.1), close to the 32 KiB packets SSH allows. */
#define CRYPTOWORK_AEAD_LEN	16384
/* Ed25519 signs an exchange hash's worth of bytes, as the key vault does
 * for SSH (SHA-256's output). */
#define CRYPTOWORK_MSG_LEN	32

struct cryptowork {
	struct crypto_ed25519_key key;
	uint8_t msg[CRYPTOWORK_MSG_LEN];
	uint8_t sig[CRYPTO_ED25519_SIG_LEN];
	uint8_t shared[CRYPTO_X25519_LEN];
	uint8_t aead_key[CRYPTO_CHACHA20_KEY_LEN];
	uint8_t nonce[CRYPTO_CHACHA20_NONCE_LEN];
	uint8_t tag[CRYPTO_POLY1305_TAG_LEN];
	uint8_t buf[CRYPTOWORK_AEAD_LEN];
};

/* RFC 8032 7.1 TEST 1's secret key. */
static const uint8_t cryptowork_seed[CRYPTO_ED25519_SEED_LEN] = {
	0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60,
	0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
	0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19,
	0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};
/* RFC 7748 5.2's first scalar and u-coordinate. */
static const uint8_t cryptowork_scalar[CRYPTO_X25519_LEN] = {
	0xa5, 0x46, 0xe3, 0x6b, 0xf0, 0x52, 0x7c, 0x9d,
	0x3b, 0x16, 0x15, 0x4b, 0x82, 0x46, 0x5e, 0xdd,
	0x62, 0x14, 0x4c, 0x0a, 0xc1, 0xfc, 0x5a, 0x18,
	0x50, 0x6a, 0x22, 0x44, 0xba, 0x44, 0x9a, 0xc4,
};
static const uint8_t cryptowork_point[CRYPTO_X25519_LEN] = {
	0xe6, 0xdb, 0x68, 0x67, 0x58, 0x30, 0x30, 0xdb,
	0x35, 0x94, 0xc1, 0xa4, 0x24, 0xb1, 0x5f, 0x7c,
	0x72, 0x66, 0x24, 0xec, 0x26, 0xb3, 0x35, 0x3b,
	0x10, 0xa9, 0x03, 0xa6, 0xd0, 0xab, 0x1c, 0x4c,
};

/*
 * Sets the inputs up and checks once that the operations about to be
 * timed work: a signature that verifies, an AEAD that opens. 0, or the
 * CRYPTO_E* code of what failed.
 */
static inline int
cryptowork_init(struct cryptowork *w)
{
	int rc;

	memset(w, 0, sizeof(*w));
	memset(w->msg, 0x42, sizeof(w->msg));
	memset(w->aead_key, 0x17, sizeof(w->aead_key));
	memset(w->buf, 0x5a, sizeof(w->buf));
	if ((rc = crypto_ed25519_from_seed(&w->key, cryptowork_seed)) != 0 ||
	    (rc = crypto_ed25519_sign(&w->key, w->msg, sizeof(w->msg),
	    w->sig)) != 0 ||
	    (rc = crypto_ed25519_verify(w->key.pub, w->msg, sizeof(w->msg),
	    w->sig)) != 0 ||
	    (rc = crypto_x25519(w->shared, cryptowork_scalar,
	    cryptowork_point)) != 0 ||
	    (rc = crypto_aead_seal(w->aead_key, w->nonce, NULL, 0, w->buf,
	    sizeof(w->buf), w->buf, w->tag)) != 0)
		return rc;
	return crypto_aead_open(w->aead_key, w->nonce, NULL, 0, w->buf,
	    sizeof(w->buf), w->tag, w->buf);
}

static inline uint32_t
cryptowork_ed25519_sign(struct cryptowork *w, uint64_t n)
{
	uint32_t failed = 0;

	for (uint64_t i = 0; i < n; i++)
		if (crypto_ed25519_sign(&w->key, w->msg, sizeof(w->msg),
		    w->sig) != 0)
			failed++;
	return failed;
}

static inline uint32_t
cryptowork_x25519(struct cryptowork *w, uint64_t n)
{
	uint32_t failed = 0;

	for (uint64_t i = 0; i < n; i++)
		if (crypto_x25519(w->shared, cryptowork_scalar,
		    cryptowork_point) != 0)
			failed++;
	return failed;
}

/* Seals the buffer in place, n times: CRYPTOWORK_AEAD_LEN bytes each. */
static inline uint32_t
cryptowork_aead(struct cryptowork *w, uint64_t n)
{
	uint32_t failed = 0;

	for (uint64_t i = 0; i < n; i++)
		if (crypto_aead_seal(w->aead_key, w->nonce, NULL, 0, w->buf,
		    sizeof(w->buf), w->buf, w->tag) != 0)
			failed++;
	return failed;
}

#endif
