# The bench system: the capOS side of make bench. An IPC server and the
# bench program, which measures ring, kernel-object and IPC costs.
@0xa2f4e6c8b0d13579;

using Capos = import "../schema/capos.capnp";
using T = import "../schema/ipctest.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    ( name = "bench-srv",
      binary = "ipctest-srv",
      grants = [ (name = "console", source = (kernel = console)) ],
      exports = [ (name = "ipctest", interfaceId = T.ipcTestInterface) ] ),
    ( name = "bench",
      binary = "bench",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "threadSpawner", source = (kernel = threadSpawner)),
                 (name = "threadControl", source = (kernel = threadControl)),
                 (name = "parkSpace", source = (kernel = parkSpace)),
                 (name = "timer", source = (kernel = timer)),
                 (name = "ipc", source = (serviceExport =
                    (service = "bench-srv", export = "ipctest"))) ] )
  ]
);
