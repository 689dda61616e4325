# The supervisor system (tests/qemu/test_system.py): init restarts
# "flaky" each time it ends with a failure, keeping its endpoint so its
# client calls again on the same capability; "doomed" fails at every start
# until init gives it up. tests/programs/flaky has the three roles.
@0xd0c1b2a3f4e5d6c7;

using Capos = import "../schema/capos.capnp";
using G = import "../schema/greeter.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    ( name = "flaky",
      binary = "flaky",
      grants = [ (name = "console", source = (kernel = console)) ],
      exports = [ (name = "greeter", interfaceId = G.greeterInterface) ],
      restart = onFailure,
      args = ["serve"] ),
    ( name = "doomed",
      binary = "flaky",
      grants = [ (name = "console", source = (kernel = console)) ],
      restart = onFailure,
      args = ["doomed"] ),
    ( name = "flaky-client",
      binary = "flaky",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "greeter", source = (serviceExport =
                    (service = "flaky", export = "greeter"))) ],
      args = ["client"] )
  ],
  kernelParams = (logLevel = debug)
);
