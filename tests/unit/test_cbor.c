/*
 * lib/proto/cbor: RFC 8949 Appendix A's examples (those of the subset,
 * decoded and skipped; the rest refused as unsupported), every prefix of
 * each as truncated input, hostile lengths, counts and nesting, and
 * COSE keys (RFC 9053) of both kinds, with each way one can be wrong.
 */
#include <stdlib.h>

#include "cbor.h"
#include "test.h"

/* Hex digits into bytes; spaces between bytes are for reading. */
static size_t
unhex(const char *h, uint8_t *out)
{
	size_t n = 0;

	while (*h != '\0') {
		unsigned v;

		if (*h == ' ') {
			h++;
			continue;
		}
		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

/* RFC 8949 Appendix A: the encoding, and the decoder's verdict. */
static const struct {
	const char *hex;
	int rc;
} appendix_a[] = {
	{ "00", 0 }, { "01", 0 }, { "0a", 0 }, { "17", 0 }, { "1818", 0 },
	{ "1819", 0 }, { "1864", 0 }, { "1903e8", 0 }, { "1a000f4240", 0 },
	{ "1b000000e8d4a51000", 0 }, { "1bffffffffffffffff", 0 },
	{ "c249010000000000000000", CBOR_EUNSUPPORTED },
	{ "3bffffffffffffffff", 0 },
	{ "c349010000000000000000", CBOR_EUNSUPPORTED },
	{ "20", 0 }, { "29", 0 }, { "3863", 0 }, { "3903e7", 0 },
	{ "f90000", 0 }, { "f98000", 0 }, { "f93c00", 0 },
	{ "fb3ff199999999999a", 0 }, { "f93e00", 0 }, { "f97bff", 0 },
	{ "fa47c35000", 0 }, { "fa7f7fffff", 0 }, { "fb7e37e43c8800759c", 0 },
	{ "f90001", 0 }, { "f90400", 0 }, { "f9c400", 0 },
	{ "fbc010666666666666", 0 }, { "f97c00", 0 }, { "f97e00", 0 },
	{ "f9fc00", 0 }, { "fa7f800000", 0 }, { "fa7fc00000", 0 },
	{ "faff800000", 0 }, { "fb7ff0000000000000", 0 },
	{ "fb7ff8000000000000", 0 }, { "fbfff0000000000000", 0 },
	{ "f4", 0 }, { "f5", 0 }, { "f6", 0 }, { "f7", 0 }, { "f0", 0 },
	{ "f8ff", 0 },
	{ "c074323031332d30332d32315432303a30343a30305a", CBOR_EUNSUPPORTED },
	{ "c11a514b67b0", CBOR_EUNSUPPORTED },
	{ "d74401020304", CBOR_EUNSUPPORTED },
	{ "40", 0 }, { "4401020304", 0 }, { "60", 0 }, { "6161", 0 },
	{ "6449455446", 0 }, { "62225c", 0 }, { "62c3bc", 0 },
	{ "63e6b0b4", 0 }, { "64f0908591", 0 },
	{ "80", 0 }, { "83010203", 0 }, { "8301820203820405", 0 },
	{ "98190102030405060708090a0b0c0d0e0f101112131415161718181819", 0 },
	{ "a0", 0 }, { "a201020304", 0 }, { "a26161016162820203", 0 },
	{ "826161a161626163", 0 },
	{ "a56161614161626142616361436164614461656145", 0 },
	{ "5f42010243030405ff", CBOR_EUNSUPPORTED },
	{ "7f657374726561646d696e67ff", CBOR_EUNSUPPORTED },
	{ "9fff", CBOR_EUNSUPPORTED },
	{ "bf61610161629f0203ffff", CBOR_EUNSUPPORTED },
};

TEST(cbor_skips_rfc8949_appendix_a_and_refuses_what_is_unsupported)
{
	uint8_t b[64];

	for (size_t i = 0; i < sizeof(appendix_a) / sizeof(appendix_a[0]);
	    i++) {
		size_t n = unhex(appendix_a[i].hex, b);
		struct cbor c;
		int rc;

		cbor_init(&c, b, n);
		rc = cbor_skip(&c, CBOR_MAX_DEPTH);
		if (rc != appendix_a[i].rc || (rc == 0 && cbor_left(&c) != 0))
			test_fail(__FILE__, __LINE__, "%s: %d, %zu left",
			    appendix_a[i].hex, rc, cbor_left(&c));
		/* Every proper prefix of a supported item is truncated. */
		for (size_t k = 0; rc == 0 && k < n; k++) {
			cbor_init(&c, b, k);
			if (cbor_skip(&c, CBOR_MAX_DEPTH) != CBOR_EEND)
				test_fail(__FILE__, __LINE__, "%s cut at %zu "
				    "not truncated", appendix_a[i].hex, k);
		}
	}
}

TEST(cbor_decodes_rfc8949_appendix_a_values)
{
	static const struct {
		const char *hex;
		enum cbor_major major;
		uint64_t val;
		int64_t i;
		int irc;
	} v[] = {
		{ "17", CBOR_UINT, 23, 23, 0 },
		{ "1818", CBOR_UINT, 24, 24, 0 },
		{ "1b000000e8d4a51000", CBOR_UINT, 1000000000000ULL,
		  1000000000000LL, 0 },
		{ "1bffffffffffffffff", CBOR_UINT, UINT64_MAX, 0, CBOR_ETYPE },
		{ "3bffffffffffffffff", CBOR_NINT, UINT64_MAX, 0, CBOR_ETYPE },
		{ "3903e7", CBOR_NINT, 999, -1000, 0 },
		{ "20", CBOR_NINT, 0, -1, 0 },
		{ "f4", CBOR_SIMPLE, 20, 0, CBOR_ETYPE },
		{ "f8ff", CBOR_SIMPLE, 255, 0, CBOR_ETYPE },
		{ "fb3ff199999999999a", CBOR_SIMPLE, 0x3ff199999999999aULL, 0,
		  CBOR_ETYPE },
		{ "98190102", CBOR_ARRAY, 25, 0, CBOR_ETYPE },
	};
	uint8_t b[64];
	struct cbor c;
	struct cbor_item it;
	int64_t x;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		/* The array's items are cut off: its count is checked
		 * against the bytes left, so give it room. */
		size_t n = unhex(v[i].hex, b);

		if (v[i].major == CBOR_ARRAY) {
			memset(b + n, 0, 30);
			n += 30;
		}
		cbor_init(&c, b, n);
		CHECK_EQ(cbor_next(&c, &it), 0);
		CHECK_EQ(it.major, v[i].major);
		CHECK_EQ_U64(it.val, v[i].val);
		x = 0;
		CHECK_EQ(cbor_int(&it, &x), v[i].irc);
		CHECK_EQ(x, v[i].i);
	}
	/* Strings carry their content: "IETF", and UTF-8 "\u6c34". */
	cbor_init(&c, b, unhex("6449455446", b));
	CHECK(cbor_next(&c, &it) == 0 && cbor_is_text(&it, "IETF"));
	CHECK(!cbor_is_text(&it, "IET"));
	cbor_init(&c, b, unhex("63e6b0b4", b));
	CHECK(cbor_next(&c, &it) == 0 && it.val == 3 &&
	    memcmp(it.ptr, "\xe6\xb0\xb4", 3) == 0);
}

TEST(cbor_refuses_hostile_lengths_counts_depth_and_text)
{
	static const struct {
		const char *hex;
		int rc;
	} c[] = {
		{ "5affffffff00", CBOR_EEND },		/* 4 GiB of bytes */
		{ "7b7fffffffffffffff61", CBOR_EEND },
		{ "9bffffffffffffffff00", CBOR_EEND },	/* 2^64 - 1 items */
		{ "9a0000000200", CBOR_EEND },		/* 2 items, 1 byte */
		{ "a20102", CBOR_EEND },		/* 2 pairs, 2 bytes */
		{ "1c", CBOR_EUNSUPPORTED },		/* reserved 28-30 */
		{ "3e", CBOR_EUNSUPPORTED },
		{ "1f", CBOR_EUNSUPPORTED },		/* indefinite uint */
		{ "f818", CBOR_EMALFORMED },		/* simple 24 in 2 bytes */
		{ "62c0af", CBOR_EMALFORMED },		/* overlong '/' */
		{ "63eda080", CBOR_EMALFORMED },	/* a surrogate */
		{ "61ff", CBOR_EMALFORMED },
		{ "62e282", CBOR_EMALFORMED },		/* cut character */
		{ "818181818181818100", 0 },		/* depth 8 */
		{ "81818181818181818100", CBOR_EDEPTH },	/* depth 9 */
	};
	uint8_t b[64];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct cbor d;
		int rc;

		cbor_init(&d, b, unhex(c[i].hex, b));
		rc = cbor_skip(&d, CBOR_MAX_DEPTH);
		if (rc != c[i].rc)
			test_fail(__FILE__, __LINE__, "%s: %d, want %d",
			    c[i].hex, rc, c[i].rc);
	}
}

/* A COSE key map built from parts. */
struct keybuf {
	uint8_t b[256];
	size_t n;
};

static void
put(struct keybuf *k, const char *hex)
{
	k->n += unhex(hex, k->b + k->n);
}

static void
coord32(struct keybuf *k, const char *label, uint8_t fill, size_t len)
{
	put(k, label);
	k->b[k->n++] = 0x58;
	k->b[k->n++] = (uint8_t)len;
	memset(k->b + k->n, fill, len);
	k->n += len;
}

TEST(cose_key_reads_es256_and_eddsa_keys)
{
	struct keybuf k = { 0 };
	struct cose_key key;
	size_t used;

	/* {1: 2, 3: -7, -1: 1, -2: x, -3: y} and a byte after it. */
	put(&k, "a50102032620 01");
	coord32(&k, "21", 0x11, 32);
	coord32(&k, "22", 0x22, 32);
	put(&k, "ff");
	CHECK_EQ(cose_key_parse(k.b, k.n, &key, &used), 0);
	CHECK_EQ(used, k.n - 1);
	CHECK_EQ(key.alg, COSE_ALG_ES256);
	CHECK(key.x[0] == 0x11 && key.x[31] == 0x11 && key.y[31] == 0x22);
	/* {1: 1, 3: -8, -1: 6, -2: x}, labels in another order and a text
	 * label and key_ops (4) that are skipped. */
	k.n = 0;
	put(&k, "a6");
	coord32(&k, "21", 0x33, 32);
	put(&k, "2006 0101 0327 6161f5 0481 02");
	CHECK_EQ(cose_key_parse(k.b, k.n, &key, &used), 0);
	CHECK_EQ(used, k.n);
	CHECK_EQ(key.alg, COSE_ALG_EDDSA);
	CHECK(key.x[0] == 0x33);
}

TEST(cose_key_refuses_other_algorithms_curves_and_shapes)
{
	static const struct {
		const char *what, *head;
		size_t xlen, ylen;
		int rc;
	} c[] = {
		{ "RS256", "a501020339010020 01", 32, 32, CBOR_ETYPE },
		{ "P-384", "a50102032620 02", 32, 32, CBOR_ETYPE },
		{ "EC2 with EdDSA", "a50102032720 01", 32, 32, CBOR_ETYPE },
		{ "x of 31 bytes", "a50102032620 01", 31, 32, CBOR_ETYPE },
		{ "y of 33 bytes", "a50102032620 01", 32, 33, CBOR_ETYPE },
		{ "no y", "a40102032620 01", 32, 0, CBOR_ETYPE },
		{ "kty twice", "a6010201020326 2001", 32, 32, CBOR_EDUPLICATE },
		{ "not a map", "8401020326", 0, 0, CBOR_ETYPE },
		{ "a bytes label", "a5410102032620 01", 32, 32, CBOR_ETYPE },
		{ "map cut short", "a60102032620 01", 32, 32, CBOR_EEND },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct keybuf k = { 0 };
		struct cose_key key;
		size_t used = 0;
		int rc;

		put(&k, c[i].head);
		if (c[i].xlen > 0)
			coord32(&k, "21", 1, c[i].xlen);
		if (c[i].ylen > 0)
			coord32(&k, "22", 2, c[i].ylen);
		rc = cose_key_parse(k.b, k.n, &key, &used);
		if (rc != c[i].rc || key.alg != 0)
			test_fail(__FILE__, __LINE__, "%s: %d, want %d",
			    c[i].what, rc, c[i].rc);
	}
}
