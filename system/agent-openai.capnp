# The agent shell with model-openai (docs/agent.md): the shell tier of
# system/agent.capnp, but the operator's LanguageModel is model-openai,
# which asks an OpenAI-compatible chat-completions server at
# 10.0.2.100:80 on QEMU's user network (tests/qemu/test_agent.py forwards
# that address to a scripted server on the host). model-openai holds a
# TcpConnectAuthority for that one address, not the NetworkManager.
#
# The accounts are development accounts, NOT FOR PRODUCTION: admin's
# password is "capos-dev", guest's "guest-dev".
@0xe010fc8c4d3bf948;

using Capos = import "../schema/capos.capnp";
using Auth = import "../schema/auth.capnp";
using Agent = import "../schema/agent.capnp";
using N = import "../schema/net.capnp";
using Shell = import "../schema/shell.capnp";
using Terminal = import "../schema/terminal.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    ( name = "virtio-net",
      binary = "virtio-net",
      grants = [
        (name = "console", source = (kernel = console)),
        (name = "bar4", source = (device = (vendor = 0x1af4, device = 0,
                                            resource = (mmio = 4)))),
        (name = "irq", source = (device = (vendor = 0x1af4, device = 0,
                                           resource = (interrupt = void)))),
        (name = "pool", source = (device = (vendor = 0x1af4, device = 0,
                                            resource = (dmaPool = 7)))),
        (name = "frames", source = (device = (vendor = 0x1af4, device = 0,
                                            resource = (dmaPool = 192)))) ],
      exports = [ (name = "nic", interfaceId = N.nicInterface) ] ),
    ( name = "netstack",
      binary = "netstack",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "timer", source = (kernel = timer)),
                 (name = "entropy", source = (kernel = entropy)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "nic", source = (serviceExport =
                    (service = "virtio-net", export = "nic"))) ],
      exports = [ (name = "net", interfaceId = N.networkManagerInterface),
                  (name = "modelServer",
                   interfaceId = N.tcpConnectAuthorityInterface) ],
      args = ["ip=10.0.2.15/24", "gw=10.0.2.2",
              "connect=modelServer:10.0.2.100:80"] ),
    ( name = "model",
      binary = "model-openai",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "timer", source = (kernel = timer)),
                 (name = "server",
                  source = (serviceExport = (service = "netstack",
                                             export = "modelServer"))) ],
      exports = [ (name = "model",
                   interfaceId = Agent.languageModelInterface) ],
      args = ["model=scripted", "host=model.test", "deadline=5"] ),
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
                                             export = "programs"))),
                 (name = "model",
                  source = (serviceExport = (service = "model",
                                             export = "model"))) ],
      exports = [ (name = "sessionManager",
                   interfaceId = Auth.sessionManagerInterface) ],
      args = [
        "account=admin:1000:active:operator+guest:scrypt$4096$8$1$f67e27c2745c9a4d4504de6f8752e23c$49075d9e73f916718e6089cd7fbf660eb0340d30af7818f4025c6ced0ad90d87",
        "account=guest:1001:active:guest:scrypt$4096$8$1$d145b0c2fdb8ab5c49f1d9e541c7b803$6e2854f9652cccd1385d5412addf720c27fe4648646144604a7ad332807150ea",
        "profile=operator:session+audit+launcher+model+timer",
        "tools=operator:session.info=auto+launcher.programs=auto+timer.now=auto+launcher.run=consent+audit.read=stepUp+session.logout=forbidden",
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
        "motd=capOS: the agent shell demo. NOT FOR PRODUCTION: admin / capos-dev.",
        "motd=Log in, then type 'agent' and talk to the model server." ] )
  ],
  kernelParams = (logLevel = debug)
);
