/*
 * The random generator: wolfCrypt's Hash_DRBG behind lib/crypto's own
 * reseed schedule and failure state (crypto.h). wolfCrypt asks for seed
 * bytes through capos_drbg_seed (user_settings.h), handing it the
 * OS_Seed inside the WC_RNG it is seeding; that WC_RNG lives in the
 * opaque block of a crypto_drbg, so the seed function finds the
 * generator's source from it.
 */
#include "wc.h"

#include <wolfssl/wolfcrypt/random.h>

#if !__STDC_HOSTED__
#include "rt.h"
#endif

_Static_assert(sizeof(WC_RNG) <= sizeof(((struct crypto_drbg *)0)->opaque),
    "crypto_drbg too small for wolfCrypt's WC_RNG");

#define DRBG_READY	1
/* Bytes of entropy per reseed: wolfCrypt's seed size with its test
 * block (SEED_SZ + SEED_BLOCK_SZ in random.c). */
#define RESEED_LEN	(32 + 4)

/*
 * The process's clock for the time-based reseed: one for the whole
 * process, as lib/crypto is used from one thread (alloc.c). On capOS it
 * is the TSC at the rate lib/rt's start block gives (what init's
 * supervisor times with too): no capability, and no call per request,
 * which matters to a gateway that asks for padding with every packet.
 */
#if __STDC_HOSTED__
static crypto_clock_fn clock_fn;
#else
static uint64_t
tsc_ns(void)
{
	uint64_t hz = rt_start()->tsc_hz, t = __builtin_ia32_rdtsc();

	/* In two parts, without a 128-bit division (no libgcc): the
	 * remainder times 10^9 stays below 2^64 for any TSC under 18 GHz. */
	return hz == 0 ? 0 : t / hz * 1000000000u + t % hz * 1000000000u / hz;
}

static crypto_clock_fn clock_fn = tsc_ns;
#endif

void
crypto_drbg_set_clock(crypto_clock_fn now_ns)
{
	clock_fn = now_ns;
}

static uint64_t
now_ns(void)
{
	return clock_fn != NULL ? clock_fn() : 0;
}

/* CRYPTO_DRBG_RESEED_NS has passed since d's last seed. A generator
 * seeded while the clock could not be read starts counting at its first
 * reading. */
static bool
stale(struct crypto_drbg *d)
{
	uint64_t now = now_ns();

	if (now == 0)
		return false;
	if (d->seeded_ns == 0 || now < d->seeded_ns) {
		d->seeded_ns = now;
		return false;
	}
	return now - d->seeded_ns >= CRYPTO_DRBG_RESEED_NS;
}

static WC_RNG *
rng_of(struct crypto_drbg *d)
{
	return (WC_RNG *)d->opaque;
}

int
capos_drbg_seed(struct OS_Seed *os, unsigned char *out, unsigned int n)
{
	struct crypto_drbg *d = (struct crypto_drbg *)(void *)((uint8_t *)os -
	    offsetof(WC_RNG, seed) - offsetof(struct crypto_drbg, opaque));

	if (d->source == NULL || d->source(d->ctx, out, n) != 0) {
		crypto_wipe(out, n);
		return -1;
	}
	return 0;
}

/* Destroys the state after a failure; later requests are refused. */
static int
fail(struct crypto_drbg *d, int err)
{
	wc_FreeRng(rng_of(d));
	crypto_wipe(d->opaque, sizeof(d->opaque));
	d->state = CRYPTO_EFAILED;
	return err;
}

int
crypto_drbg_init(struct crypto_drbg *d, crypto_entropy_fn source, void *ctx)
{
	memset(d, 0, sizeof(*d));
	d->source = source;
	d->ctx = ctx;
	if (source == NULL) {
		d->state = CRYPTO_EFAILED;
		return CRYPTO_EENTROPY;
	}
	if (wc_InitRng(rng_of(d)) != 0)
		return fail(d, CRYPTO_EENTROPY);
	d->seeded_ns = now_ns();
	d->state = DRBG_READY;
	return 0;
}

int
crypto_drbg_reseed(struct crypto_drbg *d)
{
	uint8_t seed[RESEED_LEN];
	int rc = 0;

	if (d->state != DRBG_READY)
		return CRYPTO_EFAILED;
	if (d->source(d->ctx, seed, sizeof(seed)) != 0 ||
	    wc_RNG_TestSeed(seed, sizeof(seed)) != 0 ||
	    wc_RNG_DRBG_Reseed(rng_of(d), seed + 4, sizeof(seed) - 4) != 0)
		rc = fail(d, CRYPTO_EENTROPY);
	crypto_wipe(seed, sizeof(seed));
	if (rc == 0) {
		d->requests = 0;
		d->bytes = 0;
		d->reseeds++;
		d->seeded_ns = now_ns();
	}
	return rc;
}

int
crypto_drbg_generate(struct crypto_drbg *d, void *out, size_t n)
{
	uint8_t *p = out;
	int rc;

	if (d->state != DRBG_READY) {
		crypto_wipe(out, n);
		return CRYPTO_EFAILED;
	}
	if (d->requests >= CRYPTO_DRBG_RESEED_REQUESTS ||
	    d->bytes >= CRYPTO_DRBG_RESEED_BYTES || stale(d)) {
		if ((rc = crypto_drbg_reseed(d)) != 0) {
			crypto_wipe(out, n);
			return rc;
		}
	}
	d->requests++;
	while (n > 0) {
		/* wolfCrypt serves at most RNG_MAX_BLOCK_LEN per call. */
		size_t k = n < RNG_MAX_BLOCK_LEN ? n : RNG_MAX_BLOCK_LEN;

		if (wc_RNG_GenerateBlock(rng_of(d), p, (word32)k) != 0) {
			crypto_wipe(out, (size_t)(p - (uint8_t *)out) + n);
			return fail(d, CRYPTO_EENTROPY);
		}
		d->bytes += k;
		p += k;
		n -= k;
	}
	return 0;
}

void
crypto_drbg_free(struct crypto_drbg *d)
{
	if (d->state == DRBG_READY)
		wc_FreeRng(rng_of(d));
	crypto_wipe(d, sizeof(*d));
}
