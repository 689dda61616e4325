# The cryptography test system (tests/qemu/test_crypto.py): lib/crypto's
# known-answer tests inside capOS, the random generator over the kernel's
# Entropy and over one that refuses, and the key vault with a holder of
# its SshHostKey that can sign and do nothing else; the same for a TLS
# server key and its TlsServerKey.
@0xc6e1b4a9d2f73058;

using Capos = import "../schema/capos.capnp";
using K = import "../schema/crypto.capnp";
# Made at build time by services/keyvault/mkdevtls.sh (mk/crypto.mk, which
# puts its folder on the import path).
using Dev = import "/devtls.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    # The host key here is a development key, NOT FOR PRODUCTION: its
    # seed is in this file for anyone to read.
    ( name = "keyvault",
      binary = "keyvault",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "entropy", source = (kernel = entropy)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)) ],
      exports = [ (name = "sshHostKey", interfaceId = K.sshHostKeyInterface) ],
      args = ["ssh-ed25519=dev:9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"] ),
    ( name = "keyvault-gen",
      binary = "keyvault",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "entropy", source = (kernel = entropy)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)) ],
      exports = [ (name = "sshHostKey", interfaceId = K.sshHostKeyInterface) ],
      args = ["ssh-ed25519=generate"] ),
    # The TLS server key and certificate are development ones too, NOT
    # FOR PRODUCTION: made at build time and readable in the package.
    ( name = "keyvault-tls",
      binary = "keyvault",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "entropy", source = (kernel = entropy)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)) ],
      exports = [ (name = "tlsServerKey",
                   interfaceId = K.tlsServerKeyInterface) ],
      args = [ Dev.tlsKeyArg, Dev.tlsCertArg ] ),
    # Bad input: the development certificate with another key (RFC 6979
    # A.2.5's). The vault must refuse to start.
    ( name = "keyvault-mismatch",
      binary = "keyvault",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "entropy", source = (kernel = entropy)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)) ],
      exports = [ (name = "tlsServerKey",
                   interfaceId = K.tlsServerKeyInterface) ],
      args = [ "tls-p256=dev:c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721",
               Dev.tlsCertArg ] ),
    ( name = "refuser",
      binary = "cryptotest",
      grants = [ (name = "console", source = (kernel = console)) ],
      exports = [ (name = "entropy",
                   interfaceId = K.entropySourceInterface) ],
      args = ["refuse"] ),
    ( name = "cryptotest",
      binary = "cryptotest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "entropy", source = (kernel = entropy)),
                 (name = "badEntropy", source = (serviceExport =
                    (service = "refuser", export = "entropy"))) ],
      args = ["kat"] ),
    ( name = "holder",
      binary = "cryptotest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "hostKey", source = (serviceExport =
                    (service = "keyvault", export = "sshHostKey"))) ],
      args = ["holder"] ),
    ( name = "holder-gen",
      binary = "cryptotest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "hostKey", source = (serviceExport =
                    (service = "keyvault-gen", export = "sshHostKey"))) ],
      args = ["holder"] ),
    ( name = "tlsholder",
      binary = "cryptotest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "tlsKey", source = (serviceExport =
                    (service = "keyvault-tls", export = "tlsServerKey"))) ],
      args = ["tlsholder"] )
  ],
  kernelParams = (logLevel = debug)
);
