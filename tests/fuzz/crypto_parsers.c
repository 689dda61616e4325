/*
 * libFuzzer target for lib/crypto's functions that take bytes from a
 * peer: OpenSSH key and signature blobs, Ed25519 and P-256 verification of
 * arbitrary keys and signatures, X25519 with an arbitrary point, the AEAD
 * opening arbitrary ciphertext, DER ECDSA signatures, and the P-256 key
 * search in a certificate. The first input byte picks the
 * function; the rest is its input, split as the function needs. Under
 * ASan any read outside the input is caught; every result must be one of
 * the documented codes.
 *
 *	make fuzz && build/fuzz/crypto_parsers -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

static void
check(int rc)
{
	if (rc > 0 || rc < CRYPTO_EINTERNAL || rc == CRYPTO_EINTERNAL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[32] = { 1, 2, 3 };
	uint8_t out[4096], a[64];

	if (size < 1)
		return 0;
	size--;
	switch (*data++ % 8) {
	case 0:
		check(crypto_ssh_ed25519_parse_key(data, size, a));
		break;
	case 1:
		check(crypto_ssh_ed25519_parse_sig(data, size, a));
		break;
	case 2:
		/* pub (32) || sig (64) || message */
		if (size >= 96)
			check(crypto_ed25519_verify(data, data + 96, size - 96,
			    data + 32));
		break;
	case 3:
		if (size >= 32)
			check(crypto_x25519(out, key, data));
		break;
	case 4:
		/* qx || qy || r || s || hash (1..64) */
		if (size >= 128)
			check(crypto_p256_verify(data, data + 32, data + 128,
			    size - 128, data + 64, data + 96));
		break;
	case 5:
		/* tag (16) || ciphertext */
		if (size >= 16 && size - 16 <= sizeof(out)) {
			int rc = crypto_aead_open(key, key, NULL, 0, data + 16,
			    size - 16, data, out);

			/* A forged tag is what fuzzing cannot make. */
			if (rc != CRYPTO_EBADSIG)
				abort();
		}
		break;
	case 6:
		check(crypto_p256_sig_from_der(data, size, a, a + 32));
		break;
	case 7:
		check(crypto_p256_cert_key(data, size, a, a + 32));
		break;
	}
	return 0;
}
