# The threads test system: threadtest against a slow and a fast server,
# and a process that ends while its threads are parked.
@0xb3d5f7a9c1e24680;

using Capos = import "../schema/capos.capnp";
using T = import "../schema/ipctest.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    ( name = "slow-srv",
      binary = "ipctest-srv",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "timer", source = (kernel = timer)) ],
      exports = [ (name = "ipctest", interfaceId = T.ipcTestInterface) ] ),
    ( name = "fast-srv",
      binary = "ipctest-srv",
      grants = [ (name = "console", source = (kernel = console)) ],
      exports = [ (name = "ipctest", interfaceId = T.ipcTestInterface) ] ),
    ( name = "threadtest",
      binary = "threadtest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "threadSpawner", source = (kernel = threadSpawner)),
                 (name = "threadControl", source = (kernel = threadControl)),
                 (name = "parkSpace", source = (kernel = parkSpace)),
                 (name = "timer", source = (kernel = timer)),
                 (name = "endpointFactory", source = (kernel = endpointFactory)),
                 (name = "slow", source = (serviceExport =
                    (service = "slow-srv", export = "ipctest"))),
                 (name = "fast", source = (serviceExport =
                    (service = "fast-srv", export = "ipctest"))) ] ),
    ( name = "parkexit",
      binary = "threadtest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "threadSpawner", source = (kernel = threadSpawner)),
                 (name = "threadControl", source = (kernel = threadControl)),
                 (name = "parkSpace", source = (kernel = parkSpace)),
                 (name = "timer", source = (kernel = timer)) ],
      args = ["park-and-exit"] )
  ],
  kernelParams = (logLevel = debug)
);
