/*
 * lib/tls's pure part: the server context's settings and the check of
 * what CertificateVerify signs, with no I/O and no capOS runtime, so the
 * same code configures the server in capOS (tls.c) and the host fuzz
 * target (tests/fuzz/tls_server.c). Include after wolfSSL's ssl.h.
 */
#ifndef CAPOS_TLS_CONFIG_H
#define CAPOS_TLS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/* RFC 8446 4.4.3: 64 spaces, the server's context string with its zero
 * byte, and a SHA-256 transcript hash. */
#define TLS_CV_CONTENT_LEN	(64 + 34 + 32)
/* A certificate's bound, as the key vault's (services/keyvault/tls.c). */
#define TLS_CERT_MAX		2048

/* Sets up ctx as docs/tls.md says: the certificate (DER, at most
 * TLS_CERT_MAX bytes), TLS_AES_128_GCM_SHA256 only, X25519 then
 * secp256r1, and sign for CertificateVerify. 0, or -1 when wolfSSL
 * refuses any of it. */
int tls_configure(WOLFSSL_CTX *ctx, const uint8_t *der, size_t len,
    CallbackEccSign sign);

/* Rebuilds the content this connection's CertificateVerify signs from its
 * transcript hash, into content, and checks that its SHA-256 is digest
 * (digest_len bytes), the value wolfSSL handed the signing callback.
 * 0, or -1 when it is not. */
int tls_cv_content(WOLFSSL *ssl, const uint8_t *digest, size_t digest_len,
    uint8_t content[TLS_CV_CONTENT_LEN]);

#endif
