# The web shell's system (make run-webshell, build/web.pkg,
# tests/qemu/test_web.py, docs/web.md): the network stack on virtio-net,
# the key vault holding the development TLS server key, auth,
# shell-launcher and web-gateway on port 443. A browser at
# https://localhost:8443/ (make run-webshell forwards it) gets the terminal
# page; in the terminal the user logs in with a password (or, once one is
# enrolled, with a passkey, which auth checks against the origin given it
# below) and gets capos-shell, whose agent mode talks to model-script.
#
# Development keys and accounts, NOT FOR PRODUCTION: the TLS key and
# certificate are made at build time (services/keyvault/mkdevtls.sh,
# build/devtls/); admin's password is "capos-dev" as in
# system/default.capnp.
@0xc4f1a8e2b7d39051;

using Capos = import "../schema/capos.capnp";
using Agent = import "../schema/agent.capnp";
using Auth = import "../schema/auth.capnp";
using K = import "../schema/crypto.capnp";
using N = import "../schema/net.capnp";
using Shell = import "../schema/shell.capnp";
using Terminal = import "../schema/terminal.capnp";
# Made at build time (mk/crypto.mk puts its folder on the import path).
using Dev = import "/devtls.capnp";

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
        # services/virtio-net/driver.h: POOL_PAGES and FRAMES_PAGES.
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
      # "net", the NetworkManager, goes to no one: nothing here may
      # configure the network or listen on another port.
      exports = [ (name = "net", interfaceId = N.networkManagerInterface),
                  (name = "https443",
                   interfaceId = N.tcpListenAuthorityInterface) ],
      args = ["listen=https443:443"] ),
    ( name = "keyvault",
      binary = "keyvault",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "entropy", source = (kernel = entropy)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)) ],
      exports = [ (name = "tlsServerKey",
                   interfaceId = K.tlsServerKeyInterface) ],
      args = [ Dev.tlsKeyArg, Dev.tlsCertArg ] ),
    ( name = "launcher",
      binary = "launcher",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "processSpawner", source = (kernel = processSpawner)),
                 (name = "endpointFactory",
                  source = (kernel = endpointFactory)) ],
      exports = [ (name = "programs",
                   interfaceId = Shell.programLauncherInterface) ],
      args = ["program=hello", "program=count"] ),
    # The shell's agent mode (docs/agent.md) from the browser: a
    # scripted model, handed out in the operator's bundle by auth.
    ( name = "model",
      binary = "model-script",
      grants = [ (name = "console", source = (kernel = console)) ],
      exports = [ (name = "model",
                   interfaceId = Agent.languageModelInterface) ],
      args = [
        "name=script-web",
        "rule=which programs|say:I will ask the launcher.|call:launcher.programs()",
        "rule=start hello|say:Starting hello needs your consent.|call:launcher.run(program=\"hello\")" ] ),
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
        "profile=operator:session+audit+launcher+model",
        "tools=operator:launcher.programs=auto+launcher.run=consent",
        "profile=guest:session+launcher",
        # Passkeys are used from the web gateway's one origin; its host
        # is the RP ID.
        "passkeys=https://localhost:8443" ] ),
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
    # Holds no key (the vault signs), no NetworkManager and no
    # ProcessSpawner: its shells come from shell-launcher.
    ( name = "web-gateway",
      binary = "web-gateway",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "timer", source = (kernel = timer)),
                 (name = "entropy", source = (kernel = entropy)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "listen", source = (serviceExport =
                    (service = "netstack", export = "https443"))),
                 (name = "tlsServerKey", source = (serviceExport =
                    (service = "keyvault", export = "tlsServerKey"))),
                 (name = "sessionManager",
                  source = (serviceExport = (service = "auth",
                                             export = "sessionManager"))),
                 (name = "shells",
                  source = (serviceExport = (service = "shell-launcher",
                                             export = "shells"))) ],
      exports = [ (name = "terminals",
                   interfaceId = Terminal.terminalSessionInterface) ],
      # The one origin the page is served as; docs/tls.md, "Known
      # issue": listen once the netstack has started.
      args = [ "origin=https://localhost:8443", "wait=3" ] )
  ],
  # The test reads the per-connection lines and proofs at debug.
  kernelParams = (logLevel = info)
);
