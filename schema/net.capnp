# Networking: the NIC a driver serves to the network stack, and the TCP
# capabilities the network stack serves to everyone else. See
# docs/network.md.
@0xf1e2d3c4b5a69788;

using C = import "c.capnp";
$C.namespace("capos");

const nicInterface :UInt64 = 0xd1a2b3c4e5f60718;
const networkManagerInterface :UInt64 = 0xd1a2b3c4e5f60719;
# A TcpListenAuthority can also be a manifest export of the netstack (the
# netstack's args bind the export to its port; docs/network.md).
const tcpConnectAuthorityInterface :UInt64 = 0xd1a2b3c4e5f6071d;
const tcpListenAuthorityInterface :UInt64 = 0xd1a2b3c4e5f6071a;

using Capos = import "capos.capnp";

# One network interface card, served by its driver. Frames are whole
# Ethernet frames without the FCS. They travel through a frame area both
# sides map (`buffers`), cut into slots of `slotSize` bytes: receive slots
# first, then transmit slots. A frame in a slot starts `headroom` bytes in.
# Calls carry only slot numbers and lengths, in batches; each slot belongs
# to one side at a time, and each side checks every slot number and length
# the other gives it (docs/network.md, "The frame area").
interface Nic @0xd1a2b3c4e5f60718 {
  const maxFrame :UInt32 = 1514;
  # At most this many frames in one transmit or receive. A `done` list
  # holds at most the slot count of its kind.
  const maxBatch :UInt32 = 32;

  struct Frame {
    slot @0 :UInt16;
    length @1 :UInt16;
  }

  info @0 () -> (mac :Data, mtu :UInt16, linkUp :Bool);
  # The frame area. Every transmit slot starts out the caller's; every
  # receive slot starts out the driver's.
  buffers @1 () -> (memory :Capos.SharedMemory, slotSize :UInt32,
                    headroom :UInt32, rxSlots :UInt16, txSlots :UInt16);
  # Takes frames from the front of the list, written by the caller into
  # transmit slots it owns; returns how many were taken (`sent`, the rest
  # may be offered again later), how many of those were discarded
  # (`dropped`: a slot not the caller's, or a length of 0 or over
  # maxFrame), and `done`: transmit slots given back to the caller (sent
  # frames the device has finished with, and discarded ones).
  transmit @2 (frames :List(Frame))
      -> (sent :UInt32, dropped :UInt32, done :List(UInt16));
  # Gives back the receive slots in `done` (ones the caller was lent and
  # has finished reading), then completes once at least one frame has
  # arrived, with up to maxFrames of them (and at most maxBatch), or when
  # the link state changed. Each frame's slot is lent to the caller until
  # it comes back in a later `done`.
  receive @3 (maxFrames :UInt32, done :List(UInt16))
      -> (frames :List(Frame), linkUp :Bool);
}

# The network stack's management face: held by whoever configures the
# network and hands out listening authority.
interface NetworkManager @0xd1a2b3c4e5f60719 {
  struct Status {
    configured @0 :Bool;
    dhcp @1 :Bool;
    address @2 :UInt32;        # IPv4, network byte order as a number
    netmask @3 :UInt32;
    gateway @4 :UInt32;
    mac @5 :Data;
    linkUp @6 :Bool;
  }

  status @0 () -> (status :Status);
  configureStatic @1 (address :UInt32, netmask :UInt32, gateway :UInt32)
      -> ();
  # The authority to listen on one TCP port, and nothing else.
  listenAuthority @2 (port :UInt16) -> (authority :TcpListenAuthority);
  # An outgoing connection; completes once it is established or has
  # failed. Addresses are numbers as in Status (10.0.0.1 is 0x0a000001).
  connect @3 (address :UInt32, port :UInt16) -> ConnectResult;
  # The counters of the running stack (docs/network.md, "Counters").
  statistics @4 () -> (stats :NetStatistics);
}

# What the netstack has seen since it started (docs/network.md, "Counters").
# Counts only grow; the connection counts are the state of the moment.
struct NetStatistics {
  framesIn @0 :UInt64;         # frames taken from the Nic
  framesOut @1 :UInt64;        # frames handed to the Nic
  framesBad @2 :UInt64;        # received frames refused (length, slot)
  framesDropped @3 :UInt64;    # outgoing frames dropped (no transmit slot)
  linkDrops @4 :UInt64;        # lwIP's drops per layer
  ipDrops @5 :UInt64;
  tcpDrops @6 :UInt64;
  retransmits @7 :UInt64;      # timeouts and fast retransmits
  resetsSent @8 :UInt64;
  zeroWindowStalls @9 :UInt64; # times a connection's peer window stayed
                               # shut while data waited (persist began)
  reclaimed @10 :UInt64;       # connections ended by force, all reasons:
  reclaimedIdle @11 :UInt64;   # a socket's idle timeout
  reclaimedZeroWindow @12 :UInt64;  # the zero-window give-up: the peer
                               # took under one segment of waiting data
                               # in the give-up time
  reclaimedAcceptQueue @13 :UInt64; # gone peers waiting for accept
  timedOut @14 :UInt64;        # given up by lwIP: retransmissions or
                               # keep-alive probes unanswered
  # Connections by TCP state, open sockets or not.
  listening @15 :UInt32;
  synReceived @16 :UInt32;     # SYN_SENT and SYN_RCVD
  established @17 :UInt32;
  closeWait @18 :UInt32;
  finWait @19 :UInt32;         # FIN_WAIT_1 and FIN_WAIT_2
  closing @20 :UInt32;         # CLOSING and LAST_ACK
  timeWait @21 :UInt32;
  sockets @22 :UInt32;         # TcpSocket slots in use (of 48)
  waitingAccept @23 :UInt32;   # connections waiting for accept
}

struct ConnectResult {
  union {
    socket @0 :TcpSocket;
    # The peer answered with a reset: nothing listens there.
    refused @1 :Void;
    # No answer (no route, no ARP reply, or the handshake timed out).
    unreachable @2 :Void;
    noMemory @3 :Void;
  }
}

struct ListenResult {
  union {
    listener @0 :TcpListener;
    inUse @1 :Void;
    noMemory @2 :Void;
  }
}

interface TcpListenAuthority @0xd1a2b3c4e5f6071a {
  port @0 () -> (port :UInt16);
  listen @1 (backlog :UInt16) -> ListenResult;
}

# The authority to open connections to one address and port, and nothing
# else: what a client of one server holds instead of NetworkManager
# (the netstack's `connect=` argument, docs/network.md).
interface TcpConnectAuthority @0xd1a2b3c4e5f6071d {
  # Where connect goes (address as in NetworkManager.Status).
  target @0 () -> (address :UInt32, port :UInt16) $C.readOnly;
  # Completes once the connection is established or has failed.
  connect @1 () -> ConnectResult;
}

interface TcpListener @0xd1a2b3c4e5f6071b {
  # Completes when a connection arrives.
  accept @0 () -> (socket :TcpSocket);
  close @1 () -> ();
}

interface TcpSocket @0xd1a2b3c4e5f6071c {
  # The largest send and receive a single call moves.
  const maxChunk :UInt32 = 32768;

  # Takes as much of data as the connection can buffer now (at least one
  # byte, waiting for room if there is none); returns how much.
  send @0 (data :Data) -> (sent :UInt32);
  # Completes once data is available (at most maxBytes, and at most
  # maxChunk), or with eof when the peer has finished sending.
  recv @1 (maxBytes :UInt32) -> (data :Data, eof :Bool);
  # No more sending; the peer sees end of stream once sent data is out.
  shutdown @2 () -> ();
  close @3 () -> ();
  peer @4 () -> (address :UInt32, port :UInt16);
  # Ends the connection with a reset once no byte has moved either way
  # (none received, none of ours acknowledged) for `ms` milliseconds;
  # pending calls then fail "timed out". 0 (the start) means never; at
  # most maxIdleMs. The netstack checks every 20 ms.
  setIdleTimeout @5 (ms :UInt32) -> ();
  const maxIdleMs :UInt32 = 86400000;
}
