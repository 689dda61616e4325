# Text output served by a process: what a program writes to its "console"
# when that console is not the kernel's but a service standing in front of
# it (a relay that filters or records lines, later a terminal). The kernel
# interface ids are reserved to the kernel, so such a service serves this
# interface, which has the same write as Console; lib/rt's output writes
# to either (lib/rt/console.c).
@0xb7c2d4e6f8091a2b;

using C = import "c.capnp";
$C.namespace("capos");

const textSinkInterface :UInt64 = 0xb7c2d4e6f8091a2c;

interface TextSink @0xb7c2d4e6f8091a2c {
  write @0 (bytes :Data) -> ();
}
