/*
 * chacha20-poly1305@openssh.com (OpenSSH's PROTOCOL.chacha20poly1305).
 * 64 bytes of key: the first 32 are K_2, which encrypts the packet body
 * from block 1 and whose block 0 gives the Poly1305 key; the last 32 are
 * K_1, which encrypts only the 4-byte length, so the length can be read
 * before the MAC is checked without decrypting anything else. The nonce
 * is the packet's sequence number, 64 bits big endian; in RFC 8439's
 * layout that is 0^4 || seq, with the block counter in the first word.
 * The tag covers the encrypted length and the encrypted body.
 */
#include <string.h>

#include "ssh_int.h"

static void
nonce(uint32_t seq, uint8_t n[CRYPTO_CHACHA20_NONCE_LEN])
{
	memset(n, 0, CRYPTO_CHACHA20_NONCE_LEN);
	ssh_put_u32(n + 8, seq);
}

void
ssh_cipher_key(struct ssh_cipher *k, const uint8_t key[SSH_CIPHER_KEY_LEN])
{
	memcpy(k->main_key, key, 32);
	memcpy(k->len_key, key + 32, 32);
}

/* Encrypting and decrypting the length are the same XOR. */
void
ssh_cipher_length(const struct ssh_cipher *k, uint32_t seq,
    const uint8_t in[4], uint8_t out[4])
{
	_Alignas(16) uint8_t n[CRYPTO_CHACHA20_NONCE_LEN];

	nonce(seq, n);
	/* Four bytes from block 0 cannot wrap the counter. */
	(void)crypto_chacha20_xor(k->len_key, n, 0, in, out, 4);
}

static void
poly_key(const struct ssh_cipher *k, const uint8_t n[CRYPTO_CHACHA20_NONCE_LEN],
    uint8_t pk[CRYPTO_POLY1305_KEY_LEN])
{
	memset(pk, 0, CRYPTO_POLY1305_KEY_LEN);
	(void)crypto_chacha20_xor(k->main_key, n, 0, pk, pk,
	    CRYPTO_POLY1305_KEY_LEN);
}

/*
 * pkt is the encrypted length (4 bytes) and body, len bytes in all. The
 * tag is checked in constant time before anything is decrypted; on a
 * mismatch the body is left as it was and CRYPTO_EBADSIG returned.
 */
int
ssh_cipher_open(const struct ssh_cipher *k, uint32_t seq, uint8_t *pkt,
    size_t len, const uint8_t tag[SSH_TAG_LEN])
{
	_Alignas(16) uint8_t n[CRYPTO_CHACHA20_NONCE_LEN];
	_Alignas(16) uint8_t pk[CRYPTO_POLY1305_KEY_LEN];
	uint8_t want[SSH_TAG_LEN];
	int rc;

	if (len < 4)
		return CRYPTO_EINVAL;
	nonce(seq, n);
	poly_key(k, n, pk);
	crypto_poly1305(pk, pkt, len, want);
	crypto_wipe(pk, sizeof(pk));
	if (crypto_memcmp(want, tag, SSH_TAG_LEN) != 0)
		return CRYPTO_EBADSIG;
	rc = crypto_chacha20_xor(k->main_key, n, 1, pkt + 4, pkt + 4, len - 4);
	return rc;
}

/* pkt holds the plain length and body; both are encrypted in place. */
void
ssh_cipher_seal(const struct ssh_cipher *k, uint32_t seq, uint8_t *pkt,
    size_t len, uint8_t tag[SSH_TAG_LEN])
{
	_Alignas(16) uint8_t n[CRYPTO_CHACHA20_NONCE_LEN];
	_Alignas(16) uint8_t pk[CRYPTO_POLY1305_KEY_LEN];

	nonce(seq, n);
	ssh_cipher_length(k, seq, pkt, pkt);
	/* A body is at most SSH_PACKET_MAX bytes: the counter cannot wrap. */
	(void)crypto_chacha20_xor(k->main_key, n, 1, pkt + 4, pkt + 4, len - 4);
	poly_key(k, n, pk);
	crypto_poly1305(pk, pkt, len, tag);
	crypto_wipe(pk, sizeof(pk));
}
