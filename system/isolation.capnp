# The isolation test system: services that attack the ring, look for
# authority they were not given, and fault, next to a well-behaved one.
# init must start them all, report each end, and keep the system running.
@0xc1a0e1b5a7d3f201;

using Capos = import "../schema/capos.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    ( name = "ringtest",
      binary = "ringtest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "console2", source = (kernel = console)) ] ),
    ( name = "noauth",
      binary = "noauth",
      grants = [ (name = "console", source = (kernel = console)) ] ),
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
      # memtest serves this itself, passing a client off as SharedMemory
      # (interface id 0xa885c32c7bf2bd7d) to show rt_shared_map refuses
      # forged addresses.
      exports = [ (name = "fake", interfaceId = 0xa885c32c7bf2bd7d) ] ),
    ( name = "hello",
      binary = "hello",
      grants = [ (name = "console", source = (kernel = console)) ] )
  ]
);
