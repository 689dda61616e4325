# The NIC test system: virtio-net drives the virtio-net device through its
# BAR 4, interrupt and a DMA pool minted by init from these grants, and
# serves Nic on its export; nictest holds only a Nic client, the console
# and the timer, and talks ARP with QEMU's user network through it;
# "intruder" holds the Nic too and must be refused the frame area.
@0xc3b2a1908f7e6d5c;

using Capos = import "../schema/capos.capnp";
using Net = import "../schema/net.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    ( name = "virtio-net",
      binary = "virtio-net",
      grants = [
        (name = "console", source = (kernel = console)),
        (name = "bar4", source = (device = (vendor = 0x1af4, device = 0x1041,
                                            resource = (mmio = 4)))),
        (name = "irq", source = (device = (vendor = 0x1af4, device = 0x1041,
                                           resource = (interrupt = void)))),
        # services/virtio-net/driver.h: POOL_PAGES and FRAMES_PAGES.
        (name = "pool", source = (device = (vendor = 0x1af4, device = 0x1041,
                                            resource = (dmaPool = 7)))),
        (name = "frames", source = (device = (vendor = 0x1af4, device = 0x1041,
                                            resource = (dmaPool = 192)))) ],
      exports = [ (name = "nic", interfaceId = Net.nicInterface) ] ),
    ( name = "nictest",
      binary = "nictest",
      grants = [
        (name = "console", source = (kernel = console)),
        (name = "timer", source = (kernel = timer)),
        (name = "nic",
         source = (serviceExport = (service = "virtio-net", export = "nic"))) ] ),
    # A second holder of the Nic: it gets info, but the frame area is
    # nictest's, and every call on it is refused.
    ( name = "intruder",
      binary = "nictest",
      grants = [
        (name = "console", source = (kernel = console)),
        (name = "timer", source = (kernel = timer)),
        (name = "nic",
         source = (serviceExport = (service = "virtio-net", export = "nic"))) ],
      args = ["intruder"] )
  ],
  kernelParams = (logLevel = debug)
);
