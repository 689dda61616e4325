/*
 * The allocator behind wolfCrypt's XMALLOC (user_settings.h) and lib/crypto.
 * It counts what is in use and the peak, and refuses anything past a limit
 * a process may set, so that a caller asking for an expensive scrypt gets
 * CRYPTO_ENOMEM rather than the whole heap. Each block carries its size in
 * a 16-byte header (which keeps the block 16-byte aligned).
 *
 * The counters are plain globals: the programs that use lib/crypto call it
 * from one thread, as wolfCrypt is built SINGLE_THREADED.
 *
 * On capOS the memory comes from lib/rt's malloc; on the host (tests,
 * fuzzers) from the C library's.
 */
#include "crypto.h"

#if __STDC_HOSTED__
#include <stdlib.h>
#else
#include "rt.h"
#endif

#define HDR	16

static struct crypto_mem_stats stats;

void *
capos_crypto_alloc(size_t n)
{
	uint8_t *p;

	/* A limit set below what is already in use refuses everything. */
	if (n > SIZE_MAX - HDR || (stats.limit != 0 &&
	    (stats.in_use > stats.limit || n > stats.limit - stats.in_use))) {
		stats.refused++;
		return NULL;
	}
	if ((p = malloc(n + HDR)) == NULL) {
		stats.refused++;
		return NULL;
	}
	*(size_t *)p = n;
	stats.in_use += n;
	if (stats.in_use > stats.peak)
		stats.peak = stats.in_use;
	return p + HDR;
}

/* Blocks are wiped when freed: wolfCrypt keeps key material in some. */
void
capos_crypto_free(void *q)
{
	uint8_t *p;

	if (q == NULL)
		return;
	p = (uint8_t *)q - HDR;
	stats.in_use -= *(size_t *)p;
	crypto_wipe(q, *(size_t *)p);
	free(p);
}

void *
capos_crypto_realloc(void *q, size_t n)
{
	uint8_t *p;
	size_t old;

	if (q == NULL)
		return capos_crypto_alloc(n);
	old = *(size_t *)((uint8_t *)q - HDR);
	if ((p = capos_crypto_alloc(n)) == NULL)
		return NULL;
	for (size_t i = 0; i < (old < n ? old : n); i++)
		p[i] = ((uint8_t *)q)[i];
	capos_crypto_free(q);
	return p;
}

void
crypto_mem_limit(size_t bytes)
{
	stats.limit = bytes;
}

void
crypto_mem_stats(struct crypto_mem_stats *out)
{
	*out = stats;
}

void
crypto_mem_reset_peak(void)
{
	stats.peak = stats.in_use;
}
