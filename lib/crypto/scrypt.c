/*
 * scrypt (RFC 7914) over wolfCrypt. The parameter bounds in crypto.h are
 * wolfCrypt's (r at most 8, N below 2^(16 r)) tightened to what a login
 * service should ever ask for, so that a bad stored hash cannot make a
 * process allocate without bound: 128 r N bytes are allocated at once,
 * at most CRYPTO_SCRYPT_MAX_MEM.
 */
#include "wc.h"

#include <wolfssl/wolfcrypt/pwdbased.h>

#define SCRYPT_MAX_OUT	1024

int
crypto_scrypt(const void *pass, size_t plen, const void *salt, size_t slen,
    uint32_t n, uint32_t r, uint32_t p, uint8_t *out, size_t olen)
{
	int rc;

	if (n < 2 || (n & (n - 1)) != 0 || r < 1 || r > 8 || p < 1 ||
	    p > 16 || olen < 1 || olen > SCRYPT_MAX_OUT ||
	    plen > CRYPTO_CHUNK || slen > CRYPTO_CHUNK)
		return CRYPTO_EINVAL;
	/* RFC 7914 2: N < 2^(128 r / 8). */
	if (r < 2 && n >= 1u << 16)
		return CRYPTO_EINVAL;
	/* wolfCrypt sizes its work area as a 32-bit product (1 << log2 N)
	 * * 128 r, which would wrap past 4 GiB: the bound keeps it far below. */
	if ((uint64_t)n * r * 128 > CRYPTO_SCRYPT_MAX_MEM)
		return CRYPTO_EINVAL;
	rc = wc_scrypt_ex(out, pass, (int)plen, salt, (int)slen, n, (int)r,
	    (int)p, (int)olen);
	if (rc != 0) {
		crypto_wipe(out, olen);
		return rc == MEMORY_E ? CRYPTO_ENOMEM : CRYPTO_EINTERNAL;
	}
	return 0;
}
