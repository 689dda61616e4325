# The network test system, without a network card: nic-loop joins two
# netstacks back to back (and slips malformed frames into their traffic);
# "net-a" (10.0.0.1) serves the echo service on port 7, a server that
# closes first on port 9 and a sink that reads nothing on port 10; nettest
# connects through "net-b" (10.0.0.2).
@0xc7d2e4f6a8b01357;

using Capos = import "../schema/capos.capnp";
using N = import "../schema/net.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    ( name = "nic-loop",
      binary = "nic-loop",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)) ],
      exports = [ (name = "nicA", interfaceId = N.nicInterface),
                  (name = "nicB", interfaceId = N.nicInterface) ],
      args = ["inject", "slots=32"] ),
    ( name = "net-a",
      binary = "netstack",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "timer", source = (kernel = timer)),
                 (name = "entropy", source = (kernel = entropy)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "nic", source = (serviceExport =
                    (service = "nic-loop", export = "nicA"))) ],
      exports = [ (name = "net", interfaceId = N.networkManagerInterface),
                  (name = "echo7",
                   interfaceId = N.tcpListenAuthorityInterface),
                  (name = "closer9",
                   interfaceId = N.tcpListenAuthorityInterface),
                  (name = "sink10",
                   interfaceId = N.tcpListenAuthorityInterface) ],
      args = ["ip=10.0.0.1/24", "listen=echo7:7", "listen=closer9:9",
              "listen=sink10:10"] ),
    ( name = "net-b",
      binary = "netstack",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "timer", source = (kernel = timer)),
                 (name = "entropy", source = (kernel = entropy)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "nic", source = (serviceExport =
                    (service = "nic-loop", export = "nicB"))) ],
      exports = [ (name = "net", interfaceId = N.networkManagerInterface) ],
      args = ["ip=10.0.0.2/24"] ),
    ( name = "echo",
      binary = "echo",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "listen", source = (serviceExport =
                    (service = "net-a", export = "echo7"))) ],
      args = ["count=106", "check"] ),
    ( name = "closer",
      binary = "nettest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "listen", source = (serviceExport =
                    (service = "net-a", export = "closer9"))) ],
      args = ["closer"] ),
    ( name = "sink",
      binary = "nettest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "listen", source = (serviceExport =
                    (service = "net-a", export = "sink10"))) ],
      args = ["sink"] ),
    ( name = "nettest",
      binary = "nettest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "net", source = (serviceExport =
                    (service = "net-b", export = "net"))) ],
      args = ["client"] )
  ],
  kernelParams = (logLevel = debug)
);
