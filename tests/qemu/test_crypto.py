"""The cryptography system (system/crypto.capnp): lib/crypto's known-answer
tests inside capOS, the random generator over the kernel's Entropy and
failing closed over one that refuses, and the key vault: each host key's
fingerprint checked against what the host's OpenSSH computes from the
public key the console printed, and a holder of SshHostKey that can sign
and do nothing else; the same for the development TLS server key: the
certificate's fingerprint on the console is openssl's for the certificate
the build made, and the holder's CertificateVerify signature verifies under
that certificate's public key with the host's openssl."""
import hashlib
import os
import subprocess
import tempfile

from harness import (BUILD, EXIT_CLEAN, boot, case, expect, expect_line,
                     expect_no_line, expect_status, kernel_image)

KAT_FAMILIES = ("sha2", "hmac", "hkdf", "x25519", "ed25519",
                "chacha20poly1305", "p256", "p256cavp", "p256sign", "scrypt",
                "openssh")
DEVTLS = os.path.join(BUILD, "devtls")


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


def openssl(run, *args, data=None):
    out = subprocess.run(["openssl", *args], input=data, capture_output=True)
    expect(run, out.returncode == 0,
           f"openssl {' '.join(args)}: {out.stderr.decode().strip()}")
    return out.stdout.decode()


def check_tls_key(run, lines):
    """The TLS key vault's fingerprint is the build's certificate's, and
    the holder's signature verifies under that certificate with openssl."""
    cert = os.path.join(DEVTLS, "cert.der")
    fp = openssl(run, "x509", "-inform", "DER", "-in", cert, "-noout",
                 "-fingerprint", "-sha256").strip()
    expect_line(run, "[keyvault] WARNING: TLS server key and certificate "
                "from the manifest: a development key, NOT FOR PRODUCTION")
    expect_line(run, f"[keyvault] tls certificate {fp}")
    subject = openssl(run, "x509", "-inform", "DER", "-in", cert, "-noout",
                      "-subject")
    expect(run, "CN = localhost" in subject and "NOT FOR PRODUCTION"
           in subject, f"certificate subject: {subject.strip()}")
    expect_line(run, "[proof] tlsserverkey-sign ok ecdsa_secp256r1_sha256 "
                "CertificateVerify signature verifies under the "
                "certificate's public key")
    got = {}
    for l in lines:
        for what in ("certificate sha256", "content", "signature"):
            if l.startswith(f"[tlsholder] {what} "):
                got[what] = bytes.fromhex(l.split()[-1])
    expect(run, len(got) == 3, f"tlsholder printed only {sorted(got)}")
    with open(cert, "rb") as f:
        der = f.read()
    expect(run, got["certificate sha256"] == hashlib.sha256(der).digest(),
           "the holder got another certificate than the build made")
    content = got["content"]
    expect(run, content[:64] == b" " * 64 and content[64:98] ==
           b"TLS 1.3, server CertificateVerify\0",
           f"not a server CertificateVerify content: {content.hex()}")
    with tempfile.TemporaryDirectory() as d:
        pub, sig = os.path.join(d, "pub.pem"), os.path.join(d, "sig.der")
        with open(pub, "w") as f:
            f.write(openssl(run, "x509", "-inform", "DER", "-in", cert,
                            "-noout", "-pubkey"))
        with open(sig, "wb") as f:
            f.write(got["signature"])
        ok = openssl(run, "dgst", "-sha256", "-verify", pub, "-signature",
                     sig, data=content)
        expect(run, ok.strip() == "Verified OK", f"openssl says {ok!r}")
        # The same signature over other content must not verify.
        bad = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub,
                              "-signature", sig], input=content[:-1] + b"x",
                             capture_output=True)
        expect(run, bad.returncode != 0, "openssl verified changed content")
    expect_line(run, "[proof] tlsserverkey-confined ok 2 capabilities "
                "held; scheme 0x0807, 147-byte, client-context and empty "
                "content refused, method 2 refused, another interface "
                "refused")
    expect_line(run, "[keyvault] no clients left; TLS key wiped")
    # A certificate that does not carry the key stops the vault.
    expect_line(run, "[keyvault] the certificate does not carry the TLS "
                "key's public key")
    expect_line(run, "[init] keyvault-mismatch exited with status 1")


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
    check_tls_key(run, lines)
    for name in ("keyvault", "keyvault-gen", "keyvault-tls", "refuser",
                 "cryptotest", "holder", "holder-gen", "tlsholder"):
        expect_line(run, f"[init] {name} exited with status 0")
    expect_no_line(run, "panic")
