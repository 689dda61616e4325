/*
 * keyvault: holds private keys and hands out capabilities that use them,
 * never the keys themselves (docs/crypto.md). One process holds one key:
 * an SSH host key (this file), or, when its first argument is
 * "tls-p256=...", a TLS server key and its certificate, served as
 * "tlsServerKey" (tls.c says how). For the SSH host key it holds the
 * console, the Entropy capability, virtualMemory (the random generator's
 * state and wolfCrypt's allocations), and the endpoint of its one export,
 * "sshHostKey" (schema/crypto.capnp: publicKey, signExchangeHash). No
 * other process ever holds the key's bytes.
 *
 * Arguments: "ssh-ed25519=generate" makes the host key from 32 bytes of
 * the random generator at boot; "ssh-ed25519=dev:<64 hex digits>" takes
 * the seed from the manifest, which only development systems may do: the
 * console says so with every start. Either way the console prints the
 * key's OpenSSH fingerprint, so a user can compare what ssh shows.
 *
 * The service answers until no client can call (rt_serve's CAPOS_EPEER),
 * then wipes the key and exits.
 */
#include <string.h>

#include "crypto.h"
#include "crypto.capnp.h"
#include "crypto_rt.h"
#include "keyvault.h"

static struct crypto_ed25519_key host_key;

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
keyvault_unhex(const char *s, uint8_t *out, size_t room)
{
	size_t n = strlen(s);

	if (n % 2 != 0 || n / 2 > room)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

static int
public_key(void *ctx, struct rt_request *rq)
{
	struct capos_SshHostKey_publicKey_Results_b r;
	uint8_t blob[CRYPTO_SSH_ED25519_KEY_BLOB_LEN];

	(void)ctx;
	crypto_ssh_ed25519_key_blob(host_key.pub, blob);
	if (capos_SshHostKey_publicKey_Results_init_root(&rq->reply, &r) != 0 ||
	    capos_SshHostKey_publicKey_Results_set_blob(&r, blob,
	    sizeof(blob)) != 0)
		return -1;
	return 0;
}

static int
sign_exchange_hash(void *ctx, struct rt_request *rq)
{
	struct capos_SshHostKey_signExchangeHash_Params_r p = { rq->params };
	struct capos_SshHostKey_signExchangeHash_Results_b r;
	uint8_t sig[CRYPTO_ED25519_SIG_LEN];
	uint8_t blob[CRYPTO_SSH_ED25519_SIG_BLOB_LEN];
	struct capnp_data h;

	(void)ctx;
	if (capos_SshHostKey_signExchangeHash_Params_get_hash(&p, &h) != 0 ||
	    h.len == 0 || h.len > capos_SshHostKey_maxHash)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "exchange hash must be 1..64 bytes");
	if (crypto_ed25519_sign(&host_key, h.ptr, h.len, sig) != 0)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "signing failed");
	crypto_ssh_ed25519_sig_blob(sig, blob);
	if (capos_SshHostKey_signExchangeHash_Results_init_root(&rq->reply,
	    &r) != 0 ||
	    capos_SshHostKey_signExchangeHash_Results_set_signature(&r, blob,
	    sizeof(blob)) != 0)
		return -1;
	return 0;
}

static const struct rt_method methods[] = {
	{ capos_SshHostKey_INTERFACE_ID, capos_SshHostKey_publicKey_ORDINAL,
	    public_key },
	{ capos_SshHostKey_INTERFACE_ID,
	    capos_SshHostKey_signExchangeHash_ORDINAL, sign_exchange_hash },
};

/* Makes the host key as the argument says; 0, or prints why not. */
static int
make_key(const char *arg, capos_cap_t entropy)
{
	static const char pre[] = "ssh-ed25519=";
	struct crypto_drbg drbg;
	uint8_t seed[32];
	int rc;

	if (arg == NULL || strncmp(arg, pre, sizeof(pre) - 1) != 0) {
		rt_printf("[keyvault] no ssh-ed25519= argument\n");
		return -1;
	}
	arg += sizeof(pre) - 1;
	if (strncmp(arg, "dev:", 4) == 0) {
		if (keyvault_unhex(arg + 4, seed, sizeof(seed)) !=
		    (int)sizeof(seed)) {
			rt_printf("[keyvault] dev: needs 64 hex digits\n");
			return -1;
		}
		rt_warn("[keyvault] WARNING: ssh-ed25519 host key from the "
		    "manifest: a development key, NOT FOR PRODUCTION\n");
	} else if (strcmp(arg, "generate") == 0) {
		struct crypto_rt_source src = { entropy,
		    capos_Entropy_INTERFACE_ID };

		rc = crypto_drbg_init(&drbg, crypto_rt_entropy, &src);
		if (rc == 0)
			rc = crypto_drbg_generate(&drbg, seed, sizeof(seed));
		crypto_drbg_free(&drbg);
		if (rc != 0) {
			rt_printf("[keyvault] no host key: %s\n",
			    crypto_strerror(rc));
			return -1;
		}
		rt_printf("[keyvault] ssh-ed25519 host key generated at boot "
		    "from entropy\n");
	} else {
		rt_printf("[keyvault] unknown key source \"%s\"\n", arg);
		return -1;
	}
	rc = crypto_ed25519_from_seed(&host_key, seed);
	crypto_wipe(seed, sizeof(seed));
	return rc;
}

int
main(void)
{
	capos_cap_t ep = rt_cap("sshHostKey", capos_Endpoint_INTERFACE_ID);
	capos_cap_t entropy = rt_cap("entropy", capos_Entropy_INTERFACE_ID);
	uint8_t blob[CRYPTO_SSH_ED25519_KEY_BLOB_LEN];
	char fp[CRYPTO_SSH_FINGERPRINT_LEN], b64[96];
	int rc;

	if (rt_argc() > 0 && strncmp(rt_argv(0), "tls-p256=", 9) == 0)
		return keyvault_tls_main(entropy);
	if (ep == CAPOS_CAP_NULL) {
		rt_printf("[keyvault] no \"sshHostKey\" endpoint\n");
		return 1;
	}
	if (make_key(rt_argc() > 0 ? rt_argv(0) : NULL, entropy) != 0)
		return 1;
	crypto_ssh_ed25519_key_blob(host_key.pub, blob);
	if (crypto_ssh_fingerprint(blob, sizeof(blob), fp) != 0 ||
	    crypto_base64(blob, sizeof(blob), true, b64, sizeof(b64)) < 0)
		return 1;
	/* At info: a person compares it with what ssh shows. */
	rt_info("[keyvault] host key ssh-ed25519 %s\n", fp);
	rt_debug("[keyvault] public key: ssh-ed25519 %s\n", b64);
	rc = rt_serve(ep, methods, sizeof(methods) / sizeof(methods[0]), NULL);
	crypto_wipe(&host_key, sizeof(host_key));
	rt_debug("[keyvault] no clients left; key wiped\n");
	return rc == CAPOS_EPEER ? 0 : 1;
}
