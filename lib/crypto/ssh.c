/*
 * OpenSSH's encodings of Ed25519 keys and signatures (RFC 8709, RFC 4253
 * 6.6), its key fingerprints, and the data an SSHSIG signature covers
 * (OpenSSH's PROTOCOL.sshsig). Every parser takes a length and checks each
 * field against it before reading.
 */
#include <string.h>

#include "crypto.h"

static const char ed25519_name[] = "ssh-ed25519";
#define NAME_LEN	(sizeof(ed25519_name) - 1)

static uint8_t *
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static uint8_t *
put_string(uint8_t *p, const void *s, uint32_t n)
{
	p = put_u32(p, n);
	memcpy(p, s, n);
	return p + n;
}

/* Reads one SSH string at *p (of *left bytes): its bytes in *s, *n. */
static int
get_string(const uint8_t **p, size_t *left, const uint8_t **s, uint32_t *n)
{
	uint32_t len;

	if (*left < 4)
		return CRYPTO_EINVAL;
	len = (uint32_t)(*p)[0] << 24 | (uint32_t)(*p)[1] << 16 |
	    (uint32_t)(*p)[2] << 8 | (*p)[3];
	if (len > *left - 4)
		return CRYPTO_EINVAL;
	*s = *p + 4;
	*n = len;
	*p += 4 + len;
	*left -= 4 + len;
	return 0;
}

/* "ssh-ed25519" then one string of exactly `want` bytes, and nothing
 * after: the shape of both the key and the signature blob. */
static int
parse_pair(const uint8_t *blob, size_t len, uint8_t *out, uint32_t want)
{
	const uint8_t *s;
	uint32_t n;

	if (get_string(&blob, &len, &s, &n) != 0 || n != NAME_LEN ||
	    memcmp(s, ed25519_name, NAME_LEN) != 0)
		return CRYPTO_EINVAL;
	if (get_string(&blob, &len, &s, &n) != 0 || n != want || len != 0)
		return CRYPTO_EINVAL;
	memcpy(out, s, want);
	return 0;
}

void
crypto_ssh_ed25519_key_blob(const uint8_t pub[CRYPTO_ED25519_PUB_LEN],
    uint8_t out[CRYPTO_SSH_ED25519_KEY_BLOB_LEN])
{
	put_string(put_string(out, ed25519_name, NAME_LEN), pub,
	    CRYPTO_ED25519_PUB_LEN);
}

void
crypto_ssh_ed25519_sig_blob(const uint8_t sig[CRYPTO_ED25519_SIG_LEN],
    uint8_t out[CRYPTO_SSH_ED25519_SIG_BLOB_LEN])
{
	put_string(put_string(out, ed25519_name, NAME_LEN), sig,
	    CRYPTO_ED25519_SIG_LEN);
}

int
crypto_ssh_ed25519_parse_key(const uint8_t *blob, size_t len,
    uint8_t pub[CRYPTO_ED25519_PUB_LEN])
{
	return parse_pair(blob, len, pub, CRYPTO_ED25519_PUB_LEN);
}

int
crypto_ssh_ed25519_parse_sig(const uint8_t *blob, size_t len,
    uint8_t sig[CRYPTO_ED25519_SIG_LEN])
{
	return parse_pair(blob, len, sig, CRYPTO_ED25519_SIG_LEN);
}

int
crypto_base64(const uint8_t *in, size_t len, bool pad, char *out,
    size_t room)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t need = len / 3 * 4, o = 0;

	if (len % 3 != 0)
		need += pad ? 4 : len % 3 + 1;
	if (len > (SIZE_MAX - 1) / 2 || need + 1 > room)
		return CRYPTO_EINVAL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t k = len - i < 3 ? len - i : 3;

		if (k > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (k > 2)
			v |= in[i + 2];
		for (size_t j = 0; j < 4; j++) {
			if (j <= k)
				out[o++] = alphabet[(v >> (18 - 6 * j)) & 63];
			else if (pad)
				out[o++] = '=';
		}
	}
	out[o] = '\0';
	return (int)o;
}

int
crypto_ssh_fingerprint(const uint8_t *blob, size_t len,
    char out[CRYPTO_SSH_FINGERPRINT_LEN])
{
	uint8_t h[CRYPTO_SHA256_LEN];

	crypto_sha256(blob, len, h);
	memcpy(out, "SHA256:", 7);
	return crypto_base64(h, sizeof(h), false, out + 7,
	    CRYPTO_SSH_FINGERPRINT_LEN - 7) < 0 ? CRYPTO_EINVAL : 0;
}

int
crypto_sshsig_signed_data(const char *ns, const void *msg, size_t mlen,
    uint8_t *out, size_t room)
{
	uint8_t h[CRYPTO_SHA512_LEN];
	size_t nlen = strlen(ns);
	uint8_t *p = out;

	if (nlen == 0 || nlen > 64 ||
	    room < 6 + 4 + nlen + 4 + 4 + 6 + 4 + sizeof(h))
		return CRYPTO_EINVAL;
	crypto_sha512(msg, mlen, h);
	memcpy(p, "SSHSIG", 6);
	p = put_string(p + 6, ns, (uint32_t)nlen);
	p = put_string(p, "", 0);
	p = put_string(p, "sha512", 6);
	p = put_string(p, h, sizeof(h));
	return (int)(p - out);
}
