# The default system: the services init starts at boot. For now a single
# service, hello, which may only write to the console.
@0xed5bd09a30d71fbd;

using Capos = import "../schema/capos.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    ( name = "hello",
      binary = "hello",
      grants = [ (name = "console", source = (kernel = console)) ],
      restart = never )
  ],
  kernelParams = (logLevel = info)
);
