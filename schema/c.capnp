# Annotations read by the C code generator (tools/capnpc-c).
@0xc27e6fd412c4db73;

# The prefix of every C name generated for a schema file, e.g. "capos"
# gives capos_Console_INTERFACE_ID. Without it the file's base name is used.
annotation namespace @0xf2ba8c1c1d2d45e5 (file) :Text;

# Marks a method that changes nothing its caller could notice: the agent
# shell describes it to a language model as read-only (docs/agent.md).
# The mark informs; the shell's permission map still decides every call.
annotation readOnly @0xa7cec74c2a49ac87 (method) :Void;
# Marks a field whose value is a secret (a password, a key): it is never
# echoed in a tool trace or written to an audit record.
annotation secret @0xe93b026490e73c11 (field, param) :Void;
