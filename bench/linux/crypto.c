/*
 * The cryptography rows: lib/crypto over wolfCrypt, built for this guest
 * from the same sources and configuration as capOS's (mk/crypto.mk), and
 * running the capOS bench program's very calls (cryptowork.h).
 */
#include <errno.h>

#include "../programs/bench/cryptowork.h"
#include "bench.h"

static struct cryptowork work;
static int work_ready;

/* A failed lib/crypto call has no errno; EPROTO stands for it. */
static void
count_failures(uint32_t failed)
{
	if (failed != 0)
		batch_failed(EPROTO);
}

static int
ready(const char *what)
{
	int rc;

	if (work_ready)
		return 0;
	if ((rc = cryptowork_init(&work)) != 0) {
		report_error("%s: %s", what, crypto_strerror(rc));
		return -1;
	}
	work_ready = 1;
	return 0;
}

static uint64_t
ed25519_batch(void *ctx, uint64_t n)
{
	uint64_t t0 = tsc_read();

	(void)ctx;
	count_failures(cryptowork_ed25519_sign(&work, n));
	return tsc_read() - t0;
}

static uint64_t
x25519_batch(void *ctx, uint64_t n)
{
	uint64_t t0 = tsc_read();

	(void)ctx;
	count_failures(cryptowork_x25519(&work, n));
	return tsc_read() - t0;
}

static uint64_t
aead_batch(void *ctx, uint64_t n)
{
	uint64_t t0 = tsc_read();

	(void)ctx;
	count_failures(cryptowork_aead(&work, n));
	return tsc_read() - t0;
}

int
row_ed25519_sign(uint64_t n, double *cycles)
{
	if (ready("ed25519_sign") != 0)
		return -1;
	return measure("ed25519_sign", ed25519_batch, NULL, n, cycles);
}

int
row_x25519(uint64_t n, double *cycles)
{
	if (ready("x25519") != 0)
		return -1;
	return measure("x25519", x25519_batch, NULL, n, cycles);
}

int
row_chacha20poly1305(uint64_t n, double *cycles)
{
	if (ready("chacha20poly1305") != 0)
		return -1;
	return measure("chacha20poly1305", aead_batch, NULL, n, cycles);
}
