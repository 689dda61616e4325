/*
 * Generated code (build/gen/test.capnp.h and capos.capnp.h) over
 * lib/capnp: every field kind, defaults, unions, groups and capabilities.
 */
#include "capos.capnp.h"
#include "sample.h"
#include "test.h"

static void
sample_fail(const char *name, bool ok)
{
	if (!ok)
		test_fail(__FILE__, __LINE__, "sample check %s", name);
}

TEST(capnp_gen_sample_round_trip)
{
	static uint8_t buf[16384];
	struct capnp_builder b;
	struct t_AllTypes_r a;
	struct capnp_msg m;

	CHECK_EQ(capnp_builder_init(&b, buf, sizeof(buf)), 0);
	CHECK_EQ(sample_build(&b), 0);
	CHECK_EQ(capnp_msg_init(&m, buf, capnp_builder_finish(&b)), 0);
	CHECK_EQ(t_AllTypes_read_root(&m, &a), 0);
	sample_check(&a, sample_fail);
}

TEST(capnp_gen_sample_needs_its_space)
{
	static uint8_t buf[256];
	struct capnp_builder b;

	CHECK_EQ(capnp_builder_init(&b, buf, sizeof(buf)), 0);
	CHECK_EQ(sample_build(&b), CAPNP_E_NOSPACE);
}

TEST(capnp_gen_defaults_of_an_empty_struct)
{
	static const uint8_t empty[16] = { 0, 0, 0, 0, 1, 0, 0, 0 };
	struct t_Defaults_r d;
	struct capnp_text t;
	struct capnp_data dd;
	struct capnp_msg m;

	CHECK_EQ(capnp_msg_init(&m, empty, sizeof(empty)), 0);
	CHECK_EQ(t_Defaults_read_root(&m, &d), 0);
	CHECK(t_Defaults_get_b(&d));
	CHECK_EQ(t_Defaults_get_i8(&d), -8);
	CHECK_EQ(t_Defaults_get_i64(&d), -640000000000LL);
	CHECK_EQ_U64(t_Defaults_get_u64(&d), 0xfedcba9876543210ull);
	CHECK(t_Defaults_get_f64(&d) == -2.25);
	CHECK_EQ(t_Defaults_get_e(&d), t_Color_blue);
	CHECK_EQ(t_Defaults_get_t(&d, &t), 0);
	CHECK_STR(t.str, "default text");
	CHECK_EQ(t_Defaults_get_d(&d, &dd), 0);
	CHECK_EQ(dd.len, 4);
	CHECK_EQ(dd.ptr[0], 0xde);
	CHECK(!t_Defaults_has_t(&d));
	CHECK_EQ(t_answer, -42);
	CHECK_STR(t_greeting, "hello \"world\"");
}

TEST(capnp_gen_capability_fields)
{
	static uint8_t buf[1024];
	struct capnp_builder b;
	struct t_AllTypes_b ab;
	struct t_AllTypes_r a;
	struct capnp_lb l;
	struct capnp_list rl;
	struct capnp_msg m;
	uint32_t cap;

	CHECK_EQ(capnp_builder_init(&b, buf, sizeof(buf)), 0);
	CHECK_EQ(t_AllTypes_init_root(&b, &ab), 0);
	t_AllTypes_set_capField(&ab, 3);
	CHECK_EQ(t_AllTypes_init_caps(&ab, 2, &l), 0);
	CHECK_EQ(capnp_lb_set_cap(&l, 0, 8), 0);
	t_AllTypes_set_num(&ab, 12);
	CHECK_EQ(capnp_msg_init(&m, buf, capnp_builder_finish(&b)), 0);
	CHECK_EQ(t_AllTypes_read_root(&m, &a), 0);
	CHECK_EQ(t_AllTypes_get_capField(&a, &cap), 0);
	CHECK_EQ(cap, 3);
	CHECK_EQ(t_AllTypes_get_caps(&a, &rl), 0);
	CHECK_EQ(capnp_list_cap(&rl, 0, &cap), 0);
	CHECK_EQ(cap, 8);
	CHECK_EQ(t_AllTypes_which(&a), t_AllTypes_which_num);
	CHECK_EQ(t_AllTypes_get_num(&a), 12);
}

TEST(capnp_gen_abi_call_messages)
{
	static uint8_t buf[512];
	struct capnp_builder b;
	struct capos_ProcessSpawner_SpawnResult_b sb;
	struct capos_ProcessSpawner_SpawnResult_r sr;
	struct capos_ProcessSpawner_spawn_Params_b pb;
	struct capos_ProcessSpawner_spawn_Params_r pr;
	struct capos_ProcessSpawner_NamedCap_b nb;
	struct capos_ProcessSpawner_NamedCap_r nr;
	struct capnp_lb l;
	struct capnp_list rl;
	struct capnp_text t;
	struct capnp_msg m;
	uint32_t cap;

	CHECK(capos_Console_INTERFACE_ID != 0);
	CHECK_EQ(capos_ParkSpace_wake_ORDINAL, 1);
	CHECK_EQ(capos_Timer_notify_ORDINAL, 2);
	CHECK_EQ(capos_BootPackage_maxChunk, 61440);

	CHECK_EQ(capnp_builder_init(&b, buf, sizeof(buf)), 0);
	CHECK_EQ(capos_ProcessSpawner_spawn_Params_init_root(&b, &pb), 0);
	CHECK_EQ(capos_ProcessSpawner_spawn_Params_set_binary(&pb, "hello",
	    5), 0);
	CHECK_EQ(capos_ProcessSpawner_spawn_Params_init_grants(&pb, 1, &l), 0);
	CHECK_EQ(capos_ProcessSpawner_NamedCap_b_at(&l, 0, &nb), 0);
	CHECK_EQ(capos_ProcessSpawner_NamedCap_set_name(&nb, "console", 7), 0);
	capos_ProcessSpawner_NamedCap_set_cap(&nb, 0);
	CHECK_EQ(capnp_msg_init(&m, buf, capnp_builder_finish(&b)), 0);
	CHECK_EQ(capos_ProcessSpawner_spawn_Params_read_root(&m, &pr), 0);
	CHECK_EQ(capos_ProcessSpawner_spawn_Params_get_binary(&pr, &t), 0);
	CHECK_STR(t.str, "hello");
	CHECK_EQ(capos_ProcessSpawner_spawn_Params_get_grants(&pr, &rl), 0);
	CHECK_EQ(capos_ProcessSpawner_NamedCap_at(&rl, 0, &nr), 0);
	CHECK_EQ(capos_ProcessSpawner_NamedCap_get_cap(&nr, &cap), 0);
	CHECK_EQ(cap, 0);

	CHECK_EQ(capnp_builder_init(&b, buf, sizeof(buf)), 0);
	CHECK_EQ(capos_ProcessSpawner_SpawnResult_init_root(&b, &sb), 0);
	CHECK_EQ(capos_ProcessSpawner_SpawnResult_set_badGrant(&sb, "net", 3),
	    0);
	CHECK_EQ(capnp_msg_init(&m, buf, capnp_builder_finish(&b)), 0);
	CHECK_EQ(capos_ProcessSpawner_SpawnResult_read_root(&m, &sr), 0);
	CHECK_EQ(capos_ProcessSpawner_SpawnResult_which(&sr),
	    capos_ProcessSpawner_SpawnResult_which_badGrant);
	CHECK_EQ(capos_ProcessSpawner_SpawnResult_get_badGrant(&sr, &t), 0);
	CHECK_STR(t.str, "net");
}

TEST(capnp_gen_hostile_input_through_generated_getters)
{
	/*
	 * One segment of three words: the root, a struct with one pointer,
	 * and a text pointer whose bytes would lie past the end.
	 */
	static const uint64_t w[4] = { 3ull << 32, 0x0001000000000000ull,
	    0x0000001200000005ull, 0 };
	struct capos_Export_r e;
	struct capnp_text t;
	struct capnp_msg m;

	CHECK_EQ(capnp_msg_init(&m, w, sizeof(w)), 0);
	CHECK_EQ(capos_Export_read_root(&m, &e), 0);
	CHECK_EQ(capos_Export_get_name(&e, &t), CAPNP_E_BOUNDS);
	CHECK_STR(t.str, "");
}
