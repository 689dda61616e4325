/*
 * Console: writes bytes to the kernel's serial console.
 */
#include "arch/x86_64/serial.h"
#include "cap/call.h"
#include "kernel.h"
#include "obj/objects.h"

/* The serial port is polled with interrupts off: bound each write. */
#define CONSOLE_MAX_WRITE	4096

static int
console_call(struct kobj *obj, struct call *c)
{
	struct capos_Console_write_Params_r p;
	struct capos_Console_write_Results_b res;
	struct capnp_data bytes;
	struct capnp_msg m;

	(void)obj;
	if (c->method != capos_Console_write_ORDINAL)
		return call_exception(c, capos_CapException_Type_unimplemented,
		    "Console has no such method");
	if (call_params(c, &m, &p.s) != 0 ||
	    capos_Console_write_Params_get_bytes(&p, &bytes) != 0)
		return call_exception(c, capos_CapException_Type_failed,
		    "malformed Console.write params");
	if (bytes.len > CONSOLE_MAX_WRITE)
		return call_exception(c, capos_CapException_Type_failed,
		    "Console.write takes at most 4096 bytes");
	serial_write((const char *)bytes.ptr, bytes.len);
	if (capos_Console_write_Results_init_root(call_result(c), &res) != 0)
		return call_exception(c, capos_CapException_Type_failed,
		    "result buffer");
	return CALL_DONE;
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
