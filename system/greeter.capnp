# The first-service guide's system (docs/first-service.md): the greeter
# and a client that calls it.
@0xa55be03a2247d467;

using Capos = import "../schema/capos.capnp";
using G = import "../schema/greeter.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    ( name = "greeter",
      binary = "greeter",
      grants = [ (name = "console", source = (kernel = console)) ],
      exports = [ (name = "greeter", interfaceId = G.greeterInterface) ] ),
    ( name = "greeter-client",
      binary = "greeter-client",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "greeter", source = (serviceExport =
                    (service = "greeter", export = "greeter"))) ] )
  ],
  kernelParams = (logLevel = debug)
);
