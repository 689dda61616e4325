# The default system (make run): the capability shell on the serial
# console, the SSH gateway on guest port 22 (docs/ssh.md) and the web
# shell on guest port 443 (docs/web.md), which make run forwards from
# 127.0.0.1:2222 and 127.0.0.1:8443. console-terminal turns the console
# into a TerminalSession; capos-shell starts anonymous and logs in
# through auth, whose broker hands it its profile's bundle; programs run
# through the launcher. The network path is the one of system/ssh.capnp
# and system/webshell.capnp, with the same confinement: virtio-net,
# netstack (whose NetworkManager goes to no one), a key vault holding the
# SSH host key and another holding the TLS key, shell-launcher, and the
# two gateways, each holding one TcpListenAuthority for its port.
#
# Without a virtio-net device, init reports the driver's device grant
# once and skips the driver and what imports from it (the network path);
# the console login works as before.
#
# `shutdown` in an operator session on the console ends the console
# shell; its entry has endsSystem, so init then stops the system and the
# kernel runs its leak check (the gateways serve forever otherwise).
#
# The accounts are development accounts, NOT FOR PRODUCTION: admin's
# password is "capos-dev", guest's "guest-dev" (README, and the banner).
# Their records are scrypt, N = 4096, r = 8, p = 1 (build/tools/pwrecord).
# The SSH host key and admin's login key are made at build time by
# services/ssh-gateway/mkdevkeys.sh (build/sshkeys/, never committed;
# make SSH_PUBKEY=FILE.pub names your own key for admin instead), the TLS
# key and its self-signed certificate for localhost by
# services/keyvault/mkdevtls.sh (build/devtls/). Passkeys enrolled from a
# web login live as long as auth does: until the system stops.
@0xed5bd09a30d71fbd;

using Capos = import "../schema/capos.capnp";
using Auth = import "../schema/auth.capnp";
using K = import "../schema/crypto.capnp";
using N = import "../schema/net.capnp";
using Shell = import "../schema/shell.capnp";
using Terminal = import "../schema/terminal.capnp";
# Made at build time (mk/ssh.mk and mk/crypto.mk put their folders on
# the import path).
using Keys = import "/sshkeys.capnp";
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
                  (name = "ssh22",
                   interfaceId = N.tcpListenAuthorityInterface),
                  (name = "https443",
                   interfaceId = N.tcpListenAuthorityInterface) ],
      args = ["listen=ssh22:22", "listen=https443:443"] ),
    ( name = "keyvault",
      binary = "keyvault",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "entropy", source = (kernel = entropy)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)) ],
      exports = [ (name = "sshHostKey", interfaceId = K.sshHostKeyInterface) ],
      args = [ Keys.hostKeyArg ] ),
    # One key a vault: the web gateway's TLS key and certificate are
    # held by a second one.
    ( name = "tls-keyvault",
      binary = "keyvault",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "entropy", source = (kernel = entropy)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)) ],
      exports = [ (name = "tlsServerKey",
                   interfaceId = K.tlsServerKeyInterface) ],
      args = [ Dev.tlsKeyArg, Dev.tlsCertArg ] ),
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
        Keys.accountKeyArg,
        "profile=operator:session+audit+launcher",
        "profile=guest:session+launcher",
        "profile=anonymous:session",
        # Passkeys are used from the web gateway's one origin; its host
        # is the RP ID.
        "passkeys=https://localhost:8443" ] ),
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
        "motd=Type 'login' to log in, 'help' for the commands." ],
      endsSystem = true ),
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
    ( name = "ssh-gateway",
      binary = "ssh-gateway",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "timer", source = (kernel = timer)),
                 (name = "entropy", source = (kernel = entropy)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "listen", source = (serviceExport =
                    (service = "netstack", export = "ssh22"))),
                 (name = "hostKey", source = (serviceExport =
                    (service = "keyvault", export = "sshHostKey"))),
                 (name = "sessionManager",
                  source = (serviceExport = (service = "auth",
                                             export = "sessionManager"))),
                 (name = "shells",
                  source = (serviceExport = (service = "shell-launcher",
                                             export = "shells"))) ],
      exports = [ (name = "terminals",
                   interfaceId = Terminal.terminalSessionInterface) ],
      args = [ "grace=20" ] ),
    # The web shell (docs/web.md): the same confinement as ssh-gateway,
    # with the TLS key's vault in place of the host key's.
    ( name = "web-gateway",
      binary = "web-gateway",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "timer", source = (kernel = timer)),
                 (name = "entropy", source = (kernel = entropy)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "listen", source = (serviceExport =
                    (service = "netstack", export = "https443"))),
                 (name = "tlsServerKey", source = (serviceExport =
                    (service = "tls-keyvault", export = "tlsServerKey"))),
                 (name = "sessionManager",
                  source = (serviceExport = (service = "auth",
                                             export = "sessionManager"))),
                 (name = "shells",
                  source = (serviceExport = (service = "shell-launcher",
                                             export = "shells"))) ],
      exports = [ (name = "terminals",
                   interfaceId = Terminal.terminalSessionInterface) ],
      # The one origin the page is served as: make run forwards
      # 127.0.0.1:8443 to port 443.
      args = [ "origin=https://localhost:8443" ] )
  ],
  kernelParams = (logLevel = info)
);
