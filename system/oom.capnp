# Out of memory: booted with little RAM (tests/qemu/test_kmem.py), kmemtest
# takes every frame through VirtualMemory and then asks the kernel for
# objects that need memory. Its kernel memory limit, 32 MiB carved out of
# init's (the machine's ~45 MiB), is more than is left once its
# VirtualMemory has taken the frames, so the machine runs out first.
@0xe1d2c3b4a5968779;

using Capos = import "../schema/capos.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    ( name = "kmemtest",
      binary = "kmemtest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "endpointFactory",
                  source = (kernel = endpointFactory)),
                 (name = "processSpawner", source = (kernel = processSpawner)),
                 (name = "threadSpawner", source = (kernel = threadSpawner)),
                 (name = "threadControl", source = (kernel = threadControl)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)) ],
      args = ["only=oom"],
      kernelMemory = 33554432 )
  ],
  kernelParams = (logLevel = debug)
);
