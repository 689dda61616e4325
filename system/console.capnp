# The console input system (tests/qemu/test_console.py): keyecho reads
# what the harness types on the serial console through ConsoleInput.
@0xb3c4d5e6f7081920;

using Capos = import "../schema/capos.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    ( name = "keyecho",
      binary = "keyecho",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "consoleInput", source = (kernel = consoleInput)),
                 (name = "timer", source = (kernel = timer)),
                 (name = "threadSpawner", source = (kernel = threadSpawner)),
                 (name = "threadControl", source = (kernel = threadControl)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)) ],
      args = ["flood=6000"] )
  ],
  kernelParams = (logLevel = debug)
);
