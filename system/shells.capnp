# The gateway path (tests/qemu/test_shell.py): gatetest, standing in for a
# remote gateway, logs in and has shell-launcher start capos-shell on the
# console's terminal with the broker's bundle. Development accounts as in
# system/default.capnp, NOT FOR PRODUCTION.
@0xfc69e2b5f1877833;

using Capos = import "../schema/capos.capnp";
using Auth = import "../schema/auth.capnp";
using Shell = import "../schema/shell.capnp";
using Terminal = import "../schema/terminal.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    ( name = "terminal",
      binary = "console-terminal",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "consoleInput", source = (kernel = consoleInput)) ],
      exports = [ (name = "terminal",
                   interfaceId = Terminal.terminalSessionInterface) ] ),
    ( name = "launcher",
      binary = "launcher",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "processSpawner", source = (kernel = processSpawner)),
                 (name = "endpointFactory",
                  source = (kernel = endpointFactory)) ],
      exports = [ (name = "programs",
                   interfaceId = Shell.programLauncherInterface) ],
      # spin (tests/programs/spin) never writes and never ends: the test
      # stops it with Ctrl-C.
      args = ["program=hello", "program=spin"] ),
    ( name = "auth",
      binary = "auth",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "entropy", source = (kernel = entropy)),
                 (name = "timer", source = (kernel = timer)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "launcher",
                  source = (serviceExport = (service = "launcher",
                                             export = "programs"))) ],
      exports = [ (name = "sessionManager",
                   interfaceId = Auth.sessionManagerInterface) ],
      args = [
        "account=admin:1000:active:operator+guest:scrypt$4096$8$1$f67e27c2745c9a4d4504de6f8752e23c$49075d9e73f916718e6089cd7fbf660eb0340d30af7818f4025c6ced0ad90d87",
        "account=guest:1001:active:guest:scrypt$4096$8$1$d145b0c2fdb8ab5c49f1d9e541c7b803$6e2854f9652cccd1385d5412addf720c27fe4648646144604a7ad332807150ea",
        "profile=operator:session+audit+launcher",
        "profile=guest:session+launcher" ] ),
    ( name = "shell-launcher",
      binary = "shell-launcher",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "processSpawner", source = (kernel = processSpawner)) ],
      exports = [ (name = "shells",
                   interfaceId = Shell.shellLauncherInterface) ],
      # Each shell's 4 MiB and process slot come out of these
      # (docs/abi.md): 16 shells at once.
      kernelMemory = 67108864,
      processes = 17 ),
    ( name = "gatetest",
      binary = "gatetest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "terminal",
                  source = (serviceExport = (service = "terminal",
                                             export = "terminal"))),
                 (name = "sessionManager",
                  source = (serviceExport = (service = "auth",
                                             export = "sessionManager"))),
                 (name = "shells",
                  source = (serviceExport = (service = "shell-launcher",
                                             export = "shells"))) ],
      args = ["admin=capos-dev", "guest=guest-dev"] )
  ],
  kernelParams = (logLevel = debug)
);
