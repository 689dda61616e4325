/*
 * Entropy: random bytes from RDSEED, or RDRAND where RDSEED is missing.
 * Without either the object still exists but every fill fails: consumers
 * must fail closed rather than fall back to something weaker.
 */
#include <stdbool.h>
#include <string.h>

#include "arch/x86_64/cpu.h"
#include "cap/call.h"
#include "kernel.h"
#include "obj/objects.h"

#define RETRIES	32	/* the instructions may transiently report no data */

enum source { SRC_NONE, SRC_RDRAND, SRC_RDSEED };

static enum source source;

static int
rdseed64(uint64_t *v)
{
	uint8_t ok;

	__asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok));
	return ok;
}

static int
rdrand64(uint64_t *v)
{
	uint8_t ok;

	__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
	return ok;
}

static int
random64(uint64_t *v)
{
	for (int i = 0; i < RETRIES; i++) {
		if (source == SRC_RDSEED ? rdseed64(v) : rdrand64(v))
			return 0;
		__asm__ volatile("pause");
	}
	return -1;
}

static void
detect_source(void)
{
	static bool done;
	uint32_t r[4];

	if (done)
		return;
	done = true;
	cpuid(7, 0, r);
	if (r[1] & (1u << 18)) {
		source = SRC_RDSEED;
	} else {
		cpuid(1, 0, r);
		source = (r[2] & (1u << 30)) ? SRC_RDRAND : SRC_NONE;
	}
}

uint64_t
random_u64(void)
{
	static uint64_t mix;
	uint64_t v, z;

	detect_source();
	if (source != SRC_NONE && random64(&v) == 0)
		return v;
	/*
	 * No hardware source: identifiers stay unique (callers add their own
	 * counter) but only as unpredictable as the TSC. Entropy.fill never
	 * uses this path; it fails closed instead.
	 */
	z = __atomic_add_fetch(&mix, rdtsc() + 0x9E3779B97F4A7C15ull,
	    __ATOMIC_RELAXED);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static int
entropy_call(struct kobj *obj, struct call *c)
{
	struct capos_Entropy_fill_Params_r p;
	struct capos_Entropy_fill_Results_b res;
	struct capnp_msg m;
	uint8_t buf[capos_Entropy_maxFill];
	uint32_t len;

	(void)obj;
	if (c->method != capos_Entropy_fill_ORDINAL)
		return call_exception(c, capos_CapException_Type_unimplemented,
		    "Entropy has no such method");
	if (call_params(c, &m, &p.s) != 0)
		return call_exception(c, capos_CapException_Type_failed,
		    "malformed Entropy.fill params");
	len = capos_Entropy_fill_Params_get_len(&p);
	if (len > capos_Entropy_maxFill)
		return call_exception(c, capos_CapException_Type_failed,
		    "Entropy.fill: len over maxFill");
	if (source == SRC_NONE)
		return call_exception(c, capos_CapException_Type_failed,
		    "no hardware entropy source");
	for (uint32_t off = 0; off < len; off += 8) {
		uint64_t v;

		if (random64(&v) != 0)
			return call_exception(c,
			    capos_CapException_Type_overloaded,
			    "entropy source returned no data");
		memcpy(buf + off, &v, len - off < 8 ? len - off : 8);
	}
	if (capos_Entropy_fill_Results_init_root(call_result(c), &res) != 0 ||
	    capos_Entropy_fill_Results_set_bytes(&res, buf, len) != 0)
		return call_exception(c, capos_CapException_Type_failed,
		    "result buffer");
	memset(buf, 0, sizeof(buf));
	return CALL_DONE;
}

static const struct kobj_ops entropy_ops = {
	.name = "Entropy",
	.call = entropy_call,
	.release = NULL,
};

static struct kobj entropy;

struct kobj *
entropy_create(void)
{
	if (entropy.ops == NULL) {
		detect_source();
		kobj_init(&entropy, &entropy_ops);
	}
	return kobj_ref(&entropy);
}
