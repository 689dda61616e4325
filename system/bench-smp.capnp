# The bench system of make bench's -smp pass (docs/benchmarks.md, "The
# SMP rows"): the bench program with the argument "smp", and the same
# program as the IPC server its cross-CPU row calls, which answers each
# echo with the number of the CPU it answered on (kept to CPU 1 with its
# threadControl, as the row's client is kept to CPU 0).
@0xc3a1d5e7f9b20468;

using Capos = import "../schema/capos.capnp";
using T = import "../schema/ipctest.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    ( name = "cpu-echo",
      binary = "bench",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "threadControl", source = (kernel = threadControl)) ],
      exports = [ (name = "ipctest", interfaceId = T.ipcTestInterface) ],
      args = ["cpu-echo"] ),
    ( name = "bench",
      binary = "bench",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "threadSpawner", source = (kernel = threadSpawner)),
                 (name = "threadControl", source = (kernel = threadControl)),
                 (name = "parkSpace", source = (kernel = parkSpace)),
                 (name = "ipc", source = (serviceExport =
                    (service = "cpu-echo", export = "ipctest"))) ],
      args = ["smp"] )
  ],
  kernelParams = (logLevel = debug)
);
