# Annotations read by the C code generator (tools/capnpc-c).
@0xc27e6fd412c4db73;

# The prefix of every C name generated for a schema file, e.g. "capos"
# gives capos_Console_INTERFACE_ID. Without it the file's base name is used.
annotation namespace @0xf2ba8c1c1d2d45e5 (file) :Text;
