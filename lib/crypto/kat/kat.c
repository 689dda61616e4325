/*
 * Known-answer tests of lib/crypto, shared by the host unit runner
 * (tests/unit/test_crypto.c) and the capOS test program (services/
 * cryptotest), so the vectors are checked once on each side against the
 * same build of wolfCrypt. The vectors are typed in from the RFCs named
 * with each one; each was also checked against OpenSSL or Python's hashlib
 * on the host before it went in.
 *
 * Every family also checks the refusals the RFCs require (low-order
 * points, S >= L, a changed tag), so a capOS run proves those too.
 */
#include <string.h>

#include "crypto.h"
#include "kat.h"

#define MAXBUF	256

/* Hex text to bytes; returns the byte count (the vectors are trusted,
 * but a typo must show as a failure, not as silent truncation). */
static size_t
unhex(const char *h, uint8_t *out, size_t room)
{
	size_t n = 0;

	for (; h[0] != '\0' && h[1] != '\0' && n < room; h += 2) {
		int v = 0;

		for (int i = 0; i < 2; i++) {
			char c = h[i];

			v = v * 16 + (c >= '0' && c <= '9' ? c - '0' :
			    c >= 'a' && c <= 'f' ? c - 'a' + 10 : 99);
		}
		if (v > 255)
			return 0;
		out[n++] = (uint8_t)v;
	}
	return h[0] == '\0' ? n : 0;
}

/* out matches the hex text exactly. */
static bool
same(const uint8_t *out, size_t n, const char *hex)
{
	uint8_t want[MAXBUF];

	return unhex(hex, want, sizeof(want)) == n && memcmp(out, want, n) == 0;
}

static void
fill(uint8_t *p, size_t n, uint8_t v)
{
	memset(p, v, n);
}

static void
ramp(uint8_t *p, size_t n, uint8_t first)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

/* ---- FIPS 180-4 examples (SHA-1, SHA-256, SHA-512) ---- */

static const char *
kat_sha2(void)
{
	static const char two[] =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t d[CRYPTO_SHA512_LEN];
	struct crypto_sha256 h;
	struct crypto_sha512 h5;

	crypto_sha1("abc", 3, d);
	if (!same(d, 20, "a9993e364706816aba3e25717850c26c9cd0d89d"))
		return "SHA-1 abc";
	crypto_sha256("abc", 3, d);
	if (!same(d, 32, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad"))
		return "SHA-256 abc";
	/* The two-block message fed in uneven pieces. */
	crypto_sha256_init(&h);
	crypto_sha256_update(&h, two, 5);
	crypto_sha256_update(&h, two + 5, 0);
	crypto_sha256_update(&h, two + 5, sizeof(two) - 1 - 5);
	crypto_sha256_final(&h, d);
	if (!same(d, 32, "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1"))
		return "SHA-256 two blocks, incremental";
	crypto_sha512("abc", 3, d);
	if (!same(d, 64, "ddaf35a193617abacc417349ae204131"
	    "12e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
	    "454d4423643ce80e2a9ac94fa54ca49f"))
		return "SHA-512 abc";
	crypto_sha512_init(&h5);
	crypto_sha512_update(&h5, "a", 1);
	crypto_sha512_update(&h5, "bc", 2);
	crypto_sha512_final(&h5, d);
	if (!same(d, 64, "ddaf35a193617abacc417349ae204131"
	    "12e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
	    "454d4423643ce80e2a9ac94fa54ca49f"))
		return "SHA-512 abc, incremental";
	return NULL;
}

/* ---- RFC 4231: HMAC-SHA-256 and HMAC-SHA-512, test cases 1-7 ---- */

static const char *
kat_hmac(void)
{
	static const struct {
		const char *name, *data;
		uint8_t kbyte;
		size_t klen, dlen, outlen;
		const char *s256, *s512;
	} v[] = {
		{ "RFC 4231 case 1", "Hi There", 0x0b, 20, 8, 64,
		  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
		  "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
		  "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854" },
		{ "RFC 4231 case 2", "what do ya want for nothing?", 0, 4, 28, 64,
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
		  "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
		  "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737" },
		{ "RFC 4231 case 3", NULL, 0xaa, 20, 50, 64,
		  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
		  "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
		  "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb" },
		{ "RFC 4231 case 4", NULL, 0x01, 25, 50, 64,
		  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
		  "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
		  "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd" },
		{ "RFC 4231 case 5 (truncated to 128 bits)",
		  "Test With Truncation", 0x0c, 20, 20, 16,
		  "a3b6167473100ee06e0c796c2955552b",
		  "415fad6271580a531d4179bc891d87a6" },
		{ "RFC 4231 case 6",
		  "Test Using Larger Than Block-Size Key - Hash Key First",
		  0xaa, 131, 54, 64,
		  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
		  "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
		  "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598" },
		{ "RFC 4231 case 7",
		  "This is a test using a larger than block-size key and a larger "
		  "than block-size data. The key needs to be hashed before being "
		  "used by the HMAC algorithm.", 0xaa, 131, 152, 64,
		  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
		  "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
		  "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58" },
	};
	uint8_t key[131], data[152], out[64];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const uint8_t *d = data;
		size_t n256 = v[i].outlen < 32 ? v[i].outlen : 32;

		if (i == 1)
			memcpy(key, "Jefe", 4);
		else if (i == 3)
			ramp(key, v[i].klen, 1);
		else
			fill(key, v[i].klen, v[i].kbyte);
		if (v[i].data != NULL)
			d = (const uint8_t *)v[i].data;
		else
			fill(data, v[i].dlen, i == 2 ? 0xdd : 0xcd);
		crypto_hmac_sha256(key, v[i].klen, d, v[i].dlen, out);
		if (!same(out, n256, v[i].s256))
			return v[i].name;
		crypto_hmac_sha512(key, v[i].klen, d, v[i].dlen, out);
		if (!same(out, v[i].outlen, v[i].s512))
			return v[i].name;
	}
	return NULL;
}

/* ---- RFC 5869 appendix A: HKDF-SHA-256, test cases 1-3 ---- */

static const char *
kat_hkdf(void)
{
	uint8_t ikm[80], salt[80], info[80], prk[32], okm[82];

	fill(ikm, 22, 0x0b);
	ramp(salt, 13, 0x00);
	ramp(info, 10, 0xf0);
	crypto_hkdf_sha256_extract(salt, 13, ikm, 22, prk);
	if (!same(prk, 32, "077709362c2e32df0ddc3f0dc47bba63"
	    "90b6c73bb50f9c3122ec844ad7c2b3e5"))
		return "RFC 5869 case 1 PRK";
	if (crypto_hkdf_sha256_expand(prk, info, 10, okm, 42) != 0 ||
	    !same(okm, 42, "3cb25f25faacd57a90434f64d0362f2a"
	    "2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"))
		return "RFC 5869 case 1 OKM";

	ramp(ikm, 80, 0x00);
	ramp(salt, 80, 0x60);
	ramp(info, 80, 0xb0);
	if (crypto_hkdf_sha256(salt, 80, ikm, 80, info, 80, okm, 82) != 0 ||
	    !same(okm, 82, "b11e398dc80327a1c8e7f78c596a4934"
	    "4f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09"
	    "da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f"
	    "1d87"))
		return "RFC 5869 case 2 OKM";

	/* Case 3: no salt and no info. */
	fill(ikm, 22, 0x0b);
	if (crypto_hkdf_sha256(NULL, 0, ikm, 22, NULL, 0, okm, 42) != 0 ||
	    !same(okm, 42, "8da4e775a563c18f715f802a063c5a31"
	    "b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"))
		return "RFC 5869 case 3 OKM";
	return NULL;
}

/* ---- RFC 7748: X25519 (5.2 vectors, iterations, 6.1 exchange) ---- */

/* u-coordinates of small order and their non-canonical encodings: each
 * yields the all-zero output, which must be refused. */
static const char *const low_order[] = {
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0100000000000000000000000000000000000000000000000000000000000000",
	"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
};

static const char *
kat_x25519(void)
{
	uint8_t k[32], u[32], out[32], a_pub[32], b_pub[32], a_sh[32],
	    b_sh[32];

	unhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
	    k, 32);
	unhex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
	    u, 32);
	if (crypto_x25519(out, k, u) != 0 ||
	    !same(out, 32, "c3da55379de9c6908e94ea4df28d084f"
	    "32eccf03491c71f754b4075577a28552"))
		return "RFC 7748 5.2 vector 1";
	/* The second vector's u has its top bit set, which must be ignored. */
	unhex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
	    k, 32);
	unhex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
	    u, 32);
	if (crypto_x25519(out, k, u) != 0 ||
	    !same(out, 32, "95cbde9476e8907d7aade45cb4b873f8"
	    "8b595a68799fa152e6f8f7647aac7957"))
		return "RFC 7748 5.2 vector 2";

	/* 5.2 iterations: k = X25519(k, u), u = old k, from k = u = 9. */
	memset(k, 0, 32);
	k[0] = 9;
	memcpy(u, k, 32);
	for (int i = 1; i <= 1000; i++) {
		if (crypto_x25519(out, k, u) != 0)
			return "RFC 7748 5.2 iteration refused";
		memcpy(u, k, 32);
		memcpy(k, out, 32);
		if (i == 1 && !same(k, 32, "422c8e7a6227d7bca1350b3e2bb7279f"
		    "7897b87bb6854b783c60e80311ae3079"))
			return "RFC 7748 5.2 after 1 iteration";
	}
	if (!same(k, 32, "684cf59ba83309552800ef566f2f4d3c"
	    "1c3887c49360e3875f2eb94d99532c51"))
		return "RFC 7748 5.2 after 1000 iterations";

	/* 6.1: Alice and Bob. */
	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
	    k, 32);
	unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
	    u, 32);
	if (crypto_x25519_public(a_pub, k) != 0 ||
	    !same(a_pub, 32, "8520f0098930a754748b7ddcb43ef75a"
	    "0dbf3a0d26381af4eba4a98eaa9b4e6a"))
		return "RFC 7748 6.1 Alice's public key";
	if (crypto_x25519_public(b_pub, u) != 0 ||
	    !same(b_pub, 32, "de9edb7d7b7dc1b4d35b61c2ece43537"
	    "3f8343c85b78674dadfc7e146f882b4f"))
		return "RFC 7748 6.1 Bob's public key";
	if (crypto_x25519(a_sh, k, b_pub) != 0 ||
	    crypto_x25519(b_sh, u, a_pub) != 0 ||
	    memcmp(a_sh, b_sh, 32) != 0 ||
	    !same(a_sh, 32, "4a5d9d5ba4ce2de1728e3bf480350f25"
	    "e07e21c947d19e3376f09b3c1e161742"))
		return "RFC 7748 6.1 shared secret";

	for (size_t i = 0; i < sizeof(low_order) / sizeof(low_order[0]); i++) {
		unhex(low_order[i], u, 32);
		memset(out, 0xa5, 32);
		if (crypto_x25519(out, k, u) != CRYPTO_EWEAK)
			return "low-order point accepted";
		for (int j = 0; j < 32; j++)
			if (out[j] != 0)
				return "low-order point left output behind";
	}
	return NULL;
}

/* ---- RFC 8032 7.1: Ed25519 TEST 1, 2, 3 and SHA(abc) ---- */

static const char *
kat_ed25519(void)
{
	static const struct {
		const char *name, *seed, *pub, *msg, *sig;
	} v[] = {
		{ "RFC 8032 TEST 1",
		  "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		  "",
		  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
		  "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
		{ "RFC 8032 TEST 2",
		  "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
		  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
		  "72",
		  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
		  "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
		{ "RFC 8032 TEST 3",
		  "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
		  "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
		  "af82",
		  "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
		  "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
		{ "RFC 8032 TEST SHA(abc)",
		  "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
		  "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
		  "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
		  "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
		  "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
		  "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704" },
	};
	static const uint8_t order_l[32] = {
		0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
		0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		[31] = 0x10,
	};
	struct crypto_ed25519_key key;
	uint8_t seed[32], msg[64], sig[64], bad[64];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t mlen = unhex(v[i].msg, msg, sizeof(msg));
		unsigned carry = 0;

		unhex(v[i].seed, seed, 32);
		if (crypto_ed25519_from_seed(&key, seed) != 0 ||
		    !same(key.pub, 32, v[i].pub))
			return v[i].name;
		if (crypto_ed25519_sign(&key, msg, mlen, sig) != 0 ||
		    !same(sig, 64, v[i].sig))
			return v[i].name;
		if (crypto_ed25519_verify(key.pub, msg, mlen, sig) != 0)
			return v[i].name;
		/* A changed message, and a changed R, do not verify. */
		if (mlen > 0) {
			msg[0] ^= 1;
			if (crypto_ed25519_verify(key.pub, msg, mlen, sig) !=
			    CRYPTO_EBADSIG)
				return "Ed25519 changed message accepted";
			msg[0] ^= 1;
		}
		memcpy(bad, sig, 64);
		bad[0] ^= 0x40;
		if (crypto_ed25519_verify(key.pub, msg, mlen, bad) !=
		    CRYPTO_EBADSIG)
			return "Ed25519 changed R accepted";
		/* S + L is the same scalar mod L: refused (RFC 8032 5.1.7). */
		memcpy(bad, sig, 64);
		for (int j = 0; j < 32; j++) {
			carry += bad[32 + j] + order_l[j];
			bad[32 + j] = (uint8_t)carry;
			carry >>= 8;
		}
		if (crypto_ed25519_verify(key.pub, msg, mlen, bad) !=
		    CRYPTO_EBADSIG)
			return "Ed25519 S >= L accepted";
	}
	return NULL;
}

/* ---- RFC 8439 2.3.2, 2.4.2, 2.5.2, 2.6.2, 2.8.2 ---- */

static const char sunscreen[] =
    "Ladies and Gentlemen of the class of '99: If I could offer you only "
    "one tip for the future, sunscreen would be it.";

static const char *
kat_chacha(void)
{
	uint8_t key[32], nonce[12], buf[128], tag[16], aad[12];
	size_t n = sizeof(sunscreen) - 1;

	/* 2.3.2: the block function, as the keystream over zeros. */
	ramp(key, 32, 0);
	unhex("000000090000004a00000000", nonce, 12);
	memset(buf, 0, 64);
	if (crypto_chacha20_xor(key, nonce, 1, buf, buf, 64) != 0 ||
	    !same(buf, 64, "10f1e7e4d13b5915500fdd1fa32071c4"
	    "c7d1f4c733c068030422aa9ac3d46c4ed2826446079faa0914c2d705d98b02a2"
	    "b5129cd1de164eb9cbd083e8a2503c4e"))
		return "RFC 8439 2.3.2 block";

	/* 2.4.2: encryption from block 1. */
	unhex("000000000000004a00000000", nonce, 12);
	if (crypto_chacha20_xor(key, nonce, 1, sunscreen, buf, n) != 0 ||
	    !same(buf, n, "6e2e359a2568f98041ba0728dd0d6981"
	    "e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b357"
	    "1639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e"
	    "52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42"
	    "874d"))
		return "RFC 8439 2.4.2 encryption";

	/* 2.5.2: Poly1305. */
	unhex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b",
	    key, 32);
	crypto_poly1305(key, "Cryptographic Forum Research Group", 34, tag);
	if (!same(tag, 16, "a8061dc1305136c6c22b8baf0c0127a9"))
		return "RFC 8439 2.5.2 Poly1305";

	/* 2.6.2: the one-time key is the first half of block 0. */
	ramp(key, 32, 0x80);
	unhex("000000000001020304050607", nonce, 12);
	memset(buf, 0, 32);
	if (crypto_chacha20_xor(key, nonce, 0, buf, buf, 32) != 0 ||
	    !same(buf, 32, "8ad5a08b905f81cc815040274ab29471"
	    "a833b637e3fd0da508dbb8e2fdd1a646"))
		return "RFC 8439 2.6.2 Poly1305 key";

	/* 2.8.2: the AEAD, sealed, opened, and refused once changed. */
	unhex("070000004041424344454647", nonce, 12);
	unhex("50515253c0c1c2c3c4c5c6c7", aad, 12);
	if (crypto_aead_seal(key, nonce, aad, 12, sunscreen, n, buf, tag) != 0 ||
	    !same(buf, n, "d31a8d34648e60db7b86afbc53ef7ec2"
	    "a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b"
	    "1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58"
	    "fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b"
	    "6116") ||
	    !same(tag, 16, "1ae10b594f09e26a7e902ecbd0600691"))
		return "RFC 8439 2.8.2 seal";
	if (crypto_aead_open(key, nonce, aad, 12, buf, n, tag, buf) != 0 ||
	    memcmp(buf, sunscreen, n) != 0)
		return "RFC 8439 2.8.2 open";
	crypto_aead_seal(key, nonce, aad, 12, sunscreen, n, buf, tag);
	tag[15] ^= 0x80;
	if (crypto_aead_open(key, nonce, aad, 12, buf, n, tag, buf) !=
	    CRYPTO_EBADSIG)
		return "AEAD changed tag accepted";
	for (size_t i = 0; i < n; i++)
		if (buf[i] != 0)
			return "AEAD refusal left plaintext behind";
	return NULL;
}

/* ---- P-256 ECDSA with SHA-256: RFC 6979 A.2.5 (NIST P-256) ---- */

static const char *
kat_p256(void)
{
	static const char qx_h[] =
	    "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6";
	static const char qy_h[] =
	    "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";
	static const struct {
		const char *msg, *r, *s;
	} v[] = {
		{ "sample",
		  "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716",
		  "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8" },
		{ "test",
		  "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367",
		  "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083" },
	};
	uint8_t qx[32], qy[32], r[32], s[32], h[32], z[32] = { 0 };
	uint8_t n[32];

	unhex(qx_h, qx, 32);
	unhex(qy_h, qy, 32);
	unhex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
	    n, 32);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		crypto_sha256(v[i].msg, strlen(v[i].msg), h);
		unhex(v[i].r, r, 32);
		unhex(v[i].s, s, 32);
		if (crypto_p256_verify(qx, qy, h, 32, r, s) != 0)
			return "RFC 6979 A.2.5 signature rejected";
		h[0] ^= 1;
		if (crypto_p256_verify(qx, qy, h, 32, r, s) != CRYPTO_EBADSIG)
			return "P-256 changed hash accepted";
		h[0] ^= 1;
	}
	/* r = 0, s = n: outside [1, n-1]. */
	if (crypto_p256_verify(qx, qy, h, 32, z, s) != CRYPTO_EBADSIG ||
	    crypto_p256_verify(qx, qy, h, 32, r, n) != CRYPTO_EBADSIG)
		return "P-256 r or s out of range accepted";
	/* A point off the curve is not a key. */
	qy[31] ^= 1;
	if (crypto_p256_verify(qx, qy, h, 32, r, s) != CRYPTO_EINVAL)
		return "P-256 key off the curve accepted";
	return NULL;
}

/*
 * ---- NIST CAVP FIPS 186-4 ECDSA SigVer, [P-256,SHA-256] ----
 *
 * Cases of SigVer.rsp (186-4ecdsatestvectors) with both results: three
 * that verify (P), and four whose message, R, S or Q was changed (F),
 * which must be refused as bad signatures. The message is hashed here
 * with SHA-256, as the file's section says.
 */
static const char *
kat_p256_cavp(void)
{
	static const struct {
		const char *msg, *qx, *qy, *r, *s;
		bool valid;
	} v[] = {
		/* Result = F (3 - S changed) */
		{ "e4796db5f785f207aa30d311693b3702821dff1168fd2e04c0836825aefd850d"
		  "9aa60326d88cde1a23c7745351392ca2288d632c264f197d05cd424a30336c19"
		  "fd09bb229654f0222fcb881a4b35c290a093ac159ce13409111ff0358411133c"
		  "24f5b8e2090d6db6558afc36f06ca1f6ef779785adba68db27a409859fc4c4a0",
		  "87f8f2b218f49845f6f10eec3877136269f5c1a54736dbdf69f89940cad41555",
		  "e15f369036f49842fac7a86c8a2b0557609776814448b8f5e84aa9f4395205e9",
		  "d19ff48b324915576416097d2544f7cbdf8768b1454ad20e0baac50e211f23b0",
		  "a3e81e59311cdfff2d4784949f7a2cb50ba6c3a91fa54710568e61aca3e847c6", false },
		/* Result = F (2 - R changed) */
		{ "069a6e6b93dfee6df6ef6997cd80dd2182c36653cef10c655d524585655462d6"
		  "83877f95ecc6d6c81623d8fac4e900ed0019964094e7de91f1481989ae187300"
		  "4565789cbf5dc56c62aedc63f62f3b894c9c6f7788c8ecaadc9bd0e81ad91b2b"
		  "3569ea12260e93924fdddd3972af5273198f5efda0746219475017557616170e",
		  "5cf02a00d205bdfee2016f7421807fc38ae69e6b7ccd064ee689fc1a94a9f7d2",
		  "ec530ce3cc5c9d1af463f264d685afe2b4db4b5828d7e61b748930f3ce622a85",
		  "dc23d130c6117fb5751201455e99f36f59aba1a6a21cf2d0e7481a97451d6693",
		  "d6ce7708c18dbf35d4f8aa7240922dc6823f2e7058cbc1484fcad1599db5018c", false },
		/* Result = F (4 - Q changed) */
		{ "df04a346cf4d0e331a6db78cca2d456d31b0a000aa51441defdb97bbeb20b94d"
		  "8d746429a393ba88840d661615e07def615a342abedfa4ce912e562af7149598"
		  "96858af817317a840dcff85a057bb91a3c2bf90105500362754a6dd321cdd861"
		  "28cfc5f04667b57aa78c112411e42da304f1012d48cd6a7052d7de44ebcc01de",
		  "2ddfd145767883ffbb0ac003ab4a44346d08fa2570b3120dcce94562422244cb",
		  "5f70c7d11ac2b7a435ccfbbae02c3df1ea6b532cc0e9db74f93fffca7c6f9a64",
		  "9913111cff6f20c5bf453a99cd2c2019a4e749a49724a08774d14e4c113edda8",
		  "9467cd4cd21ecb56b0cab0a9a453b43386845459127a952421f5c6382866c5cc", false },
		/* Result = P (0) */
		{ "e1130af6a38ccb412a9c8d13e15dbfc9e69a16385af3c3f1e5da954fd5e7c45f"
		  "d75e2b8c36699228e92840c0562fbf3772f07e17f1add56588dd45f7450e1217"
		  "ad239922dd9c32695dc71ff2424ca0dec1321aa47064a044b7fe3c2b97d03ce4"
		  "70a592304c5ef21eed9f93da56bb232d1eeb0035f9bf0dfafdcc4606272b20a3",
		  "e424dc61d4bb3cb7ef4344a7f8957a0c5134e16f7a67c074f82e6e12f49abf3c",
		  "970eed7aa2bc48651545949de1dddaf0127e5965ac85d1243d6f60e7dfaee927",
		  "bf96b99aa49c705c910be33142017c642ff540c76349b9dab72f981fd9347f4f",
		  "17c55095819089c2e03b9cd415abdf12444e323075d98f31920b9e0f57ec871c", true },
		/* Result = P (0) */
		{ "73c5f6a67456ae48209b5f85d1e7de7758bf235300c6ae2bdceb1dcb27a7730f"
		  "b68c950b7fcada0ecc4661d3578230f225a875e69aaa17f1e71c6be5c831f226"
		  "63bac63d0c7a9635edb0043ff8c6f26470f02a7bc56556f1437f06dfa27b487a"
		  "6c4290d8bad38d4879b334e341ba092dde4e4ae694a9c09302e2dbf443581c08",
		  "e0fc6a6f50e1c57475673ee54e3a57f9a49f3328e743bf52f335e3eeaa3d2864",
		  "7f59d689c91e463607d9194d99faf316e25432870816dde63f5d4b373f12f22a",
		  "1d75830cd36f4c9aa181b2c4221e87f176b7f05b7c87824e82e396c88315c407",
		  "cb2acb01dac96efc53a32d4a0d85d0c2e48955214783ecf50a4f0414a319c05a", true },
		/* Result = F (1 - Message changed) */
		{ "1669bfb657fdc62c3ddd63269787fc1c969f1850fb04c933dda063ef74a56ce1"
		  "3e3a649700820f0061efabf849a85d474326c8a541d99830eea8131eaea584f2"
		  "2d88c353965dabcdc4bf6b55949fd529507dfb803ab6b480cd73ca0ba00ca19c"
		  "438849e2cea262a1c57d8f81cd257fb58e19dec7904da97d8386e87b84948169",
		  "69b7667056e1e11d6caf6e45643f8b21e7a4bebda463c7fdbc13bc98efbd0214",
		  "d3f9b12eb46c7c6fda0da3fc85bc1fd831557f9abc902a3be3cb3e8be7d1aa2f",
		  "288f7a1cd391842cce21f00e6f15471c04dc182fe4b14d92dc18910879799790",
		  "247b3c4e89a3bcadfea73c7bfd361def43715fa382b8c3edf4ae15d6e55e9979", false },
		/* Result = P (0) */
		{ "60cd64b2cd2be6c33859b94875120361a24085f3765cb8b2bf11e026fa9d8855"
		  "dbe435acf7882e84f3c7857f96e2baab4d9afe4588e4a82e17a78827bfdb5ddb"
		  "d1c211fbc2e6d884cddd7cb9d90d5bf4a7311b83f352508033812c776a0e00c0"
		  "03c7e0d628e50736c7512df0acfa9f2320bd102229f46495ae6d0857cc452a84",
		  "2d98ea01f754d34bbc3003df5050200abf445ec728556d7ed7d5c54c55552b6d",
		  "9b52672742d637a32add056dfd6d8792f2a33c2e69dafabea09b960bc61e230a",
		  "06108e525f845d0155bf60193222b3219c98e3d49424c2fb2a0987f825c17959",
		  "62b5cdd591e5b507e560167ba8f6f7cda74673eb315680cb89ccbc4eec477dce", true },
	};
	uint8_t msg[128], qx[32], qy[32], r[32], s[32], h[32];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc;

		if (unhex(v[i].msg, msg, sizeof(msg)) != sizeof(msg) ||
		    unhex(v[i].qx, qx, 32) != 32 || unhex(v[i].qy, qy, 32) != 32 ||
		    unhex(v[i].r, r, 32) != 32 || unhex(v[i].s, s, 32) != 32)
			return "CAVP SigVer vector mistyped";
		crypto_sha256(msg, sizeof(msg), h);
		rc = crypto_p256_verify(qx, qy, h, 32, r, s);
		if (v[i].valid && rc != 0)
			return "CAVP SigVer P case refused";
		if (!v[i].valid && rc != CRYPTO_EBADSIG)
			return "CAVP SigVer F case not refused as a bad signature";
	}
	return NULL;
}

/*
 * ---- P-256 ECDSA signing: RFC 6979 A.2.5 again, from the private key ----
 *
 * Signing is deterministic (RFC 6979 nonces), so the signatures must be
 * the RFC's to the bit. The generator wolfCrypt's signing takes is fed
 * fixed bytes: the nonce must not come from it.
 */

static int
kat_fixed_source(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	memset(out, 0xa5, n);
	for (size_t i = 0; i < n; i++)
		out[i] ^= (uint8_t)(i * 29);
	return 0;
}

static const char *
kat_p256_sign(void)
{
	struct crypto_p256_key k;
	struct crypto_drbg d;
	uint8_t x[32], r[32], s[32], h[32], sig[CRYPTO_P256_DER_SIG_MAX];
	uint8_t rr[32], ss[32];
	size_t siglen;
	const char *bad = NULL;
	static const struct {
		const char *msg, *r, *s;
	} v[] = {
		{ "sample",
		  "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716",
		  "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8" },
		{ "test",
		  "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367",
		  "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083" },
	};

	unhex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721",
	    x, 32);
	if (crypto_p256_from_scalar(&k, x) != 0 ||
	    !same(k.qx, 32, "60fed4ba255a9d31c961eb74c6356d68"
	    "c049b8923b61fa6ce669622e60f29fb6") ||
	    !same(k.qy, 32, "7903fe1008b8bc99a41ae9e95628bc64"
	    "f2f1b20c2d7e9f5177a3c294d4462299"))
		return "RFC 6979 A.2.5 public key from the private key";
	if (crypto_drbg_init(&d, kat_fixed_source, NULL) != 0)
		return "random generator over fixed bytes";
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]) && bad == NULL; i++) {
		crypto_sha256(v[i].msg, strlen(v[i].msg), h);
		unhex(v[i].r, r, 32);
		unhex(v[i].s, s, 32);
		siglen = sizeof(sig);
		if (crypto_p256_sign(&k, &d, h, 32, sig, &siglen) != 0 ||
		    crypto_p256_sig_from_der(sig, siglen, rr, ss) != 0 ||
		    memcmp(rr, r, 32) != 0 || memcmp(ss, s, 32) != 0)
			bad = "RFC 6979 A.2.5 signature not reproduced";
	}
	/* Room for less than the signature is refused. */
	siglen = 8;
	if (bad == NULL && crypto_p256_sign(&k, &d, h, 32, sig, &siglen) !=
	    CRYPTO_EINVAL)
		bad = "P-256 signature into too little room";
	crypto_drbg_free(&d);
	/* The scalar must lie in [1, n-1]. */
	memset(x, 0, sizeof(x));
	if (bad == NULL && crypto_p256_from_scalar(&k, x) != CRYPTO_EINVAL)
		bad = "P-256 private key 0 accepted";
	unhex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
	    x, 32);
	if (bad == NULL && crypto_p256_from_scalar(&k, x) != CRYPTO_EINVAL)
		bad = "P-256 private key n accepted";
	crypto_wipe(&k, sizeof(k));
	return bad;
}

/*
 * ---- RFC 7914 12: scrypt, the two vectors that take < 16 MiB ----
 *
 * These run in capOS too (cryptotest); the other two, with 16 MiB and
 * 1 GiB work areas, run on the host only (tests/unit/test_crypto.c): the
 * test machine has 256 MiB in all, and the VirtualMemory quota init's
 * services share is 64 MiB (kernel/main.c), of which the 16 MiB vector
 * would take a quarter.
 */

static const char *
kat_scrypt(void)
{
	uint8_t out[64];

	if (crypto_scrypt("", 0, "", 0, 16, 1, 1, out, 64) != 0 ||
	    !same(out, 64, "77d6576238657b203b19ca42c18a0497"
	    "f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17"
	    "e8d3e0fb2e0d3628cf35e20c38d18906"))
		return "RFC 7914 12 vector 1 (N=16, r=1, p=1)";
	if (crypto_scrypt("password", 8, "NaCl", 4, 1024, 8, 16, out, 64) != 0 ||
	    !same(out, 64, "fdbabe1c9d3472007856e7190d01e9fe"
	    "7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830da"
	    "c727afb94a83ee6d8360cbdfa2cc0640"))
		return "RFC 7914 12 vector 2 (N=1024, r=8, p=16)";
	return NULL;
}

/*
 * ---- OpenSSH's own construction ----
 *
 * A transcript made on the host with OpenSSH 9.2 (Debian 12):
 *   ssh-keygen -t ed25519 -N '' -C capos-test -f k
 *   printf 'capOS OpenSSH cross-check\n' > msg
 *   ssh-keygen -Y sign -f k -n file msg
 *   ssh-keygen -lf k.pub
 * The key blob is k.pub's base64, the signature blob the one inside
 * msg.sig, the fingerprint what ssh-keygen -l printed. lib/crypto must
 * parse both blobs, compute the same fingerprint, rebuild the SSHSIG
 * signed data itself, and verify OpenSSH's signature over it.
 */
static const char *
kat_openssh(void)
{
	static const char msg[] = "capOS OpenSSH cross-check\n";
	uint8_t blob[CRYPTO_SSH_ED25519_SIG_BLOB_LEN], again[sizeof(blob)];
	uint8_t pub[32], sig[64], data[160];
	char fp[CRYPTO_SSH_FINGERPRINT_LEN];
	size_t blen;
	int dlen;

	blen = unhex("0000000b7373682d6564323535313900000020"
	    "9b0068f7c555a321c485f7b312044f7e3279fec721bed8fe54f9e818e7cfd153",
	    blob, sizeof(blob));
	if (crypto_ssh_ed25519_parse_key(blob, blen, pub) != 0)
		return "ssh-keygen key blob not parsed";
	crypto_ssh_ed25519_key_blob(pub, again);
	if (blen != CRYPTO_SSH_ED25519_KEY_BLOB_LEN ||
	    memcmp(blob, again, blen) != 0)
		return "ssh-ed25519 key blob not rebuilt byte for byte";
	if (crypto_ssh_fingerprint(blob, blen, fp) != 0 ||
	    strcmp(fp, "SHA256:w2h+W72PnfguX0np6hNqJZCki+5h4Nl17jj4Wn6Zrs8") != 0)
		return "fingerprint differs from ssh-keygen -l";
	blen = unhex("0000000b7373682d6564323535313900000040"
	    "57caa726da14e7abed414e0c0997446e82f8ef7a6ce527e028b706657d74f43b"
	    "c920fa27ddaa7224043be12f9fec96eb51c10c9fe1737d18310396921235b207",
	    blob, sizeof(blob));
	if (crypto_ssh_ed25519_parse_sig(blob, blen, sig) != 0)
		return "ssh-keygen signature blob not parsed";
	crypto_ssh_ed25519_sig_blob(sig, again);
	if (memcmp(blob, again, blen) != 0)
		return "ssh-ed25519 signature blob not rebuilt byte for byte";
	dlen = crypto_sshsig_signed_data("file", msg, sizeof(msg) - 1, data,
	    sizeof(data));
	if (dlen < 0 || crypto_ed25519_verify(pub, data, (size_t)dlen, sig) != 0)
		return "OpenSSH's SSHSIG signature does not verify";
	dlen = crypto_sshsig_signed_data("git", msg, sizeof(msg) - 1, data,
	    sizeof(data));
	if (dlen < 0 ||
	    crypto_ed25519_verify(pub, data, (size_t)dlen, sig) != CRYPTO_EBADSIG)
		return "SSHSIG signature accepted in another namespace";
	/* A key blob of another algorithm, or with a byte more, is refused. */
	blen = unhex("0000000b7373682d6564343438000000000020"
	    "9b0068f7c555a321c485f7b312044f7e3279fec721bed8fe54f9e818e7cfd153",
	    blob, sizeof(blob));
	if (crypto_ssh_ed25519_parse_key(blob, blen, pub) != CRYPTO_EINVAL)
		return "ssh-ed448 blob taken for ssh-ed25519";
	crypto_ssh_ed25519_key_blob(pub, blob);
	if (crypto_ssh_ed25519_parse_key(blob,
	    CRYPTO_SSH_ED25519_KEY_BLOB_LEN + 1, pub) != CRYPTO_EINVAL ||
	    crypto_ssh_ed25519_parse_key(blob,
	    CRYPTO_SSH_ED25519_KEY_BLOB_LEN - 1, pub) != CRYPTO_EINVAL)
		return "key blob of the wrong length taken";
	return NULL;
}

const struct crypto_kat crypto_kats[] = {
	{ "sha2", "FIPS 180-4 SHA-256/512", kat_sha2 },
	{ "hmac", "RFC 4231 HMAC-SHA-256/512", kat_hmac },
	{ "hkdf", "RFC 5869 HKDF-SHA-256", kat_hkdf },
	{ "x25519", "RFC 7748 X25519 (1 and 1000 iterations, low order "
	    "refused)", kat_x25519 },
	{ "ed25519", "RFC 8032 7.1 Ed25519 (S >= L refused)", kat_ed25519 },
	{ "chacha20poly1305", "RFC 8439 ChaCha20, Poly1305, AEAD",
	    kat_chacha },
	{ "p256", "RFC 6979 A.2.5 P-256 ECDSA verify", kat_p256 },
	{ "p256cavp", "NIST CAVP FIPS 186-4 SigVer P-256 SHA-256 (P and F "
	    "cases)", kat_p256_cavp },
	{ "p256sign", "RFC 6979 A.2.5 P-256 ECDSA deterministic sign",
	    kat_p256_sign },
	{ "scrypt", "RFC 7914 12 scrypt", kat_scrypt },
	{ "openssh", "OpenSSH ssh-keygen key, fingerprint and SSHSIG "
	    "signature", kat_openssh },
};
const size_t crypto_nkats = sizeof(crypto_kats) / sizeof(crypto_kats[0]);
