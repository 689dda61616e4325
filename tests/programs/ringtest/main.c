/*
 * ringtest: a test service that attacks its own ring. Every malformed
 * submission and every corrupted index must come back as the right error
 * completion (or cap_enter error), the kernel must keep running, and a
 * normal call must still work afterwards. It is granted the console twice,
 * as "console" and "console2", so it can make one id stale, and
 * "endpointFactory", so it can attack RECV and RETURN on endpoints it
 * serves and calls itself.
 */
#include <string.h>

#include "answer.h"
#include "check.h"
#include "ipctest.capnp.h"
#include "rt.h"

#define KERNEL_ADDR	0xFFFF800000000000ull
#define INIT_GEN	0x9E37u	/* init is process 1; see noauth */

static uint8_t result[512] __attribute__((aligned(8)));
static uint8_t params[256] __attribute__((aligned(8)));

/* A CALL to the console's write with an empty Console.write message. */
static void
console_call(struct capos_sqe *e, capos_cap_t con)
{
	struct capnp_builder b;
	struct capos_Console_write_Params_b p;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_Console_write_Params_init_root(&b, &p) != 0)
		rt_printf("ringtest: cannot build params\n");
	rt_prep_call(e, con, capos_Console_INTERFACE_ID,
	    capos_Console_write_ORDINAL, &b, result, sizeof(result), NULL, 0,
	    0);
}

/* Submits e and returns its completion status. */
static int
run(struct capos_sqe *e, struct capos_cqe *cqe)
{
	struct capos_cqe local;
	int rc;

	if (cqe == NULL)
		cqe = &local;
	e->user_data = rt_next_tag();
	if ((rc = rt_submit(e)) != 0 || (rc = rt_wait(e->user_data, cqe)) != 0)
		return rc;
	return cqe->status;
}

/*
 * Submits e, which the kernel must refuse at once, and returns its status;
 * 1 when the kernel took it instead (a RECV left waiting for a call), so a
 * wrongly accepted entry fails its check rather than hanging the test.
 */
static int
run_refused(struct capos_sqe *e)
{
	struct capos_ring_header *r = rt_ring();
	struct capos_cqe c;
	int rc;

	e->user_data = rt_next_tag();
	if ((rc = rt_submit(e)) != 0)
		return rc;
	cap_enter(0, CAPOS_TIMEOUT_NONE);
	if (r->cq_tail == r->cq_head) {
		(void)rt_forget(e->user_data);
		return 1;
	}
	if ((rc = rt_wait(e->user_data, &c)) != 0)
		return rc;
	return c.status;
}

static void
bad_entries(capos_cap_t con)
{
	struct capos_sqe e;
	struct capos_cqe c;

	memset(&e, 0, sizeof(e));
	e.opcode = CAPOS_OP_NOP;
	expect("NOP", run(&e, NULL), 0);
	e.opcode = 200;
	expect("unknown opcode", run(&e, NULL), CAPOS_EBADOP);
	e.opcode = CAPOS_OP_NOP;
	e.flags = 1;
	expect("nonzero flags", run(&e, NULL), CAPOS_EINVAL);
	e.flags = 0;
	e.reserved = 7;
	expect("nonzero reserved", run(&e, NULL), CAPOS_EINVAL);

	console_call(&e, con);
	e.interface_id = capos_BootPackage_INTERFACE_ID;
	expect("wrong interface", run(&e, NULL), CAPOS_EIFACE);
	console_call(&e, con);
	e.params = KERNEL_ADDR;
	expect("params in kernel space", run(&e, NULL), CAPOS_EFAULT);
	console_call(&e, con);
	e.params = 0x1000;
	expect("params unmapped", run(&e, NULL), CAPOS_EFAULT);
	console_call(&e, con);
	e.params = 0xFFFFFFFFFFFFFFF0ull;
	e.params_len = 0x100;
	expect("params wrapping", run(&e, NULL), CAPOS_EFAULT);
	console_call(&e, con);
	e.params_len = CAPOS_MAX_PARAMS + 1;
	expect("params too long", run(&e, NULL), CAPOS_E2BIG);
	console_call(&e, con);
	e.result = KERNEL_ADDR;
	expect("result in kernel space", run(&e, NULL), CAPOS_EFAULT);
	console_call(&e, con);
	e.result_len = 4;
	expect("result too small", run(&e, NULL), CAPOS_ERESULT);
	console_call(&e, con);
	e.caps = KERNEL_ADDR;
	e.ncaps_in = 1;
	expect("caps in kernel space", run(&e, NULL), CAPOS_EFAULT);
	console_call(&e, con);
	e.ncaps_in = CAPOS_MAX_XCAPS + 1;
	expect("too many caps", run(&e, NULL), CAPOS_E2BIG);

	/* Garbage params: the call fails with an exception, not a crash. */
	console_call(&e, con);
	memset(params, 0xA5, 64);
	e.params_len = 64;
	expect("garbage params status", run(&e, &c) >= 0, 1);
	expect("garbage params raise", c.flags & CAPOS_CQE_EXCEPTION,
	    CAPOS_CQE_EXCEPTION);
	expect("garbage params exception type", (int64_t)c.aux,
	    capos_CapException_Type_failed);
}

/* A system call with the nested-task flag set must not upset the kernel's
 * return to user mode. */
static void
nt_flag(void)
{
	int64_t rc;

	__asm__ volatile(
	    "pushfq\n\t"
	    "orq $0x4000, (%%rsp)\n\t"
	    "popfq\n\t"
	    "xorl %%edi, %%edi\n\t"
	    "xorl %%esi, %%esi\n\t"
	    "movl $0, %%eax\n\t"
	    "syscall"
	    : "=a"(rc) : : "rcx", "r11", "rdi", "rsi", "memory", "cc");
	expect("cap_enter with RFLAGS.NT set", rc >= 0, 1);
}

/* Writes past the console's per-call bound fail cleanly. */
static void
oversized_write(capos_cap_t con)
{
	static uint8_t big[8192];
	struct capos_Console_write_Params_b p;
	struct capnp_builder b;
	struct capos_cqe c;
	struct capos_sqe e;
	static uint8_t bigparams[8400] __attribute__((aligned(8)));

	memset(big, 'x', sizeof(big));
	if (capnp_builder_init(&b, bigparams, sizeof(bigparams)) != 0 ||
	    capos_Console_write_Params_init_root(&b, &p) != 0 ||
	    capos_Console_write_Params_set_bytes(&p, big, sizeof(big)) != 0)
		return;
	rt_prep_call(&e, con, capos_Console_INTERFACE_ID,
	    capos_Console_write_ORDINAL, &b, result, sizeof(result), NULL, 0,
	    0);
	expect("8 KiB console write", run(&e, &c) >= 0, 1);
	expect("is refused with an exception", c.flags & CAPOS_CQE_EXCEPTION,
	    CAPOS_CQE_EXCEPTION);
}

static void
bad_ids(capos_cap_t con)
{
	capos_cap_t con2 = rt_cap("console2", capos_Console_INTERFACE_ID);
	struct capos_capdesc move = { con2, CAPOS_XFER_MOVE };
	struct capos_sqe e;

	console_call(&e, con2);
	expect("second console works", run(&e, NULL) >= 0, 1);
	/* An object that takes no capabilities leaves a move undone. */
	console_call(&e, con);
	e.caps = (uint64_t)(uintptr_t)&move;
	e.ncaps_in = 1;
	expect("a move the object ignores", run(&e, NULL) >= 0, 1);
	console_call(&e, con2);
	expect("is rolled back", run(&e, NULL) >= 0, 1);
	memset(&e, 0, sizeof(e));
	e.opcode = CAPOS_OP_RELEASE;
	e.cap = con2;
	expect("release", run(&e, NULL), 0);
	expect("release again", run(&e, NULL), CAPOS_EBADCAP);
	console_call(&e, con2);
	expect("stale generation", run(&e, NULL), CAPOS_EBADCAP);
	console_call(&e, (INIT_GEN << 16) | CAPOS_CAP_INDEX(con));
	expect("another process's id", run(&e, NULL), CAPOS_EBADCAP);
	console_call(&e, con + 1);
	expect("unused slot", run(&e, NULL), CAPOS_EBADCAP);
}

static void
bad_indices(void)
{
	struct capos_ring_header *r = rt_ring();
	struct capos_sqe *sq = (struct capos_sqe *)((uint8_t *)r +
	    r->sq_offset);
	struct capos_cqe c;
	uint32_t head = r->sq_head, tail;

	/* A tail far past the head: one ERING completion, then resync. */
	r->sq_tail = head + 1000;
	cap_enter(0, CAPOS_TIMEOUT_NONE);
	expect("corrupt SQ tail reported", rt_wait(0, &c) == 0 &&
	    c.status == CAPOS_ERING, 1);
	expect("SQ resynchronised", r->sq_head, head + 1000);

	/* More entries than the ring holds: the same, not a misread. */
	tail = r->sq_tail;
	for (uint32_t i = 0; i <= CAPOS_SQ_ENTRIES; i++) {
		memset(&sq[(tail + i) % CAPOS_SQ_ENTRIES], 0, sizeof(*sq));
		sq[(tail + i) % CAPOS_SQ_ENTRIES].user_data = 0x5A5A;
	}
	r->sq_tail = tail + CAPOS_SQ_ENTRIES + 1;
	cap_enter(0, CAPOS_TIMEOUT_NONE);
	expect("SQ overflow reported", rt_wait(0, &c) == 0 &&
	    c.status == CAPOS_ERING, 1);

	/* sq_head belongs to the kernel: scribbling on it changes nothing. */
	r->sq_head = 0xDEAD;
	memset(&c, 0, sizeof(c));
	{
		struct capos_sqe e;

		memset(&e, 0, sizeof(e));
		e.opcode = CAPOS_OP_NOP;
		/* rt_submit reads sq_head; write the entry by hand. */
		tail = r->sq_tail;
		e.user_data = 0x77;
		sq[tail % CAPOS_SQ_ENTRIES] = e;
		r->sq_tail = tail + 1;
		cap_enter(0, CAPOS_TIMEOUT_NONE);
		expect("NOP after sq_head scribble", rt_wait(0x77, &c) == 0 &&
		    c.status == 0, 1);
	}

	/* A CQ head ahead of the tail: cap_enter refuses until it is fixed. */
	head = r->cq_head;
	r->cq_head = r->cq_tail + 7;
	expect("corrupt CQ head", cap_enter(0, CAPOS_TIMEOUT_NONE),
	    CAPOS_ERING);
	r->cq_head = head;
	expect("CQ head restored", cap_enter(0, CAPOS_TIMEOUT_NONE) >= 0, 1);
}

/*
 * A call in flight to an endpoint this process serves: the CALL entry's
 * tag, where its answer lands, and the call_id its RECV gave.
 */
struct flight {
	uint64_t tag;
	uint8_t answer[256] __attribute__((aligned(8)));
	uint8_t pbuf[128] __attribute__((aligned(8)));
	struct capos_capdesc caps[CAPOS_MAX_XCAPS];
	uint64_t call_id;
};

#define NO_CAP	0xFFFFFFFFu	/* fills caps[] to show nothing was written */

/* Submits IpcTest.echo(word) on client without waiting for it. */
static int
flight_call(struct flight *f, capos_cap_t client, const char *word)
{
	struct capos_IpcTest_echo_Params_b p;
	struct capnp_builder b;
	struct capos_sqe e;

	if (capnp_builder_init(&b, f->pbuf, sizeof(f->pbuf)) != 0 ||
	    capos_IpcTest_echo_Params_init_root(&b, &p) != 0 ||
	    capos_IpcTest_echo_Params_set_data(&p, word, strlen(word)) != 0)
		return -1;
	for (int i = 0; i < CAPOS_MAX_XCAPS; i++)
		f->caps[i] = (struct capos_capdesc){ NO_CAP, NO_CAP };
	rt_prep_call(&e, client, capos_IpcTest_INTERFACE_ID,
	    capos_IpcTest_echo_ORDINAL, &b, f->answer, sizeof(f->answer),
	    f->caps, 0, CAPOS_MAX_XCAPS);
	f->tag = e.user_data;
	return rt_submit(&e);
}

/* RECVs the next call on owner into f; returns the RECV's status. */
static int
flight_recv(struct flight *f, capos_cap_t owner)
{
	static uint8_t rbuf[512] __attribute__((aligned(8)));
	struct capos_capdesc rcaps[CAPOS_MAX_XCAPS];
	struct capos_sqe e;
	int rc;

	rt_prep_recv(&e, owner, rbuf, sizeof(rbuf), rcaps);
	if ((rc = run(&e, NULL)) >= (int)sizeof(struct capos_recv_hdr))
		f->call_id = ((struct capos_recv_hdr *)rbuf)->call_id;
	return rc;
}

/* RETURNs msg (len bytes) with flags to call_id on cap; the status. */
static int
answer(capos_cap_t cap, uint64_t call_id, uint8_t flags, const void *msg,
    size_t len, struct capos_capdesc *caps, uint16_t ncaps)
{
	struct capos_sqe e;

	rt_prep_return(&e, cap, call_id, msg, len, caps, ncaps);
	e.flags = flags;
	return run(&e, NULL);
}

/* Builds IpcTest.echo's result carrying word; its length, or 0. */
static size_t
echo_result(uint8_t *buf, size_t buflen, const char *word)
{
	struct capos_IpcTest_echo_Results_b r;
	struct capnp_builder b;

	if (capnp_builder_init(&b, buf, buflen) != 0 ||
	    capos_IpcTest_echo_Results_init_root(&b, &r) != 0 ||
	    capos_IpcTest_echo_Results_set_data(&r, word, strlen(word)) != 0)
		return 0;
	return capnp_builder_finish(&b);
}

/* Waits for f's answer: 1 when it is a result echoing word. */
static int
flight_echoed(struct flight *f, const char *word, struct rt_result *res)
{
	struct capos_IpcTest_echo_Results_r r;
	struct capnp_data d;
	struct capos_cqe c;

	if (rt_wait(f->tag, &c) != 0 || rt_result_read(&c, f->answer, res) != 0)
		return 0;
	r.s = res->root;
	return capos_IpcTest_echo_Results_get_data(&r, &d) == 0 &&
	    d.len == strlen(word) && memcmp(d.ptr, word, d.len) == 0;
}

/*
 * The slot the next capability this process receives lands in: a client
 * minted and released at once leaves its slot at the head of the table's
 * free list. Comparing it before and after shows whether anything was
 * put into the table in between.
 */
static uint32_t
next_slot(capos_cap_t owner)
{
	capos_cap_t c = svc_mint(owner, 0, 0);

	if (c == CAPOS_CAP_NULL || rt_release(c) != 0)
		return 0xFFFFFFFFu;
	return CAPOS_CAP_INDEX(c);
}

/*
 * RECV and RETURN against what is not an endpoint owner, and RETURN with
 * call ids that are bogus, belong to another endpoint or were answered
 * already, with an unmapped reply, and as an exception carrying
 * capabilities. Every refused RETURN must leave its call unanswered; an
 * ordinary call through the endpoints must work afterwards.
 *
 * An exception carries no capabilities: the kernel refuses a RETURN with
 * CAPOS_SQE_EXCEPTION and capabilities as a malformed entry (CAPOS_EINVAL,
 * cap/ring.c) before it takes any, so a move stays with the server and the
 * call stays open. An exception RETURN without capabilities then delivers
 * only the CapException, its type in the CQE's aux (endpoint_return).
 */
static void
endpoint_attacks(capos_cap_t con, capos_cap_t factory)
{
	static struct flight f1, f2, f3, f4;
	static uint8_t msg[256] __attribute__((aligned(8)));
	struct capos_CapException_b ex;
	struct capos_capdesc send[1];
	struct capnp_builder b;
	struct rt_result res;
	struct capos_sqe e;
	capos_cap_t a = svc_endpoint(factory, capos_IpcTest_INTERFACE_ID);
	capos_cap_t bep = svc_endpoint(factory, capos_IpcTest_INTERFACE_ID);
	capos_cap_t ca = svc_mint(a, 0, 0), cb = svc_mint(bep, 0, 0), gone;
	capos_cap_t moved;
	uint32_t slot;
	size_t len;

	if (a == CAPOS_CAP_NULL || bep == CAPOS_CAP_NULL ||
	    ca == CAPOS_CAP_NULL || cb == CAPOS_CAP_NULL) {
		expect("two endpoints and their clients", 0, 1);
		return;
	}
	gone = svc_mint(a, 0, 0);
	expect("release a client", rt_release(gone), 0);

	/* RECV only on an owner, with a well-formed entry. */
	rt_prep_recv(&e, ca, msg, sizeof(msg), NULL);
	expect("RECV on a client facet", run_refused(&e), CAPOS_EIFACE);
	rt_prep_recv(&e, con, msg, sizeof(msg), NULL);
	expect("RECV on a kernel object", run_refused(&e), CAPOS_EIFACE);
	rt_prep_recv(&e, gone, msg, sizeof(msg), NULL);
	expect("RECV on a released id", run_refused(&e), CAPOS_EBADCAP);
	rt_prep_recv(&e, a, msg, sizeof(msg), NULL);
	e.flags = CAPOS_SQE_EXCEPTION;
	expect("RECV with RETURN's flag", run_refused(&e), CAPOS_EINVAL);
	rt_prep_recv(&e, a, msg, sizeof(struct capos_recv_hdr) - 1, NULL);
	expect("RECV buffer below the header", run_refused(&e), CAPOS_ERESULT);

	/* One call received on a: every wrong RETURN leaves it open. */
	expect("call a", flight_call(&f1, ca, "one"), 0);
	expect("RECV it on a", flight_recv(&f1, a) > 0 && f1.call_id != 0, 1);
	len = echo_result(msg, sizeof(msg), "one");
	expect("RETURN on a client facet", answer(ca, f1.call_id, 0, msg, len,
	    NULL, 0), CAPOS_EIFACE);
	expect("RETURN on a kernel object", answer(con, f1.call_id, 0, msg,
	    len, NULL, 0), CAPOS_EIFACE);
	expect("RETURN on a released id", answer(gone, f1.call_id, 0, msg, len,
	    NULL, 0), CAPOS_EBADCAP);
	expect("RETURN with call_id 0", answer(a, 0, 0, msg, len, NULL, 0),
	    CAPOS_EINVAL);
	expect("RETURN with a bogus call_id", answer(a, f1.call_id + 1000, 0,
	    msg, len, NULL, 0), CAPOS_EINVAL);
	expect("RETURN of a's call on b", answer(bep, f1.call_id, 0, msg, len,
	    NULL, 0), CAPOS_EINVAL);
	expect("RETURN with an unmapped reply", answer(a, f1.call_id, 0,
	    (const void *)0x1000, 64, NULL, 0), CAPOS_EFAULT);
	expect("RETURN with a kernel-space reply", answer(a, f1.call_id, 0,
	    (const void *)KERNEL_ADDR, 64, NULL, 0), CAPOS_EFAULT);
	expect("the right RETURN after all that", answer(a, f1.call_id, 0, msg,
	    len, NULL, 0), 0);
	expect("reaches the caller intact", flight_echoed(&f1, "one", &res),
	    1);
	expect("RETURN to an answered call", answer(a, f1.call_id, 0, msg, len,
	    NULL, 0), CAPOS_EINVAL);

	/* A call open on each endpoint: ids are the endpoint's own. */
	expect("call a again", flight_call(&f2, ca, "two"), 0);
	expect("RECV it on a", flight_recv(&f2, a) > 0, 1);
	expect("call b", flight_call(&f3, cb, "three"), 0);
	expect("RECV it on b", flight_recv(&f3, bep) > 0, 1);
	expect("b's call_id is the value a already answered", f3.call_id,
	    (int64_t)f1.call_id);
	expect("RETURN of a's open call on b", answer(bep, f2.call_id, 0, msg,
	    len, NULL, 0), CAPOS_EINVAL);
	expect("RETURN on a with b's open call_id", answer(a, f3.call_id, 0,
	    msg, len, NULL, 0), CAPOS_EINVAL);

	/* An exception that sends a capability is refused whole. */
	slot = next_slot(a);
	if (capnp_builder_init(&b, msg, sizeof(msg)) != 0 ||
	    capos_CapException_init_root(&b, &ex) != 0 ||
	    capos_CapException_set_reason(&ex, "no", 2) != 0) {
		expect("a CapException to answer with", 0, 1);
		return;
	}
	capos_CapException_set_type(&ex, capos_CapException_Type_overloaded);
	len = capnp_builder_finish(&b);
	moved = svc_mint(bep, 0, 0);
	send[0] = (struct capos_capdesc){ moved, CAPOS_XFER_MOVE };
	expect("exception RETURN moving a capability", answer(a, f2.call_id,
	    CAPOS_SQE_EXCEPTION, msg, len, send, 1), CAPOS_EINVAL);
	send[0] = (struct capos_capdesc){ con, CAPOS_XFER_COPY };
	expect("exception RETURN copying a capability", answer(a, f2.call_id,
	    CAPOS_SQE_EXCEPTION, msg, len, send, 1), CAPOS_EINVAL);
	expect("the move stayed with the server", moved != CAPOS_CAP_NULL &&
	    rt_release(moved) == 0, 1);
	expect("the call is still open: exception RETURN", answer(a,
	    f2.call_id, CAPOS_SQE_EXCEPTION, msg, len, NULL, 0), 0);
	{
		struct capos_cqe c;

		expect("caller sees the exception", rt_wait(f2.tag, &c) == 0 &&
		    (c.flags & CAPOS_CQE_EXCEPTION) != 0, 1);
		expect("of the server's type", (int64_t)c.aux,
		    capos_CapException_Type_overloaded);
		expect("with no capability", c.ncaps, 0);
		expect("none written to its caps", f2.caps[0].cap, NO_CAP);
	}
	expect("and none put in any table", next_slot(a), slot);

	/* Finally an ordinary call, with a capability, through b. */
	len = echo_result(msg, sizeof(msg), "three");
	send[0] = (struct capos_capdesc){ con, CAPOS_XFER_COPY };
	expect("ordinary RETURN with a capability", answer(bep, f3.call_id, 0,
	    msg, len, send, 1), 0);
	expect("ordinary call answered", flight_echoed(&f3, "three", &res), 1);
	expect("with the capability", res.cqe.ncaps, 1);
	console_call(&e, f3.caps[0].cap);
	expect("which is a working console", res.cqe.ncaps == 1 &&
	    run(&e, NULL) >= 0, 1);
	expect("a new call through a", flight_call(&f4, ca, "four"), 0);
	expect("is received", flight_recv(&f4, a) > 0, 1);
	len = echo_result(msg, sizeof(msg), "four");
	expect("and answered", answer(a, f4.call_id, 0, msg, len, NULL, 0), 0);
	expect("as the caller sees", flight_echoed(&f4, "four", &res), 1);

	rt_release(f3.caps[0].cap);
	rt_release(ca);
	rt_release(cb);
	rt_release(a);
	rt_release(bep);
}

int
main(void)
{
	capos_cap_t con = rt_cap("console", capos_Console_INTERFACE_ID);
	capos_cap_t factory = rt_cap("endpointFactory",
	    capos_EndpointFactory_INTERFACE_ID);

	if (con == CAPOS_CAP_NULL || factory == CAPOS_CAP_NULL) {
		rt_printf("ringtest: needs \"console\" and "
		    "\"endpointFactory\"\n");
		return 1;
	}
	bad_entries(con);
	nt_flag();
	oversized_write(con);
	bad_ids(con);
	bad_indices();
	endpoint_attacks(con, factory);
	rt_printf("ringtest: %d checks, %d failed\n", test_checks, test_failed);
	if (test_failed != 0)
		return 1;
	rt_debug("[proof] ring-hostile ok malformed entries, corrupt indices, "
	    "stale and foreign ids, RECV and RETURN off an owner or with a "
	    "wrong call_id all refused; calls work after\n");
	return 0;
}
