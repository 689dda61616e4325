# A test interface for IPC: payloads, capability transfer both ways, and a
# server that leaves in the middle of a call. Only test systems use it.
@0xb7e2c4a1f9d03856;

using C = import "c.capnp";
using Capos = import "capos.capnp";
$C.namespace("capos");

const ipcTestInterface :UInt64 = 0xc43d8e2a7b195f60;

interface IpcTest @0xc43d8e2a7b195f60 {
  echo @0 (data :Data) -> (data :Data);
  # Keeps the capability sent with the call; returns how many it holds.
  hold @1 (cap :Capability) -> (held :UInt32);
  # A copy of the server's console, or (move) its last held capability.
  give @2 (move :Bool) -> (cap :Capability);
  # How many held capabilities still answer a call, the status the kernel
  # gave the server's previous RETURN, and the badge of the last badged
  # client the kernel said was dropped.
  check @3 () -> (live :UInt32, lastReturn :Int32, lastDropped :UInt64);
  # Releases every held capability.
  drop @4 () -> (dropped :UInt32);
  # The caller's session reference and the badge of the capability it
  # called through, as the kernel reported them.
  whoami @5 () -> (session :Data, epoch :UInt64, badge :UInt64);
  # The server exits without answering.
  quit @6 () -> ();
  # The server keeps this call unanswered until the next `flush`.
  later @7 () -> ();
  # Answers the call kept by `later`; returns the status the kernel gave
  # that RETURN, or 1 when no call was kept.
  flush @8 () -> (status :Int32);
  # The server answers this call twice; `check` then shows what the
  # kernel said to the second RETURN.
  twice @9 () -> ();
  # Answers after sleeping ns (the server needs a "timer" capability).
  sleep @10 (ns :UInt64) -> ();
  # A new client capability to this server carrying `badge`.
  badged @11 (badge :UInt64) -> (cap :Capability);
}

const shareTestInterface :UInt64 = 0xc43d8e2a7b195f61;

# memtest hands a SharedMemory to a second process, which maps it, writes
# to it and exits: the quota comes back only if that mapping let go.
interface ShareTest @0xc43d8e2a7b195f61 {
  take @0 () -> (memory :Capos.SharedMemory);
  # The memory mapped, and its first byte as the server left it.
  mapped @1 (ok :Bool, first :UInt8) -> ();
}

const peerIdsInterface :UInt64 = 0xc43d8e2a7b195f62;

# noauth's cooperating peer tells noauth, as plain numbers, the ids its own
# capabilities have in its table, and sends its console as a capability:
# the numbers must buy noauth nothing, the capability must work.
interface PeerIds @0xc43d8e2a7b195f62 {
  # ids[i] names, in the caller's table, a capability speaking
  # interfaces[i]; console is the caller's console, sent as a copy.
  tell @0 (ids :List(UInt32), interfaces :List(UInt64),
           console :Capos.Console) -> ();
}
