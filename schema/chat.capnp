# The chat service: a shared room. Every member is known by the session
# reference the kernel attaches to its calls, never by anything the caller
# writes, so no client can speak for another.
@0xd5a0b3c9e1f24a67;

using C = import "c.capnp";
$C.namespace("capos");

const chatInterface :UInt64 = 0xe3c1f0a2b4d60817;

interface Chat @0xe3c1f0a2b4d60817 {
  struct Message {
    # Assigned by the server: the sender's nickname and a sequence number.
    from @0 :Text;
    text @1 :Text;
    seq @2 :UInt64;
  }

  struct JoinResult {
    union {
      ok @0 :Void;
      nameTaken @1 :Void;
      badName @2 :Void;
      full @3 :Void;
      # This session has already joined (under `name`).
      alreadyJoined @4 :Text;
    }
  }

  struct SendResult {
    union {
      ok @0 :UInt64;          # the message's sequence number
      notJoined @1 :Void;
      tooLong @2 :Void;
    }
  }

  const maxText :UInt32 = 1024;

  join @0 (name :Text) -> JoinResult;
  leave @1 () -> (wasJoined :Bool);
  send @2 (text :Text) -> SendResult;
  who @3 () -> (names :List(Text));
  # Messages with a sequence number after `after`, at most `max` of them.
  poll @4 (after :UInt64, max :UInt32) -> (messages :List(Message), notJoined :Bool);
}
