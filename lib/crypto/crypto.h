/*
 * lib/crypto: the primitives capOS services use, over wolfCrypt
 * (docs/crypto.md). The same sources build for capOS userspace and for
 * the host, where the unit tests and fuzzers use them.
 *
 * Every function returns 0 or a negative CRYPTO_E* code, checks every
 * length it is given against the sizes below, and never leaves secret
 * output behind when it fails: a failed open, signature or shared secret
 * leaves its output buffer zeroed. Callers see no wolfCrypt type; states
 * that outlive one call are opaque blocks sized for wolfCrypt's structs
 * (checked when lib/crypto is compiled).
 */
#ifndef CAPOS_CRYPTO_H
#define CAPOS_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRYPTO_EINVAL	(-1)	/* a length or argument out of range */
#define CRYPTO_EBADSIG	(-2)	/* a signature or tag does not verify */
#define CRYPTO_EWEAK	(-3)	/* a low-order point: no shared secret */
#define CRYPTO_ENOMEM	(-4)	/* the allocator's cap or the heap said no */
#define CRYPTO_EENTROPY	(-5)	/* the entropy source refused or failed */
#define CRYPTO_EFAILED	(-6)	/* a random generator that failed earlier */
#define CRYPTO_EINTERNAL (-7)	/* wolfCrypt failed where it must not */

/* The text of a CRYPTO_E* code. */
const char *crypto_strerror(int err);

/* Compares n bytes in time that depends only on n; 0 when equal. */
int crypto_memcmp(const void *a, const void *b, size_t n);
/* Zeroes n bytes in a way the compiler may not drop. */
void crypto_wipe(void *p, size_t n);

/* ---- SHA-2 ---- */

#define CRYPTO_SHA256_LEN	32
#define CRYPTO_SHA512_LEN	64

struct crypto_sha256 {
	_Alignas(16) unsigned char opaque[128];
};
struct crypto_sha512 {
	_Alignas(16) unsigned char opaque[224];
};

void crypto_sha256(const void *msg, size_t len,
    uint8_t out[CRYPTO_SHA256_LEN]);
void crypto_sha256_init(struct crypto_sha256 *h);
void crypto_sha256_update(struct crypto_sha256 *h, const void *p, size_t n);
void crypto_sha256_final(struct crypto_sha256 *h,
    uint8_t out[CRYPTO_SHA256_LEN]);

void crypto_sha512(const void *msg, size_t len,
    uint8_t out[CRYPTO_SHA512_LEN]);
void crypto_sha512_init(struct crypto_sha512 *h);
void crypto_sha512_update(struct crypto_sha512 *h, const void *p, size_t n);
void crypto_sha512_final(struct crypto_sha512 *h,
    uint8_t out[CRYPTO_SHA512_LEN]);

/*
 * SHA-1 (FIPS 180-4), for the WebSocket handshake's Sec-WebSocket-Accept
 * only (RFC 6455 4.2.2): it is not collision resistant, so nothing that
 * needs a hash to be a security property may use it.
 */
#define CRYPTO_SHA1_LEN		20
void crypto_sha1(const void *msg, size_t len, uint8_t out[CRYPTO_SHA1_LEN]);

/* ---- HMAC (RFC 2104) and HKDF (RFC 5869) ---- */

void crypto_hmac_sha256(const void *key, size_t klen, const void *msg,
    size_t mlen, uint8_t out[CRYPTO_SHA256_LEN]);
void crypto_hmac_sha512(const void *key, size_t klen, const void *msg,
    size_t mlen, uint8_t out[CRYPTO_SHA512_LEN]);

/* HKDF-SHA-256. Expand gives at most 255 * 32 bytes (CRYPTO_EINVAL
 * beyond); a NULL salt is the RFC's default of 32 zero bytes. */
#define CRYPTO_HKDF_SHA256_MAX	(255 * CRYPTO_SHA256_LEN)
void crypto_hkdf_sha256_extract(const void *salt, size_t slen,
    const void *ikm, size_t ilen, uint8_t prk[CRYPTO_SHA256_LEN]);
int crypto_hkdf_sha256_expand(const uint8_t prk[CRYPTO_SHA256_LEN],
    const void *info, size_t nlen, uint8_t *out, size_t olen);
int crypto_hkdf_sha256(const void *salt, size_t slen, const void *ikm,
    size_t ilen, const void *info, size_t nlen, uint8_t *out, size_t olen);

/* ---- X25519 (RFC 7748) ---- */

#define CRYPTO_X25519_LEN	32

/*
 * out = X25519(scalar, point): the scalar is clamped and the point's top
 * bit ignored, as RFC 7748 says. A low-order point gives the all-zero
 * output, which is refused (CRYPTO_EWEAK, out zeroed): a peer must not
 * choose the shared secret.
 */
int crypto_x25519(uint8_t out[CRYPTO_X25519_LEN],
    const uint8_t scalar[CRYPTO_X25519_LEN],
    const uint8_t point[CRYPTO_X25519_LEN]);
/* The public key of a private scalar: X25519(scalar, 9). */
int crypto_x25519_public(uint8_t pub[CRYPTO_X25519_LEN],
    const uint8_t scalar[CRYPTO_X25519_LEN]);

/* ---- Ed25519 (RFC 8032, pure Ed25519) ---- */

#define CRYPTO_ED25519_SEED_LEN	32
#define CRYPTO_ED25519_PUB_LEN	32
#define CRYPTO_ED25519_SIG_LEN	64

/* A private key: the 32-byte seed, and the public key derived from it. */
struct crypto_ed25519_key {
	uint8_t seed[CRYPTO_ED25519_SEED_LEN];
	uint8_t pub[CRYPTO_ED25519_PUB_LEN];
};

int crypto_ed25519_from_seed(struct crypto_ed25519_key *k,
    const uint8_t seed[CRYPTO_ED25519_SEED_LEN]);
int crypto_ed25519_sign(const struct crypto_ed25519_key *k, const void *msg,
    size_t len, uint8_t sig[CRYPTO_ED25519_SIG_LEN]);
/*
 * 0 when sig is pub's signature of msg. CRYPTO_EBADSIG otherwise, and in
 * particular for S >= L (the group order): RFC 8032 5.1.7 requires that
 * check, and without it a signature has a second valid form.
 */
int crypto_ed25519_verify(const uint8_t pub[CRYPTO_ED25519_PUB_LEN],
    const void *msg, size_t len, const uint8_t sig[CRYPTO_ED25519_SIG_LEN]);

/* ---- ChaCha20, Poly1305 (RFC 8439) ---- */

#define CRYPTO_CHACHA20_KEY_LEN		32
#define CRYPTO_CHACHA20_NONCE_LEN	12
#define CRYPTO_POLY1305_KEY_LEN		32
#define CRYPTO_POLY1305_TAG_LEN		16

/*
 * out = in XOR the ChaCha20 keystream starting at block `counter` (RFC
 * 8439 2.4: 96-bit nonce, 32-bit block counter). in and out may be the
 * same buffer. CRYPTO_EINVAL when the counter would wrap inside len.
 * SSH's chacha20-poly1305@openssh.com, which uses the original 64-bit
 * nonce and 64-bit counter, is this with the nonce 0^4 || seqnr (big
 * endian) and counters 0 and 1.
 */
int crypto_chacha20_xor(const uint8_t key[CRYPTO_CHACHA20_KEY_LEN],
    const uint8_t nonce[CRYPTO_CHACHA20_NONCE_LEN], uint32_t counter,
    const void *in, void *out, size_t len);
/* The one-time authenticator of msg under a key used once (RFC 8439 2.5). */
void crypto_poly1305(const uint8_t key[CRYPTO_POLY1305_KEY_LEN],
    const void *msg, size_t len, uint8_t tag[CRYPTO_POLY1305_TAG_LEN]);

/*
 * The RFC 8439 AEAD. seal writes len bytes of ciphertext and the tag;
 * open compares the tag in constant time and on a mismatch fails with
 * CRYPTO_EBADSIG and out zeroed (with in == out, the ciphertext too).
 * Text and associated data are limited to CRYPTO_AEAD_MAX bytes each,
 * the 32-bit lengths wolfCrypt takes.
 */
#define CRYPTO_AEAD_MAX		((size_t)UINT32_MAX)
int crypto_aead_seal(const uint8_t key[CRYPTO_CHACHA20_KEY_LEN],
    const uint8_t nonce[CRYPTO_CHACHA20_NONCE_LEN], const void *aad,
    size_t alen, const void *in, size_t len, void *out,
    uint8_t tag[CRYPTO_POLY1305_TAG_LEN]);
int crypto_aead_open(const uint8_t key[CRYPTO_CHACHA20_KEY_LEN],
    const uint8_t nonce[CRYPTO_CHACHA20_NONCE_LEN], const void *aad,
    size_t alen, const void *in, size_t len,
    const uint8_t tag[CRYPTO_POLY1305_TAG_LEN], void *out);

/* ---- P-256 ECDSA verification (FIPS 186-4, SEC 1) ---- */

#define CRYPTO_P256_COORD_LEN	32

/*
 * 0 when (r, s) is a signature by the public key (qx, qy) of a message
 * whose hash is `hash` (hlen bytes, 1..64; SHA-256 for ES256). The key
 * must lie on the curve (CRYPTO_EINVAL otherwise); r and s outside
 * [1, n-1] or a wrong signature give CRYPTO_EBADSIG. All values big
 * endian, as in a raw (IEEE P1363) signature.
 */
int crypto_p256_verify(const uint8_t qx[CRYPTO_P256_COORD_LEN],
    const uint8_t qy[CRYPTO_P256_COORD_LEN], const uint8_t *hash,
    size_t hlen, const uint8_t r[CRYPTO_P256_COORD_LEN],
    const uint8_t s[CRYPTO_P256_COORD_LEN]);

/* ---- P-256 ECDSA signing (FIPS 186-4, RFC 6979, SEC 1) ---- */

#define CRYPTO_P256_SCALAR_LEN	32
/* SEQUENCE { INTEGER r, INTEGER s }, each integer at most 33 bytes. */
#define CRYPTO_P256_DER_SIG_MAX	72

struct crypto_drbg;

/* A private key: the scalar d, and the public point (qx, qy) = d G. */
struct crypto_p256_key {
	uint8_t d[CRYPTO_P256_SCALAR_LEN];
	uint8_t qx[CRYPTO_P256_COORD_LEN];
	uint8_t qy[CRYPTO_P256_COORD_LEN];
};

/* The key of a big-endian scalar d, which must lie in [1, n-1]
 * (CRYPTO_EINVAL otherwise). */
int crypto_p256_from_scalar(struct crypto_p256_key *k,
    const uint8_t d[CRYPTO_P256_SCALAR_LEN]);
/*
 * Signs a message hash (hlen bytes, 1..64) with k, writing the DER
 * signature (SEQUENCE of two INTEGERs, as TLS and X.509 carry it) to
 * sig, at most CRYPTO_P256_DER_SIG_MAX bytes; *siglen is the room on
 * entry and the length on return. The nonce is RFC 6979's, derived from
 * the key and the hash, so a signature never depends on the generator's
 * health; rng is what wolfCrypt's signing takes for its other uses. The
 * signature is verified before it is returned, so a fault during signing
 * gives CRYPTO_EINTERNAL, never a signature that leaks the key.
 */
int crypto_p256_sign(const struct crypto_p256_key *k, struct crypto_drbg *rng,
    const uint8_t *hash, size_t hlen, uint8_t *sig, size_t *siglen);
/* r and s (big endian, 32 bytes each) of a DER signature in its one
 * minimal encoding (no trailing bytes, no padding beyond a sign byte);
 * CRYPTO_EINVAL otherwise. Range checks are crypto_p256_verify's. */
int crypto_p256_sig_from_der(const uint8_t *der, size_t len,
    uint8_t r[CRYPTO_P256_COORD_LEN], uint8_t s[CRYPTO_P256_COORD_LEN]);

/*
 * The P-256 public key an X.509 certificate (DER) carries: the point of
 * its one SubjectPublicKeyInfo for id-ecPublicKey on prime256v1, in
 * uncompressed form (RFC 5480). This is a search for that structure's
 * fixed 27-byte encoding, not a certificate parser: it checks no
 * signature, name or date, and suits certificates the caller made or
 * was given by a party it trusts. CRYPTO_EINVAL when the structure is
 * absent, appears twice, or the point is not on the curve.
 */
int crypto_p256_cert_key(const uint8_t *der, size_t len,
    uint8_t qx[CRYPTO_P256_COORD_LEN], uint8_t qy[CRYPTO_P256_COORD_LEN]);

/* ---- scrypt (RFC 7914) ---- */

/*
 * out = scrypt(pass, salt, N, r, p). N must be a power of two with
 * 2 <= N < 2^(16 r), r in 1..8, p in 1..16, olen in 1..1024, and the
 * work area 128 r N at most CRYPTO_SCRYPT_MAX_MEM; memory use is
 * 128 r (N + p + 1) bytes from the crypto allocator (CRYPTO_ENOMEM when
 * that is refused).
 */
#define CRYPTO_SCRYPT_MAX_MEM	((uint64_t)1 << 30)
int crypto_scrypt(const void *pass, size_t plen, const void *salt,
    size_t slen, uint32_t n, uint32_t r, uint32_t p, uint8_t *out,
    size_t olen);

/* ---- OpenSSH encodings (ssh.c) ---- */

/* string "ssh-ed25519", string key (RFC 8709 4) and string sig (6). */
#define CRYPTO_SSH_ED25519_KEY_BLOB_LEN	(4 + 11 + 4 + 32)
#define CRYPTO_SSH_ED25519_SIG_BLOB_LEN	(4 + 11 + 4 + 64)
/* "SHA256:", 43 characters of unpadded base64, NUL. */
#define CRYPTO_SSH_FINGERPRINT_LEN	(7 + 43 + 1)

void crypto_ssh_ed25519_key_blob(const uint8_t pub[CRYPTO_ED25519_PUB_LEN],
    uint8_t out[CRYPTO_SSH_ED25519_KEY_BLOB_LEN]);
void crypto_ssh_ed25519_sig_blob(const uint8_t sig[CRYPTO_ED25519_SIG_LEN],
    uint8_t out[CRYPTO_SSH_ED25519_SIG_BLOB_LEN]);
/* The key or signature inside a blob of exactly that shape (no other
 * algorithm, no trailing bytes); CRYPTO_EINVAL otherwise. */
int crypto_ssh_ed25519_parse_key(const uint8_t *blob, size_t len,
    uint8_t pub[CRYPTO_ED25519_PUB_LEN]);
int crypto_ssh_ed25519_parse_sig(const uint8_t *blob, size_t len,
    uint8_t sig[CRYPTO_ED25519_SIG_LEN]);
/* OpenSSH's fingerprint of a key blob: "SHA256:" and the unpadded base64
 * of its SHA-256, as ssh-keygen -l and ssh print it. */
int crypto_ssh_fingerprint(const uint8_t *blob, size_t len,
    char out[CRYPTO_SSH_FINGERPRINT_LEN]);
/* Base64 (RFC 4648 4) of len bytes into out with its NUL; the length
 * written, or CRYPTO_EINVAL when room is short. */
int crypto_base64(const uint8_t *in, size_t len, bool pad, char *out,
    size_t room);
/* The bytes an SSHSIG signature in namespace ns covers, for a message
 * hashed with SHA-512 (PROTOCOL.sshsig); their length, or CRYPTO_EINVAL
 * (room short, ns empty or over 64 bytes). */
int crypto_sshsig_signed_data(const char *ns, const void *msg, size_t mlen,
    uint8_t *out, size_t room);

/* ---- The random generator (drbg.c) ---- */

/*
 * wolfCrypt's Hash_DRBG (SP 800-90A, SHA-256) seeded from an entropy
 * source, on capOS the Entropy capability (lib/crypto/rt/entropy.c). The
 * source fills out with n unpredictable bytes and returns 0, or anything
 * else to refuse.
 *
 * The generator takes fresh entropy when it is created, and again before
 * a request once CRYPTO_DRBG_RESEED_REQUESTS requests or
 * CRYPTO_DRBG_RESEED_BYTES bytes have been served, or CRYPTO_DRBG_RESEED_NS
 * has passed on the process's clock, since the last seed (and whenever
 * crypto_drbg_reseed is called). The clock is crypto_drbg_set_clock's:
 * on capOS the TSC at lib/rt's calibrated rate (rt_start()->tsc_hz), on
 * the host none unless a test sets one. A clock that answers 0 does not
 * count. It fails closed: when the
 * source refuses, or gives bytes that repeat wolfCrypt's continuous test
 * catches, the request fails with CRYPTO_EENTROPY and its output zeroed,
 * the state is destroyed, and every later request fails with
 * CRYPTO_EFAILED until crypto_drbg_init succeeds again. It never hands
 * out bytes from a state it could not seed.
 */
typedef int (*crypto_entropy_fn)(void *ctx, uint8_t *out, size_t n);

#define CRYPTO_DRBG_RESEED_REQUESTS	1024
#define CRYPTO_DRBG_RESEED_BYTES	((uint64_t)1 << 20)
#define CRYPTO_DRBG_RESEED_NS		(60ull * 1000000000ull)

/* Monotonic nanoseconds, or 0 when the time cannot be told. */
typedef uint64_t (*crypto_clock_fn)(void);

struct crypto_drbg {
	_Alignas(16) unsigned char opaque[48];
	crypto_entropy_fn source;
	void *ctx;
	uint32_t requests;	/* since the last seed */
	uint64_t bytes;		/* since the last seed */
	uint64_t reseeds;	/* seeds taken after the first */
	uint64_t seeded_ns;	/* the clock at the last seed; 0 unknown */
	int state;		/* 0 unset, 1 ready, CRYPTO_EFAILED */
};

int crypto_drbg_init(struct crypto_drbg *d, crypto_entropy_fn source,
    void *ctx);
int crypto_drbg_generate(struct crypto_drbg *d, void *out, size_t n);
int crypto_drbg_reseed(struct crypto_drbg *d);
void crypto_drbg_free(struct crypto_drbg *d);
/* Sets the clock every generator of the process reseeds by (NULL: none). */
void crypto_drbg_set_clock(crypto_clock_fn now_ns);

/* ---- Memory (alloc.c) ---- */

/*
 * The allocator wolfCrypt and lib/crypto use. A process may cap it
 * (0: no cap beyond the heap); the counts are for tests and docs.
 */
struct crypto_mem_stats {
	size_t in_use, peak, limit;
	uint64_t refused;
};
void crypto_mem_limit(size_t bytes);
void crypto_mem_stats(struct crypto_mem_stats *out);
void crypto_mem_reset_peak(void);

/*
 * An account: the blocks charged to it, their peak, its own limit (0:
 * none beyond the process's) and the allocations it refused. Every
 * allocation is charged to the current account as well as counted in
 * the process's totals, and refunded to the account it was charged to.
 * crypto_mem_charge makes a current (NULL: none) and returns the one
 * before. An account must outlive the blocks charged to it.
 */
struct crypto_account {
	size_t in_use, peak, limit;
	uint64_t refused;
};
struct crypto_account *crypto_mem_charge(struct crypto_account *a);

#endif
