#!/usr/bin/env node
// Writes tests/webauthn/vectors.h: WebAuthn registration and
// authentication messages as a browser's authenticator would produce
// them, for ES256 (P-256) and EdDSA (Ed25519) credentials, signed with
// Node's built-in crypto module. Keys come from fixed seeds, so the
// public keys, client data and authenticator data are the same on every
// run; Ed25519 signatures are deterministic too, while ECDSA signatures
// use a random nonce and differ from run to run (any of them verifies).
//
//	node tests/webauthn/gen.js > tests/webauthn/vectors.h
//
// With --fuzz-seeds DIR it also writes to DIR the cbor_webauthn fuzz
// target's seeds for its authentication path (tests/fuzz/cbor_webauthn.c):
// assertions of both kinds over the target's fixed clientDataJSON.
'use strict';
const crypto = require('crypto');

const RP_ID = 'localhost';
const ORIGIN = 'https://localhost:8443';
const sha256 = (b) => crypto.createHash('sha256').update(b).digest();
const b64url = (b) => Buffer.from(b).toString('base64url');
const seq = (n, first) => Buffer.from([...Array(n).keys()].map((i) => (first + i) & 0xff));

// A CBOR encoder for the shapes used here: unsigned and negative
// integers, byte and text strings, maps (RFC 8949 3.1).
function head(major, v) {
  if (v < 24) return Buffer.from([major << 5 | v]);
  if (v < 0x100) return Buffer.from([major << 5 | 24, v]);
  if (v < 0x10000) return Buffer.from([major << 5 | 25, v >> 8, v & 0xff]);
  throw new Error('length too large for this encoder');
}
function cbor(x) {
  if (typeof x === 'number') return x >= 0 ? head(0, x) : head(1, -1 - x);
  if (typeof x === 'string') return Buffer.concat([head(3, Buffer.byteLength(x)), Buffer.from(x)]);
  if (Buffer.isBuffer(x)) return Buffer.concat([head(2, x.length), x]);
  if (x instanceof Map) {
    const parts = [head(5, x.size)];
    for (const [k, v] of x) parts.push(cbor(k), cbor(v));
    return Buffer.concat(parts);
  }
  throw new Error('unsupported CBOR value');
}

function es256Key() {
  const d = sha256('capOS WebAuthn test key ES256');
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const pub = ecdh.getPublicKey();
  const x = pub.subarray(1, 33), y = pub.subarray(33, 65);
  const key = crypto.createPrivateKey({
    key: { kty: 'EC', crv: 'P-256', d: b64url(d), x: b64url(x), y: b64url(y) },
    format: 'jwk',
  });
  return {
    cose: cbor(new Map([[1, 2], [3, -7], [-1, 1], [-2, x], [-3, y]])),
    sign: (m) => crypto.sign('sha256', m, { key, dsaEncoding: 'der' }),
  };
}

function eddsaKey() {
  const seed = sha256('capOS WebAuthn test key EdDSA');
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const key = crypto.createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  const spki = crypto.createPublicKey(key).export({ format: 'der', type: 'spki' });
  const x = spki.subarray(spki.length - 32);
  return {
    cose: cbor(new Map([[1, 1], [3, -8], [-1, 6], [-2, x]])),
    sign: (m) => crypto.sign(null, m, key),
  };
}

function clientData(type, challenge, origin, extra) {
  return Buffer.from(JSON.stringify(Object.assign({
    type, challenge: b64url(challenge), origin, crossOrigin: false,
  }, extra || {})));
}

function authData(rpId, flags, count, attested) {
  const c = Buffer.alloc(4);
  c.writeUInt32BE(count);
  return Buffer.concat([sha256(rpId), Buffer.from([flags]), c, attested || Buffer.alloc(0)]);
}

const REG_CHALLENGE = seq(32, 0x00);
const AUTH_CHALLENGE = seq(32, 0x20);
const out = [];

function emit(name, buf) {
  const hex = [...buf].map((b) => '0x' + b.toString(16).padStart(2, '0'));
  const lines = [];
  for (let i = 0; i < hex.length; i += 12) lines.push('\t' + hex.slice(i, i + 12).join(', ') + ',');
  out.push(`static const uint8_t ${name}[${buf.length}] = {\n${lines.join('\n')}\n};`);
}

const fuzzDir = process.argv[2] === '--fuzz-seeds' ? process.argv[3] : null;

emit('wa_reg_challenge', REG_CHALLENGE);
emit('wa_auth_challenge', AUTH_CHALLENGE);

for (const [alg, k, credId] of [['es256', es256Key(), seq(32, 0x40)],
                                  ['eddsa', eddsaKey(), seq(16, 0x80)]]) {
  const idLen = Buffer.from([credId.length >> 8, credId.length & 0xff]);
  const attested = Buffer.concat([Buffer.alloc(16), idLen, credId, k.cose]);
  // Registration: UP | UV | AT, count 0, "none" attestation.
  emit(`wa_${alg}_reg_client_data`, clientData('webauthn.create', REG_CHALLENGE, ORIGIN));
  emit(`wa_${alg}_att_obj`, cbor(new Map([['fmt', 'none'], ['attStmt', new Map()],
    ['authData', authData(RP_ID, 0x45, 0, attested)]])));
  emit(`wa_${alg}_cred_id`, credId);
  // Authentication: UP | UV, count 7; clientData with a member the
  // relying party does not read, as browsers sometimes add.
  const assertion = (name, cd, ad) => {
    emit(`wa_${alg}_${name}_client_data`, cd);
    emit(`wa_${alg}_${name}_auth_data`, ad);
    emit(`wa_${alg}_${name}_sig`, k.sign(Buffer.concat([ad, sha256(cd)])));
  };
  if (fuzzDir) {
    // The fuzz target's clientDataJSON: 32 zero bytes of challenge.
    const cd = Buffer.from('{"type":"webauthn.get","challenge":"' + b64url(Buffer.alloc(32)) +
      '","origin":"https://localhost:8443"}');
    const ad = authData(RP_ID, 0x05, 1);
    const sig = k.sign(Buffer.concat([ad, sha256(cd)]));
    const cose = k.cose;
    // x and y are the last 2 x 35 bytes of the EC2 key, x the last 32 of
    // the OKP key.
    const xy = alg === 'es256'
      ? Buffer.concat([cose.subarray(cose.length - 67, cose.length - 35), cose.subarray(cose.length - 32)])
      : Buffer.concat([cose.subarray(cose.length - 32), Buffer.alloc(32)]);
    require('fs').writeFileSync(`${fuzzDir}/assertion-${alg}`, Buffer.concat([
      Buffer.from([6, alg === 'es256' ? 1 : 0]), xy, Buffer.from([sig.length]), sig, ad]));
  }
  assertion('auth', clientData('webauthn.get', AUTH_CHALLENGE, ORIGIN,
    { other_keys_can_be_added_here: 'do not compare clientDataJSON against a template' }),
    authData(RP_ID, 0x05, 7));
  // Correctly signed, each wrong in one way the relying party must see.
  assertion('evil_origin', clientData('webauthn.get', AUTH_CHALLENGE, 'https://evil.example'),
    authData(RP_ID, 0x05, 8));
  assertion('evil_rpid', clientData('webauthn.get', AUTH_CHALLENGE, ORIGIN),
    authData('evil.example', 0x05, 8));
  assertion('no_uv', clientData('webauthn.get', AUTH_CHALLENGE, ORIGIN),
    authData(RP_ID, 0x01, 8));
}

process.stdout.write(`/*
 * WebAuthn test vectors, written by tests/webauthn/gen.js (Node's crypto
 * module) for RP ID "${RP_ID}" and origin "${ORIGIN}". Regenerate with
 *	node tests/webauthn/gen.js > tests/webauthn/vectors.h
 */
#ifndef CAPOS_TEST_WEBAUTHN_VECTORS_H
#define CAPOS_TEST_WEBAUTHN_VECTORS_H

#include <stdint.h>

#define WA_RP_ID "${RP_ID}"
#define WA_ORIGIN "${ORIGIN}"

${out.join('\n\n')}

#endif
`);
