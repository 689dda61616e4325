# The isolation test system: services that attack the ring, look for
# authority they were not given, and fault, next to a well-behaved one.
# init must start them all, report each end, and keep the system running.
@0xc1a0e1b5a7d3f201;

using Capos = import "../schema/capos.capnp";
using T = import "../schema/ipctest.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    ( name = "ringtest",
      binary = "ringtest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "console2", source = (kernel = console)),
                 (name = "endpointFactory",
                  source = (kernel = endpointFactory)) ] ),
    # noauth holds the console and the owner of its export; the peer,
    # started after it, sends it capability ids by value.
    ( name = "noauth",
      binary = "noauth",
      grants = [ (name = "console", source = (kernel = console)) ],
      exports = [ (name = "peer", interfaceId = T.peerIdsInterface) ] ),
    ( name = "crash-null",
      binary = "crash",
      grants = [ (name = "console", source = (kernel = console)) ],
      args = ["null"] ),
    ( name = "crash-priv",
      binary = "crash",
      grants = [ (name = "console", source = (kernel = console)) ],
      args = ["priv"] ),
    ( name = "memtest",
      binary = "memtest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "threadSpawner", source = (kernel = threadSpawner)),
                 (name = "threadControl", source = (kernel = threadControl)) ],
      # memtest tries to mint clients of this endpoint labelled with
      # kernel interface ids; the kernel must refuse every one.
      exports = [ (name = "fake", interfaceId = 0x9a3c5e7f1b2d4c60),
                  (name = "hand", interfaceId = T.shareTestInterface) ] ),
    # Takes shared memory from memtest, maps it and exits; memtest then
    # sees its quota come back.
    ( name = "mapper",
      binary = "memtest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "hand", source = (serviceExport =
                    (service = "memtest", export = "hand"))) ],
      args = ["mapper"] ),
    ( name = "hello",
      binary = "hello",
      grants = [ (name = "console", source = (kernel = console)) ] ),
    # noauth's cooperating process: it holds what noauth must not reach
    # and tells noauth the ids of all of it as plain numbers.
    ( name = "noauth-peer",
      binary = "noauth",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "bootPackage", source = (kernel = bootPackage)),
                 (name = "processSpawner",
                  source = (kernel = processSpawner)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "noauth", source = (serviceExport =
                    (service = "noauth", export = "peer"))) ],
      args = ["peer"] )
  ],
  kernelParams = (logLevel = debug)
);
