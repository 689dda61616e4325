/*
 * lib/term: the server side of one TerminalSession (schema/terminal.capnp,
 * docs/shell.md), whatever carries its bytes. The serial console
 * (services/console-terminal) and the Telnet gateway
 * (services/telnet-gateway) each keep one `struct term` per terminal and
 * do all I/O themselves; the library holds the session's state and the
 * meaning of its methods:
 *
 *   input   term_input (bytes typed), term_interrupt (an interrupt that
 *           came out of band, e.g. Telnet's IAC IP), term_resize (a new
 *           window size), term_hangup (the transport is gone)
 *   calls   term_call (one received TerminalSession call, answered now
 *           or once input completes it, through ops->answer / ops->fail)
 *   local   term_read_local (a readLine for the host itself, e.g. a
 *           gateway's login prompt, answered through ops->local_line)
 *   output  ops->write (echo and TerminalSession.write), with optional
 *           back-pressure: while ops->blocked says so, a write's answer
 *           waits until the host calls term_drained
 *
 * One process may serve many sessions: nothing is global but the
 * scratch buffer answers are built in (term.c), so all term_* calls of
 * a process must come from one thread. The library does no ring I/O
 * and never allocates, so the host unit tests run it as it is.
 *
 * Bounds (each session): TERM_PEND_MAX bytes typed and not yet given out
 * as keys or lines (term_input takes no more: the host stops reading its
 * transport while term_room is 0); one read waiting at a time (a second
 * is refused as overloaded); one write waiting for back-pressure (a
 * second is refused as overloaded); a line of TerminalSession.maxLine
 * bytes (more answers tooLong at Enter); readEvents gives at most
 * maxEvents keys a call.
 */
#ifndef CAPOS_TERM_H
#define CAPOS_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capnp.h"
#include "capos.capnp.h"
#include "keys.h"
#include "terminal.capnp.h"

#define TERM_PEND_MAX	4096
#define TERM_LINE_MAX	capos_TerminalSession_maxLine
/* Window sizes outside 1..TERM_DIM_MAX are not believed. */
#define TERM_DIM_MAX	4096

/* How a local read ended (term_read_local). */
enum term_line {
	TERM_LINE_OK,
	TERM_LINE_INTERRUPTED,
	TERM_LINE_EOF,
	TERM_LINE_TOO_LONG,
	TERM_LINE_CLOSED,
};

struct term_ops {
	/* Shows bytes (echo, TerminalSession.write); takes all of them.
	 * "\n" ends a line: the host maps it for its transport. */
	void (*write)(void *ctx, const void *p, size_t n);
	/* Answers a call with the message in b (NULL: an empty one). */
	void (*answer)(void *ctx, uint64_t call_id, struct capnp_builder *b);
	void (*fail)(void *ctx, uint64_t call_id,
	    enum capos_CapException_Type type, const char *why);
	/* A local read ended; line is valid only during the call. May be
	 * NULL for a host that never reads locally. */
	void (*local_line)(void *ctx, enum term_line how, const uint8_t *line,
	    size_t len);
	/* Whether writes should wait (the transport's output is backed up);
	 * NULL: never. */
	bool (*blocked)(void *ctx);
};

struct term {
	const struct term_ops *ops;
	void *ctx;
	struct key_decoder dec;
	uint8_t pend[TERM_PEND_MAX];	/* typed, not yet given out */
	size_t pend_len, pend_off;	/* pend_off <= pend_len <= max */
	bool closed;
	uint16_t columns, rows;
	bool resized;			/* a resize event is owed */
	/* The read waiting for typing, if any. */
	struct {
		bool active;
		bool line;		/* readLine (else readEvents) */
		bool echo;
		bool local;		/* term_read_local: no call to answer */
		uint64_t call_id;
		size_t len;		/* <= TERM_LINE_MAX */
		bool too_long;
		uint8_t buf[TERM_LINE_MAX];
	} rd;
	/* The write whose answer waits for the transport to drain. */
	struct {
		bool active;
		uint64_t call_id;
	} wr;
};

/* A fresh session of 80x24 until told otherwise. */
void term_init(struct term *t, const struct term_ops *ops, void *ctx);
/* How many more bytes term_input would take now. */
size_t term_room(const struct term *t);
/* Takes up to term_room typed bytes; returns how many it took. */
size_t term_input(struct term *t, const void *p, size_t n);
/* An out-of-band interrupt: typed bytes not yet given out are dropped
 * (as a terminal flushes its input on an interrupt) and Ctrl-C is taken
 * in their place. */
void term_interrupt(struct term *t);
/*
 * The window's size; 0 keeps that dimension, values beyond TERM_DIM_MAX
 * are clamped. With `event` set a change is also given to readEvents as
 * a resize event (the latest size, once).
 */
void term_resize(struct term *t, uint16_t columns, uint16_t rows,
    bool event);
/* The transport is gone: the waiting read (and any later one) answers
 * closed, a waiting write is answered, later writes are dropped. */
void term_hangup(struct term *t);
/* The transport's output has drained: answers a write that waited. */
void term_drained(struct term *t);
/* Starts a local readLine; 0, or -1 when a read is already waiting. */
int term_read_local(struct term *t, bool echo);
/* Whether a read (local or a call) is waiting. */
bool term_reading(const struct term *t);
/*
 * One received call. params_ok is false when its params did not read
 * (the call is refused); params may then be NULL. Every call is answered,
 * now or when input completes it.
 */
void term_call(struct term *t, uint64_t call_id, uint64_t interface_id,
    uint16_t method, const struct capnp_struct *params, bool params_ok);

#endif
