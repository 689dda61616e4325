/*
 * ringtest: a test service that attacks its own ring. Every malformed
 * submission and every corrupted index must come back as the right error
 * completion (or cap_enter error), the kernel must keep running, and a
 * normal call must still work afterwards. It is granted the console twice,
 * as "console" and "console2", so it can make one id stale.
 */
#include <string.h>

#include "check.h"
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

int
main(void)
{
	capos_cap_t con = rt_cap("console", capos_Console_INTERFACE_ID);

	if (con == CAPOS_CAP_NULL) {
		rt_printf("ringtest: no console\n");
		return 1;
	}
	bad_entries(con);
	nt_flag();
	oversized_write(con);
	bad_ids(con);
	bad_indices();
	/* Finally an ordinary call through the runtime. */
	rt_printf("ringtest: %d checks, %d failed\n", test_checks, test_failed);
	if (test_failed != 0)
		return 1;
	rt_printf("[proof] ring-hostile ok checks=%d\n", test_checks);
	return 0;
}
