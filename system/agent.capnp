# The agent shell (make run-agent-shell, docs/agent.md): the default
# system's shell tier plus model-script, a deterministic LanguageModel
# following the script in its arguments. auth holds the model's client
# and hands it out in the operator profile's bundle, with the profile's
# tool permission map; the model itself holds only its endpoint and the
# console.
#
# The accounts are development accounts, NOT FOR PRODUCTION: admin's
# password is "capos-dev", guest's "guest-dev".
@0xf4b5503ed94aeddf;

using Capos = import "../schema/capos.capnp";
using Auth = import "../schema/auth.capnp";
using Agent = import "../schema/agent.capnp";
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
    ( name = "model",
      binary = "model-script",
      grants = [ (name = "console", source = (kernel = console)) ],
      exports = [ (name = "model",
                   interfaceId = Agent.languageModelInterface) ],
      args = [
        "name=script-demo",
        "rule=which programs|say:I will ask the launcher.|call:launcher.programs()",
        "rule=start hello|say:Starting hello needs your consent.|call:launcher.run(program=\"hello\")",
        "rule=read the audit|call:audit.read(after=0, max=2)",
        "rule=log me out|call:session.logout()",
        "rule=another bundle|call:session.shellBundle(profile=\"operator\")",
        "rule=think hard|say:Thinking...|stall",
        "rule=wait forever|stall",
        "rule=prove it is me|call:session.stepUp(password=\"model-secret-1\")",
        "rule=what time|call:timer.now()|call:session.info()",
        "rule=take your time|call:timer.sleep(ns=10000000000)|call:launcher.run(program=\"hello\")|call:timer.sleep(ns=10000000000)|call:timer.sleep(ns=10000000000)" ] ),
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
        "tools=operator:session.info=auto+launcher.programs=auto+timer.now=auto+timer.sleep=auto+launcher.run=consent+audit.read=stepUp+session.stepUp=stepUp+session.logout=forbidden",
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
        "motd=Log in, then type 'agent' and talk to the scripted model.",
        "agentWait=10", "agentTurn=25" ] )
  ],
  kernelParams = (logLevel = info)
);
