"""The cryptography system (system/crypto.capnp): lib/crypto's known-answer
tests inside capOS, the random generator over the kernel's Entropy and
failing closed over one that refuses, and the key vault: each host key's
fingerprint checked against what the host's OpenSSH computes from the
public key the console printed, and a holder of SshHostKey that can sign
and do nothing else."""
import os
import subprocess
import tempfile

from harness import (BUILD, EXIT_CLEAN, boot, case, expect, expect_line,
                     expect_no_line, expect_status, kernel_image)

KAT_FAMILIES = ("sha2", "hmac", "hkdf", "x25519", "ed25519", "p256sign",
                "chacha20poly1305", "p256", "scrypt", "openssh")


def openssh_fingerprint(run, key_line):
    """ssh-keygen -l's SHA-256 fingerprint of an OpenSSH public key line."""
    with tempfile.NamedTemporaryFile("w", suffix=".pub") as f:
        f.write(key_line + " capos\n")
        f.flush()
        out = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f",
                              f.name], capture_output=True, text=True)
    expect(run, out.returncode == 0,
           f"ssh-keygen refused {key_line!r}: {out.stderr.strip()}")
    return out.stdout.split()[1]


@case
def crypto_kats_drbg_and_keyvault_in_capos():
    run = boot(kernel=kernel_image(),
               initrd=os.path.join(BUILD, "crypto.pkg"), timeout=240)
    expect_status(run, EXIT_CLEAN)
    for fam in KAT_FAMILIES:
        expect_line(run, f"[proof] crypto-kat ok {fam}: ")
    expect_no_line(run, "FAILED")
    expect_line(run, "[proof] drbg-entropy ok ")
    expect_line(run, "[proof] drbg-fail-closed ok Entropy refused: init "
                "entropy refused, generate random generator failed earlier")

    # The development key is labelled as such; the generated one is not.
    expect_line(run, "[keyvault] WARNING: ssh-ed25519 host key from the "
                "manifest: a development key, NOT FOR PRODUCTION")
    expect_line(run, "[keyvault] ssh-ed25519 host key generated at boot "
                "from entropy")

    # Each fingerprint on the console is the one OpenSSH computes for the
    # public key printed with it, and the holder verified a signature
    # under each.
    lines = run.lines()
    fps = [l.split()[-1] for l in lines
           if l.startswith("[keyvault] host key ssh-ed25519 ")]
    keys = [" ".join(l.split()[-2:]) for l in lines
            if l.startswith("[keyvault] public key: ")]
    expect(run, len(fps) == 2 and len(keys) == 2,
           f"expected two host keys, saw {fps} {keys}")
    expect(run, fps[0] != fps[1], "generated key equals the development key")
    for fp in fps:
        expect(run, fp.startswith("SHA256:") and "=" not in fp,
               f"not OpenSSH's format: {fp}")
        expect_line(run, "[proof] sshhostkey-sign ok ssh-ed25519 signature "
                    f"of a 32-byte exchange hash verifies under {fp}")
    # The two services print in any interleaving: match keys to prints.
    theirs = sorted(openssh_fingerprint(run, key) for key in keys)
    expect(run, theirs == sorted(fps),
           f"console says {sorted(fps)}, ssh-keygen says {theirs}")
    # RFC 8032 TEST 1's key is the development key of this manifest.
    expect(run, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINdamAGCsQq31Uv+08lk"
           "BzoO4XLz2qYjJa8CGmj3B1Ea" in keys,
           f"RFC 8032 TEST 1's key is not among {keys}")

    confined = "[proof] sshhostkey-confined ok 2 capabilities held; " \
        "65-byte and empty hashes refused"
    expect(run, sum(1 for l in lines if l.startswith(confined)) == 2,
           "both holders must prove confinement")
    expect_line(run, "[keyvault] no clients left; key wiped")
    for name in ("keyvault", "keyvault-gen", "refuser", "cryptotest",
                 "holder", "holder-gen"):
        expect_line(run, f"[init] {name} exited with status 0")
    expect_no_line(run, "panic")
