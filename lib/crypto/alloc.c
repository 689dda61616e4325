/*
 * The allocator behind wolfCrypt's XMALLOC (user_settings.h) and lib/crypto.
 * It counts what is in use and the peak, and refuses anything past a limit
 * a process may set, so that a caller asking for an expensive scrypt gets
 * CRYPTO_ENOMEM rather than the whole heap.
 *
 * Accounts: besides the process's totals, each block is charged to the
 * account current when it was allocated (crypto_mem_charge; none at
 * first), which has its own count, peak and limit, and is refunded to
 * that same account when freed, whichever account is current then. A
 * program that holds several wolfSSL connections charges each to its own
 * account around every call it makes for it (lib/tls), so one
 * connection's bound is reached by that connection alone. An account
 * must outlive its blocks.
 *
 * Each block carries its size and its account in a 16-byte header (which
 * keeps the block 16-byte aligned).
 *
 * The counters and the current account are plain globals: the programs
 * that use lib/crypto call it from one thread, as wolfCrypt is built
 * SINGLE_THREADED.
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

struct hdr {
	size_t n;
	struct crypto_account *owner;	/* NULL: charged to none */
};
_Static_assert(sizeof(struct hdr) <= HDR, "the header fits its room");

static struct crypto_mem_stats stats;
static struct crypto_account *current;

/* Whether n more bytes stay within limit (0: none) over in_use. A limit
 * set below what is already in use refuses everything. */
static int
fits(size_t in_use, size_t limit, size_t n)
{
	return limit == 0 || (in_use <= limit && n <= limit - in_use);
}

void *
capos_crypto_alloc(size_t n)
{
	struct crypto_account *a = current;
	struct hdr *h;

	if (n > SIZE_MAX - HDR || !fits(stats.in_use, stats.limit, n) ||
	    (a != NULL && !fits(a->in_use, a->limit, n))) {
		stats.refused++;
		if (a != NULL)
			a->refused++;
		return NULL;
	}
	if ((h = malloc(n + HDR)) == NULL) {
		stats.refused++;
		if (a != NULL)
			a->refused++;
		return NULL;
	}
	h->n = n;
	h->owner = a;
	stats.in_use += n;
	if (stats.in_use > stats.peak)
		stats.peak = stats.in_use;
	if (a != NULL) {
		a->in_use += n;
		if (a->in_use > a->peak)
			a->peak = a->in_use;
	}
	return (uint8_t *)h + HDR;
}

/* Blocks are wiped when freed: wolfCrypt keeps key material in some. */
void
capos_crypto_free(void *q)
{
	struct hdr *h;

	if (q == NULL)
		return;
	h = (struct hdr *)((uint8_t *)q - HDR);
	stats.in_use -= h->n;
	if (h->owner != NULL)
		h->owner->in_use -= h->n;
	crypto_wipe(q, h->n);
	crypto_wipe(h, HDR);
	free(h);
}

/* The new block is charged to the current account, as any allocation. */
void *
capos_crypto_realloc(void *q, size_t n)
{
	uint8_t *p;
	size_t old;

	if (q == NULL)
		return capos_crypto_alloc(n);
	old = ((struct hdr *)((uint8_t *)q - HDR))->n;
	if ((p = capos_crypto_alloc(n)) == NULL)
		return NULL;
	for (size_t i = 0; i < (old < n ? old : n); i++)
		p[i] = ((uint8_t *)q)[i];
	capos_crypto_free(q);
	return p;
}

struct crypto_account *
crypto_mem_charge(struct crypto_account *a)
{
	struct crypto_account *before = current;

	current = a;
	return before;
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
