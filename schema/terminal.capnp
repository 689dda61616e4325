# TerminalSession: the text terminal a shell talks to. The console
# terminal (services/console-terminal) is the first implementation; remote
# gateways serve the same interface over their connections (docs/shell.md).
@0xa1d1df01bf69b169;

using C = import "c.capnp";
$C.namespace("capos");

const terminalSessionInterface :UInt64 = 0xbc53bcac37003294;

interface TerminalSession @0xbc53bcac37003294 {
  const maxWrite :UInt32 = 16384;
  const maxLine :UInt32 = 1024;
  const maxEvents :UInt32 = 256;

  enum Key {
    char @0;       # an ordinary byte, in `byte`
    enter @1;
    backspace @2;
    up @3;
    down @4;
    left @5;
    right @6;
    tab @7;
    interrupt @8;  # Ctrl-C
    eof @9;        # Ctrl-D
    killLine @10;  # Ctrl-U
    killWord @11;  # Ctrl-W
    home @12;
    end @13;
    delete @14;
  }

  struct Event {
    union {
      key :group {
        key @0 :Key;
        byte @1 :UInt8;
      }
      resize :group {
        columns @2 :UInt16;
        rows @3 :UInt16;
      }
      closed @4 :Void;
    }
  }

  struct LineResult {
    union {
      line @0 :Data;
      interrupted @1 :Void;  # Ctrl-C: the line is abandoned
      eof @2 :Void;          # Ctrl-D on an empty line
      tooLong @3 :Void;      # more than maxLine bytes before Enter
      closed @4 :Void;
    }
  }

  # Text to show; "\n" ends a line, and each implementation maps it to
  # what its transport needs (the console's is the kernel's CR LF).
  write @0 (bytes :Data) -> ();
  # A line, edited with backspace; echo false shows nothing (passwords).
  readLine @1 (echo :Bool) -> LineResult;
  # What was typed since the last read, for a shell that edits lines
  # itself: waits for at least one event, then gives every one buffered,
  # oldest first, at most maxEvents.
  readEvents @2 () -> (events :List(Event));
  windowSize @3 () -> (columns :UInt16, rows :UInt16);
  close @4 () -> ();
}
