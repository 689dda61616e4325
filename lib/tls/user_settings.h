/*
 * wolfSSL's configuration for capOS's TLS 1.3 server (lib/tls, docs/tls.md):
 * lib/crypto's wolfCrypt configuration, plus the TLS layer and what it
 * needs and nothing more. Programs that terminate TLS build wolfSSL with
 * this file (mk/tls.mk puts lib/tls before lib/crypto on the include
 * path); every other program keeps lib/crypto's wolfCrypt-only build.
 *
 * What is in, and why:
 * - TLS 1.3 only (RFC 8446), server side only. TLS 1.2 and older are not
 *   compiled in, so a client that offers nothing newer is refused with a
 *   protocol_version alert.
 * - One cipher suite, TLS_AES_128_GCM_SHA256, the one RFC 8446 9.1 makes
 *   mandatory to implement, which every current browser and OpenSSL
 *   offers. TLS_CHACHA20_POLY1305_SHA256 is left out on purpose: one suite
 *   means one set of code paths to review and fuzz.
 * - Key exchange: X25519 and secp256r1, the groups RFC 8446 9.1 asks for.
 * - Server authentication: ecdsa_secp256r1_sha256 only, signed outside
 *   wolfSSL by the key vault through the public-key callback
 *   (HAVE_PK_CALLBACKS): no private key is ever loaded (WOLF_PRIVATE_KEY_ID
 *   lets wolfSSL take the key type from the certificate instead).
 * - Not in: session tickets, the session cache, resumption, PSK, 0-RTT
 *   early data, client certificates, renegotiation (TLS 1.2's), and
 *   compression. Each would add state that outlives a connection or a
 *   path an attacker can replay; the web gateway needs none of them.
 */
#ifndef CAPOS_TLS_USER_SETTINGS_H
#define CAPOS_TLS_USER_SETTINGS_H

#include "../crypto/user_settings.h"

/* The TLS layer, and the certificate parsing it needs for its own
 * certificate (to learn the key type) and to send it. */
#undef WOLFCRYPT_ONLY
#undef NO_ASN
#undef NO_CERTS
#define WOLFSSL_TLS13
#define WOLFSSL_NO_TLS12
#define NO_WOLFSSL_CLIENT
#define HAVE_TLS_EXTENSIONS
#define HAVE_SUPPORTED_CURVES
#define WOLFSSL_USER_IO
#define HAVE_PK_CALLBACKS
#define WOLF_PRIVATE_KEY_ID

/* Ed25519 certificates are not among the server's (and wolfSSL 5.5.4's
 * Ed25519 TLS code does not build without client authentication). */
#undef HAVE_ED25519

/*
 * The AEAD of the one suite: AES-128-GCM. GHASH is wolfCrypt's 64-bit
 * code without tables (no GCM_* table setting), whose multiply masks
 * rather than branches or indexes by secret bits.
 */
#undef NO_AES
#define HAVE_AESGCM
#define WOLFSSL_AES_128
#define NO_AES_192
#define NO_AES_256

/* The ChaCha20-Poly1305 suite is not offered (see above). */
#undef HAVE_CHACHA
#undef HAVE_POLY1305
#undef HAVE_ONE_TIME_AUTH

/* No state that outlives a connection, and nothing to resume it by. */
#define NO_SESSION_CACHE
#define NO_WOLFSSL_CM_VERIFY
#define WOLFSSL_NO_CLIENT_AUTH
#define NO_CLIENT_CACHE

/*
 * No clock: lib/crypto's NO_ASN_TIME leaves out wolfSSL's certificate
 * date checks and, with no session cache or tickets, its low-resolution
 * timer. The server's own certificate's dates are the client's to check.
 */

/*
 * Each connection's generator is wolfSSL's own Hash_DRBG, seeded from
 * Entropy through lib/tls (tls.c), not through a lib/crypto crypto_drbg.
 */
#undef CUSTOM_RAND_GENERATE_SEED_OS
#define CUSTOM_RAND_GENERATE_SEED	capos_tls_seed
int capos_tls_seed(unsigned char *out, unsigned int n);

#endif
