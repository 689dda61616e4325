# The agent shell (docs/agent.md): a language model proposes typed tool
# calls; capos-shell, which alone holds the session's capabilities,
# decides each one and runs the allowed ones on its own capabilities.
#
# The model is a service like any other. It receives text, the
# descriptors of the tools it may propose and the outcomes of earlier
# calls, and answers with text and structured tool calls. No call of this
# interface carries a capability towards the model: it never holds a
# session, terminal, launcher, token or secret.
@0xd3be731d9322d586;

using C = import "c.capnp";
$C.namespace("capos");

const languageModelInterface :UInt64 = 0xec7a43f24485a8d9;
const modelStreamInterface :UInt64 = 0xbd989da02bba55be;

# How the shell gates a call of one tool. The zero value is `forbidden`,
# so a mode that was never set refuses.
enum PermissionMode {
  forbidden @0;   # never described to the model; a call is refused
  auto @1;        # runs without asking
  consent @2;     # the user answers y/N on the terminal, seeing the call
  stepUp @3;      # the user authenticates again (UserSession.stepUp)
}

# One entry of a profile's permission map (the broker's manifest data).
struct ToolPermission {
  tool @0 :Text;            # CAPABILITY.METHOD, as the shell names it
  mode @1 :PermissionMode;
}

struct ModelInfo {
  name @0 :Text;
  provider @1 :Text;        # e.g. "script" for the deterministic model
  maxChunk @2 :UInt32;      # the largest text chunk it sends
}

# One parameter of a tool, from the method's schema metadata.
struct ToolParam {
  name @0 :Text;
  type @1 :Text;            # "UInt32", "Text", "AuthStrength (none|...)"
  secret @2 :Bool;          # marked $C.secret: its value is never echoed
}

struct ToolDescriptor {
  name @0 :Text;            # CAPABILITY.METHOD
  description @1 :Text;     # the interface and method, in schema terms
  params @2 :List(ToolParam);
  readOnly @3 :Bool;        # the method is marked $C.readOnly
  mode @4 :PermissionMode;  # auto, consent or stepUp: never forbidden
}

# A value in the typed-call syntax of the shell's `call` (docs/shell.md):
# 42, 0x2a, true, an enumerant name, or "a string" with \" \\ \n \t \xHH.
struct ToolArg {
  name @0 :Text;
  value @1 :Text;
}

struct ToolCall {
  id @0 :Text;              # chosen by the model; echoed in the result
  tool @1 :Text;            # CAPABILITY.METHOD
  args @2 :List(ToolArg);
}

# What became of a tool call. A call declined, refused or cancelled is an
# ordinary outcome the model is told about, not hidden control flow.
struct ToolResult {
  id @0 :Text;
  tool @1 :Text;
  outcome :union {
    ran @2 :Text;           # the result in Cap'n Proto text form
    failed @3 :Text;        # the call was made and failed, or was malformed
    declined @4 :Void;      # the user said no, or the step-up failed
    refused @5 :Text;       # not offered, forbidden, or over the turn's limit
    cancelled @6 :Void;     # Ctrl-C
  }
}

struct Message {
  union {
    user @0 :Text;
    assistant @1 :Text;
    toolCall @2 :ToolCall;
    toolResult @3 :ToolResult;
  }
}

struct CompleteRequest {
  messages @0 :List(Message);
  tools @1 :List(ToolDescriptor);
}

# One piece of a streamed answer.
struct ModelChunk {
  union {
    # The turn was cancelled. An empty answer reads as this, so a model
    # that answers a waiting `next` with nothing ends the turn.
    cancelled @0 :Void;
    text @1 :Text;          # at most LanguageModel.maxChunk bytes
    toolCall @2 :ToolCall;
    done @3 :Void;          # the answer is complete
    failed @4 :Text;        # the model cannot go on; why
  }
}

interface LanguageModel @0xec7a43f24485a8d9 {
  const maxChunk :UInt32 = 512;
  const maxMessages :UInt32 = 32;
  const maxTools :UInt32 = 32;

  info @0 () -> ModelInfo $C.readOnly;
  # Starts an answer to the conversation; its pieces come from the
  # stream, one `next` at a time, so the caller sets the pace and no
  # more than one chunk is ever in flight.
  complete @1 (request :CompleteRequest) -> (stream :ModelStream);
}

interface ModelStream @0xbd989da02bba55be {
  # The next piece. After `done`, `failed` or `cancelled` every further
  # call answers `done`.
  next @0 () -> ModelChunk;
  # Ends the answer: a `next` waiting is answered `cancelled`. Dropping
  # the stream cancels it too.
  cancel @1 () -> ();
}
