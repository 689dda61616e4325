/*
 * What lwIP asks of its platform (arch/cc.h, arch/hooks.h): the clock,
 * random numbers and sequence numbers from Entropy, and fail-stop on a
 * broken invariant.
 */
#include <string.h>

#include "lwip/sys.h"
#include "netstack.h"

/* Random bytes are fetched from Entropy in blocks of this size. */
#define POOL_BYTES	256

static capos_cap_t entropy_cap;
static uint8_t pool[POOL_BYTES];
static uint32_t pool_left;
/* The RFC 6528 hash key; never leaves this file. */
static uint64_t isn_key[2];

/* Fills buf with len bytes from Entropy; 0, or a negative error. */
static int
entropy_fill(void *buf, uint32_t len)
{
	uint8_t params[64] __attribute__((aligned(8)));
	static uint8_t out[POOL_BYTES + 64] __attribute__((aligned(8)));
	struct capos_Entropy_fill_Params_b p;
	struct capos_Entropy_fill_Results_r r;
	struct capnp_builder b;
	struct capnp_data d;
	struct rt_result res;
	int rc;

	if (len > POOL_BYTES)
		return CAPOS_E2BIG;
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_Entropy_fill_Params_init_root(&b, &p) != 0)
		return CAPOS_E2BIG;
	capos_Entropy_fill_Params_set_len(&p, len);
	rc = rt_call(entropy_cap, capos_Entropy_INTERFACE_ID,
	    capos_Entropy_fill_ORDINAL, &b, NULL, 0, out, sizeof(out), &res);
	if (rc != 0)
		return rc;
	r.s = res.root;
	if (capos_Entropy_fill_Results_get_bytes(&r, &d) != 0 || d.len != len)
		return CAPOS_EINVAL;
	memcpy(buf, d.ptr, len);
	return 0;
}

int
port_init(capos_cap_t entropy)
{
	entropy_cap = entropy;
	if (entropy == CAPOS_CAP_NULL)
		return RT_NOCAP;
	return entropy_fill(isn_key, sizeof(isn_key));
}

uint32_t
capos_lwip_rand(void)
{
	uint32_t v;

	if (pool_left < sizeof(v)) {
		/* Without entropy there is no safe answer: stop. */
		if (entropy_fill(pool, POOL_BYTES) != 0)
			capos_lwip_assert("entropy failed", __FILE__, __LINE__);
		pool_left = POOL_BYTES;
	}
	pool_left -= sizeof(v);
	memcpy(&v, pool + pool_left, sizeof(v));
	memset(pool + pool_left, 0, sizeof(v));
	return v;
}

static uint64_t
tsc_since_boot(void)
{
	return __builtin_ia32_rdtsc() - rt_start()->boot_tsc;
}

/* Monotonic milliseconds from the TSC, whose rate the kernel measured. */
u32_t
sys_now(void)
{
	uint64_t hz = rt_start()->tsc_hz, t = tsc_since_boot();

	/* Whole seconds and the rest apart: no overflow of t * 1000, and
	 * no division by zero for a rate below 1 kHz. */
	return hz == 0 ? 0 : (u32_t)(t / hz * 1000 + t % hz * 1000 / hz);
}

#define ROTL(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND(v0, v1, v2, v3) do {					\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

/* SipHash-2-4 of two 64-bit words (Aumasson and Bernstein, 2012). */
static uint64_t
siphash_2w(const uint64_t k[2], uint64_t m0, uint64_t m1)
{
	uint64_t v0 = k[0] ^ 0x736f6d6570736575ull;
	uint64_t v1 = k[1] ^ 0x646f72616e646f6dull;
	uint64_t v2 = k[0] ^ 0x6c7967656e657261ull;
	uint64_t v3 = k[1] ^ 0x7465646279746573ull;
	uint64_t m[3] = { m0, m1, (uint64_t)16 << 56 };

	for (int i = 0; i < 3; i++) {
		v3 ^= m[i];
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m[i];
	}
	v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, key),
 * with M a clock ticking every 4 microseconds. */
u32_t
capos_lwip_tcp_isn(const ip_addr_t *local_ip, u16_t local_port,
    const ip_addr_t *remote_ip, u16_t remote_port)
{
	uint64_t hz = rt_start()->tsc_hz;
	uint64_t m = hz < 250000 ? 0 : tsc_since_boot() / (hz / 250000);
	uint64_t a = ((uint64_t)ip_2_ip4(local_ip)->addr << 32) |
	    ip_2_ip4(remote_ip)->addr;
	uint64_t b = ((uint64_t)local_port << 16) | remote_port;

	return (u32_t)m + (u32_t)siphash_2w(isn_key, a, b);
}

_Noreturn void
capos_lwip_assert(const char *msg, const char *file, int line)
{
	rt_printf("[%s] lwIP invariant broken: %s (%s:%d)\n",
	    ns_name, msg, file, line);
	rt_flush();
	sys_exit(3);
}

void
capos_lwip_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rt_vprintf(fmt, ap);
	va_end(ap);
}
