/*
 * CBOR decoding (RFC 8949) over a caller's buffer, and COSE keys.
 *
 * State: a cursor (p, end) into the caller's bytes; nothing is copied, so
 * there is no buffer to overflow. Bounds (outcome in brackets):
 *   an item's length     checked against the bytes left before use
 *                        [CBOR_EEND]
 *   array and map counts at most the bytes left, since each item takes
 *                        one byte or more: a count cannot make a loop
 *                        outlast the input                 [CBOR_EEND]
 *   nesting              the caller's depth, at most CBOR_MAX_DEPTH;
 *                        cbor_skip recurses once per level [CBOR_EDEPTH]
 * The work of any decode is linear in the input's length.
 *
 * Supported: major types 0-5, and 7 with simple values and floats (as
 * raw bits). Refused as CBOR_EUNSUPPORTED: indefinite lengths (WebAuthn's
 * CTAP2 encoding has none), tags, and the reserved additional information
 * values 28-30. Text strings must be UTF-8 (RFC 8949 3.1) [CBOR_EMALFORMED].
 */
#include "cbor.h"

#include <string.h>

void
cbor_init(struct cbor *c, const uint8_t *p, size_t n)
{
	c->p = p;
	c->end = p + n;
}

size_t
cbor_left(const struct cbor *c)
{
	return (size_t)(c->end - c->p);
}

bool
cbor_utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i++], lo = 0x80, hi = 0xbf;
		unsigned more;

		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf)
			more = 1;
		else if (c >= 0xe0 && c <= 0xef)
			more = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			more = 3;
		else
			return false;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		for (; more > 0; more--, lo = 0x80, hi = 0xbf) {
			if (i == n || s[i] < lo || s[i] > hi)
				return false;
			i++;
		}
	}
	return true;
}

int
cbor_next(struct cbor *c, struct cbor_item *it)
{
	uint8_t ib, ai;
	uint64_t v;
	size_t left;

	if (c->p == c->end)
		return CBOR_EEND;
	ib = *c->p++;
	it->major = (enum cbor_major)(ib >> 5);
	ai = ib & 0x1f;
	it->ptr = NULL;
	if (ai < 24) {
		v = ai;
	} else if (ai <= 27) {
		size_t n = (size_t)1 << (ai - 24);

		if (cbor_left(c) < n)
			return CBOR_EEND;
		v = 0;
		for (size_t i = 0; i < n; i++)
			v = v << 8 | *c->p++;
	} else {
		return CBOR_EUNSUPPORTED;	/* 28-30 reserved, 31 indefinite */
	}
	it->val = v;
	left = cbor_left(c);
	switch (it->major) {
	case CBOR_UINT:
	case CBOR_NINT:
		return 0;
	case CBOR_BYTES:
	case CBOR_TEXT:
		if (v > left)
			return CBOR_EEND;
		it->ptr = c->p;
		c->p += v;
		if (it->major == CBOR_TEXT && !cbor_utf8_valid(it->ptr, (size_t)v))
			return CBOR_EMALFORMED;
		return 0;
	case CBOR_ARRAY:
		return v > left ? CBOR_EEND : 0;
	case CBOR_MAP:
		return v > left / 2 ? CBOR_EEND : 0;
	case CBOR_TAG:
		return CBOR_EUNSUPPORTED;
	case CBOR_SIMPLE:
		/* RFC 8949 3.3: a one-byte simple value below 32 is not
		 * well-formed. */
		if (ai == 24 && v < 32)
			return CBOR_EMALFORMED;
		return 0;
	}
	return CBOR_EMALFORMED;
}

int
cbor_skip(struct cbor *c, unsigned depth)
{
	struct cbor_item it;
	uint64_t n;
	int rc = cbor_next(c, &it);

	if (rc != 0)
		return rc;
	if (it.major != CBOR_ARRAY && it.major != CBOR_MAP)
		return 0;
	if (depth == 0 || depth > CBOR_MAX_DEPTH)
		return CBOR_EDEPTH;
	n = it.major == CBOR_MAP ? it.val * 2 : it.val;
	for (uint64_t i = 0; i < n; i++)
		if ((rc = cbor_skip(c, depth - 1)) != 0)
			return rc;
	return 0;
}

int
cbor_int(const struct cbor_item *it, int64_t *v)
{
	if ((it->major != CBOR_UINT && it->major != CBOR_NINT) ||
	    it->val > (uint64_t)INT64_MAX)
		return CBOR_ETYPE;
	*v = it->major == CBOR_UINT ? (int64_t)it->val : -1 - (int64_t)it->val;
	return 0;
}

bool
cbor_is_text(const struct cbor_item *it, const char *s)
{
	size_t n = strlen(s);

	return it->major == CBOR_TEXT && it->val == n &&
	    memcmp(it->ptr, s, n) == 0;
}

/* A byte string of exactly 32 bytes into out. */
static int
coord(struct cbor *c, uint8_t out[32])
{
	struct cbor_item it;
	int rc = cbor_next(c, &it);

	if (rc != 0)
		return rc;
	if (it.major != CBOR_BYTES || it.val != 32)
		return CBOR_ETYPE;
	memcpy(out, it.ptr, 32);
	return 0;
}

int
cose_key_parse(const uint8_t *p, size_t n, struct cose_key *k, size_t *used)
{
	/* The labels read, each at most once: 1 kty, 3 alg, -1 crv, -2 x,
	 * -3 y (RFC 9052 7.1, RFC 9053 7.1 and 7.2). */
	enum { KTY = 1, ALG = 2, CRV = 4, X = 8, Y = 16 };
	struct cbor c;
	struct cbor_item it;
	int64_t kty = 0, alg = 0, crv = 0, label;
	unsigned seen = 0;
	uint64_t pairs;
	int rc;

	memset(k, 0, sizeof(*k));
	cbor_init(&c, p, n);
	if ((rc = cbor_next(&c, &it)) != 0)
		return rc;
	if (it.major != CBOR_MAP)
		return CBOR_ETYPE;
	pairs = it.val;
	for (uint64_t i = 0; i < pairs; i++) {
		unsigned bit = 0;
		int64_t *dst = NULL;

		if ((rc = cbor_next(&c, &it)) != 0)
			return rc;
		if (cbor_int(&it, &label) != 0) {
			/* Text labels are allowed and not ours. */
			if (it.major != CBOR_TEXT)
				return CBOR_ETYPE;
			label = 0;
		}
		switch (label) {
		case 1: bit = KTY; dst = &kty; break;
		case 3: bit = ALG; dst = &alg; break;
		case -1: bit = CRV; dst = &crv; break;
		case -2: bit = X; break;
		case -3: bit = Y; break;
		default: break;
		}
		if (bit == 0) {
			if ((rc = cbor_skip(&c, CBOR_MAX_DEPTH)) != 0)
				return rc;
			continue;
		}
		if (seen & bit)
			return CBOR_EDUPLICATE;
		seen |= bit;
		if (dst != NULL) {
			if ((rc = cbor_next(&c, &it)) != 0)
				return rc;
			if (cbor_int(&it, dst) != 0)
				return CBOR_ETYPE;
		} else if ((rc = coord(&c, bit == X ? k->x : k->y)) != 0) {
			return rc;
		}
	}
	if (kty == COSE_KTY_EC2 && alg == COSE_ALG_ES256 &&
	    crv == COSE_CRV_P256 && seen == (KTY | ALG | CRV | X | Y))
		k->alg = COSE_ALG_ES256;
	else if (kty == COSE_KTY_OKP && alg == COSE_ALG_EDDSA &&
	    crv == COSE_CRV_ED25519 && seen == (KTY | ALG | CRV | X))
		k->alg = COSE_ALG_EDDSA;
	else
		return CBOR_ETYPE;
	*used = (size_t)(c.p - p);
	return 0;
}
