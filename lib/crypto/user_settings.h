/*
 * wolfCrypt's configuration for capOS (WOLFSSL_USER_SETTINGS): only the
 * algorithms lib/crypto offers, nothing that reaches for a file system,
 * sockets, a clock, threads or the C library's allocator. The same file
 * configures the freestanding userspace build and the host build that the
 * unit tests use, so both run the same code. docs/crypto.md explains each
 * choice and the memory it costs.
 */
#ifndef CAPOS_CRYPTO_USER_SETTINGS_H
#define CAPOS_CRYPTO_USER_SETTINGS_H

#include <stddef.h>

/* wolfCrypt only: no TLS, no certificates, no ASN.1 parsing. */
#define WOLFCRYPT_ONLY
#define NO_ASN
#define NO_ASN_TIME
#define NO_CERTS
#define NO_CODING
#define NO_SIG_WRAPPER

/* No file system, sockets, clock, threads, or error strings. */
#define NO_FILESYSTEM
#define NO_WRITEV
#define WOLFSSL_NO_SOCK
#define NO_WOLFSSL_DIR
#define NO_DEV_RANDOM
#define USER_TICKS
#define SINGLE_THREADED
#define NO_ERROR_STRINGS
#define WOLFSSL_IGNORE_FILE_WARN
#define NO_INLINE_ASM_NOTE

/* The platform: x86_64, 64-bit words, unaligned access is fine. */
#define SIZEOF_LONG		8
#define SIZEOF_LONG_LONG	8
#define WOLFSSL_GENERAL_ALIGNMENT	8
#define HAVE___UINT128_T	1

/*
 * Hashes: SHA-256 and SHA-512, and SHA-1 for one use that is not a
 * security property: the WebSocket handshake's Sec-WebSocket-Accept
 * (RFC 6455 4.2.2), which only proves the server read the request.
 */
#define WOLFSSL_SHA512
#define WOLFSSL_NOSHA3_224
#define NO_MD4
#define NO_MD5
#define NO_OLD_TLS
#define WOLFSSL_NO_SHAKE256

/* HMAC (built in with the hashes) and HKDF. */
#define HAVE_HKDF

/* Password hashing: scrypt (it runs PBKDF2-HMAC-SHA-256 inside). */
#define HAVE_PBKDF2
#define HAVE_SCRYPT

/* X25519 and Ed25519, with 51-bit limbs in 128-bit products. */
#define HAVE_CURVE25519
#define HAVE_ED25519
#define CURVED25519_128BIT

/* ChaCha20 and Poly1305, raw and as the RFC 8439 AEAD. */
#define HAVE_CHACHA
#define HAVE_POLY1305
#define HAVE_ONE_TIME_AUTH

/*
 * P-256 ECDSA (verification, and signing for the key vault's TLS key) on
 * wolfCrypt's single-precision code for that curve alone, in C with
 * 64-bit words. Imported public keys are checked to lie on the curve.
 * Signing takes its nonce from RFC 6979 (HMAC-SHA-256), not the
 * generator.
 */
#define HAVE_ECC
#define ECC_USER_CURVES
#define HAVE_ECC256
#define ECC_TIMING_RESISTANT
#define WOLFSSL_VALIDATE_ECC_IMPORT
#define WOLFSSL_ECDSA_DETERMINISTIC_K
#define WOLFSSL_SP_MATH
#define WOLFSSL_HAVE_SP_ECC
#define WOLFSSL_SP_NO_3072
#define WOLFSSL_SP_NO_2048
#define SP_WORD_SIZE		64
#define WOLFSSL_SP_X86_64
#define WOLFSSL_SP_NO_MALLOC
#define WOLFSSL_PUBLIC_MP

/* Everything else off. */
#define NO_RSA
#define NO_DH
#define NO_DSA
#define NO_DES3
#define NO_RC4
#define NO_AES
#define NO_AES_CBC
#define NO_HC128
#define NO_RABBIT
#define NO_PSK
#define NO_PKCS8
#define NO_PKCS12
#define WOLFSSL_NO_PEM

/*
 * The random generator: wolfCrypt's Hash_DRBG (SP 800-90A, SHA-256),
 * seeded through lib/crypto's drbg.c, which reaches Entropy. It reseeds
 * itself every CAPOS_DRBG_RESEED_CALLS requests (lib/crypto reseeds
 * earlier, on its own schedule).
 */
#define HAVE_HASHDRBG
#define CAPOS_DRBG_RESEED_CALLS	65536
#define WC_RESEED_INTERVAL	CAPOS_DRBG_RESEED_CALLS
struct OS_Seed;
int capos_drbg_seed(struct OS_Seed *os, unsigned char *out, unsigned int n);
#define CUSTOM_RAND_GENERATE_SEED_OS	capos_drbg_seed

/*
 * Memory: every allocation goes through lib/crypto's counting allocator
 * (alloc.c), which can be capped and reports its peak use. With the
 * settings above wolfCrypt keeps its temporaries on the stack, and only
 * the random generator's state and scrypt's work area come from here.
 */
#define XMALLOC_OVERRIDE
void *capos_crypto_alloc(size_t n);
void *capos_crypto_realloc(void *p, size_t n);
void capos_crypto_free(void *p);
#define XMALLOC(n, h, t)	((void)(h), (void)(t), capos_crypto_alloc(n))
#define XREALLOC(p, n, h, t)	((void)(h), (void)(t), \
	capos_crypto_realloc((p), (n)))
#define XFREE(p, h, t)		((void)(h), (void)(t), capos_crypto_free(p))

/* Case-insensitive compares, used only by ecc.c's curve lookup by name. */
#include <strings.h>
#define XSTRCASECMP(a, b)	strcasecmp((a), (b))
#define XSTRNCASECMP(a, b, n)	strncasecmp((a), (b), (n))

#endif
