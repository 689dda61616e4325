# The capOS ABI: kernel object interfaces, the messages they carry, and the
# boot manifest. Every CALL on a ring names a capability and a method
# ordinal and carries a params message; results come back as a message.
# Interface ids below are the ones the kernel stores in cap-table slots.
# See docs/schema.md for the layout and the generated C API.
@0xa4a56b6ca1700b6b;

using C = import "c.capnp";
$C.namespace("capos");

# ---------------------------------------------------------------------------
# Errors shared by every interface.

# The payload of a failed call whose failure is not a domain outcome.
# Domain outcomes (denied, not found, ...) are result unions instead.
struct CapException {
  type @0 :Type;
  reason @1 :Text;

  enum Type {
    failed @0;
    overloaded @1;
    disconnected @2;
    unimplemented @3;
  }
}

# ---------------------------------------------------------------------------
# Boot manifest: what init starts and with which capabilities.

# Kernel objects a manifest can grant directly.
enum KernelObject {
  console @0;
  bootPackage @1;
  processSpawner @2;
  virtualMemory @3;
  entropy @4;
  timer @5;
  threadSpawner @6;
  parkSpace @7;
  threadControl @8;
  endpointFactory @9;
  deviceManager @10;
  consoleInput @11;
}

# A device resource a grant asks for: the index-th PCI device of a vendor
# (and device id, unless 0), and which of its resources.
struct DeviceGrant {
  vendor @0 :UInt16;
  device @1 :UInt16;
  index @2 :UInt16;
  resource :union {
    mmio @3 :UInt8;          # a memory BAR, by number
    interrupt @4 :Void;
    dmaPool @5 :UInt32;      # a pool of this many pages
  }
}

# How much the console says (docs/boot.md, "Log levels"). Each level
# prints its own lines and those of the levels above it:
#   error  failures: a service that cannot start or stopped on an error.
#   warn   degraded but running: a device left out, a development key.
#   info   what a user of the system needs: the banner, what each service
#          offers, and the halt. User-facing systems run at info.
#   debug  what tests and developers check: [proof] lines, hardware and
#          timer figures, each service started and ended. Test systems
#          run at debug.
# The kernel reads the level before its first line; a value it does not
# know counts as info and is reported on the console. `loglevel=NAME` on
# the kernel command line overrides it for one boot. Every process finds
# the level in its start block (include/capos/abi.h, CAPOS_LOG_*).
enum LogLevel {
  error @0;
  warn @1;
  info @2;
  debug @3;
}

enum RestartPolicy {
  never @0;
  onFailure @1;
  always @2;
}

struct SystemManifest {
  services @0 :List(Service);
  kernelParams @1 :KernelParams;
}

struct KernelParams {
  logLevel @0 :LogLevel = info;
}

struct Service {
  name @0 :Text;
  # The boot-package binary this service runs.
  binary @1 :Text;
  grants @2 :List(Grant);
  exports @3 :List(Export);
  restart @4 :RestartPolicy;
  args @5 :List(Text);
  # The most kernel memory the service may make the kernel hold for it
  # (threads, queued calls, endpoints, wait records, DMA pools), in bytes;
  # 0 takes the kernel's default. See docs/abi.md, "Kernel memory".
  kernelMemory @6 :UInt64;
  # When this service ends and is not restarted, init stops the system
  # (as a `q` does under stop=console): it exits, the kernel stops every
  # service left and runs its shutdown leak check. A system whose
  # gateways serve forever names the console shell, whose operator's
  # `shutdown` then halts the machine (docs/init.md).
  endsSystem @7 :Bool;
  # How many processes the service and all it spawns may hold alive at
  # once, itself included; 0 takes the default (9: itself and 8 more).
  # See docs/abi.md, "Kernel memory".
  processes @8 :UInt32;
}

# One capability a service receives, under the name it sees in its CapSet.
struct Grant {
  name @0 :Text;
  source :union {
    kernel @1 :KernelObject;
    serviceExport :group {
      # The service that exports it, and the name of the export.
      service @2 :Text;
      export @3 :Text;
    }
    # A capability init itself holds, by its CapSet name.
    init @4 :Text;
    # A device resource, minted for this service alone.
    device @5 :DeviceGrant;
  }
}

# A named endpoint a service serves; others reach it through grants.
struct Export {
  name @0 :Text;
  # The interface the service serves on it (the schema's interface id;
  # each service interface file defines a constant for it). Client
  # capabilities to the export are typed with it.
  interfaceId @1 :UInt64;
}

# ---------------------------------------------------------------------------
# Console.

interface Console {
  write @0 (bytes :Data) -> ();
}

# What is typed on the serial console, for the one process that runs the
# console's terminal. The kernel takes each byte from the UART's receive
# interrupt into a 4 KiB buffer; bytes that arrive while it is full are
# dropped and counted.
interface ConsoleInput {
  const maxRead :UInt32 = 4096;

  # Completes once at least one byte is buffered (at once if some are),
  # with up to `max` of them, oldest first (`max` 0 means maxRead).
  # `overflowed` is how many bytes were dropped since the previous read.
  # One read waits at a time; a second is refused as overloaded.
  read @0 (max :UInt32) -> (bytes :Data, overflowed :UInt32);
}

# ---------------------------------------------------------------------------
# The boot package: the manifest and the service binaries, read-only.

interface BootPackage {
  # The whole package as one message (the initrd / boot module).
  struct Image {
    manifest @0 :SystemManifest;
    binaries @1 :List(Binary);
  }

  struct Binary {
    name @0 :Text;
    data @1 :Data;
  }

  struct BinaryInfo {
    name @0 :Text;
    size @1 :UInt64;
  }

  struct ReadResult {
    union {
      bytes @0 :Data;
      notFound @1 :Void;
      # The offset lies beyond the end of the binary.
      badOffset @2 :Void;
    }
  }

  # The largest chunk readBinary returns in one call (with its framing it
  # still fits the 64 KiB limit on a result message).
  const maxChunk :UInt32 = 61440;

  manifest @0 () -> (manifest :SystemManifest);
  listBinaries @1 () -> (binaries :List(BinaryInfo));
  readBinary @2 (name :Text, offset :UInt64, maxBytes :UInt32)
      -> ReadResult;
}

# ---------------------------------------------------------------------------
# Processes.

interface ProcessSpawner {
  # A capability handed to the child under a CapSet name. cap is an index
  # into the call's capability sideband.
  struct NamedCap {
    name @0 :Text;
    cap @1 :Capability;
  }

  struct SpawnResult {
    union {
      handle @0 :ProcessHandle;
      notFound @1 :Void;
      denied @2 :Void;
      # A grant was refused; the name says which.
      badGrant @3 :Text;
      noMemory @4 :Void;
    }
  }

  # name is the process's name (in its start block and in kernel logs);
  # the binary's name when absent. kernelMemory limits the kernel memory
  # the child may cause (bytes; 0: the default, 8 MiB; at most 256 MiB).
  # processes is how many processes the child and all it spawns may hold
  # alive at once, the child included (0: the default, 9); both come out
  # of the spawner's own, and noMemory says the spawner has not enough.
  spawn @0 (binary :Text, grants :List(NamedCap), args :List(Text),
            name :Text, kernelMemory :UInt64, processes :UInt32)
            -> SpawnResult;
}

enum FaultKind {
  pageFault @0;
  generalProtection @1;
  invalidOpcode @2;
  divideError @3;
  other @4;
}

struct Fault {
  kind @0 :FaultKind;
  address @1 :UInt64;
  ip @2 :UInt64;
}

struct ExitStatus {
  union {
    exited @0 :Int32;
    faulted @1 :Fault;
    killed @2 :Void;
  }
}

# The handle is the authority over its process: its holder may wait for
# the process to end and may end it. kill() stops every thread of the
# process (those running on other CPUs too), releases its capabilities and
# frees its memory, as a fault does; wait() then answers killed. Killing a
# process that has already ended changes nothing and answers the same;
# a process cannot kill itself through its own handle (it exits instead).
interface ProcessHandle {
  wait @0 () -> ExitStatus;
  kill @1 () -> ();
}

# ---------------------------------------------------------------------------
# Memory.

struct Protection {
  read @0 :Bool;
  write @1 :Bool;
  exec @2 :Bool;
}

struct MapResult {
  union {
    addr @0 :UInt64;
    invalid @1 :Void;
    denied @2 :Void;
    quotaExceeded @3 :Void;
    noMemory @4 :Void;
  }
}

struct VmResult {
  union {
    ok @0 :Void;
    invalid @1 :Void;
    denied @2 :Void;
    quotaExceeded @3 :Void;
  }
}

# Anonymous memory in the caller's own address space, within a quota.
interface VirtualMemory {
  # addr 0 lets the kernel choose; sizes are multiples of the page size.
  map @0 (addr :UInt64, size :UInt64, prot :Protection) -> MapResult;
  unmap @1 (addr :UInt64, size :UInt64) -> VmResult;
  protect @2 (addr :UInt64, size :UInt64, prot :Protection) -> VmResult;
  quota @3 () -> (limitBytes :UInt64, usedBytes :UInt64);
  # Memory for sharing with other processes: `size` bytes (a multiple of
  # the page size, at most 4 MiB), zeroed, charged to this quota until the
  # SharedMemory and every mapping of it are gone. Pass the capability on
  # to whoever should map it too.
  share @4 (size :UInt64) -> ShareResult;
}

struct ShareResult {
  union {
    memory @0 :SharedMemory;
    invalid @1 :Void;
    quotaExceeded @2 :Void;
    noMemory @3 :Void;
  }
}

# Memory more than one process maps: how a server and its client pass
# bulk data without copying it through messages. Mapping is read-write and
# never executable, in the holder's device window; the same process
# mapping it again gets the same address. A mapping lasts as long as the
# process.
interface SharedMemory {
  map @0 () -> (addr :UInt64, size :UInt64);
}

# ---------------------------------------------------------------------------
# Devices. Only init holds the DeviceManager; it mints the resources that
# manifests grant to drivers, each for one device.

struct PciDevice {
  bus @0 :UInt8;
  slot @1 :UInt8;
  function @2 :UInt8;
  vendor @3 :UInt16;
  device @4 :UInt16;
  classCode @5 :UInt8;
  subclass @6 :UInt8;
}

interface DeviceManager {
  list @0 () -> (devices :List(PciDevice));
  mmio @1 (vendor :UInt16, device :UInt16, index :UInt16, bar :UInt8)
      -> (mmio :DeviceMmio);
  interrupt @2 (vendor :UInt16, device :UInt16, index :UInt16)
      -> (interrupt :Interrupt);
  dmaPool @3 (vendor :UInt16, device :UInt16, index :UInt16, pages :UInt32)
      -> (pool :DMAPool);
}

# One memory BAR of one device.
interface DeviceMmio {
  # Maps the BAR into the caller's address space, uncached (the same place
  # again if already mapped there).
  map @0 () -> (addr :UInt64, size :UInt64);
  # Reads the device's PCI configuration space: width 1, 2 or 4 bytes at
  # an offset aligned to it, below 256.
  config @1 (offset :UInt16, width :UInt8) -> (value :UInt32);
}

# One device's interrupt (MSI-X: every table entry raises it).
interface Interrupt {
  # Completes at the next interrupt, or at once if some came since the
  # last wait; count is how many.
  wait @0 () -> (count :UInt64);
}

# Memory the device may read and write: physically contiguous, zeroed.
interface DMAPool {
  # Maps the pool into the caller; deviceAddr is what the device is told.
  map @0 () -> (addr :UInt64, size :UInt64, deviceAddr :UInt64);
  # The pool as plain shared memory, for the program the driver serves:
  # its holder maps the same pages but never learns the device address.
  share @1 () -> (memory :SharedMemory);
}

# ---------------------------------------------------------------------------
# Entropy.

interface Entropy {
  const maxFill :UInt32 = 4096;

  fill @0 (len :UInt32) -> (bytes :Data);
}

# ---------------------------------------------------------------------------
# IPC. An Endpoint's owner receives calls with RECV and answers them with
# RETURN (ring operations, not methods). Holders of a client facet can only
# CALL it, with the interface the endpoint was created for. The owner mints
# client facets with `client`.

interface Endpoint {
  # A new CALL-only capability to this endpoint. Calls through it carry
  # `badge` to the server (so one endpoint can serve many objects, each a
  # differently badged client), and it is typed with interfaceId, or with
  # the endpoint's own interface when that is 0.
  client @0 (badge :UInt64, interfaceId :UInt64) -> (client :Capability);
}

# Creates endpoints; held by init, which wires services together.
interface EndpointFactory {
  create @0 (interfaceId :UInt64) -> (endpoint :Endpoint);
}

# ---------------------------------------------------------------------------
# Threads and waiting.

struct ThreadSpawnResult {
  union {
    handle @0 :ThreadHandle;
    invalid @1 :Void;
    denied @2 :Void;
    noMemory @3 :Void;
  }
}

# Threads of the caller's own process. A new thread starts at entry with
# %rsp = stack, %rdi = arg, %rsi = the address of its own ring, and its FS
# base set to tls.
interface ThreadSpawner {
  spawn @0 (entry :UInt64, stack :UInt64, arg :UInt64, tls :UInt64)
      -> ThreadSpawnResult;
}

interface ThreadHandle {
  # Completes when the thread has exited, with the value it gave.
  join @0 () -> (value :UInt64);
}

# The calling thread's own controls.
interface ThreadControl {
  # Ends the calling thread; the last thread's value is the process's
  # exit status. Never completes.
  exit @0 (value :UInt64) -> ();
  # Sets the calling thread's FS base (thread-local storage).
  setTls @1 (base :UInt64) -> ();

  const anyCpu :UInt32 = 0xffffffff;
  # Keeps the calling thread to one CPU, numbered from 0 in the order
  # the kernel started them (the boot CPU first), from its return to user
  # mode on; anyCpu lets the scheduler place it again. Fails with no such
  # CPU running. Only the calling thread is affected.
  setCpu @2 (cpu :UInt32) -> ();
}

struct ParkResult {
  union {
    woken @0 :Void;
    # *addr did not hold the expected value.
    mismatch @1 :Void;
    timedOut @2 :Void;
    invalid @3 :Void;
  }
}

# Futex-like waiting on words of the caller's address space.
interface ParkSpace {
  # Sleeps only if *addr == expected; timeoutNs 0 waits forever.
  wait @0 (addr :UInt64, expected :UInt32, timeoutNs :UInt64) -> ParkResult;
  wake @1 (addr :UInt64, count :UInt32) -> (woken :UInt32);
}

# ---------------------------------------------------------------------------
# Time.

interface TimerNotification {
  # Completes at the next expiry; missed counts expiries since the last.
  next @0 () -> (missed :UInt64);
  cancel @1 () -> ();
}

interface Timer {
  # Monotonic nanoseconds since boot.
  now @0 () -> (ns :UInt64) $C.readOnly;
  sleep @1 (ns :UInt64) -> ();
  # One-shot after delayNs when periodNs is 0, else periodic.
  notify @2 (delayNs :UInt64, periodNs :UInt64)
      -> (notification :TimerNotification);
}
