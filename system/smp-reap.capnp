# The reap case of the SMP tests (tests/programs/smptest, docs/smp.md):
# smptest alone, with room for itself and one child, kills children whose
# threads spin in user mode on every other CPU and must be able to start
# the next one, which the kernel allows only once the killed one is
# reaped. Booted by tests/qemu/test_smp.py with two and four CPUs.
@0xd2b6e81f4c7a3590;

using Capos = import "../schema/capos.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    ( name = "reap",
      binary = "smptest",
      args = ["reap"],
      processes = 2,
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "threadSpawner", source = (kernel = threadSpawner)),
                 (name = "threadControl", source = (kernel = threadControl)),
                 (name = "parkSpace", source = (kernel = parkSpace)),
                 (name = "processSpawner", source = (kernel = processSpawner)) ] )
  ],
  kernelParams = (logLevel = debug)
);
