/*
 * lib/proto/webauthn with vectors made by tests/webauthn/gen.js (Node's
 * crypto module): registration and authentication of ES256 and EdDSA
 * credentials, then each check seen to refuse: a tampered signature,
 * authenticator data or client data, a replayed counter, a wrong
 * challenge, type, origin or RP ID (also when correctly signed), missing
 * user presence or verification, attestation objects and authenticator
 * data of every wrong shape, hostile clientDataJSON and DER signatures.
 */
#include <stdlib.h>

#include "test.h"
#include "vectors.h"
#include "webauthn.h"

static const struct webauthn_policy pol = { WA_RP_ID, WA_ORIGIN, true };

struct alg {
	const char *name;
	const uint8_t *reg_cd, *att, *cred_id, *auth_cd, *auth_ad, *sig;
	size_t reg_cd_len, att_len, cred_id_len, auth_cd_len, auth_ad_len,
	    sig_len;
	int cose;
};

#define V(a, f) wa_##a##_##f, sizeof(wa_##a##_##f)
static const struct alg algs[] = {
	{ "ES256", wa_es256_reg_client_data, wa_es256_att_obj,
	  wa_es256_cred_id, wa_es256_auth_client_data, wa_es256_auth_auth_data,
	  wa_es256_auth_sig, sizeof(wa_es256_reg_client_data),
	  sizeof(wa_es256_att_obj), sizeof(wa_es256_cred_id),
	  sizeof(wa_es256_auth_client_data), sizeof(wa_es256_auth_auth_data),
	  sizeof(wa_es256_auth_sig), COSE_ALG_ES256 },
	{ "EdDSA", wa_eddsa_reg_client_data, wa_eddsa_att_obj,
	  wa_eddsa_cred_id, wa_eddsa_auth_client_data, wa_eddsa_auth_auth_data,
	  wa_eddsa_auth_sig, sizeof(wa_eddsa_reg_client_data),
	  sizeof(wa_eddsa_att_obj), sizeof(wa_eddsa_cred_id),
	  sizeof(wa_eddsa_auth_client_data), sizeof(wa_eddsa_auth_auth_data),
	  sizeof(wa_eddsa_auth_sig), COSE_ALG_EDDSA },
};

static int
reg(const struct alg *a, const uint8_t *att, size_t att_len,
    struct webauthn_credential *cred)
{
	return webauthn_register(&pol, wa_reg_challenge,
	    sizeof(wa_reg_challenge), a->reg_cd, a->reg_cd_len, att, att_len,
	    cred);
}

static int
auth(const struct webauthn_policy *p, const struct webauthn_credential *cred,
    const uint8_t *cd, size_t cdlen, const uint8_t *ad, size_t adlen,
    const uint8_t *sig, size_t siglen, uint32_t *count)
{
	return webauthn_authenticate(p, wa_auth_challenge,
	    sizeof(wa_auth_challenge), cred, cd, cdlen, ad, adlen, sig, siglen,
	    count);
}

static void
registered(const struct alg *a, struct webauthn_credential *cred)
{
	int rc = reg(a, a->att, a->att_len, cred);

	if (rc != 0)
		test_fail(__FILE__, __LINE__, "%s registration: %s", a->name,
		    webauthn_strerror(rc));
}

TEST(webauthn_registers_and_authenticates_es256_and_eddsa)
{
	for (size_t i = 0; i < 2; i++) {
		const struct alg *a = &algs[i];
		struct webauthn_credential *cred = malloc(sizeof(*cred));
		uint32_t count = 99;
		int rc;

		registered(a, cred);
		CHECK_EQ(cred->key.alg, a->cose);
		CHECK(cred->id_len == a->cred_id_len &&
		    memcmp(cred->id, a->cred_id, a->cred_id_len) == 0);
		CHECK(cred->sign_count == 0 && cred->uv);
		rc = auth(&pol, cred, a->auth_cd, a->auth_cd_len, a->auth_ad,
		    a->auth_ad_len, a->sig, a->sig_len, &count);
		if (rc != 0)
			test_fail(__FILE__, __LINE__, "%s assertion: %s",
			    a->name, webauthn_strerror(rc));
		CHECK_EQ(count, 7);
		free(cred);
	}
}

TEST(webauthn_refuses_tampered_assertions_and_replayed_counters)
{
	for (size_t i = 0; i < 2; i++) {
		const struct alg *a = &algs[i];
		struct webauthn_credential *cred = malloc(sizeof(*cred));
		uint8_t sig[80], ad[64], cd[512];
		uint32_t count;

		registered(a, cred);
		memcpy(sig, a->sig, a->sig_len);
		sig[a->sig_len - 1] ^= 1;
		CHECK_EQ(auth(&pol, cred, a->auth_cd, a->auth_cd_len, a->auth_ad,
		    a->auth_ad_len, sig, a->sig_len, &count), WEBAUTHN_ESIG);
		/* The counter is signed: raising it breaks the signature. */
		memcpy(ad, a->auth_ad, a->auth_ad_len);
		ad[36]++;
		CHECK_EQ(auth(&pol, cred, a->auth_cd, a->auth_cd_len, ad,
		    a->auth_ad_len, a->sig, a->sig_len, &count), WEBAUTHN_ESIG);
		/* A member the checks do not read is still signed. */
		memcpy(cd, a->auth_cd, a->auth_cd_len);
		cd[a->auth_cd_len - 3] ^= 1;
		CHECK_EQ(auth(&pol, cred, cd, a->auth_cd_len, a->auth_ad,
		    a->auth_ad_len, a->sig, a->sig_len, &count), WEBAUTHN_ESIG);
		/* The stored count is 7 after the first use: the same
		 * assertion again is a replay or a clone. */
		cred->sign_count = 7;
		count = 1234;
		CHECK_EQ(auth(&pol, cred, a->auth_cd, a->auth_cd_len, a->auth_ad,
		    a->auth_ad_len, a->sig, a->sig_len, &count),
		    WEBAUTHN_ECOUNTER);
		CHECK_EQ(count, 7);
		cred->sign_count = 6;
		CHECK_EQ(auth(&pol, cred, a->auth_cd, a->auth_cd_len, a->auth_ad,
		    a->auth_ad_len, a->sig, a->sig_len, &count), 0);
		CHECK_EQ(count, 7);
		/* A key of another kind cannot verify. */
		cred->key.alg = COSE_ALG_ES256 + COSE_ALG_EDDSA - a->cose;
		CHECK(auth(&pol, cred, a->auth_cd, a->auth_cd_len, a->auth_ad,
		    a->auth_ad_len, a->sig, a->sig_len, &count) != 0);
		free(cred);
	}
}

TEST(webauthn_refuses_wrong_challenge_type_origin_rpid_and_flags)
{
	static const struct webauthn_policy other_origin = { WA_RP_ID,
		"https://localhost:8444", false };
	static const struct webauthn_policy other_rp = { "example.org",
		WA_ORIGIN, false };
	static const struct webauthn_policy no_uv = { WA_RP_ID, WA_ORIGIN,
		false };
	struct webauthn_credential *cred = malloc(sizeof(*cred));
	uint32_t count;

	for (size_t i = 0; i < 2; i++) {
		const struct alg *a = &algs[i];

		registered(a, cred);
		/* The registration challenge is not this one's. */
		CHECK_EQ(webauthn_authenticate(&pol, wa_reg_challenge, 32, cred,
		    a->auth_cd, a->auth_cd_len, a->auth_ad, a->auth_ad_len,
		    a->sig, a->sig_len, &count), WEBAUTHN_ECHALLENGE);
		CHECK_EQ(webauthn_authenticate(&pol, wa_auth_challenge, 31, cred,
		    a->auth_cd, a->auth_cd_len, a->auth_ad, a->auth_ad_len,
		    a->sig, a->sig_len, &count), WEBAUTHN_ECHALLENGE);
		/* A create ceremony's client data in a get, and back. */
		CHECK_EQ(auth(&pol, cred, a->reg_cd, a->reg_cd_len, a->auth_ad,
		    a->auth_ad_len, a->sig, a->sig_len, &count), WEBAUTHN_ETYPE);
		CHECK_EQ(webauthn_register(&pol, wa_auth_challenge, 32,
		    a->auth_cd, a->auth_cd_len, a->att, a->att_len, cred),
		    WEBAUTHN_ETYPE);
		registered(a, cred);
		CHECK_EQ(auth(&other_origin, cred, a->auth_cd, a->auth_cd_len,
		    a->auth_ad, a->auth_ad_len, a->sig, a->sig_len, &count),
		    WEBAUTHN_EORIGIN);
		CHECK_EQ(auth(&other_rp, cred, a->auth_cd, a->auth_cd_len,
		    a->auth_ad, a->auth_ad_len, a->sig, a->sig_len, &count),
		    WEBAUTHN_ERPID);
	}
	/* Correctly signed, and wrong: the signature does not rescue them. */
	registered(&algs[0], cred);
	CHECK_EQ(auth(&pol, cred, V(es256, evil_origin_client_data),
	    V(es256, evil_origin_auth_data), V(es256, evil_origin_sig), &count),
	    WEBAUTHN_EORIGIN);
	CHECK_EQ(auth(&pol, cred, V(es256, evil_rpid_client_data),
	    V(es256, evil_rpid_auth_data), V(es256, evil_rpid_sig), &count),
	    WEBAUTHN_ERPID);
	CHECK_EQ(auth(&pol, cred, V(es256, no_uv_client_data),
	    V(es256, no_uv_auth_data), V(es256, no_uv_sig), &count),
	    WEBAUTHN_EVERIFY);
	CHECK_EQ(auth(&no_uv, cred, V(es256, no_uv_client_data),
	    V(es256, no_uv_auth_data), V(es256, no_uv_sig), &count), 0);
	CHECK_EQ(count, 8);
	registered(&algs[1], cred);
	CHECK_EQ(auth(&pol, cred, V(eddsa, evil_origin_client_data),
	    V(eddsa, evil_origin_auth_data), V(eddsa, evil_origin_sig), &count),
	    WEBAUTHN_EORIGIN);
	CHECK_EQ(auth(&pol, cred, V(eddsa, evil_rpid_client_data),
	    V(eddsa, evil_rpid_auth_data), V(eddsa, evil_rpid_sig), &count),
	    WEBAUTHN_ERPID);
	CHECK_EQ(auth(&pol, cred, V(eddsa, no_uv_client_data),
	    V(eddsa, no_uv_auth_data), V(eddsa, no_uv_sig), &count),
	    WEBAUTHN_EVERIFY);
	free(cred);
}

/* The authData byte string inside a vector's attestation object. */
static const uint8_t *
auth_data_of(const struct alg *a, size_t *n)
{
	struct cbor c;
	struct cbor_item it;

	cbor_init(&c, a->att, a->att_len);
	cbor_next(&c, &it);
	while (cbor_next(&c, &it) == 0) {
		bool mine = cbor_is_text(&it, "authData");

		if (mine && cbor_next(&c, &it) == 0) {
			*n = (size_t)it.val;
			return it.ptr;
		}
		cbor_skip(&c, CBOR_MAX_DEPTH);
	}
	*n = 0;
	return NULL;
}

/* An attestation object from hex text (the map head, fmt and attStmt)
 * and authData; "+" appends raw bytes after it. */
static size_t
att(uint8_t *out, const char *head, const uint8_t *ad, size_t adlen,
    const char *tail)
{
	size_t n = 0;

	for (const char *h = head; *h != '\0'; h += 2) {
		unsigned v;

		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	out[n++] = 0x68;
	memcpy(out + n, "authData", 8);
	n += 8;
	out[n++] = 0x59;
	out[n++] = (uint8_t)(adlen >> 8);
	out[n++] = (uint8_t)adlen;
	memcpy(out + n, ad, adlen);
	n += adlen;
	for (const char *h = tail; *h != '\0'; h += 2) {
		unsigned v;

		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* a3 "fmt" "none" "attStmt" {} */
#define FMT_NONE	"a3" "63666d74" "646e6f6e65" "6761747453746d74" "a0"

TEST(webauthn_refuses_attestation_objects_of_every_wrong_shape)
{
	static const struct {
		const char *what, *head, *tail;
		int rc;
	} c[] = {
		{ "fmt none", FMT_NONE, "", 0 },
		{ "fmt packed", "a3" "63666d74" "667061636b6564"
		  "6761747453746d74" "a0", "", WEBAUTHN_EFORMAT },
		{ "none with a statement", "a3" "63666d74" "646e6f6e65"
		  "6761747453746d74" "a1616101", "", WEBAUTHN_EFORMAT },
		{ "fmt not text", "a3" "63666d74" "01" "6761747453746d74" "a0", "",
		  WEBAUTHN_ECBOR },
		{ "attStmt not a map", "a3" "63666d74" "646e6f6e65"
		  "6761747453746d74" "80", "", WEBAUTHN_ECBOR },
		{ "no fmt", "a2" "6761747453746d74" "a0", "", WEBAUTHN_ECBOR },
		{ "fmt twice", "a4" "63666d74" "646e6f6e65" "63666d74"
		  "646e6f6e65" "6761747453746d74" "a0", "", WEBAUTHN_ECBOR },
		{ "another key", "a4" "63666d74" "646e6f6e65" "617801"
		  "6761747453746d74" "a0", "", WEBAUTHN_ECBOR },
		{ "a byte after", FMT_NONE, "00", WEBAUTHN_ECBOR },
		{ "not a map", "83" "646e6f6e65" "a0", "", WEBAUTHN_ECBOR },
	};
	static uint8_t buf[4096];
	struct webauthn_credential *cred = malloc(sizeof(*cred));
	size_t adlen, n;
	const uint8_t *ad = auth_data_of(&algs[0], &adlen);
	uint8_t ad2[512];

	CHECK(ad != NULL);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int rc;

		n = att(buf, c[i].head, ad, adlen, c[i].tail);
		rc = reg(&algs[0], buf, n, cred);
		if (rc != c[i].rc)
			test_fail(__FILE__, __LINE__, "%s: %s", c[i].what,
			    webauthn_strerror(rc));
	}
	/* authData: UP clear, AT clear, a credential ID of 0 and of 1024
	 * bytes, an ID running past the end, cut at every length. */
	memcpy(ad2, ad, adlen);
	ad2[32] &= (uint8_t)~WEBAUTHN_FLAG_UP;
	CHECK_EQ(reg(&algs[0], buf, att(buf, FMT_NONE, ad2, adlen, ""), cred),
	    WEBAUTHN_EPRESENCE);
	memcpy(ad2, ad, adlen);
	ad2[32] &= (uint8_t)~WEBAUTHN_FLAG_AT;
	CHECK_EQ(reg(&algs[0], buf, att(buf, FMT_NONE, ad2, adlen, ""), cred),
	    WEBAUTHN_EAUTHDATA);
	CHECK_EQ(reg(&algs[0], buf, att(buf, FMT_NONE, ad2, 37, ""), cred),
	    WEBAUTHN_EAUTHDATA);
	for (unsigned len = 0; len <= 1024; len += 1024) {
		memcpy(ad2, ad, adlen);
		ad2[53] = (uint8_t)(len >> 8);
		ad2[54] = (uint8_t)len;
		CHECK_EQ(reg(&algs[0], buf, att(buf, FMT_NONE, ad2, adlen, ""),
		    cred), WEBAUTHN_EAUTHDATA);
	}
	memcpy(ad2, ad, adlen);
	ad2[53] = 0x01;		/* 256 + 32 bytes: past the end */
	CHECK_EQ(reg(&algs[0], buf, att(buf, FMT_NONE, ad2, adlen, ""), cred),
	    WEBAUTHN_EAUTHDATA);
	for (size_t k = 0; k < adlen; k++) {
		int rc = reg(&algs[0], buf, att(buf, FMT_NONE, ad, k, ""), cred);

		if (rc != WEBAUTHN_EAUTHDATA && rc != WEBAUTHN_EKEY)
			test_fail(__FILE__, __LINE__, "authData cut at %zu: %s",
			    k, webauthn_strerror(rc));
	}
	/* Over the bound: refused before it is read. */
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(reg(&algs[0], buf, WEBAUTHN_MAX_ATTESTATION + 1, cred),
	    WEBAUTHN_ETOOBIG);
	free(cred);
}

TEST(webauthn_reads_extensions_and_refuses_trailing_bytes)
{
	uint8_t ad[128];
	struct webauthn_auth_data out;

	memset(ad, 0, sizeof(ad));
	ad[32] = WEBAUTHN_FLAG_UP | WEBAUTHN_FLAG_ED;
	ad[36] = 5;
	/* {"credProtect": 2} */
	memcpy(ad + 37, "\xa1\x6b" "credProtect" "\x02", 14);
	CHECK_EQ(webauthn_parse_auth_data(ad, 51, &out), 0);
	CHECK_EQ(out.sign_count, 5);
	CHECK_EQ(webauthn_parse_auth_data(ad, 52, &out), WEBAUTHN_EAUTHDATA);
	CHECK_EQ(webauthn_parse_auth_data(ad, 50, &out), WEBAUTHN_EAUTHDATA);
	CHECK_EQ(webauthn_parse_auth_data(ad, 37, &out), WEBAUTHN_EAUTHDATA);
	ad[37] = 0x80;		/* an array is not an extension map */
	CHECK_EQ(webauthn_parse_auth_data(ad, 38, &out), WEBAUTHN_EAUTHDATA);
	ad[32] = WEBAUTHN_FLAG_UP;
	CHECK_EQ(webauthn_parse_auth_data(ad, 37, &out), 0);
	CHECK_EQ(webauthn_parse_auth_data(ad, 38, &out), WEBAUTHN_EAUTHDATA);
	CHECK_EQ(webauthn_parse_auth_data(ad, 36, &out), WEBAUTHN_EAUTHDATA);
}

TEST(webauthn_client_data_reader_handles_escapes_and_refuses_hostile_json)
{
	static const struct {
		const char *json;
		int rc;
	} c[] = {
		{ "{\"type\":\"webauthn.get\",\"challenge\":\"abc\","
		  "\"origin\":\"https:\\/\\/localhost:8443\"}", 0 },
		{ " {\"origin\":\"https://localhost:8443\", \"challenge\" : "
		  "\"abc\", \"type\":\"webauthn.\\u0067et\", \"crossOrigin\""
		  ":false, \"x\":[1,{\"y\":null},-2.5e3,true]} \n", 0 },
		{ "{\"type\":\"webauthn.get\",\"challenge\":\"abc\","
		  "\"origin\":\"\\ud83d\\ude00\"}", 0 },
		{ "{\"type\":\"webauthn.get\",\"type\":\"webauthn.get\","
		  "\"challenge\":\"abc\",\"origin\":\"o\"}", WEBAUTHN_EJSON },
		{ "{\"type\":\"webauthn.get\",\"origin\":\"o\"}", WEBAUTHN_EJSON },
		{ "{\"type\":\"webauthn.get\",\"challenge\":\"abc\","
		  "\"origin\":\"o\"} x", WEBAUTHN_EJSON },
		{ "{\"type\":\"webauthn.get\",\"challenge\":\"abc\","
		  "\"origin\":\"o\",}", WEBAUTHN_EJSON },
		{ "{\"type\":\"webauthn.get\",\"challenge\":\"abc\","
		  "\"origin\":\"\\ud800\"}", WEBAUTHN_EJSON },
		{ "{\"type\":\"webauthn.get\",\"challenge\":\"abc\","
		  "\"origin\":\"\\u0000\"}", WEBAUTHN_EJSON },
		{ "{\"type\":\"webauthn.get\",\"challenge\":\"abc\","
		  "\"origin\":\"a\tb\"}", WEBAUTHN_EJSON },
		{ "{\"type\":\"webauthn.get\",\"challenge\":\"abc\","
		  "\"origin\":\"\xc0\xaf\"}", WEBAUTHN_EJSON },
		{ "{\"type\":\"webauthn.get\",\"challenge\":\"abc\","
		  "\"origin\":\"o\",\"crossOrigin\":1}", WEBAUTHN_EJSON },
		{ "{\"type\":\"webauthn.get\",\"challenge\":\"abc\","
		  "\"origin\":\"o\",\"x\":[[[[[1]]]]]}", WEBAUTHN_EJSON },
		{ "{\"type\":\"webauthn.get\",\"challenge\":\"abc\","
		  "\"origin\":\"o\",\"x\":[[[[1]]]]}", 0 },
		{ "{\"type\":\"webauthn.get\",\"challenge\":\"abc\","
		  "\"origin\":\"o\"", WEBAUTHN_EJSON },
		{ "[]", WEBAUTHN_EJSON },
		{ "{}", WEBAUTHN_EJSON },
		{ "", WEBAUTHN_EJSON },
	};
	struct webauthn_client_data cd;
	char *big = malloc(2048);
	size_t at;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int rc = webauthn_parse_client_data((const uint8_t *)c[i].json,
		    strlen(c[i].json), &cd);

		if (rc != c[i].rc)
			test_fail(__FILE__, __LINE__, "case %zu: %s", i,
			    webauthn_strerror(rc));
	}
	CHECK_EQ(webauthn_parse_client_data((const uint8_t *)c[0].json,
	    strlen(c[0].json), &cd), 0);
	CHECK_STR(cd.origin, "https://localhost:8443");
	CHECK_EQ(webauthn_parse_client_data((const uint8_t *)c[1].json,
	    strlen(c[1].json), &cd), 0);
	CHECK_STR(cd.type, "webauthn.get");
	CHECK_EQ(webauthn_parse_client_data((const uint8_t *)c[2].json,
	    strlen(c[2].json), &cd), 0);
	CHECK_STR(cd.origin, "\xf0\x9f\x98\x80");
	/* An origin one byte longer than its field. */
	sprintf(big, "{\"type\":\"t\",\"challenge\":\"c\",\"origin\":\"");
	at = strlen(big);
	memset(big + at, 'o', WEBAUTHN_MAX_ORIGIN + 1);
	strcpy(big + at + WEBAUTHN_MAX_ORIGIN + 1, "\"}");
	CHECK_EQ(webauthn_parse_client_data((const uint8_t *)big, strlen(big),
	    &cd), WEBAUTHN_EJSON);
	strcpy(big + at + WEBAUTHN_MAX_ORIGIN, "\"}");
	CHECK_EQ(webauthn_parse_client_data((const uint8_t *)big, strlen(big),
	    &cd), 0);
	memset(big, ' ', 2048);
	CHECK_EQ(webauthn_parse_client_data((const uint8_t *)big,
	    WEBAUTHN_MAX_CLIENT_DATA + 1, &cd), WEBAUTHN_ETOOBIG);
	free(big);
}

TEST(webauthn_cross_origin_client_data_is_refused)
{
	static const char json[] = "{\"type\":\"webauthn.get\",\"challenge\":"
	    "\"ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8\",\"origin\":"
	    "\"https://localhost:8443\",\"crossOrigin\":true}";
	struct webauthn_credential *cred = malloc(sizeof(*cred));
	uint32_t count;

	registered(&algs[0], cred);
	CHECK_EQ(auth(&pol, cred, (const uint8_t *)json, sizeof(json) - 1,
	    algs[0].auth_ad, algs[0].auth_ad_len, algs[0].sig, algs[0].sig_len,
	    &count), WEBAUTHN_EORIGIN);
	/* With crossOrigin false the same bytes reach the signature. */
	{
		char j2[sizeof(json) + 1];

		memcpy(j2, json, sizeof(json));
		memcpy(strstr(j2, "true"), "false}", 7);
		CHECK_EQ(auth(&pol, cred, (const uint8_t *)j2, strlen(j2),
		    algs[0].auth_ad, algs[0].auth_ad_len, algs[0].sig,
		    algs[0].sig_len, &count), WEBAUTHN_ESIG);
	}
	free(cred);
}

TEST(webauthn_der_signatures_must_be_strict)
{
	static const struct {
		const char *hex;
		int rc;
	} c[] = {
		{ "3006020101020102", 0 },
		{ "3026022100ff" "00000000000000000000000000000000000000000000"
		  "000000000000000000" "020101", 0 },			/* 33-byte r */
		{ "30060201ff020102", WEBAUTHN_ESIG },		/* negative r */
		{ "3007020200010201" "02", WEBAUTHN_ESIG },	/* not minimal */
		{ "3007020101020102" "00", WEBAUTHN_ESIG },	/* length off */
		{ "3006020101020102" "00", WEBAUTHN_ESIG },	/* trailing */
		{ "308106020101020102", WEBAUTHN_ESIG },		/* long form */
		{ "3005020101020102", WEBAUTHN_ESIG },
		{ "3006020001020102", WEBAUTHN_ESIG },		/* empty r */
		{ "3006030101020102", WEBAUTHN_ESIG },		/* not INTEGER */
		{ "3027022201" "000000000000000000000000000000000000000000000"
		  "00000000000000000000000" "020101", WEBAUTHN_ESIG },	/* 34 */
		{ "3004020101", WEBAUTHN_ESIG },
		{ "", WEBAUTHN_ESIG },
	};
	uint8_t der[80], r[32], s[32];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		size_t n = 0;
		int rc;

		for (const char *h = c[i].hex; *h != '\0'; h += 2) {
			unsigned v;

			sscanf(h, "%2x", &v);
			der[n++] = (uint8_t)v;
		}
		rc = webauthn_der_to_raw(der, n, r, s);
		if (rc != c[i].rc)
			test_fail(__FILE__, __LINE__, "%s: %d", c[i].hex, rc);
	}
	webauthn_der_to_raw((const uint8_t *)"\x30\x06\x02\x01\x01\x02\x01\x02",
	    8, r, s);
	CHECK(r[31] == 1 && s[31] == 2 && r[0] == 0 && s[30] == 0);
}
