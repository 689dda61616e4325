# The IPC test system: an IPC test server used by three clients at once,
# and a second server that a client leaves a call with before dying, and
# that leaves in the middle of a call itself.
@0xe8a4c2f0b6d91357;

using Capos = import "../schema/capos.capnp";
using T = import "../schema/ipctest.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    ( name = "ipc-srv",
      binary = "ipctest-srv",
      grants = [ (name = "console", source = (kernel = console)) ],
      exports = [ (name = "ipctest", interfaceId = T.ipcTestInterface) ] ),
    ( name = "ipc-quit",
      binary = "ipctest-srv",
      grants = [ (name = "console", source = (kernel = console)) ],
      exports = [ (name = "ipctest", interfaceId = T.ipcTestInterface) ] ),
    ( name = "ipctest",
      binary = "ipctest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "spare", source = (kernel = console)),
                 (name = "spare2", source = (kernel = console)),
                 (name = "ipc", source = (serviceExport =
                    (service = "ipc-srv", export = "ipctest"))),
                 (name = "ipcquit", source = (serviceExport =
                    (service = "ipc-quit", export = "ipctest"))) ] ),
    ( name = "dier",
      binary = "ipctest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "ipc", source = (serviceExport =
                    (service = "ipc-quit", export = "ipctest"))) ],
      args = ["die"] ),
    ( name = "echo-a",
      binary = "ipctest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "ipc", source = (serviceExport =
                    (service = "ipc-srv", export = "ipctest"))) ],
      args = ["echo", "300"] ),
    ( name = "echo-b",
      binary = "ipctest",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "ipc", source = (serviceExport =
                    (service = "ipc-srv", export = "ipctest"))) ],
      args = ["echo", "300"] )
  ],
  kernelParams = (logLevel = debug)
);
