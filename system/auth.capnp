# The identity test system (tests/qemu/test_auth.py): auth with a seed of
# three accounts, driven by authtest through SessionManager alone.
#
# The passwords are development passwords, NOT FOR PRODUCTION: admin's is
# "capos-dev", guest's "guest-dev", victim's "victim-dev" (the records
# are scrypt with N = 4096, r = 8, p = 1, made by build/tools/pwrecord).
# admin also holds an SSH key made at build time, NOT FOR PRODUCTION
# (tests/programs/authtest/mkuserkey.sh); authtest gets its private seed.
@0xc50cf7a361ae94c6;

using Capos = import "../schema/capos.capnp";
using Auth = import "../schema/auth.capnp";
# Made at build time (mk/shell.mk puts its folder on the import path).
using Key = import "/authkey.capnp";

const manifest :Capos.SystemManifest = (
  services = [
    ( name = "auth",
      binary = "auth",
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "entropy", source = (kernel = entropy)),
                 (name = "timer", source = (kernel = timer)),
                 (name = "virtualMemory", source = (kernel = virtualMemory)),
                 (name = "clock", source = (kernel = timer)) ],
      exports = [ (name = "sessionManager",
                   interfaceId = Auth.sessionManagerInterface) ],
      args = [
        "account=admin:1000:active:operator:scrypt$4096$8$1$6df6d28ee9bdd0bcae59379ea8ef2024$725e064a75a8401e8153df1c2d76c2521c427b6eb972d6701feeadab29893df4",
        "account=guest:1001:active:guest:scrypt$4096$8$1$0996d8213e31f3108be9019f117487b8$1ba2e67f96b184a932eba62c657c37a375c118fe46f91a5c1a5ef419a20e97c2",
        "account=victim:1002:active:guest:scrypt$4096$8$1$e499dc966464c4bf8c56ac065182e33f$091a885cfe4c324b8009f77f22a429639d807ad0ce348d3f47ba49cbabb01e76",
        Key.adminKeyArg,
        "profile=operator:session+audit+clock",
        "profile=guest:session",
        "profile=anonymous:session" ] ),
    ( name = "authtest",
      binary = "authtest",
      args = [ Key.userKeyArg ],
      grants = [ (name = "console", source = (kernel = console)),
                 (name = "sessionManager",
                  source = (serviceExport = (service = "auth",
                                             export = "sessionManager"))) ] )
  ],
  kernelParams = (logLevel = debug)
);
