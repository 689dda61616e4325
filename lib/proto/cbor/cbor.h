/*
 * CBOR (RFC 8949) decoding, the subset WebAuthn needs, and COSE keys
 * (RFC 9052 7, RFC 9053) for ES256 and EdDSA. Pure: a decoder reads a
 * caller's buffer and never copies or allocates (docs/web.md).
 */
#ifndef CAPOS_PROTO_CBOR_H
#define CAPOS_PROTO_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Nesting of arrays and maps a decoder follows [CBOR_EDEPTH]. */
#define CBOR_MAX_DEPTH		8

#define CBOR_EEND	(-1)	/* an item runs past the input */
#define CBOR_EMALFORMED	(-2)	/* not well-formed CBOR */
#define CBOR_EUNSUPPORTED (-3)	/* indefinite length, tag, reserved */
#define CBOR_EDEPTH	(-4)	/* nested deeper than CBOR_MAX_DEPTH */
#define CBOR_ETYPE	(-5)	/* well-formed, but not what was asked */
#define CBOR_EDUPLICATE	(-6)	/* a map key twice */

enum cbor_major {
	CBOR_UINT = 0, CBOR_NINT = 1, CBOR_BYTES = 2, CBOR_TEXT = 3,
	CBOR_ARRAY = 4, CBOR_MAP = 5, CBOR_TAG = 6, CBOR_SIMPLE = 7,
};

/*
 * One item's head. For BYTES and TEXT, ptr and val (the length) give the
 * content, already checked to lie inside the input (and TEXT to be
 * UTF-8); for ARRAY and MAP val is the count of items or pairs that
 * follow, checked against the bytes left (each takes at least one); for
 * UINT val is the value, for NINT the value is -1 - val; for SIMPLE val
 * is the simple value (20 false, 21 true, 22 null, 23 undefined) or a
 * float's raw bits.
 */
struct cbor_item {
	enum cbor_major major;
	uint64_t val;
	const uint8_t *ptr;
};

struct cbor {
	const uint8_t *p, *end;
};

void cbor_init(struct cbor *c, const uint8_t *p, size_t n);
/* The next item's head (strings with their content), or a CBOR_E*. */
int cbor_next(struct cbor *c, struct cbor_item *it);
/* Skips one whole item, nested items included, at most depth levels
 * deep. 0 or a CBOR_E*. */
int cbor_skip(struct cbor *c, unsigned depth);
/* Bytes not yet read. */
size_t cbor_left(const struct cbor *c);
/* An integer item's value as int64_t; CBOR_ETYPE when it is not an
 * integer or does not fit. */
int cbor_int(const struct cbor_item *it, int64_t *v);
/* Whether an item is the text string s. */
bool cbor_is_text(const struct cbor_item *it, const char *s);

/* Whether n bytes are well-formed UTF-8 (RFC 3629: no overlongs,
 * surrogates or code points past U+10FFFF), as CBOR text must be. */
bool cbor_utf8_valid(const uint8_t *s, size_t n);

/* COSE (RFC 9053): the key types and algorithms WebAuthn credentials
 * here may use. */
#define COSE_KTY_OKP	1
#define COSE_KTY_EC2	2
#define COSE_ALG_ES256	(-7)
#define COSE_ALG_EDDSA	(-8)
#define COSE_CRV_P256	1
#define COSE_CRV_ED25519 6

struct cose_key {
	int alg;		/* COSE_ALG_ES256 or COSE_ALG_EDDSA */
	uint8_t x[32];		/* P-256 x, or the Ed25519 public key */
	uint8_t y[32];		/* P-256 y */
};

/*
 * A COSE_Key map at the start of p (n bytes): EC2 with alg -7, crv 1 and
 * 32-byte x and y, or OKP with alg -8, crv 6 and a 32-byte x. Other labels
 * are skipped; a repeated label is refused. *used is the map's length
 * (what follows it is the caller's). 0, CBOR_E*, or CBOR_ETYPE for any
 * other key type, algorithm, curve or coordinate length.
 */
int cose_key_parse(const uint8_t *p, size_t n, struct cose_key *k,
    size_t *used);

#endif
