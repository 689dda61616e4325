# The HTTPS test system (tests/qemu/test_tls.py, docs/tls.md): the
# networked system's driver and netstack, a key vault holding the
# development TLS server key, and tlstest serving one fixed page over TLS
# 1.3 on guest port 443 with the key vault signing each handshake; a
# second tlstest on port 444 has each connection's heap bounded at 12 KiB,
# enough for a handshake but not for a full 16 KiB record.
@0xb3e8d5a1c7f42096;

using Capos = import "../schema/capos.capnp";
using K = import "../schema/crypto.capnp";
using N = import "../schema/net.capnp";
# Made at build time by services/keyvault/mkdevtls.sh (mk/crypto.mk, which
# puts its folder on the import path).
using Dev = import "/devtls.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    # As in system/net.capnp.
    ( name = "virtio-net",
      binary = "virtio-net",
      grants = [
        (name = "console", source = (kernel = console)),
        (name = "bar4", source = (device = (vendor = 0x1af4, device = 0,
                                            resource = (mmio = 4)))),
        (name = "irq", source = (device = (vendor = 0x1af4, device = 0,
                                           resource = (interrupt = void)))),
        (name = "pool", source = (device = (vendor = 0x1af4, device = 0,
                                            resource = (dmaPool = 7)))),
        (name = "frames", source = (device = (vendor = 0x1af4, device = 0,
                                            resource = (dmaPool = 192)))) ],
      exports = [ (name = "nic", interfaceId = N.nicInterface) ] ),
    ( name = "netstack",
      binary = "netstack",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "timer", source = (kernel = timer)),
                 (name = "entropy", source = (kernel = entropy)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "nic", source = (serviceExport =
                    (service = "virtio-net", export = "nic"))) ],
      exports = [ (name = "net", interfaceId = N.networkManagerInterface),
                  (name = "https443",
                   interfaceId = N.tcpListenAuthorityInterface),
                  (name = "https444",
                   interfaceId = N.tcpListenAuthorityInterface) ],
      args = ["listen=https443:443", "listen=https444:444"] ),
    # The TLS server key and certificate are development ones, NOT FOR
    # PRODUCTION: made at build time and readable in the package.
    ( name = "keyvault-tls",
      binary = "keyvault",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "entropy", source = (kernel = entropy)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)) ],
      exports = [ (name = "tlsServerKey",
                   interfaceId = K.tlsServerKeyInterface) ],
      args = [ Dev.tlsKeyArg, Dev.tlsCertArg ] ),
    # Holds no key: the vault signs for it.
    ( name = "tlstest",
      binary = "tlstest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "timer", source = (kernel = timer)),
                 (name = "entropy", source = (kernel = entropy)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "listen", source = (serviceExport =
                    (service = "netstack", export = "https443"))),
                 (name = "tlsServerKey", source = (serviceExport =
                    (service = "keyvault-tls", export = "tlsServerKey"))) ],
      args = [] ),
    ( name = "tlstest-small",
      binary = "tlstest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "timer", source = (kernel = timer)),
                 (name = "entropy", source = (kernel = entropy)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "listen", source = (serviceExport =
                    (service = "netstack", export = "https444"))),
                 (name = "tlsServerKey", source = (serviceExport =
                    (service = "keyvault-tls", export = "tlsServerKey"))) ],
      args = ["connmem=12288"] )
  ],
  kernelParams = (logLevel = debug)
);
