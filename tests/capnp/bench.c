/*
 * Reader and builder throughput on a typical small call message: the
 * params of ProcessSpawner.spawn with a binary name, two named grants and
 * one argument (about 30 words). Prints figures; asserts nothing.
 */
#include <stdio.h>
#include <time.h>

#include "capos.capnp.h"

#define ROUNDS 2000000

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
build(uint8_t *buf, size_t len)
{
	static const char *const names[] = { "console", "log" };
	struct capos_ProcessSpawner_spawn_Params_b p;
	struct capos_ProcessSpawner_NamedCap_b nc;
	struct capnp_builder b;
	struct capnp_lb l;
	int err = 0;

	err |= capnp_builder_init(&b, buf, len);
	err |= capos_ProcessSpawner_spawn_Params_init_root(&b, &p);
	err |= capos_ProcessSpawner_spawn_Params_set_binary(&p, "hello", 5);
	err |= capos_ProcessSpawner_spawn_Params_init_grants(&p, 2, &l);
	for (uint32_t i = 0; i < 2; i++) {
		err |= capos_ProcessSpawner_NamedCap_b_at(&l, i, &nc);
		err |= capos_ProcessSpawner_NamedCap_set_name(&nc, names[i],
		    strlen(names[i]));
		capos_ProcessSpawner_NamedCap_set_cap(&nc, i);
	}
	err |= capos_ProcessSpawner_spawn_Params_init_args(&p, 1, &l);
	err |= capnp_lb_set_text(&l, 0, "--verbose", 9);
	return err != 0 ? 0 : capnp_builder_finish(&b);
}

/* Validate and read every field; returns a checksum so nothing is elided. */
static uint32_t
read_msg(const uint8_t *buf, size_t len)
{
	struct capos_ProcessSpawner_spawn_Params_r p;
	struct capos_ProcessSpawner_NamedCap_r nc;
	struct capnp_list grants, args;
	struct capnp_text t;
	struct capnp_msg m;
	uint32_t sum = 0, cap;

	if (capnp_msg_init(&m, buf, len) != 0 ||
	    capos_ProcessSpawner_spawn_Params_read_root(&m, &p) != 0 ||
	    capos_ProcessSpawner_spawn_Params_get_binary(&p, &t) != 0 ||
	    capos_ProcessSpawner_spawn_Params_get_grants(&p, &grants) != 0 ||
	    capos_ProcessSpawner_spawn_Params_get_args(&p, &args) != 0)
		return 0;
	sum += t.len;
	for (uint32_t i = 0; i < grants.n; i++) {
		if (capos_ProcessSpawner_NamedCap_at(&grants, i, &nc) != 0 ||
		    capos_ProcessSpawner_NamedCap_get_name(&nc, &t) != 0 ||
		    capos_ProcessSpawner_NamedCap_get_cap(&nc, &cap) != 0)
			return 0;
		sum += t.len + cap;
	}
	for (uint32_t i = 0; i < args.n; i++) {
		if (capnp_list_text(&args, i, &t) != 0)
			return 0;
		sum += t.len;
	}
	return sum;
}

int
main(void)
{
	static uint8_t buf[512];
	volatile uint32_t sink = 0;
	size_t len = build(buf, sizeof(buf));
	double t0, t1;

	if (len == 0 || read_msg(buf, len) != 5 + 7 + 3 + 1 + 9) {
		fprintf(stderr, "capnp_bench: sample message is wrong\n");
		return 1;
	}
	t0 = now();
	for (int i = 0; i < ROUNDS; i++)
		sink += read_msg(buf, len);
	t1 = now();
	printf("read:  %zu-byte spawn params message, %.0f messages/s "
	    "(%.0f ns each)\n", len, ROUNDS / (t1 - t0),
	    (t1 - t0) * 1e9 / ROUNDS);
	t0 = now();
	for (int i = 0; i < ROUNDS; i++)
		sink += (uint32_t)build(buf, sizeof(buf));
	t1 = now();
	printf("build: %.0f messages/s (%.0f ns each)\n", ROUNDS / (t1 - t0),
	    (t1 - t0) * 1e9 / ROUNDS);
	return sink == 0;
}
