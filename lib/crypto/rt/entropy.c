/*
 * The random generator's source on capOS: the kernel's Entropy capability
 * (schema/capos.capnp), or an EntropySource a process serves
 * (schema/crypto.capnp), which has the same fill method and messages;
 * asked for at most Entropy.maxFill bytes a call.
 * Any transport error, exception or short answer is a refusal, which the
 * generator turns into failing closed (drbg.c).
 */
#include <string.h>

#include "crypto.capnp.h"
#include "crypto.h"
#include "crypto_rt.h"
#include "rt.h"

_Static_assert(capos_Entropy_fill_ORDINAL == capos_EntropySource_fill_ORDINAL,
    "EntropySource.fill is Entropy.fill");

int
crypto_rt_entropy(void *ctx, uint8_t *out, size_t n)
{
	const struct crypto_rt_source *src = ctx;
	uint8_t params[64] __attribute__((aligned(8)));
	/* On the stack, so generators on different threads share nothing;
	 * wiped before returning, as it held seed bytes. */
	uint8_t buf[256 + 64] __attribute__((aligned(8)));
	struct capos_Entropy_fill_Params_b p;
	struct capos_Entropy_fill_Results_r r;
	struct capnp_builder b;
	struct capnp_data d;
	struct rt_result res;

	while (n > 0) {
		/* 256 bytes at a time: far below maxFill, and the answer
		 * fits the buffer with its message framing. */
		uint32_t k = n < 256 ? (uint32_t)n : 256;

		if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
		    capos_Entropy_fill_Params_init_root(&b, &p) != 0)
			return -1;
		capos_Entropy_fill_Params_set_len(&p, k);
		if (rt_call(src->cap, src->iface, capos_Entropy_fill_ORDINAL, &b, NULL, 0, buf, sizeof(buf),
		    &res) != 0)
			break;
		r.s = res.root;
		if (capos_Entropy_fill_Results_get_bytes(&r, &d) != 0 ||
		    d.len != k)
			break;
		memcpy(out, d.ptr, k);
		out += k;
		n -= k;
	}
	crypto_wipe(buf, sizeof(buf));
	return n == 0 ? 0 : -1;
}
