/*
 * libFuzzer target for lib/proto/cbor and lib/proto/webauthn: everything
 * that reads a browser's or an authenticator's bytes. The first byte
 * picks the parser (byte % 7: 0 CBOR item, 1 COSE key, 2 authenticator
 * data, 3 clientDataJSON, 4 registration with the rest as the
 * attestationObject, 5 DER signature, 6 authentication: a byte whose low
 * bit picks ES256 or EdDSA, a 64-byte key (x, y), a byte giving the
 * signature's length, the signature, then authenticatorData); the rest is
 * its input.
 * Registration and authentication get a clientDataJSON that passes its
 * checks, so the fuzzer's bytes reach the CBOR and signature paths. Every
 * result must be a documented code, and what is parsed must lie inside
 * the input.
 *
 *	make fuzz && build/fuzz/cbor_webauthn -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webauthn.h"

static const uint8_t challenge[32];
static const struct webauthn_policy pol = { "localhost",
	"https://localhost:8443", false };

static const char *
client_data(const char *type)
{
	static char buf[256];

	strcpy(buf, "{\"type\":\"");
	strcat(buf, type);
	strcat(buf, "\",\"challenge\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
	    "\"origin\":\"https://localhost:8443\"}");
	return buf;
}

static void
check(int rc, int lo)
{
	if (rc > 0 || rc < lo)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct webauthn_credential cred;
	size_t siglen;
	struct webauthn_auth_data ad;
	struct webauthn_client_data cd;
	struct cose_key key;
	struct cbor c;
	const char *j;
	uint8_t r[32], s[32];
	uint32_t count;
	size_t used;
	int rc;

	if (size < 1)
		return 0;
	size--;
	switch (*data++ % 7) {
	case 0:
		cbor_init(&c, data, size);
		check(cbor_skip(&c, CBOR_MAX_DEPTH), CBOR_EDEPTH);
		if (cbor_left(&c) > size)
			abort();
		break;
	case 1:
		rc = cose_key_parse(data, size, &key, &used);
		check(rc, CBOR_EDUPLICATE);
		if (rc == 0 && (used > size || (key.alg != COSE_ALG_ES256 &&
		    key.alg != COSE_ALG_EDDSA)))
			abort();
		break;
	case 2:
		rc = webauthn_parse_auth_data(data, size, &ad);
		check(rc, WEBAUTHN_ECOUNTER);
		if (rc == 0 && (ad.flags & WEBAUTHN_FLAG_AT) &&
		    (ad.cred_id < data || ad.cred_id + ad.cred_id_len >
		    data + size || ad.cred_id_len > WEBAUTHN_MAX_CRED_ID))
			abort();
		break;
	case 3:
		rc = webauthn_parse_client_data(data, size, &cd);
		check(rc, WEBAUTHN_ECOUNTER);
		if (rc == 0 && (strlen(cd.origin) >= sizeof(cd.origin) ||
		    strlen(cd.challenge) >= sizeof(cd.challenge)))
			abort();
		break;
	case 4:
		j = client_data("webauthn.create");
		rc = webauthn_register(&pol, challenge, sizeof(challenge),
		    (const uint8_t *)j, strlen(j), data, size, &cred);
		check(rc, WEBAUTHN_ECOUNTER);
		if (rc == 0 && cred.id_len > WEBAUTHN_MAX_CRED_ID)
			abort();
		break;
	case 5:
		check(webauthn_der_to_raw(data, size, r, s), WEBAUTHN_ECOUNTER);
		break;
	case 6:
		if (size < 66)
			break;
		memset(&cred, 0, sizeof(cred));
		cred.key.alg = data[0] & 1 ? COSE_ALG_ES256 : COSE_ALG_EDDSA;
		memcpy(cred.key.x, data + 1, 32);
		memcpy(cred.key.y, data + 33, 32);
		siglen = data[65];
		data += 66;
		size -= 66;
		if (siglen > size)
			break;
		j = client_data("webauthn.get");
		rc = webauthn_authenticate(&pol, challenge, sizeof(challenge),
		    &cred, (const uint8_t *)j, strlen(j), data + siglen,
		    size - siglen, data, siglen, &count);
		check(rc, WEBAUTHN_ECOUNTER);
		break;
	}
	return 0;
}
