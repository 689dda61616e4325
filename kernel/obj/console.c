/*
 * Console and ConsoleInput: the serial console as capabilities.
 *
 * Console.write puts its bytes (at most CONSOLE_MAX_WRITE) into the
 * serial transmit buffer and answers at once. When the buffer has no room
 * the call waits, its bytes copied into a record charged to the caller,
 * in a queue of at most MAX_WAITING_WRITES (one more: `overloaded`); the
 * transmit interrupt moves waiting writes into the buffer in order and
 * answers them. So no write holds the CPU with interrupts off while the
 * port sends.
 *
 * ConsoleInput.read answers with the bytes the receive interrupt buffered,
 * or waits for the next; one read waits at a time (a second one:
 * `overloaded`, unless the first one's thread has ended). A read whose
 * thread has ended is never answered, so the bytes wait for the next one.
 */
#include <string.h>

#include "arch/x86_64/serial.h"
#include "cap/call.h"
#include "cap/scratch.h"
#include "kernel.h"
#include "mm/kmem.h"
#include "mm/mem.h"
#include "obj/objects.h"

#define CONSOLE_MAX_WRITE	4096
#define MAX_WAITING_WRITES	32

struct waiting_write {
	struct waiting_write *next;
	struct reply_to to;
	struct kcharge charge;
	uint32_t len;
	char bytes[];
};

static struct waiting_write *writes_head, *writes_tail;
static uint32_t nwrites;

static struct {
	bool waiting;
	struct reply_to to;
	uint32_t max;
} reader;

/* Answers a Console.write that had to wait. */
static void
write_done(const struct reply_to *to)
{
	struct capos_Console_write_Results_b res;
	struct reply r;
	size_t len;
	uint8_t *buf = reply_scratch(&len);

	reply_init(&r, buf, len);
	if (capos_Console_write_Results_init_root(&r.b, &res) != CAPNP_OK)
		r.started = false;
	reply_send(to, &r);
}

/* The transmit buffer has room again: move waiting writes into it. */
static void
output_room(void)
{
	struct waiting_write *w;

	while ((w = writes_head) != NULL && serial_queue(w->bytes, w->len)) {
		writes_head = w->next;
		if (writes_head == NULL)
			writes_tail = NULL;
		nwrites--;
		write_done(&w->to);
		kmem_free(w, &w->charge);
	}
}

static int
console_write(struct call *c)
{
	struct capos_Console_write_Params_r p;
	struct capos_Console_write_Results_b res;
	struct capnp_data bytes;
	struct capnp_msg m;
	struct waiting_write *w;
	struct kcharge ch = { 0 };

	if (call_params(c, &m, &p.s) != 0 ||
	    capos_Console_write_Params_get_bytes(&p, &bytes) != 0)
		return call_exception(c, capos_CapException_Type_failed,
		    "malformed Console.write params");
	if (bytes.len > CONSOLE_MAX_WRITE)
		return call_exception(c, capos_CapException_Type_failed,
		    "Console.write takes at most 4096 bytes");
	/* Behind waiting writes, a write waits too: output stays in order. */
	if (writes_head == NULL &&
	    serial_queue((const char *)bytes.ptr, bytes.len)) {
		if (capos_Console_write_Results_init_root(call_result(c),
		    &res) != 0)
			return call_exception(c,
			    capos_CapException_Type_failed, "result buffer");
		return CALL_DONE;
	}
	if (nwrites == MAX_WAITING_WRITES)
		return call_exception(c, capos_CapException_Type_overloaded,
		    "the console's output queue is full");
	if ((w = kmem_alloc(c->proc->kmem, sizeof(*w) + bytes.len, &ch)) ==
	    NULL)
		return call_exception(c, capos_CapException_Type_overloaded,
		    "the kernel memory limit is reached");
	w->next = NULL;
	w->charge = ch;
	w->to = c->to;
	w->to.owed = true;
	w->len = bytes.len;
	memcpy(w->bytes, bytes.ptr, bytes.len);
	if (writes_tail != NULL)
		writes_tail->next = w;
	else
		writes_head = w;
	writes_tail = w;
	nwrites++;
	return CALL_PENDING;
}

static int
console_call(struct kobj *obj, struct call *c)
{
	(void)obj;
	if (c->method != capos_Console_write_ORDINAL)
		return call_exception(c, capos_CapException_Type_unimplemented,
		    "Console has no such method");
	return console_write(c);
}

static const struct kobj_ops console_ops = {
	.name = "Console",
	.call = console_call,
	.release = NULL,	/* one static console for the whole system */
};

static struct kobj console;

struct kobj *
console_create(void)
{
	/* The kernel keeps the first reference, so it never reaches zero. */
	if (console.ops == NULL)
		kobj_init(&console, &console_ops);
	return kobj_ref(&console);
}

/* Builds a read's answer from the buffered bytes into r. */
static int
read_result(struct capnp_builder *b, uint32_t max)
{
	/* This CPU's (cap/scratch.h): kernel stacks are small. */
	uint8_t *bytes = this_scratch()->console_read;
	struct capos_ConsoleInput_read_Results_b res;
	uint32_t dropped;
	size_t n = serial_rx_take(bytes, max, &dropped);

	if (capos_ConsoleInput_read_Results_init_root(b, &res) != CAPNP_OK ||
	    capos_ConsoleInput_read_Results_set_bytes(&res, bytes, n) !=
	    CAPNP_OK)
		return -1;
	capos_ConsoleInput_read_Results_set_overflowed(&res, dropped);
	return 0;
}

/* Bytes arrived: answer the waiting read. */
static void
input_ready(void)
{
	struct reply r;
	size_t len;
	uint8_t *buf;

	if (!reader.waiting)
		return;
	reader.waiting = false;
	/* A read whose thread has ended takes nothing: the bytes stay for
	 * the next reader instead of going nowhere. */
	if (reply_to_gone(&reader.to))
		return;
	buf = reply_scratch(&len);
	reply_init(&r, buf, len);
	if (read_result(&r.b, reader.max) != 0)
		r.started = false;
	reply_send(&reader.to, &r);
}

static int
input_call(struct kobj *obj, struct call *c)
{
	struct capos_ConsoleInput_read_Params_r p;
	struct capnp_msg m;
	uint32_t max;

	(void)obj;
	if (c->method != capos_ConsoleInput_read_ORDINAL)
		return call_exception(c, capos_CapException_Type_unimplemented,
		    "ConsoleInput has no such method");
	if (call_params(c, &m, &p.s) != 0)
		return call_exception(c, capos_CapException_Type_failed,
		    "malformed ConsoleInput.read params");
	max = capos_ConsoleInput_read_Params_get_max(&p);
	if (max == 0 || max > capos_ConsoleInput_maxRead)
		max = capos_ConsoleInput_maxRead;
	if (serial_rx_pending() > 0) {
		if (read_result(call_result(c), max) != 0)
			return call_exception(c,
			    capos_CapException_Type_failed, "result buffer");
		return CALL_DONE;
	}
	if (reader.waiting && !reply_to_gone(&reader.to))
		return call_exception(c, capos_CapException_Type_overloaded,
		    "another read is waiting");
	reader.waiting = true;
	reader.to = c->to;
	reader.to.owed = true;
	reader.max = max;
	return CALL_PENDING;
}

static const struct kobj_ops input_ops = {
	.name = "ConsoleInput",
	.call = input_call,
	.release = NULL,	/* one static object for the whole system */
};

static struct kobj input;
static bool input_ok;

void
console_start(void)
{
	input_ok = serial_start_irq(input_ready, output_room);
	if (!input_ok)
		kwarn("console: no I/O APIC for COM1; no console input, "
		    "output polled\n");
}

struct kobj *
console_input_create(void)
{
	if (!input_ok)
		return NULL;
	if (input.ops == NULL)
		kobj_init(&input, &input_ops);
	return kobj_ref(&input);
}

bool
console_idle(void)
{
	return writes_head == NULL && serial_tx_idle();
}
