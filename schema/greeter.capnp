# The first-service guide's example (docs/first-service.md): a service
# that greets whoever calls it, by the name they give.
@0x90d442ea07fa1141;

using C = import "c.capnp";
$C.namespace("capos");

const greeterInterface :UInt64 = 0xf45e24c814f5aac3;

interface Greeter @0xf45e24c814f5aac3 {
  const maxName :UInt32 = 32;

  # Answers "hello, NAME". A name that is empty, longer than maxName or
  # not printable ASCII is refused with a `failed` exception.
  greet @0 (name :Text) -> (greeting :Text);
}
