/*
 * A method call being served by a kernel object, and the reply that goes
 * back. A reply carries either a result message (built into a kernel
 * buffer with the generated builders) plus result capabilities, or a
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
	int exc_type;		/* -1, or a capos_CapException_Type */
	const char *exc_reason;
	uint32_t ncaps;
	struct kobj *caps[CAPOS_MAX_XCAPS];
	uint64_t caps_iface[CAPOS_MAX_XCAPS];
};

struct call {
	struct process *proc;		/* the caller */
	struct thread *thread;
	uint16_t method;
	uint64_t meta;			/* the capability slot's metadata */
	const uint8_t *params;
	uint32_t params_len;
	uint32_t ncaps_in;
	struct kobj *caps_in[CAPOS_MAX_XCAPS];
	uint64_t caps_in_iface[CAPOS_MAX_XCAPS];
	struct reply reply;
	struct reply_to to;
};

/* Reads the params message root; an empty message reads as defaults. */
int call_params(struct call *c, struct capnp_msg *m, struct capnp_struct *root);
/* The builder for the result message (started on first use). */
struct capnp_builder *call_result(struct call *c);
/* Answers with an exception; always returns CALL_DONE. */
int call_exception(struct call *c, enum capos_CapException_Type type,
    const char *reason);
/* Adds a result capability (taking the caller's reference); returns its
 * index for the result message's capability field, or -1 if full. */
int reply_add_cap(struct reply *r, struct kobj *obj, uint64_t iface);

/* For pending calls: a fresh reply, then send it to where the call came
 * from. reply_send releases what it could not deliver. */
void reply_init(struct reply *r, uint8_t *buf, size_t len);
void reply_send(const struct reply_to *to, struct reply *r);
/* The scratch buffer pending calls build their replies in. */
uint8_t *reply_scratch(size_t *len);
/* A pending call whose caller will never be answered (object destroyed). */
void reply_cancel(const struct reply_to *to, enum capos_CapException_Type type,
    const char *reason);

/* The cap_enter system call. */
int64_t cap_enter(uint32_t min_complete, uint64_t timeout_ns);

#endif
