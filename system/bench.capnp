# The bench system: the capOS side of make bench. An IPC server and the
# bench program, which measures ring, kernel-object and IPC costs; the
# network services for the TCP rows; auth and a capos-shell whose
# terminal the bench program plays for the shell rows.
#
# admin's password is the development one, "capos-dev", NOT FOR
# PRODUCTION (scrypt N = 4096, r = 8, p = 1, as the default system's).
@0xa2f4e6c8b0d13579;

using Capos = import "../schema/capos.capnp";
using T = import "../schema/ipctest.capnp";
using N = import "../schema/net.capnp";
using X = import "../schema/text.capnp";
using A = import "../schema/auth.capnp";
using Term = import "../schema/terminal.capnp";

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
    ( name = "auth",
      binary = "auth",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "entropy", source = (kernel = entropy)),
                 (name = "timer", source = (kernel = timer)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "clock", source = (kernel = timer)) ],
      exports = [ (name = "sessionManager",
                   interfaceId = A.sessionManagerInterface) ],
      args = [
        "account=admin:1000:active:operator:scrypt$4096$8$1$6df6d28ee9bdd0bcae59379ea8ef2024$725e064a75a8401e8153df1c2d76c2521c427b6eb972d6701feeadab29893df4",
        "profile=operator:session+audit+clock",
        "profile=anonymous:session" ] ),
    # The shell rows (bench/programs/bench/shellwork.c): its terminal is
    # the bench program's export.
    ( name = "shell",
      binary = "capos-shell",
      grants = [ (name = "terminal", source = (serviceExport =
                    (service = "bench", export = "terminal"))),
                 (name = "sessionManager", source = (serviceExport =
                    (service = "auth", export = "sessionManager"))) ],
      args = [ "profile=operator" ] ),
    ( name = "bench",
      binary = "bench",
      exports = [ (name = "terminal",
                   interfaceId = Term.terminalSessionInterface) ],
      grants = [ (name = "console", source = (serviceExport =
                    (service = "netbench", export = "gate"))),
                 (name = "sessionManager", source = (serviceExport =
                    (service = "auth", export = "sessionManager"))),
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
