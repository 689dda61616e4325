# The bench system: the capOS side of make bench. An IPC server and the
# bench program, which measures ring, kernel-object and IPC costs; the
# network services for the TCP rows.
@0xa2f4e6c8b0d13579;

using Capos = import "../schema/capos.capnp";
using T = import "../schema/ipctest.capnp";
using N = import "../schema/net.capnp";
using X = import "../schema/text.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    # The TCP rows: the virtio-net driver (any virtio device id: make bench
    # runs the transitional virtio-net-pci), the netstack with the address
    # the Linux guest uses, and netbench on guest port 5001. bench prints
    # through netbench's gate, which holds "[bench] end" back until the
    # host has run the TCP rows (bench/programs/netbench/main.c).
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
      # A TextSink (schema/text.capnp): the bench program's console.
      exports = [ (name = "gate", interfaceId = X.textSinkInterface) ] ),
    ( name = "bench-srv",
      binary = "ipctest-srv",
      grants = [ (name = "console", source = (kernel = console)) ],
      exports = [ (name = "ipctest", interfaceId = T.ipcTestInterface) ] ),
    ( name = "bench",
      binary = "bench",
      grants = [ (name = "console", source = (serviceExport =
                    (service = "netbench", export = "gate"))),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "threadSpawner", source = (kernel = threadSpawner)),
                 (name = "threadControl", source = (kernel = threadControl)),
                 (name = "parkSpace", source = (kernel = parkSpace)),
                 (name = "timer", source = (kernel = timer)),
                 (name = "ipc", source = (serviceExport =
                    (service = "bench-srv", export = "ipctest"))) ] )
  ],
  kernelParams = (logLevel = debug)
);
