/*
 * Constant-time comparison, wiping, and error texts.
 */
#include "crypto.h"

int
crypto_memcmp(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	/* 1 when any byte differed, computed without a branch on d. */
	return (int)((d + 0xffu) >> 8);
}

void
crypto_wipe(void *p, size_t n)
{
	volatile uint8_t *q = p;

	while (n-- > 0)
		*q++ = 0;
}

const char *
crypto_strerror(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case CRYPTO_EINVAL:
		return "invalid length or argument";
	case CRYPTO_EBADSIG:
		return "signature or tag does not verify";
	case CRYPTO_EWEAK:
		return "low-order point";
	case CRYPTO_ENOMEM:
		return "out of crypto memory";
	case CRYPTO_EENTROPY:
		return "entropy refused";
	case CRYPTO_EFAILED:
		return "random generator failed earlier";
	case CRYPTO_EINTERNAL:
		return "internal error";
	}
	return "unknown error";
}
