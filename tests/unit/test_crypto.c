/*
 * lib/crypto on the host, over the same wolfCrypt build capOS uses: every
 * known-answer family of lib/crypto/kat (which tests/programs/cryptotest runs
 * inside capOS too), then bad input of every kind, the allocator's limit,
 * and the random generator's seeding, reseeding and failing closed.
 */
#include <stdlib.h>

#include "crypto.h"
#include "kat/kat.h"
#include "test.h"

static void
run_kat(const char *id)
{
	for (size_t i = 0; i < crypto_nkats; i++) {
		const char *bad;

		if (strcmp(crypto_kats[i].id, id) != 0)
			continue;
		bad = crypto_kats[i].run();
		if (bad != NULL)
			test_fail(__FILE__, __LINE__, "%s: %s failed",
			    crypto_kats[i].what, bad);
		return;
	}
	test_fail(__FILE__, __LINE__, "no KAT family %s", id);
}

TEST(crypto_kat_sha2_fips180) { run_kat("sha2"); }
TEST(crypto_kat_hmac_rfc4231) { run_kat("hmac"); }
TEST(crypto_kat_hkdf_rfc5869) { run_kat("hkdf"); }
TEST(crypto_kat_x25519_rfc7748_refuses_low_order) { run_kat("x25519"); }
TEST(crypto_kat_ed25519_rfc8032_refuses_s_not_below_l) { run_kat("ed25519"); }
TEST(crypto_kat_chacha20_poly1305_rfc8439) { run_kat("chacha20poly1305"); }
TEST(crypto_kat_p256_ecdsa_rfc6979) { run_kat("p256"); }
TEST(crypto_kat_p256_ecdsa_nist_cavp_sigver) { run_kat("p256cavp"); }
TEST(crypto_kat_p256_sign_rfc6979_deterministic) { run_kat("p256sign"); }
TEST(crypto_kat_scrypt_rfc7914) { run_kat("scrypt"); }
TEST(crypto_kat_openssh_ssh_keygen_transcript) { run_kat("openssh"); }

TEST(crypto_base64_matches_rfc4648_with_and_without_padding)
{
	static const char *const padded[] = { "", "Zg==", "Zm8=", "Zm9v",
		"Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	char out[16];

	for (size_t n = 0; n <= 6; n++) {
		size_t want = strlen(padded[n]);

		CHECK_EQ(crypto_base64((const uint8_t *)"foobar", n, true, out,
		    sizeof(out)), (long long)want);
		CHECK_STR(out, padded[n]);
		while (want > 0 && padded[n][want - 1] == '=')
			want--;
		CHECK_EQ(crypto_base64((const uint8_t *)"foobar", n, false, out,
		    sizeof(out)), (long long)want);
		CHECK(strncmp(out, padded[n], want) == 0 && out[want] == '\0');
	}
	/* No room for the NUL: refused. */
	CHECK_EQ(crypto_base64((const uint8_t *)"foo", 3, true, out, 4),
	    CRYPTO_EINVAL);
}

TEST(crypto_ssh_blob_parsers_refuse_every_truncation)
{
	uint8_t pub[32] = { 9 }, blob[CRYPTO_SSH_ED25519_SIG_BLOB_LEN], sig[64];

	crypto_ssh_ed25519_key_blob(pub, blob);
	for (size_t n = 0; n < CRYPTO_SSH_ED25519_KEY_BLOB_LEN; n++)
		CHECK_EQ(crypto_ssh_ed25519_parse_key(blob, n, pub),
		    CRYPTO_EINVAL);
	/* A key blob is not a signature blob. */
	CHECK_EQ(crypto_ssh_ed25519_parse_sig(blob,
	    CRYPTO_SSH_ED25519_KEY_BLOB_LEN, sig), CRYPTO_EINVAL);
	/* A length field pointing past the end. */
	blob[18] = 0xff;
	CHECK_EQ(crypto_ssh_ed25519_parse_key(blob,
	    CRYPTO_SSH_ED25519_KEY_BLOB_LEN, pub), CRYPTO_EINVAL);
}

TEST(crypto_memcmp_is_zero_only_for_equal_bytes)
{
	uint8_t a[33] = { 0 }, b[33] = { 0 };

	CHECK_EQ(crypto_memcmp(a, b, sizeof(a)), 0);
	CHECK_EQ(crypto_memcmp(a, b, 0), 0);
	for (size_t i = 0; i < sizeof(a); i++) {
		for (int bit = 0; bit < 8; bit++) {
			b[i] = (uint8_t)(1u << bit);
			CHECK_EQ(crypto_memcmp(a, b, sizeof(a)), 1);
			b[i] = 0;
		}
	}
}

TEST(crypto_refuses_lengths_out_of_range)
{
	uint8_t key[32] = { 1 }, nonce[12] = { 0 }, buf[128], prk[32] = { 0 };
	uint8_t big[CRYPTO_HKDF_SHA256_MAX + 1];

	/* HKDF: one byte past 255 blocks. */
	CHECK_EQ(crypto_hkdf_sha256_expand(prk, NULL, 0, big, sizeof(big)),
	    CRYPTO_EINVAL);
	CHECK_EQ(crypto_hkdf_sha256_expand(prk, NULL, 0, big,
	    CRYPTO_HKDF_SHA256_MAX), 0);
	CHECK_EQ(crypto_hkdf_sha256_expand(prk, NULL, 3, big, 32),
	    CRYPTO_EINVAL);
	/* ChaCha20: the block counter must not wrap inside one call. */
	CHECK_EQ(crypto_chacha20_xor(key, nonce, UINT32_MAX, buf, buf, 64), 0);
	CHECK_EQ(crypto_chacha20_xor(key, nonce, UINT32_MAX, buf, buf, 65),
	    CRYPTO_EINVAL);
	CHECK_EQ(crypto_chacha20_xor(key, nonce, UINT32_MAX - 1, buf, buf, 128),
	    0);
	/* P-256: a hash of 0 or 65 bytes. */
	CHECK_EQ(crypto_p256_verify(buf, buf, buf, 0, buf, buf), CRYPTO_EINVAL);
	CHECK_EQ(crypto_p256_verify(buf, buf, buf, 65, buf, buf), CRYPTO_EINVAL);
	/* scrypt: N not a power of two, N too big for r, r, p, output. */
	CHECK_EQ(crypto_scrypt("p", 1, "s", 1, 1000, 1, 1, buf, 32),
	    CRYPTO_EINVAL);
	CHECK_EQ(crypto_scrypt("p", 1, "s", 1, 1, 1, 1, buf, 32),
	    CRYPTO_EINVAL);
	CHECK_EQ(crypto_scrypt("p", 1, "s", 1, 1u << 16, 1, 1, buf, 32),
	    CRYPTO_EINVAL);
	CHECK_EQ(crypto_scrypt("p", 1, "s", 1, 16, 9, 1, buf, 32),
	    CRYPTO_EINVAL);
	CHECK_EQ(crypto_scrypt("p", 1, "s", 1, 16, 1, 17, buf, 32),
	    CRYPTO_EINVAL);
	CHECK_EQ(crypto_scrypt("p", 1, "s", 1, 16, 1, 1, buf, 0),
	    CRYPTO_EINVAL);
	CHECK_EQ(crypto_scrypt("p", 1, "s", 1, 16, 1, 1, buf, 1025),
	    CRYPTO_EINVAL);
	/* 128 r N past 1 GiB, where wolfCrypt's 32-bit size would wrap. */
	CHECK_EQ(crypto_scrypt("p", 1, "s", 1, 1u << 24, 8, 1, buf, 32),
	    CRYPTO_EINVAL);
	CHECK_EQ(crypto_scrypt("p", 1, "s", 1, 1u << 31, 8, 1, buf, 32),
	    CRYPTO_EINVAL);
}

TEST(crypto_ed25519_refuses_a_public_key_that_is_not_a_point)
{
	struct crypto_ed25519_key k;
	uint8_t seed[32] = { 7 }, sig[64], pub[32];

	CHECK_EQ(crypto_ed25519_from_seed(&k, seed), 0);
	CHECK_EQ(crypto_ed25519_sign(&k, "m", 1, sig), 0);
	CHECK_EQ(crypto_ed25519_verify(k.pub, "m", 1, sig), 0);
	/* y = 2 has no x on the curve. */
	memset(pub, 0, sizeof(pub));
	pub[0] = 2;
	CHECK_EQ(crypto_ed25519_verify(pub, "m", 1, sig), CRYPTO_EBADSIG);
	/* All-ones S is far above L. */
	memset(sig + 32, 0xff, 32);
	CHECK_EQ(crypto_ed25519_verify(k.pub, "m", 1, sig), CRYPTO_EBADSIG);
}

/* The allocator behind wolfCrypt (user_settings.h declares it). */
void *capos_crypto_alloc(size_t n);
void capos_crypto_free(void *p);

TEST(crypto_alloc_refuses_past_its_limit_even_one_set_below_use)
{
	struct crypto_mem_stats st;
	void *a, *b;

	crypto_mem_limit(1000);
	a = capos_crypto_alloc(600);
	CHECK(a != NULL);
	CHECK(capos_crypto_alloc(401) == NULL);
	/* A limit lowered below what is in use refuses even one byte. */
	crypto_mem_limit(500);
	CHECK(capos_crypto_alloc(1) == NULL);
	capos_crypto_free(a);
	b = capos_crypto_alloc(500);
	CHECK(b != NULL);
	capos_crypto_free(b);
	crypto_mem_stats(&st);
	CHECK_EQ(st.in_use, 0);
	crypto_mem_limit(0);
}

/* Two accounts, as two TLS connections: each is held to its own limit,
 * and a block freed while the other is current is refunded to its own. */
TEST(crypto_alloc_accounts_bound_and_refund_each_their_own)
{
	struct crypto_account a = { .limit = 1000 }, b = { .limit = 1000 };
	struct crypto_mem_stats st;
	void *pa, *pb, *pb2;

	CHECK(crypto_mem_charge(&a) == NULL);
	pa = capos_crypto_alloc(900);
	CHECK(pa != NULL);
	CHECK(capos_crypto_alloc(101) == NULL);
	CHECK_EQ(a.refused, 1);
	CHECK(crypto_mem_charge(&b) == &a);
	/* a being full does not hold b. */
	pb = capos_crypto_alloc(900);
	CHECK(pb != NULL);
	pb2 = capos_crypto_alloc(100);
	CHECK(pb2 != NULL);
	CHECK_EQ(b.in_use, 1000);
	CHECK_EQ(b.refused, 0);
	/* Freed while b is current: a gets it back. */
	capos_crypto_free(pa);
	CHECK_EQ(a.in_use, 0);
	CHECK_EQ(a.peak, 900);
	CHECK_EQ(b.in_use, 1000);
	CHECK(crypto_mem_charge(NULL) == &b);
	capos_crypto_free(pb);
	capos_crypto_free(pb2);
	CHECK_EQ(b.in_use, 0);
	CHECK_EQ(b.peak, 1000);
	crypto_mem_stats(&st);
	CHECK_EQ(st.in_use, 0);
	/* With no account current only the process's limit applies. */
	pa = capos_crypto_alloc(5000);
	CHECK(pa != NULL);
	capos_crypto_free(pa);
}

TEST(crypto_scrypt_memory_is_counted_and_limited)
{
	struct crypto_mem_stats st;
	uint8_t out[64];

	crypto_mem_reset_peak();
	CHECK_EQ(crypto_scrypt("pleaseletmein", 13, "SodiumChloride", 14,
	    1024, 8, 1, out, 64), 0);
	crypto_mem_stats(&st);
	/* The work area 128 r N, the p blocks and one more block. */
	CHECK_EQ(st.in_use, 0);
	CHECK_EQ(st.peak, 128 * 8 * (1024 + 1 + 1));

	/* Under a 512 KiB cap the 1 MiB work area is refused, not taken. */
	crypto_mem_limit(512 * 1024);
	memset(out, 0x5a, sizeof(out));
	CHECK_EQ(crypto_scrypt("pleaseletmein", 13, "SodiumChloride", 14,
	    1024, 8, 1, out, 64), CRYPTO_ENOMEM);
	crypto_mem_stats(&st);
	CHECK(st.refused > 0);
	CHECK_EQ(st.in_use, 0);
	for (size_t i = 0; i < sizeof(out); i++)
		CHECK_EQ(out[i], 0);
	crypto_mem_limit(0);
}

/*
 * RFC 7914 12's other two vectors, on the host only: N=16384 takes a
 * 16 MiB work area and N=1048576 a 1 GiB one (128 r N, exactly
 * CRYPTO_SCRYPT_MAX_MEM), which capOS's test machine (256 MiB, a 64 MiB
 * VirtualMemory quota shared by init's services) cannot give cryptotest;
 * lib/crypto/kat keeps the two small ones, which run there too. The
 * host's allocator has no limit unless a test sets one, so the whole
 * work area is taken and counted.
 */
/* 64 bytes from 128 lowercase hex digits; -1 on anything else. */
static int
unhex64(const char *h, uint8_t out[64])
{
	if (strlen(h) != 128)
		return -1;
	for (int i = 0; i < 128; i++) {
		int d = h[i] >= '0' && h[i] <= '9' ? h[i] - '0' :
		    h[i] >= 'a' && h[i] <= 'f' ? h[i] - 'a' + 10 : -1;

		if (d < 0)
			return -1;
		out[i / 2] = (uint8_t)(i % 2 == 0 ? d << 4 : out[i / 2] | d);
	}
	return 0;
}

TEST(crypto_scrypt_rfc7914_large_vectors_on_the_host)
{
	struct crypto_mem_stats st;
	uint8_t out[64], want[64];

	CHECK_EQ(crypto_scrypt("pleaseletmein", 13, "SodiumChloride", 14,
	    16384, 8, 1, out, 64), 0);
	CHECK_EQ(unhex64("7023bdcb3afd7348461c06cd81fd38eb"
	    "fda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9"
	    "e61e85dc0d651e40dfcf017b45575887", want), 0);
	CHECK(memcmp(out, want, 64) == 0);

	crypto_mem_reset_peak();
	CHECK_EQ(crypto_scrypt("pleaseletmein", 13, "SodiumChloride", 14,
	    1048576, 8, 1, out, 64), 0);
	CHECK_EQ(unhex64("2101cb9b6a511aaeaddbbe09cf70f881"
	    "ec568d574a2ffd4dabe5ee9820adaa478e56fd8f4ba5d09ffa1c6d927c40f4c3"
	    "37304049e8a952fbcbf45c6fa77a41a4", want), 0);
	CHECK(memcmp(out, want, 64) == 0);
	crypto_mem_stats(&st);
	CHECK_EQ(st.peak, 128ull * 8 * (1048576 + 1 + 1));
	CHECK_EQ(st.in_use, 0);
}

/* ---- The random generator ---- */

/* A test entropy source: a counter-derived stream (distinct blocks, so
 * wolfCrypt's repetition test passes) that answers `allow` calls and
 * refuses after that (allow < 0: never refuses), or repeats one byte. */
struct fake_entropy {
	int allow;
	bool repeat;
	uint32_t calls;
	uint8_t next;
};

static int
fake_source(void *ctx, uint8_t *out, size_t n)
{
	struct fake_entropy *f = ctx;

	f->calls++;
	if (f->allow >= 0 && f->calls > (uint32_t)f->allow)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = f->repeat ? 0x42 : f->next++;
	return 0;
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

TEST(crypto_drbg_depends_on_its_seed)
{
	struct fake_entropy e1 = { .allow = -1 }, e2 = { .allow = -1 };
	struct fake_entropy e3 = { .allow = -1, .next = 1 };
	struct crypto_drbg a, b, c;
	uint8_t x[64], y[64], z[64];

	CHECK_EQ(crypto_drbg_init(&a, fake_source, &e1), 0);
	CHECK_EQ(crypto_drbg_init(&b, fake_source, &e2), 0);
	CHECK_EQ(crypto_drbg_init(&c, fake_source, &e3), 0);
	CHECK_EQ(crypto_drbg_generate(&a, x, sizeof(x)), 0);
	CHECK_EQ(crypto_drbg_generate(&b, y, sizeof(y)), 0);
	CHECK_EQ(crypto_drbg_generate(&c, z, sizeof(z)), 0);
	/* The same entropy gives the same stream; other entropy another. */
	CHECK(memcmp(x, y, sizeof(x)) == 0);
	CHECK(memcmp(x, z, sizeof(x)) != 0);
	/* Consecutive outputs differ. */
	CHECK_EQ(crypto_drbg_generate(&a, y, sizeof(y)), 0);
	CHECK(memcmp(x, y, sizeof(x)) != 0);
	crypto_drbg_free(&a);
	crypto_drbg_free(&b);
	crypto_drbg_free(&c);
}

TEST(crypto_drbg_reseeds_on_schedule)
{
	static uint8_t buf[100000];
	struct fake_entropy e = { .allow = -1 };
	struct crypto_drbg d;
	uint32_t calls;

	CHECK_EQ(crypto_drbg_init(&d, fake_source, &e), 0);
	calls = e.calls;
	for (int i = 0; i < CRYPTO_DRBG_RESEED_REQUESTS; i++)
		CHECK_EQ(crypto_drbg_generate(&d, buf, 16), 0);
	CHECK_EQ(e.calls, calls);
	CHECK_EQ(d.reseeds, 0);
	/* The next request takes fresh entropy first. */
	CHECK_EQ(crypto_drbg_generate(&d, buf, 16), 0);
	CHECK_EQ(e.calls, calls + 1);
	CHECK_EQ(d.reseeds, 1);
	/* So does the first request after 1 MiB of output. */
	for (int i = 0; i < 11; i++)
		CHECK_EQ(crypto_drbg_generate(&d, buf, sizeof(buf)), 0);
	CHECK_EQ(d.reseeds, 1);
	CHECK_EQ(crypto_drbg_generate(&d, buf, 1), 0);
	CHECK_EQ(d.reseeds, 2);
	CHECK_EQ(crypto_drbg_reseed(&d), 0);
	CHECK_EQ(d.reseeds, 3);
	crypto_drbg_free(&d);
}

/* A clock the test moves by hand. */
static uint64_t fake_now_ns;

static uint64_t
fake_clock(void)
{
	return fake_now_ns;
}

TEST(crypto_drbg_reseeds_by_the_clock)
{
	struct fake_entropy e = { .allow = -1 };
	struct crypto_drbg d;
	uint8_t buf[16];

	fake_now_ns = 1000;
	crypto_drbg_set_clock(fake_clock);
	CHECK_EQ(crypto_drbg_init(&d, fake_source, &e), 0);
	CHECK_EQ(d.seeded_ns, 1000);
	/* Just short of the interval: no reseed. */
	fake_now_ns = 1000 + CRYPTO_DRBG_RESEED_NS - 1;
	CHECK_EQ(crypto_drbg_generate(&d, buf, sizeof(buf)), 0);
	CHECK_EQ(d.reseeds, 0);
	/* At it, the next request takes fresh entropy first, though only two
	 * requests and 32 bytes were served. */
	fake_now_ns = 1000 + CRYPTO_DRBG_RESEED_NS;
	CHECK_EQ(crypto_drbg_generate(&d, buf, sizeof(buf)), 0);
	CHECK_EQ(d.reseeds, 1);
	CHECK_EQ(d.seeded_ns, 1000 + CRYPTO_DRBG_RESEED_NS);
	CHECK_EQ(crypto_drbg_generate(&d, buf, sizeof(buf)), 0);
	CHECK_EQ(d.reseeds, 1);
	/* A clock that cannot be read (0) does not count; a generator seeded
	 * then starts counting at the first reading. */
	fake_now_ns = 0;
	crypto_drbg_free(&d);
	CHECK_EQ(crypto_drbg_init(&d, fake_source, &e), 0);
	CHECK_EQ(d.seeded_ns, 0);
	CHECK_EQ(crypto_drbg_generate(&d, buf, sizeof(buf)), 0);
	fake_now_ns = 5 * CRYPTO_DRBG_RESEED_NS;
	CHECK_EQ(crypto_drbg_generate(&d, buf, sizeof(buf)), 0);
	CHECK_EQ(d.reseeds, 0);
	fake_now_ns += CRYPTO_DRBG_RESEED_NS;
	CHECK_EQ(crypto_drbg_generate(&d, buf, sizeof(buf)), 0);
	CHECK_EQ(d.reseeds, 1);
	/* A time reseed the source refuses fails closed, as a counted one. */
	e.allow = (int)e.calls;
	fake_now_ns += CRYPTO_DRBG_RESEED_NS;
	memset(buf, 0xa5, sizeof(buf));
	CHECK_EQ(crypto_drbg_generate(&d, buf, sizeof(buf)), CRYPTO_EENTROPY);
	CHECK(all_zero(buf, sizeof(buf)));
	crypto_drbg_free(&d);
	crypto_drbg_set_clock(NULL);
}

TEST(crypto_drbg_fails_closed_when_a_reseed_is_refused)
{
	struct fake_entropy e = { .allow = 1 };
	struct crypto_drbg d;
	uint8_t buf[64];

	CHECK_EQ(crypto_drbg_init(&d, fake_source, &e), 0);
	for (int i = 0; i < CRYPTO_DRBG_RESEED_REQUESTS; i++)
		CHECK_EQ(crypto_drbg_generate(&d, buf, 16), 0);
	/* The scheduled reseed is refused: the request fails with zeros. */
	memset(buf, 0xa5, sizeof(buf));
	CHECK_EQ(crypto_drbg_generate(&d, buf, sizeof(buf)), CRYPTO_EENTROPY);
	CHECK(all_zero(buf, sizeof(buf)));
	/* Every later request fails too, even with entropy back. */
	e.allow = -1;
	memset(buf, 0xa5, sizeof(buf));
	CHECK_EQ(crypto_drbg_generate(&d, buf, sizeof(buf)), CRYPTO_EFAILED);
	CHECK(all_zero(buf, sizeof(buf)));
	CHECK_EQ(crypto_drbg_reseed(&d), CRYPTO_EFAILED);
	crypto_drbg_free(&d);
}

TEST(crypto_drbg_refuses_to_start_without_good_entropy)
{
	struct fake_entropy refuse = { .allow = 0 };
	struct fake_entropy stuck = { .allow = -1, .repeat = true };
	struct crypto_drbg d;
	uint8_t buf[32];

	/* No source at all. */
	CHECK_EQ(crypto_drbg_init(&d, NULL, NULL), CRYPTO_EENTROPY);
	memset(buf, 0xa5, sizeof(buf));
	CHECK_EQ(crypto_drbg_generate(&d, buf, sizeof(buf)), CRYPTO_EFAILED);
	CHECK(all_zero(buf, sizeof(buf)));
	crypto_drbg_free(&d);
	/* A source that refuses from its first call. */
	CHECK_EQ(crypto_drbg_init(&d, fake_source, &refuse), CRYPTO_EENTROPY);
	CHECK_EQ(crypto_drbg_generate(&d, buf, sizeof(buf)), CRYPTO_EFAILED);
	crypto_drbg_free(&d);
	/* A source stuck on one value fails wolfCrypt's repetition test. */
	CHECK_EQ(crypto_drbg_init(&d, fake_source, &stuck), CRYPTO_EENTROPY);
	CHECK_EQ(crypto_drbg_generate(&d, buf, sizeof(buf)), CRYPTO_EFAILED);
	crypto_drbg_free(&d);
}

static int
test_source(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	memset(out, 0x3c, n);
	for (size_t i = 0; i < n; i++)
		out[i] ^= (uint8_t)(i * 7);
	return 0;
}

TEST(crypto_p256_sign_round_trips_and_der_is_strict)
{
	struct crypto_p256_key k;
	struct crypto_drbg d;
	uint8_t x[32], h[32], r[32], s[32], sig[CRYPTO_P256_DER_SIG_MAX];
	uint8_t bad[CRYPTO_P256_DER_SIG_MAX + 1];
	size_t len = sizeof(sig);

	memset(x, 0x42, sizeof(x));
	crypto_sha256("capOS", 5, h);
	CHECK_EQ(crypto_p256_from_scalar(&k, x), 0);
	/* A generator that is not ready is refused. */
	memset(&d, 0, sizeof(d));
	CHECK_EQ(crypto_p256_sign(&k, &d, h, 32, sig, &len), CRYPTO_EFAILED);
	CHECK_EQ(crypto_drbg_init(&d, test_source, NULL), 0);
	CHECK_EQ(crypto_p256_sign(&k, &d, h, 0, sig, &len), CRYPTO_EINVAL);
	CHECK_EQ(crypto_p256_sign(&k, &d, h, 65, sig, &len), CRYPTO_EINVAL);
	CHECK_EQ(crypto_p256_sign(&k, &d, h, 32, sig, &len), 0);
	CHECK(len >= 8 && len <= CRYPTO_P256_DER_SIG_MAX);
	CHECK_EQ(crypto_p256_sig_from_der(sig, len, r, s), 0);
	CHECK_EQ(crypto_p256_verify(k.qx, k.qy, h, 32, r, s), 0);
	h[5] ^= 1;
	CHECK_EQ(crypto_p256_verify(k.qx, k.qy, h, 32, r, s), CRYPTO_EBADSIG);
	crypto_drbg_free(&d);

	/* Truncated, with a trailing byte, with a wrong outer length. */
	CHECK_EQ(crypto_p256_sig_from_der(sig, len - 1, r, s), CRYPTO_EINVAL);
	memcpy(bad, sig, len);
	bad[len] = 0;
	CHECK_EQ(crypto_p256_sig_from_der(bad, len + 1, r, s), CRYPTO_EINVAL);
	bad[1]++;
	CHECK_EQ(crypto_p256_sig_from_der(bad, len + 1, r, s), CRYPTO_EINVAL);
	/* A negative integer, a padded one, an empty one, a 33-byte one. */
	static const uint8_t neg[] = { 0x30, 0x06, 0x02, 0x01, 0x80, 0x02,
	    0x01, 0x01 };
	static const uint8_t pad[] = { 0x30, 0x07, 0x02, 0x02, 0x00, 0x01,
	    0x02, 0x01, 0x01 };
	static const uint8_t empty[] = { 0x30, 0x06, 0x02, 0x00, 0x02, 0x02,
	    0x01, 0x01 };
	uint8_t wide[2 + 2 + 33 + 3] = { 0x30, 2 + 33 + 3, 0x02, 33, 0x01 };

	wide[2 + 2 + 33] = 0x02;
	wide[2 + 2 + 33 + 1] = 0x01;
	wide[2 + 2 + 33 + 2] = 0x01;
	CHECK_EQ(crypto_p256_sig_from_der(neg, sizeof(neg), r, s),
	    CRYPTO_EINVAL);
	CHECK_EQ(crypto_p256_sig_from_der(pad, sizeof(pad), r, s),
	    CRYPTO_EINVAL);
	CHECK_EQ(crypto_p256_sig_from_der(empty, sizeof(empty), r, s),
	    CRYPTO_EINVAL);
	CHECK_EQ(crypto_p256_sig_from_der(wide, sizeof(wide), r, s),
	    CRYPTO_EINVAL);
	crypto_wipe(&k, sizeof(k));
}

TEST(crypto_p256_cert_key_finds_one_key_on_the_curve)
{
	static const uint8_t prefix[] = { 0x30, 0x59, 0x30, 0x13, 0x06, 0x07,
	    0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86,
	    0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04 };
	struct crypto_p256_key k;
	uint8_t x[32], qx[32], qy[32], der[300];
	size_t at = 40, spki = sizeof(prefix) + 64;

	/* A key inside other bytes, as a certificate holds it. */
	memset(x, 0x42, sizeof(x));
	CHECK_EQ(crypto_p256_from_scalar(&k, x), 0);
	memset(der, 0x30, sizeof(der));
	memcpy(der + at, prefix, sizeof(prefix));
	memcpy(der + at + sizeof(prefix), k.qx, 32);
	memcpy(der + at + sizeof(prefix) + 32, k.qy, 32);
	CHECK_EQ(crypto_p256_cert_key(der, at + spki + 10, qx, qy), 0);
	CHECK(memcmp(qx, k.qx, 32) == 0 && memcmp(qy, k.qy, 32) == 0);
	/* Cut inside the point, absent, twice, off the curve. */
	CHECK_EQ(crypto_p256_cert_key(der, at + spki - 1, qx, qy),
	    CRYPTO_EINVAL);
	CHECK_EQ(crypto_p256_cert_key(der, at, qx, qy), CRYPTO_EINVAL);
	memcpy(der + at + spki + 20, der + at, spki);
	CHECK_EQ(crypto_p256_cert_key(der, sizeof(der), qx, qy),
	    CRYPTO_EINVAL);
	CHECK_EQ(crypto_p256_cert_key(der, at + spki + 20, qx, qy), 0);
	der[at + spki - 1] ^= 1;
	CHECK_EQ(crypto_p256_cert_key(der, at + spki + 20, qx, qy),
	    CRYPTO_EINVAL);
	crypto_wipe(&k, sizeof(k));
}
