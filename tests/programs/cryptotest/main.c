/*
 * cryptotest: lib/crypto inside capOS (system/crypto.capnp,
 * tests/qemu/test_crypto.py). One program, three roles by its first
 * argument:
 *
 *   kat     holds the console, virtualMemory (scrypt's work area, the
 *           generator's state), the kernel's Entropy ("entropy") and an
 *           EntropySource that refuses ("badEntropy", served by the
 *           "refuse" role). Runs every known-answer family of
 *           lib/crypto/kat, then the random generator over each source.
 *   holder  holds the console and an SshHostKey ("hostKey") and nothing
 *           else: it proves it can sign, and that the capability does
 *           nothing more.
 *   tlsholder  holds the console and a TlsServerKey ("tlsKey") and
 *           nothing else: it gets the certificate and a CertificateVerify
 *           signature that verifies under the certificate's public key,
 *           prints both for the host to check with openssl, and proves
 *           the capability does nothing more.
 *   refuse  serves the "entropy" export as an Entropy that answers every
 *           fill with a `failed` exception, until no client is left.
 *
 * Every proof line is printed after the check it names succeeded.
 */
#include <string.h>

#include "crypto.capnp.h"
#include "crypto.h"
#include "crypto_rt.h"
#include "kat/kat.h"
#include "rt.h"

static bool
all_zero(const uint8_t *p, size_t n)
{
	uint8_t any = 0;

	for (size_t i = 0; i < n; i++)
		any |= p[i];
	return any == 0;
}

static int
run_kats(void)
{
	int bad = 0;

	for (size_t i = 0; i < crypto_nkats; i++) {
		const char *fail = crypto_kats[i].run();

		if (fail != NULL) {
			rt_printf("[cryptotest] KAT %s FAILED: %s\n",
			    crypto_kats[i].id, fail);
			bad++;
			continue;
		}
		rt_debug("[proof] crypto-kat ok %s: %s\n", crypto_kats[i].id,
		    crypto_kats[i].what);
	}
	return bad;
}

/* The generator over the kernel's Entropy: it starts, its outputs
 * differ, and a reseed takes fresh entropy. */
static int
drbg_real(capos_cap_t cap)
{
	struct crypto_rt_source entropy = { cap, capos_Entropy_INTERFACE_ID };
	struct crypto_drbg d;
	uint8_t a[32], b[32];
	int rc;

	if ((rc = crypto_drbg_init(&d, crypto_rt_entropy, &entropy)) != 0 ||
	    (rc = crypto_drbg_generate(&d, a, sizeof(a))) != 0 ||
	    (rc = crypto_drbg_reseed(&d)) != 0 ||
	    (rc = crypto_drbg_generate(&d, b, sizeof(b))) != 0) {
		rt_printf("[cryptotest] DRBG over Entropy: %s\n",
		    crypto_strerror(rc));
		crypto_drbg_free(&d);
		return 1;
	}
	if (memcmp(a, b, sizeof(a)) == 0 || all_zero(a, sizeof(a)) ||
	    d.reseeds != 1) {
		rt_printf("[cryptotest] DRBG over Entropy: bad output\n");
		crypto_drbg_free(&d);
		return 1;
	}
	crypto_drbg_free(&d);
	rt_debug("[proof] drbg-entropy ok seeded and reseeded from Entropy, "
	    "outputs differ\n");
	return 0;
}

/* The generator over an Entropy that refuses: no generator, and no
 * bytes out of it. */
static int
drbg_refused(capos_cap_t cap)
{
	struct crypto_rt_source bad = { cap, capos_EntropySource_INTERFACE_ID };
	struct crypto_drbg d;
	uint8_t out[32];
	int init, gen;

	init = crypto_drbg_init(&d, crypto_rt_entropy, &bad);
	memset(out, 0xa5, sizeof(out));
	gen = crypto_drbg_generate(&d, out, sizeof(out));
	crypto_drbg_free(&d);
	if (init != CRYPTO_EENTROPY || gen != CRYPTO_EFAILED ||
	    !all_zero(out, sizeof(out))) {
		rt_printf("[cryptotest] DRBG over a refusing Entropy: init %d, "
		    "generate %d\n", init, gen);
		return 1;
	}
	rt_debug("[proof] drbg-fail-closed ok Entropy refused: init %s, "
	    "generate %s, output zeroed\n", crypto_strerror(init),
	    crypto_strerror(gen));
	return 0;
}

static int
role_kat(void)
{
	capos_cap_t entropy = rt_cap("entropy", capos_Entropy_INTERFACE_ID);
	capos_cap_t bad = rt_cap("badEntropy",
	    capos_EntropySource_INTERFACE_ID);
	int fails = run_kats();

	if (entropy == CAPOS_CAP_NULL || bad == CAPOS_CAP_NULL) {
		rt_printf("[cryptotest] entropy or badEntropy not granted\n");
		return 1;
	}
	fails += drbg_real(entropy);
	fails += drbg_refused(bad);
	rt_release(bad);
	return fails == 0 ? 0 : 1;
}

/* ---- holder ---- */

static int
call_sign(capos_cap_t key, const uint8_t *hash, size_t len, uint8_t *sig,
    size_t *siglen)
{
	static uint8_t buf[512] __attribute__((aligned(8)));
	uint8_t params[256] __attribute__((aligned(8)));
	struct capos_SshHostKey_signExchangeHash_Params_b p;
	struct capos_SshHostKey_signExchangeHash_Results_r r;
	struct capnp_builder b;
	struct capnp_data d;
	struct rt_result res;
	int rc;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_SshHostKey_signExchangeHash_Params_init_root(&b, &p) != 0 ||
	    capos_SshHostKey_signExchangeHash_Params_set_hash(&p, hash,
	    len) != 0)
		return CAPOS_E2BIG;
	rc = rt_call(key, capos_SshHostKey_INTERFACE_ID,
	    capos_SshHostKey_signExchangeHash_ORDINAL, &b, NULL, 0, buf,
	    sizeof(buf), &res);
	if (rc != 0)
		return rc;
	r.s = res.root;
	if (capos_SshHostKey_signExchangeHash_Results_get_signature(&r, &d) != 0 ||
	    d.len > *siglen)
		return CAPOS_EINVAL;
	memcpy(sig, d.ptr, d.len);
	*siglen = d.len;
	return 0;
}

static int
get_public(capos_cap_t key, uint8_t pub[32])
{
	static uint8_t buf[256] __attribute__((aligned(8)));
	struct capos_SshHostKey_publicKey_Results_r r;
	struct capnp_data d;
	struct rt_result res;
	int rc;

	rc = rt_call(key, capos_SshHostKey_INTERFACE_ID,
	    capos_SshHostKey_publicKey_ORDINAL, NULL, NULL, 0, buf, sizeof(buf),
	    &res);
	if (rc != 0)
		return rc;
	r.s = res.root;
	if (capos_SshHostKey_publicKey_Results_get_blob(&r, &d) != 0)
		return CAPOS_EINVAL;
	return crypto_ssh_ed25519_parse_key(d.ptr, d.len, pub);
}

static int
role_holder(void)
{
	static uint8_t buf[256] __attribute__((aligned(8)));
	capos_cap_t key = rt_cap("hostKey", capos_SshHostKey_INTERFACE_ID);
	uint8_t pub[32], h[65], blob[128], sig[64];
	uint8_t kb[CRYPTO_SSH_ED25519_KEY_BLOB_LEN];
	char fp[CRYPTO_SSH_FINGERPRINT_LEN];
	struct rt_result res;
	size_t blen = sizeof(blob);
	int rc, big, empty, other, alien;

	if (key == CAPOS_CAP_NULL || rt_start()->ncaps != 2) {
		rt_printf("[cryptotest] holder: wrong capabilities\n");
		return 1;
	}
	if ((rc = get_public(key, pub)) != 0) {
		rt_printf("[cryptotest] holder: publicKey: %d\n", rc);
		return 1;
	}
	crypto_ssh_ed25519_key_blob(pub, kb);
	crypto_ssh_fingerprint(kb, sizeof(kb), fp);
	/* A SHA-256 exchange hash, as a key exchange would make one. */
	crypto_sha256("capOS exchange hash", 19, h);
	if ((rc = call_sign(key, h, 32, blob, &blen)) != 0 ||
	    crypto_ssh_ed25519_parse_sig(blob, blen, sig) != 0 ||
	    crypto_ed25519_verify(pub, h, 32, sig) != 0) {
		rt_printf("[cryptotest] holder: signExchangeHash: %d\n", rc);
		return 1;
	}
	rt_debug("[proof] sshhostkey-sign ok ssh-ed25519 signature of a "
	    "32-byte exchange hash verifies under %s\n", fp);

	/* Nothing more: oversized and empty input, a method the interface
	 * does not have, and the capability called as another interface. */
	memset(h, 0x11, sizeof(h));
	blen = sizeof(blob);
	big = call_sign(key, h, 65, blob, &blen);
	blen = sizeof(blob);
	empty = call_sign(key, h, 0, blob, &blen);
	other = rt_call(key, capos_SshHostKey_INTERFACE_ID, 2, NULL, NULL, 0,
	    buf, sizeof(buf), &res);
	alien = rt_call(key, capos_Entropy_INTERFACE_ID,
	    capos_Entropy_fill_ORDINAL, NULL, NULL, 0, buf, sizeof(buf), &res);
	if (big == 0 || empty == 0 || other == 0 || alien == 0) {
		rt_printf("[cryptotest] holder: refusals %d %d %d %d\n", big,
		    empty, other, alien);
		return 1;
	}
	rt_debug("[proof] sshhostkey-confined ok 2 capabilities held; 65-byte "
	    "and empty hashes refused (%s, %s), method 2 refused (%s), "
	    "another interface refused (%s)\n", rt_strerror(big),
	    rt_strerror(empty), rt_strerror(other), rt_strerror(alien));
	return 0;
}

/* ---- tlsholder ---- */

/* RFC 8446 4.4.3's server context string. */
static const char server_context[] = "TLS 1.3, server CertificateVerify";

static int
call_tls_sign(capos_cap_t key, uint16_t scheme, const uint8_t *c,
    size_t len, uint8_t *sig, size_t *siglen)
{
	static uint8_t buf[512] __attribute__((aligned(8)));
	uint8_t params[512] __attribute__((aligned(8)));
	struct capos_TlsServerKey_sign_Params_b p;
	struct capos_TlsServerKey_sign_Results_r r;
	struct capnp_builder b;
	struct capnp_data d;
	struct rt_result res;
	int rc;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_TlsServerKey_sign_Params_init_root(&b, &p) != 0 ||
	    capos_TlsServerKey_sign_Params_set_content(&p, c, len) != 0)
		return CAPOS_E2BIG;
	capos_TlsServerKey_sign_Params_set_scheme(&p, scheme);
	rc = rt_call(key, capos_TlsServerKey_INTERFACE_ID,
	    capos_TlsServerKey_sign_ORDINAL, &b, NULL, 0, buf, sizeof(buf),
	    &res);
	if (rc != 0)
		return rc;
	r.s = res.root;
	if (capos_TlsServerKey_sign_Results_get_signature(&r, &d) != 0 ||
	    d.len > *siglen)
		return CAPOS_EINVAL;
	memcpy(sig, d.ptr, d.len);
	*siglen = d.len;
	return 0;
}

/* The certificate into cert (room bytes); its length, or a negative
 * code. */
static int
get_certificate(capos_cap_t key, uint8_t *cert, size_t room)
{
	static uint8_t buf[4096] __attribute__((aligned(8)));
	struct capos_TlsServerKey_certificate_Results_r r;
	struct capnp_data d;
	struct rt_result res;
	int rc;

	rc = rt_call(key, capos_TlsServerKey_INTERFACE_ID,
	    capos_TlsServerKey_certificate_ORDINAL, NULL, NULL, 0, buf,
	    sizeof(buf), &res);
	if (rc != 0)
		return rc;
	r.s = res.root;
	if (capos_TlsServerKey_certificate_Results_get_der(&r, &d) != 0 ||
	    d.len > room)
		return CAPOS_EINVAL;
	memcpy(cert, d.ptr, d.len);
	return (int)d.len;
}

/* Prints "[tlsholder] <what> <hex>" in one line; at most 256 bytes. */
static void
print_hex(const char *what, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char line[2 * 256 + 1];

	if (n > 256)
		n = 256;
	for (size_t i = 0; i < n; i++) {
		line[2 * i] = digits[p[i] >> 4];
		line[2 * i + 1] = digits[p[i] & 15];
	}
	line[2 * n] = '\0';
	rt_printf("[tlsholder] %s %s\n", what, line);
}

/* The signed content of a server CertificateVerify (RFC 8446 4.4.3)
 * over a transcript hash of hlen bytes; its length. */
static size_t
server_content(uint8_t *c, const uint8_t *hash, size_t hlen)
{
	memset(c, 0x20, 64);
	memcpy(c + 64, server_context, sizeof(server_context));
	memcpy(c + 64 + sizeof(server_context), hash, hlen);
	return 64 + sizeof(server_context) + hlen;
}

static int
role_tlsholder(void)
{
	static uint8_t cert[4096], buf[256] __attribute__((aligned(8)));
	capos_cap_t key = rt_cap("tlsKey", capos_TlsServerKey_INTERFACE_ID);
	uint8_t c[200], th[CRYPTO_SHA256_LEN], h[CRYPTO_SHA256_LEN];
	uint8_t sig[CRYPTO_P256_DER_SIG_MAX], qx[32], qy[32], r[32], s[32];
	struct rt_result res;
	size_t clen, slen = sizeof(sig);
	int n, rc, scheme, big, client, empty, other, alien;

	if (key == CAPOS_CAP_NULL || rt_start()->ncaps != 2) {
		rt_printf("[cryptotest] tlsholder: wrong capabilities\n");
		return 1;
	}
	if ((n = get_certificate(key, cert, sizeof(cert))) < 0 ||
	    crypto_p256_cert_key(cert, (size_t)n, qx, qy) != 0) {
		rt_printf("[cryptotest] tlsholder: certificate: %d\n", n);
		return 1;
	}
	crypto_sha256(cert, (size_t)n, h);
	print_hex("certificate sha256", h, sizeof(h));
	/* A SHA-256 transcript hash, as a handshake would make one. */
	crypto_sha256("capOS transcript", 16, th);
	clen = server_content(c, th, sizeof(th));
	if ((rc = call_tls_sign(key, capos_TlsServerKey_ecdsaSecp256r1Sha256,
	    c, clen, sig, &slen)) != 0 ||
	    crypto_p256_sig_from_der(sig, slen, r, s) != 0) {
		rt_printf("[cryptotest] tlsholder: sign: %d\n", rc);
		return 1;
	}
	crypto_sha256(c, clen, h);
	if (crypto_p256_verify(qx, qy, h, sizeof(h), r, s) != 0) {
		rt_printf("[cryptotest] tlsholder: signature does not verify\n");
		return 1;
	}
	print_hex("content", c, clen);
	print_hex("signature", sig, slen);
	rt_debug("[proof] tlsserverkey-sign ok ecdsa_secp256r1_sha256 "
	    "CertificateVerify signature verifies under the certificate's "
	    "public key\n");

	/* Nothing more: another scheme (ed25519, 0x0807), content one byte
	 * too long, a client's context string, empty content, a method the
	 * interface does not have, the capability as another interface. */
	slen = sizeof(sig);
	scheme = call_tls_sign(key, 0x0807, c, clen, sig, &slen);
	memset(c + clen, 0, sizeof(c) - clen);
	slen = sizeof(sig);
	big = call_tls_sign(key, capos_TlsServerKey_ecdsaSecp256r1Sha256, c,
	    capos_TlsServerKey_maxContent + 1, sig, &slen);
	memcpy(c + 64 + 9, "client", 6);
	slen = sizeof(sig);
	client = call_tls_sign(key, capos_TlsServerKey_ecdsaSecp256r1Sha256,
	    c, clen, sig, &slen);
	slen = sizeof(sig);
	empty = call_tls_sign(key, capos_TlsServerKey_ecdsaSecp256r1Sha256,
	    c, 0, sig, &slen);
	other = rt_call(key, capos_TlsServerKey_INTERFACE_ID, 2, NULL, NULL, 0,
	    buf, sizeof(buf), &res);
	alien = rt_call(key, capos_SshHostKey_INTERFACE_ID,
	    capos_SshHostKey_publicKey_ORDINAL, NULL, NULL, 0, buf,
	    sizeof(buf), &res);
	if (scheme == 0 || big == 0 || client == 0 || empty == 0 ||
	    other == 0 || alien == 0) {
		rt_printf("[cryptotest] tlsholder: refusals %d %d %d %d %d %d\n",
		    scheme, big, client, empty, other, alien);
		return 1;
	}
	rt_debug("[proof] tlsserverkey-confined ok 2 capabilities held; "
	    "scheme 0x0807, %u-byte, client-context and empty content "
	    "refused, method 2 refused, another interface refused\n",
	    capos_TlsServerKey_maxContent + 1);
	return 0;
}

/* ---- refuse ---- */

static int
refuse_fill(void *ctx, struct rt_request *rq)
{
	(void)ctx;
	return rt_reply_exception(rq, capos_CapException_Type_failed,
	    "entropy refused (test)");
}

static int
role_refuse(void)
{
	static const struct rt_method methods[] = {
		{ capos_EntropySource_INTERFACE_ID,
		    capos_EntropySource_fill_ORDINAL, refuse_fill },
	};
	capos_cap_t ep = rt_cap("entropy", capos_Endpoint_INTERFACE_ID);

	if (ep == CAPOS_CAP_NULL)
		return 1;
	return rt_serve(ep, methods, 1, NULL) == CAPOS_EPEER ? 0 : 1;
}

int
main(void)
{
	const char *role = rt_argc() > 0 ? rt_argv(0) : "";

	if (strcmp(role, "kat") == 0)
		return role_kat();
	if (strcmp(role, "holder") == 0)
		return role_holder();
	if (strcmp(role, "refuse") == 0)
		return role_refuse();
	if (strcmp(role, "tlsholder") == 0)
		return role_tlsholder();
	rt_printf("[cryptotest] unknown role \"%s\"\n", role);
	return 2;
}
