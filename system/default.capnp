# The default system (make run): the capability shell on the serial
# console. console-terminal turns the console into a TerminalSession;
# capos-shell starts anonymous and logs in through auth, whose broker
# hands it its profile's bundle; programs run through the launcher.
# `shutdown` in an operator session ends the shell, every service then
# ends with its last client, and init halts the machine.
#
# The accounts are development accounts, NOT FOR PRODUCTION: admin's
# password is "capos-dev", guest's "guest-dev" (README, and the banner).
# Their records are scrypt, N = 4096, r = 8, p = 1 (build/tools/pwrecord).
@0xed5bd09a30d71fbd;

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
      args = ["program=hello", "program=count"] ),
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
        "profile=guest:session+launcher",
        "profile=anonymous:session" ] ),
    ( name = "shell",
      binary = "capos-shell",
      grants = [ (name = "terminal",
                  source = (serviceExport = (service = "terminal",
                                             export = "terminal"))),
                 (name = "sessionManager",
                  source = (serviceExport = (service = "auth",
                                             export = "sessionManager"))) ],
      args = [
        "motd=capOS: the capability shell on the serial console.",
        "motd=Development accounts, NOT FOR PRODUCTION: admin / capos-dev (operator), guest / guest-dev (guest).",
        "motd=Type 'login' to log in, 'help' for the commands." ] )
  ],
  kernelParams = (logLevel = info)
);
