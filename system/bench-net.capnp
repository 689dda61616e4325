# The bench system of make bench's TCP pass (docs/benchmarks.md, "The TCP
# rows with two CPUs"): the network services of system/bench.capnp and
# netbench serving the host's TCP rows on guest port 5001. The bench
# program, with the argument "net", has no rows of its own: it only says
# "[bench] end" through netbench's gate, which holds it back until the
# host has run the TCP rows.
@0xd4b2e6f8a1c30579;

using Capos = import "../schema/capos.capnp";
using N = import "../schema/net.capnp";
using X = import "../schema/text.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    ( name = "virtio-net",
      binary = "virtio-net",
      grants = [
        (name = "console", source = (kernel = console)),
        (name = "bar4", source = (device = (vendor = 0x1af4, device = 0,
                                            resource = (mmio = 4)))),
        (name = "irq", source = (device = (vendor = 0x1af4, device = 0,
                                           resource = (interrupt = void)))),
        # services/virtio-net/driver.h: POOL_PAGES and FRAMES_PAGES.
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
                  (name = "bench5001",
                   interfaceId = N.tcpListenAuthorityInterface) ],
      args = ["ip=10.0.2.15/24", "gw=10.0.2.2", "listen=bench5001:5001"] ),
    ( name = "netbench",
      binary = "netbench",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "listen", source = (serviceExport =
                    (service = "netstack", export = "bench5001"))) ],
      exports = [ (name = "gate", interfaceId = X.textSinkInterface) ] ),
    ( name = "bench",
      binary = "bench",
      grants = [ (name = "console", source = (serviceExport =
                    (service = "netbench", export = "gate"))) ],
      args = ["net"] )
  ],
  kernelParams = (logLevel = debug)
);
