# lib/term: the server side of a TerminalSession, whatever carries its
# bytes (docs/shell.md, "TerminalSession servers"). The console terminal
# and the remote gateways link it from the runtime library; the host unit
# runner tests it as it is.
#
# This file must sort before user.mk: it adds to USER_LIB_EXTRA_SRCS.

TERM_SRCS := lib/term/keys.c lib/term/term.c
USER_LIB_EXTRA_SRCS += $(TERM_SRCS)
UNIT_SRCS += tests/unit/test_term.c $(TERM_SRCS)
UNIT_CFLAGS += -Ilib/term
UNIT_DEPS += $(CAPNP_GEN)/capos.capnp.h $(CAPNP_GEN)/terminal.capnp.h
