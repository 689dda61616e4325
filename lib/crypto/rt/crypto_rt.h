/*
 * lib/crypto's capOS side: what needs the runtime and the ring, kept out
 * of lib/crypto proper so that stays pure and builds on the host.
 */
#ifndef CAPOS_CRYPTO_RT_H
#define CAPOS_CRYPTO_RT_H

#include <stddef.h>
#include <stdint.h>

#include "capos/abi.h"

/* Where a generator's entropy comes from: the kernel's Entropy, or an
 * EntropySource served by a process (schema/crypto.capnp). */
struct crypto_rt_source {
	capos_cap_t cap;
	uint64_t iface;	/* capos_Entropy_ or capos_EntropySource_INTERFACE_ID */
};

/* An entropy source (crypto_entropy_fn) over the capability described by
 * the struct crypto_rt_source ctx points to. */
int crypto_rt_entropy(void *ctx, uint8_t *out, size_t n);

#endif
