/*
 * The server context's settings and CertificateVerify's content
 * (config.h). Pure code: it touches only wolfSSL's objects.
 */
#include <string.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/ssl.h>
#include <wolfssl/internal.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "config.h"

#define SIG_PAD		64
static const char server_context[] = "TLS 1.3, server CertificateVerify";

_Static_assert(TLS_CV_CONTENT_LEN == SIG_PAD + sizeof(server_context) +
    WC_SHA256_DIGEST_SIZE, "TLS_CV_CONTENT_LEN");

int
tls_configure(WOLFSSL_CTX *ctx, const uint8_t *der, size_t len,
    CallbackEccSign sign)
{
	int groups[] = { WOLFSSL_ECC_X25519, WOLFSSL_ECC_SECP256R1 };

	if (len == 0 || len > TLS_CERT_MAX ||
	    wolfSSL_CTX_use_certificate_buffer(ctx, der, (long)len,
	    WOLFSSL_FILETYPE_ASN1) != WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_set_cipher_list(ctx, "TLS13-AES128-GCM-SHA256") !=
	    WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_set_groups(ctx, groups, 2) != WOLFSSL_SUCCESS)
		return -1;
	wolfSSL_CTX_SetEccSignCb(ctx, sign);
	return 0;
}

/*
 * The transcript hash is the connection's running SHA-256 as it stands
 * when CertificateVerify is signed (through Certificate), which is what
 * wolfSSL's own content builder reads too.
 */
int
tls_cv_content(WOLFSSL *ssl, const uint8_t *digest, size_t digest_len,
    uint8_t content[TLS_CV_CONTENT_LEN])
{
	uint8_t h[WC_SHA256_DIGEST_SIZE];
	uint8_t d = 0;

	if (digest_len != WC_SHA256_DIGEST_SIZE || ssl->hsHashes == NULL)
		return -1;
	memset(content, 0x20, SIG_PAD);
	memcpy(content + SIG_PAD, server_context, sizeof(server_context));
	if (wc_Sha256GetHash(&ssl->hsHashes->hashSha256,
	    content + SIG_PAD + sizeof(server_context)) != 0 ||
	    wc_Sha256Hash(content, TLS_CV_CONTENT_LEN, h) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(h); i++)
		d |= h[i] ^ digest[i];
	return d == 0 ? 0 : -1;
}
