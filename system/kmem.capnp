# The kernel memory system: kmemtest attacks the kernel's accounting and
# teardown (tests/programs/kmemtest). Its kernel memory limit is small, so each
# limit is reached in a few thousand calls; the soak counts come from its
# arguments. Its proofs, and the kernel's shutdown leak check, are read by
# tests/qemu/test_kmem.py.
@0xe1d2c3b4a5968778;

using Capos = import "../schema/capos.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    ( name = "kmemtest",
      binary = "kmemtest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "spare", source = (kernel = console)),
                 (name = "spare2", source = (kernel = console)),
                 (name = "endpointFactory",
                  source = (kernel = endpointFactory)),
                 (name = "processSpawner", source = (kernel = processSpawner)),
                 (name = "threadSpawner", source = (kernel = threadSpawner)),
                 (name = "threadControl", source = (kernel = threadControl)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "timer", source = (kernel = timer)),
                 (name = "parkSpace", source = (kernel = parkSpace)) ],
      args = ["mints=500000", "spawns=10000"],
      kernelMemory = 1048576,
      # Its children, the kill part's and the slots part's grandchildren
      # at once, in process slots (docs/abi.md).
      processes = 32 )
  ],
  kernelParams = (logLevel = debug)
);
