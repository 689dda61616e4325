# Launching (docs/shell.md): ProgramLauncher starts one of a listed set of
# programs for a shell's `run`, with explicit grants only;
# RestrictedShellLauncher starts capos-shell, and nothing else, for a
# gateway that has a terminal and a logged-in session.
@0xc396e144734d5803;

using C = import "c.capnp";
$C.namespace("capos");
using Capos = import "capos.capnp";

const programLauncherInterface :UInt64 = 0xe7a1c24f93b05d16;

interface ProgramLauncher @0xe7a1c24f93b05d16 {
  struct RunResult {
    union {
      # The child, and the owner of the endpoint it writes its output to
      # (TextSink, the child's "console"): the caller serves it.
      started :group {
        handle @0 :Capos.ProcessHandle;
        stdio @1 :Capability;
      }
      notAllowed @2 :Void;   # not one of the listed programs
      failed @3 :Text;       # the spawn was refused; why
    }
  }

  const maxArgs :UInt32 = 8;
  const maxArg :UInt32 = 127;

  # The programs this launcher starts.
  programs @0 () -> (names :List(Text)) $C.readOnly;
  # Starts a listed program. The child holds exactly one capability:
  # "console", a TextSink client of the returned stdio endpoint.
  run @1 (program :Text, args :List(Text)) -> RunResult;
}

const shellLauncherInterface :UInt64 = 0xd1f3a5b7c9e20486;

interface RestrictedShellLauncher @0xd1f3a5b7c9e20486 {
  struct LaunchResult {
    union {
      handle @0 :Capos.ProcessHandle;
      # The broker refused the profile for this session; its reason
      # (an AuthReason name).
      refused @1 :Text;
      failed @2 :Text;
    }
  }

  # Starts capos-shell holding `terminal` (a TerminalSession) and the
  # bundle the session's broker issues for `profile`, asked for by the
  # launcher itself, so a caller cannot hand the shell any other set.
  # There is no binary to choose.
  launch @0 (terminal :Capability, session :Capability, profile :Text)
      -> LaunchResult;
}
