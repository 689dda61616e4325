# The Telnet demo (make run-telnet, docs/telnet.md): virtio-net and lwIP
# as in system/net.capnp, the identity services and shell launcher as in
# system/shells.capnp, and telnet-gateway on guest port 23, which QEMU
# forwards from the host's 127.0.0.1:2323 only. Telnet is plaintext: this
# system is a development demo and never the default. Development
# accounts as in system/default.capnp, NOT FOR PRODUCTION.
@0xb7d2e4f6a8c01357;

using Capos = import "../schema/capos.capnp";
using Auth = import "../schema/auth.capnp";
using N = import "../schema/net.capnp";
using Shell = import "../schema/shell.capnp";
using Terminal = import "../schema/terminal.capnp";

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
      # The NetworkManager ("net") is granted to nobody: port 23's listen
      # authority is all of the network anyone here holds.
      exports = [ (name = "net", interfaceId = N.networkManagerInterface),
                  (name = "telnet23",
                   interfaceId = N.tcpListenAuthorityInterface) ],
      args = ["listen=telnet23:23"] ),
    ( name = "launcher",
      binary = "launcher",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "processSpawner", source = (kernel = processSpawner)),
                 (name = "endpointFactory",
                  source = (kernel = endpointFactory)) ],
      exports = [ (name = "programs",
                   interfaceId = Shell.programLauncherInterface) ],
      args = ["program=hello", "program=count"] ),
    ( name = "auth",
      binary = "auth",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "entropy", source = (kernel = entropy)),
                 (name = "timer", source = (kernel = timer)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "launcher",
                  source = (serviceExport = (service = "launcher",
                                             export = "programs"))) ],
      exports = [ (name = "sessionManager",
                   interfaceId = Auth.sessionManagerInterface) ],
      args = [
        "account=admin:1000:active:operator+guest:scrypt$4096$8$1$f67e27c2745c9a4d4504de6f8752e23c$49075d9e73f916718e6089cd7fbf660eb0340d30af7818f4025c6ced0ad90d87",
        "account=guest:1001:active:guest:scrypt$4096$8$1$d145b0c2fdb8ab5c49f1d9e541c7b803$6e2854f9652cccd1385d5412addf720c27fe4648646144604a7ad332807150ea",
        "profile=operator:session+audit+launcher",
        "profile=guest:session+launcher",
        "profile=anonymous:session" ] ),
    ( name = "shell-launcher",
      binary = "shell-launcher",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "processSpawner", source = (kernel = processSpawner)) ],
      exports = [ (name = "shells",
                   interfaceId = Shell.shellLauncherInterface) ],
      # Each shell's 4 MiB and process slot come out of these
      # (docs/abi.md): 16 shells at once.
      kernelMemory = 67108864,
      processes = 17 ),
    # The gateway: port 23's listen authority, the shell launcher and the
    # session manager, nothing else of the system (docs/telnet.md).
    ( name = "telnet-gateway",
      binary = "telnet-gateway",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "timer", source = (kernel = timer)),
                 (name = "listen", source = (serviceExport =
                    (service = "netstack", export = "telnet23"))),
                 (name = "shells", source = (serviceExport =
                    (service = "shell-launcher", export = "shells"))),
                 (name = "sessionManager", source = (serviceExport =
                    (service = "auth", export = "sessionManager"))) ],
      exports = [ (name = "terminals",
                   interfaceId = Terminal.terminalSessionInterface) ],
      args = ["login=60", "idle=600"] )
  ],
  kernelParams = (logLevel = info)
);
