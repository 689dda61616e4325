# The networked system of tests/qemu/test_net_host.py: system/net.capnp
# with lifetimes short enough for a test to watch them end connections
# (docs/network.md, "Lifetimes": keep-alive after 2 s idle, every 1 s, 3
# probes; the zero-window give-up after 6 s; echo's idle timeout 8 s), and
# the netstack's counters answered on guest port 15 (statport=). The
# services, grants and the other ports are net.capnp's.
@0xe4a7c9d1b3f50269;

using Capos = import "../schema/capos.capnp";
using N = import "../schema/net.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    # device = 0 matches any virtio device of the vendor: the modern-only
    # virtio-net (0x1041, disable-legacy=on) and the transitional one
    # (0x1000, QEMU's default) both carry the virtio 1.0 structures in
    # BAR 4, which is all the driver uses. The machine has one.
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
                  (name = "echo7",
                   interfaceId = N.tcpListenAuthorityInterface),
                  (name = "closer9",
                   interfaceId = N.tcpListenAuthorityInterface) ],
      args = ["listen=echo7:7", "listen=closer9:9", "statport=15",
              "keepalive=2,1,3", "zerowindow=6"] ),
    # No count=: echo serves until the machine is stopped.
    ( name = "echo",
      binary = "echo",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "listen", source = (serviceExport =
                    (service = "netstack", export = "echo7"))) ],
      args = ["check", "idle=8"] ),
    ( name = "closer",
      binary = "nettest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "listen", source = (serviceExport =
                    (service = "netstack", export = "closer9"))) ],
      args = ["closer"] )
  ],
  kernelParams = (logLevel = debug)
);
