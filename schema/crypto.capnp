# Capabilities over keys that never leave the key vault (services/keyvault,
# docs/crypto.md). A holder can use a key for the one purpose its interface
# names and can never read it.
@0xa3f1c7e95b20d846;

using C = import "c.capnp";
$C.namespace("capos");

const sshHostKeyInterface :UInt64 = 0xd1a6e2b8f04c9375;

const entropySourceInterface :UInt64 = 0xd1a6e2b8f04c9376;

# Entropy served by a process instead of the kernel: the same fill as the
# kernel's Entropy (whose interface id no process may serve). lib/crypto's
# random generator takes either (crypto_rt.h).
interface EntropySource @0xd1a6e2b8f04c9376 {
  fill @0 (len :UInt32) -> (bytes :Data);
}

# An SSH host key, ssh-ed25519 only (RFC 8709).
interface SshHostKey @0xd1a6e2b8f04c9375 {
  # The longest exchange hash accepted: SHA-512's output. SSH key
  # exchanges hash with SHA-256 or SHA-512.
  const maxHash :UInt32 = 64;

  # The public key as SSH's wire blob: string "ssh-ed25519", string key.
  publicKey @0 () -> (blob :Data);
  # Signs an exchange hash H (1..maxHash bytes); the answer is SSH's
  # signature blob: string "ssh-ed25519", string signature. Longer or
  # empty input is refused with a `failed` exception.
  signExchangeHash @1 (hash :Data) -> (signature :Data);
}

const tlsServerKeyInterface :UInt64 = 0xd1a6e2b8f04c9377;

# A TLS 1.3 server's private key and its certificate, for one signature
# scheme: ecdsa_secp256r1_sha256 (RFC 8446 4.2.3).
interface TlsServerKey @0xd1a6e2b8f04c9377 {
  # The one SignatureScheme sign accepts.
  const ecdsaSecp256r1Sha256 :UInt16 = 0x0403;
  # The longest content accepted: RFC 8446 4.4.3's 64 spaces, the
  # 33-byte server context string, a zero byte, and a SHA-384 transcript
  # hash (SHA-256's is 32 bytes).
  const maxContent :UInt32 = 146;

  # The server's certificate, DER (X.509), the one whose public key
  # verifies sign's signatures.
  certificate @0 () -> (der :Data);
  # The CertificateVerify signature (RFC 8446 4.4.3) of content, which
  # must be exactly the server's signed content: 64 bytes of 0x20,
  # "TLS 1.3, server CertificateVerify", 0x00, and a 32- or 48-byte
  # transcript hash. The key vault hashes it with SHA-256 and answers an
  # ECDSA signature in DER, as CertificateVerify carries it. Any other
  # scheme or content, a client's context string included, is refused
  # with a `failed` exception, so the key signs nothing but server
  # handshakes.
  sign @1 (scheme :UInt16, content :Data) -> (signature :Data);
}
