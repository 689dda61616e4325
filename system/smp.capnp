# The SMP stress system (tests/programs/smptest, docs/smp.md): two
# processes of smptest at once, each with threads parking and waking each
# other, calling one echo server, mapping and unmapping memory while
# threads come and go, and a child whose page is unmapped under a reader
# on another CPU. Booted with every CPU running user threads by
# tests/qemu/test_smp.py, which reads the proofs and the leak check.
@0xc5e1a7d3b9f20468;

using Capos = import "../schema/capos.capnp";
using T = import "../schema/ipctest.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    ( name = "echo",
      binary = "ipctest-srv",
      grants = [ (name = "console", source = (kernel = console)) ],
      exports = [ (name = "ipctest", interfaceId = T.ipcTestInterface) ] ),
    ( name = "stress-a",
      binary = "smptest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "threadSpawner", source = (kernel = threadSpawner)),
                 (name = "threadControl", source = (kernel = threadControl)),
                 (name = "parkSpace", source = (kernel = parkSpace)),
                 (name = "processSpawner", source = (kernel = processSpawner)),
                 (name = "echo", source = (serviceExport =
                    (service = "echo", export = "ipctest"))) ] ),
    ( name = "stress-b",
      binary = "smptest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "threadSpawner", source = (kernel = threadSpawner)),
                 (name = "threadControl", source = (kernel = threadControl)),
                 (name = "parkSpace", source = (kernel = parkSpace)),
                 (name = "processSpawner", source = (kernel = processSpawner)),
                 (name = "echo", source = (serviceExport =
                    (service = "echo", export = "ipctest"))) ] )
  ],
  kernelParams = (logLevel = debug)
);
