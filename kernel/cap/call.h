/*
 * A method call being served, and the reply that goes back. A reply carries
 * either a result message (built into a kernel buffer with the generated
 * builders, or already encoded by a server) plus result capabilities, or a
 * CapException. Calls that cannot finish at once keep their reply_to and
 * answer later with reply_send; the caller's CQ slot stays promised to them.
 */
#ifndef CAPOS_CALL_H
#define CAPOS_CALL_H

#include <stdbool.h>
#include <stdint.h>

#include "capnp.h"
#include "capos/abi.h"
#include "capos.capnp.h"
#include "cap/kobj.h"
#include "cap/transfer.h"
#include "proc/proc.h"

/* Where an answer goes: a thread's ring and buffers in its process. */
struct reply_to {
	struct thread_ref thread;
	uint64_t user_data;
	uint64_t result;
	uint32_t result_len;
	uint64_t caps;
	uint16_t ncaps_out;
	uint8_t opcode;
	bool owed;		/* a CQ slot is promised (pending call) */
};

struct reply {
	struct capnp_builder b;
	uint8_t *buf;
	size_t buflen;
	bool started;
	const uint8_t *raw;	/* an encoded message to send as is, or NULL */
	size_t raw_len;
	int exc_type;		/* -1, or a capos_CapException_Type */
	const char *exc_reason;
	uint32_t ncaps;
	struct kobj *caps[CAPOS_MAX_XCAPS];	/* references owned */
	uint64_t caps_iface[CAPOS_MAX_XCAPS];
};

struct call {
	struct process *proc;		/* the caller */
	struct thread *thread;
	uint16_t method;
	uint64_t interface_id;
	uint64_t meta;			/* the capability slot's metadata */
	const uint8_t *params;
	uint32_t params_len;
	/* Sent capabilities. An object that keeps them sets ncaps_in to 0
	 * and settles them itself later. */
	uint32_t ncaps_in;
	struct xcap caps_in[CAPOS_MAX_XCAPS];
	/* Set by an object that took the sent capabilities for good; when
	 * unset, moves roll back whatever the call's outcome. */
	bool caps_consumed;
	/* ThreadControl.exit: end the calling thread instead of replying. */
	bool exit_after;
	uint64_t exit_value;
	struct reply reply;
	struct reply_to to;
};

/* Reads the params message root; an empty message reads as defaults. */
int call_params(struct call *c, struct capnp_msg *m, struct capnp_struct *root);
/* The builder for the result message. */
struct capnp_builder *call_result(struct call *c);
/* Answers with an exception; always returns CALL_DONE. */
int call_exception(struct call *c, enum capos_CapException_Type type,
    const char *reason);
/* Adds a result capability (taking the caller's reference); returns its
 * index for the result message's capability field, or -1 if full. */
int reply_add_cap(struct reply *r, struct kobj *obj, uint64_t iface);

/* For pending calls: a fresh reply, then send it to where the call came
 * from. Returns the status the caller's completion got (>= 0 delivered).
 * reply_send releases what it could not deliver. */
void reply_init(struct reply *r, uint8_t *buf, size_t len);
int reply_send(const struct reply_to *to, struct reply *r);
/* The scratch buffer pending calls build their replies in. */
uint8_t *reply_scratch(size_t *len);
/* Answers a pending call with an exception. */
void reply_cancel(const struct reply_to *to, enum capos_CapException_Type type,
    const char *reason);
/* Whether the thread a pending call came from has ended, so nothing can
 * be delivered to it: a slot it holds may be taken by another call. */
bool reply_to_gone(const struct reply_to *to);
/* Completes a pending entry with a bare status (no result message). */
void reply_status(const struct reply_to *to, int32_t status, uint64_t aux);

/* Inserts caps into p's table and writes their ids to the user array at
 * uva; all or nothing. Takes over the references on success. Returns the
 * count, or a transport error. */
int caps_deliver(struct process *p, uint64_t uva, uint16_t room,
    struct kobj **objs, const uint64_t *ifaces, uint32_t n);

/* The cap_enter system call. */
int64_t cap_enter(uint32_t min_complete, uint64_t timeout_ns);

#endif
