# The networked system: a program on the host reaches services inside
# capOS through QEMU's user network (make run-net, tests/qemu/
# test_net_host.py, docs/network.md). virtio-net drives the NIC from device
# capabilities alone; the netstack configures itself by DHCPv4 over the
# driver's Nic and serves two listening ports; echo (port 7) and closer
# (port 9, says "bye" and closes first) each hold one TcpListenAuthority
# and the console, nothing else. The lifetimes are the netstack's and
# echo's defaults (docs/network.md, "Lifetimes"); system/net-host.capnp
# is this system with short ones and the counters on a port, for the host
# test.
@0xe4a7c9d1b3f50268;

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
      args = ["listen=echo7:7", "listen=closer9:9"] ),
    # No count=: echo serves until the machine is stopped.
    ( name = "echo",
      binary = "echo",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "listen", source = (serviceExport =
                    (service = "netstack", export = "echo7"))) ],
      args = ["check"] ),
    ( name = "closer",
      binary = "nettest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "listen", source = (serviceExport =
                    (service = "netstack", export = "closer9"))) ],
      args = ["closer"] )
  ],
  kernelParams = (logLevel = info)
);
