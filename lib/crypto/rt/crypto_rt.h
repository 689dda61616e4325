/*
 * lib/crypto's capOS side: what needs the runtime and the ring, kept out
 * of lib/crypto proper so that stays pure and builds on the host.
 */
#ifndef CAPOS_CRYPTO_RT_H
#define CAPOS_CRYPTO_RT_H

#include <stddef.h>
#include <stdint.h>

/* An entropy source (crypto_entropy_fn) over the Entropy capability
 * whose id ctx points to. */
int crypto_rt_entropy(void *ctx, uint8_t *out, size_t n);

#endif
