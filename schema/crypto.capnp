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
