/*
 * The key vault's TLS server key (schema/crypto.capnp, TlsServerKey):
 * a P-256 key and the certificate that carries its public key, for the
 * web gateway's TLS 1.3 CertificateVerify, one scheme only
 * (ecdsa_secp256r1_sha256).
 *
 * Arguments: "tls-p256=dev:<64 hex digits>", the private scalar, and
 * "tls-cert=<hex>", the certificate in DER. Both come from the manifest,
 * which only development systems may do (services/keyvault/mkdevtls.sh
 * makes them at build time): the console says NOT FOR PRODUCTION at
 * every start, and prints the certificate's SHA-256 fingerprint in the
 * form `openssl x509 -fingerprint -sha256` shows. The vault refuses to
 * start when the certificate does not carry the key's public key.
 *
 * Signing takes RFC 6979 nonces (lib/crypto); the generator seeded from
 * Entropy is what wolfCrypt's signing takes besides, so without Entropy
 * the vault does not start.
 */
#include <string.h>

#include "crypto.capnp.h"
#include "crypto.h"
#include "crypto_rt.h"
#include "keyvault.h"

/* A certificate's bound: ours is about 500 bytes; a P-256 certificate
 * with a long chain of names stays well below this. */
#define CERT_MAX	2048

/* RFC 8446 4.4.3: what a server's CertificateVerify signs, before the
 * transcript hash. */
#define PAD_LEN		64
static const char server_context[] = "TLS 1.3, server CertificateVerify";
#define PREFIX_LEN	(PAD_LEN + sizeof(server_context))	/* with 0x00 */

static struct crypto_p256_key tls_key;
static uint8_t cert[CERT_MAX];
static size_t cert_len;
static struct crypto_drbg drbg;

static int
certificate(void *ctx, struct rt_request *rq)
{
	struct capos_TlsServerKey_certificate_Results_b r;

	(void)ctx;
	if (capos_TlsServerKey_certificate_Results_init_root(&rq->reply,
	    &r) != 0 ||
	    capos_TlsServerKey_certificate_Results_set_der(&r, cert,
	    cert_len) != 0)
		return -1;
	return 0;
}

/* True when c is exactly a server's signed content (RFC 8446 4.4.3) with
 * a SHA-256 or SHA-384 transcript hash. */
static bool
server_content(const uint8_t *c, size_t len)
{
	if (len != PREFIX_LEN + 32 && len != PREFIX_LEN + 48)
		return false;
	for (size_t i = 0; i < PAD_LEN; i++)
		if (c[i] != 0x20)
			return false;
	/* The context string with its terminating zero byte. */
	return memcmp(c + PAD_LEN, server_context, sizeof(server_context)) ==
	    0;
}

static int
sign(void *ctx, struct rt_request *rq)
{
	struct capos_TlsServerKey_sign_Params_r p = { rq->params };
	struct capos_TlsServerKey_sign_Results_b r;
	uint8_t h[CRYPTO_SHA256_LEN], sig[CRYPTO_P256_DER_SIG_MAX];
	size_t siglen = sizeof(sig);
	struct capnp_data c;
	int rc;

	(void)ctx;
	if (capos_TlsServerKey_sign_Params_get_scheme(&p) !=
	    capos_TlsServerKey_ecdsaSecp256r1Sha256)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "only ecdsa_secp256r1_sha256 (0x0403)");
	if (capos_TlsServerKey_sign_Params_get_content(&p, &c) != 0 ||
	    c.len > capos_TlsServerKey_maxContent ||
	    !server_content(c.ptr, c.len))
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "content is not a TLS 1.3 server CertificateVerify");
	crypto_sha256(c.ptr, c.len, h);
	if ((rc = crypto_p256_sign(&tls_key, &drbg, h, sizeof(h), sig,
	    &siglen)) != 0) {
		rt_printf("[keyvault] TLS signing failed: %s\n",
		    crypto_strerror(rc));
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "signing failed");
	}
	if (capos_TlsServerKey_sign_Results_init_root(&rq->reply, &r) != 0 ||
	    capos_TlsServerKey_sign_Results_set_signature(&r, sig,
	    siglen) != 0)
		return -1;
	return 0;
}

static const struct rt_method methods[] = {
	{ capos_TlsServerKey_INTERFACE_ID,
	    capos_TlsServerKey_certificate_ORDINAL, certificate },
	{ capos_TlsServerKey_INTERFACE_ID, capos_TlsServerKey_sign_ORDINAL,
	    sign },
};

/* Takes the key and certificate from the arguments; 0, or prints why
 * not. */
static int
load(void)
{
	static const char kpre[] = "tls-p256=dev:", cpre[] = "tls-cert=";
	const char *k = rt_argc() == 2 ? rt_argv(0) : NULL;
	const char *c = rt_argc() == 2 ? rt_argv(1) : NULL;
	uint8_t d[CRYPTO_P256_SCALAR_LEN], qx[32], qy[32];
	int n, rc;

	if (k == NULL || strncmp(k, kpre, sizeof(kpre) - 1) != 0 ||
	    strncmp(c, cpre, sizeof(cpre) - 1) != 0) {
		rt_printf("[keyvault] TLS key needs tls-p256=dev:<hex> and "
		    "tls-cert=<hex>\n");
		return -1;
	}
	if (keyvault_unhex(k + sizeof(kpre) - 1, d, sizeof(d)) !=
	    (int)sizeof(d)) {
		rt_printf("[keyvault] tls-p256=dev: needs 64 hex digits\n");
		return -1;
	}
	rc = crypto_p256_from_scalar(&tls_key, d);
	crypto_wipe(d, sizeof(d));
	if (rc != 0) {
		rt_printf("[keyvault] TLS key: %s\n", crypto_strerror(rc));
		return -1;
	}
	if ((n = keyvault_unhex(c + sizeof(cpre) - 1, cert, sizeof(cert))) <
	    0) {
		rt_printf("[keyvault] tls-cert= needs at most %u bytes of "
		    "hex\n", CERT_MAX);
		return -1;
	}
	cert_len = (size_t)n;
	if (crypto_p256_cert_key(cert, cert_len, qx, qy) != 0 ||
	    memcmp(qx, tls_key.qx, 32) != 0 || memcmp(qy, tls_key.qy, 32) != 0) {
		rt_printf("[keyvault] the certificate does not carry the TLS "
		    "key's public key\n");
		return -1;
	}
	return 0;
}

/* "AB:CD:..." as openssl x509 -fingerprint -sha256 prints it. */
static void
print_fingerprint(void)
{
	static const char digits[] = "0123456789ABCDEF";
	uint8_t h[CRYPTO_SHA256_LEN];
	char fp[3 * CRYPTO_SHA256_LEN];

	crypto_sha256(cert, cert_len, h);
	for (size_t i = 0; i < sizeof(h); i++) {
		fp[3 * i] = digits[h[i] >> 4];
		fp[3 * i + 1] = digits[h[i] & 15];
		fp[3 * i + 2] = i + 1 < sizeof(h) ? ':' : '\0';
	}
	rt_info("[keyvault] tls certificate sha256 Fingerprint=%s\n", fp);
}

int
keyvault_tls_main(capos_cap_t entropy)
{
	capos_cap_t ep = rt_cap("tlsServerKey", capos_Endpoint_INTERFACE_ID);
	struct crypto_rt_source src = { entropy, capos_Entropy_INTERFACE_ID };
	int rc;

	if (ep == CAPOS_CAP_NULL) {
		rt_printf("[keyvault] no \"tlsServerKey\" endpoint\n");
		return 1;
	}
	if (load() != 0)
		return 1;
	if ((rc = crypto_drbg_init(&drbg, crypto_rt_entropy, &src)) != 0) {
		rt_printf("[keyvault] no random generator: %s\n",
		    crypto_strerror(rc));
		return 1;
	}
	rt_warn("[keyvault] WARNING: TLS server key and certificate from the "
	    "manifest: a development key, NOT FOR PRODUCTION\n");
	print_fingerprint();
	rc = rt_serve(ep, methods, sizeof(methods) / sizeof(methods[0]), NULL);
	crypto_wipe(&tls_key, sizeof(tls_key));
	crypto_drbg_free(&drbg);
	rt_debug("[keyvault] no clients left; TLS key wiped\n");
	return rc == CAPOS_EPEER ? 0 : 1;
}
