/*
 * The capOS kernel ABI, shared by the kernel and userspace. Everything a
 * program and the kernel exchange outside of Cap'n Proto messages is here:
 * the two system calls, the ring layout, transport errors and the start
 * block a new process finds in memory. docs/abi.md explains each field.
 *
 * Every field userspace can write is untrusted: the kernel copies an entry
 * out of shared memory once, then validates the copy.
 */
#ifndef CAPOS_ABI_H
#define CAPOS_ABI_H

#include <stdint.h>

/* System calls: number in %rax, arguments in %rdi, %rsi; result in %rax. */
#define CAPOS_SYS_CAP_ENTER	0	/* cap_enter(min_complete, timeout_ns) */
#define CAPOS_SYS_EXIT		1	/* exit(status): ends the process */

#define CAPOS_TIMEOUT_NONE	0ull		/* never block */
#define CAPOS_TIMEOUT_INFINITE	UINT64_MAX	/* block until satisfied */

/* A capability id: slot index in the low 16 bits, generation above. */
typedef uint32_t capos_cap_t;
#define CAPOS_CAP_INDEX(id)	((id) & 0xFFFFu)
#define CAPOS_CAP_GEN(id)	((id) >> 16)
#define CAPOS_CAP_NULL		0u

/* Submission opcodes. New operations are new opcodes, never new syscalls. */
enum capos_op {
	CAPOS_OP_NOP = 0,	/* completes at once with status 0 */
	CAPOS_OP_CALL = 1,	/* invoke a method on a capability */
	CAPOS_OP_RECV = 2,	/* endpoint owner: take the next call */
	CAPOS_OP_RETURN = 3,	/* endpoint owner: answer a received call */
	CAPOS_OP_RELEASE = 4,	/* drop a capability from the table */
	CAPOS_OP_COUNT
};

/*
 * One submission: 64 bytes. `flags` may hold only what the opcode defines
 * and `reserved` must be zero (else CAPOS_EINVAL); fields the opcode does
 * not use are ignored.
 */
struct capos_sqe {
	uint8_t opcode;
	uint8_t flags;		/* CAPOS_SQE_*; others must be 0 */
	uint16_t method;	/* CALL: method ordinal */
	capos_cap_t cap;	/* CALL, RELEASE, RECV, RETURN: the target */
	uint64_t user_data;	/* copied to the completion untouched */
	union {
		uint64_t interface_id;	/* CALL: interface expected */
		uint64_t call_id;	/* RETURN: from the RECV completion */
	};
	uint64_t params;	/* CALL: params message; RETURN: the reply */
	uint32_t params_len;
	uint32_t result_len;	/* capacity of the result buffer */
	uint64_t result;	/* user address of the result buffer */
	uint64_t caps;		/* user address of struct capos_capdesc[] */
	uint16_t ncaps_in;	/* descriptors sent with the call */
	uint16_t ncaps_out;	/* room for capabilities in the result */
	uint32_t reserved;
};

/* RETURN: the reply message is a CapException, not a result. */
#define CAPOS_SQE_EXCEPTION	0x1

/*
 * A completed RECV leaves this header at the start of its result buffer,
 * followed by the call's params message. The session reference is the
 * caller's, fixed by the kernel when the caller was spawned; a caller
 * cannot choose or change it.
 */
struct capos_recv_hdr {
	uint64_t call_id;	/* name the call in RETURN */
	uint64_t interface_id;
	uint16_t method;
	uint16_t ncaps;		/* capabilities received, ids in `caps` */
	uint32_t params_len;
	uint8_t session[16];
	uint64_t epoch;
	uint64_t badge;		/* of the client capability called */
};

/*
 * A RECV completion whose header has call_id 0 and this method is not a
 * call but a notice: the last reference to the client capability with the
 * header's badge is gone (only badged clients are noticed). It takes no
 * RETURN.
 */
#define CAPOS_METHOD_DROPPED	0xFFFF

/* Capability transfer descriptor (sent), or result capability (received). */
struct capos_capdesc {
	capos_cap_t cap;
	uint32_t mode;		/* CAPOS_XFER_* when sent; 0 when received */
};

#define CAPOS_XFER_COPY	0
#define CAPOS_XFER_MOVE	1

/* One completion: 32 bytes. */
struct capos_cqe {
	uint64_t user_data;
	int32_t status;		/* >= 0: result bytes written; < 0: CAPOS_E* */
	uint32_t flags;		/* CAPOS_CQE_* */
	uint16_t ncaps;		/* result capabilities written to `caps` */
	uint8_t opcode;
	uint8_t reserved0;
	uint32_t reserved1;
	uint64_t aux;		/* opcode-specific */
};

/* The result buffer holds a CapException message instead of the result. */
#define CAPOS_CQE_EXCEPTION	0x1

/*
 * Transport errors: the ring entry itself was unusable. Domain outcomes
 * travel in result messages and failures of the call in CapException.
 */
#define CAPOS_EBADCAP	(-1)	/* no such capability (stale, foreign, freed) */
#define CAPOS_EFAULT	(-2)	/* a user buffer is not mapped as needed */
#define CAPOS_EBADOP	(-3)	/* unknown opcode */
#define CAPOS_EINVAL	(-4)	/* malformed entry: flags, reserved, lengths */
#define CAPOS_EIFACE	(-5)	/* the capability does not speak that interface */
#define CAPOS_E2BIG	(-6)	/* params or capability count over the limit */
#define CAPOS_ERESULT	(-7)	/* result buffer too small for the answer */
#define CAPOS_ETRANSFER	(-8)	/* capability transfer failed; nothing moved */
#define CAPOS_ERING	(-9)	/* the ring indices were corrupt; resynchronised */
#define CAPOS_ENOMEM	(-10)	/* the kernel could not allocate for this entry */
#define CAPOS_ECANCELED	(-11)	/* the call was cancelled (thread or peer gone) */
#define CAPOS_EBUSY	(-12)	/* a bounded kernel queue is full; retry later */
#define CAPOS_EPEER	(-13)	/* RECV: no client capability to the endpoint
				   is left, so no call can ever come */

/* Limits. */
#define CAPOS_MAX_PARAMS	65536	/* bytes of one params message */
#define CAPOS_MAX_RESULT	65536	/* bytes of one result message */
#define CAPOS_MAX_XCAPS		16	/* capabilities on one call or return */
/*
 * The largest system manifest a boot package may hold, as init receives
 * it: BootPackage.manifest's whole result message (framing, the result
 * struct and the copied manifest) is one result. mkpkg refuses a manifest
 * whose result would be larger; init's result buffer has this size.
 */
#define CAPOS_MANIFEST_MAX	CAPOS_MAX_RESULT

/*
 * The ring: a header page, then the submission entries, then the completion
 * entries. Userspace writes sq_tail and cq_head; the kernel writes sq_head
 * and cq_tail and keeps its own copies, so a corrupt header can make the
 * kernel refuse work but never misread memory.
 */
#define CAPOS_SQ_ENTRIES	64
#define CAPOS_CQ_ENTRIES	128

struct capos_ring_header {
	volatile uint32_t sq_head;	/* kernel: next entry it will read */
	volatile uint32_t sq_tail;	/* user: next entry it will write */
	volatile uint32_t cq_head;	/* user: next completion to read */
	volatile uint32_t cq_tail;	/* kernel: next completion it writes */
	uint32_t sq_entries;		/* informational copies of the sizes */
	uint32_t cq_entries;
	uint32_t sq_offset;		/* byte offset of the SQ from the header */
	uint32_t cq_offset;		/* byte offset of the CQ */
};

#define CAPOS_RING_SQ_OFFSET	4096
#define CAPOS_RING_CQ_OFFSET	(CAPOS_RING_SQ_OFFSET + \
	CAPOS_SQ_ENTRIES * 64)
#define CAPOS_RING_SIZE		(CAPOS_RING_CQ_OFFSET + \
	CAPOS_CQ_ENTRIES * 32)

/*
 * The start block: one read-only page the kernel maps into every new
 * process; its address arrives in %rdi at the entry point. It lists the
 * main thread's ring and the process's granted capabilities by name.
 */
#define CAPOS_START_MAGIC	0x7472617453534f43ull	/* "COSStart" */

/*
 * The console's log levels, the schema's LogLevel values (docs/boot.md,
 * "Log levels"). A line of a level is printed when the system's level is
 * that level or a later one in this list.
 */
#define CAPOS_LOG_ERROR		0
#define CAPOS_LOG_WARN		1
#define CAPOS_LOG_INFO		2
#define CAPOS_LOG_DEBUG		3
#define CAPOS_CAPSET_MAX	32
#define CAPOS_CAPNAME_MAX	32

struct capos_capset_entry {
	char name[CAPOS_CAPNAME_MAX];	/* NUL-terminated */
	uint64_t interface_id;
	capos_cap_t cap;
	uint32_t reserved;
};

struct capos_start {
	uint64_t magic;
	uint32_t version;		/* 1 */
	uint32_t ncaps;
	uint64_t ring;			/* main thread's ring */
	uint64_t args;			/* user address of the args, or 0 */
	uint32_t args_len;
	uint32_t log_level;		/* the system's CAPOS_LOG_* */
	uint64_t tsc_hz;		/* TSC ticks per second */
	uint64_t boot_tsc;		/* the TSC when the kernel started */
	char name[CAPOS_CAPNAME_MAX];	/* this process's name */
	struct capos_capset_entry caps[CAPOS_CAPSET_MAX];
};

/* Fixed places in every user address space. */
#define CAPOS_USER_IMAGE_BASE	0x0000000000400000ull
#define CAPOS_USER_START_BLOCK	0x00007ffffff00000ull
#define CAPOS_USER_RING0	0x00007fffffe00000ull
#define CAPOS_USER_STACK_TOP	(CAPOS_USER_START_BLOCK - 0x1000ull)
#define CAPOS_USER_HEAP_BASE	0x0000100000000000ull
#define CAPOS_USER_HEAP_END	0x0000200000000000ull
#define CAPOS_USER_DEVICE_BASE	0x0000300000000000ull	/* MMIO and DMA */
#define CAPOS_USER_DEVICE_END	0x0000300100000000ull

_Static_assert(sizeof(struct capos_sqe) == 64, "SQE is 64 bytes");
_Static_assert(sizeof(struct capos_cqe) == 32, "CQE is 32 bytes");
_Static_assert(sizeof(struct capos_recv_hdr) == 56, "RECV header is 56 bytes");
_Static_assert(sizeof(struct capos_start) <= 4096, "start block is a page");

#endif
