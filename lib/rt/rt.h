/*
 * The capOS runtime every program links: the start block, capability
 * lookup by name, the ring, typed calls, and console output.
 *
 * Calls here are synchronous: rt_call submits one entry and waits for its
 * completion. Completions for other entries that arrive meanwhile are kept
 * until asked for, so several calls may be in flight (rt_submit/rt_wait).
 */
#ifndef CAPOS_RT_H
#define CAPOS_RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capnp.h"
#include "capos/abi.h"
#include "capos.capnp.h"

/* Each thread's runtime state; %fs:0 points at it once threads exist. */
#define RT_PARKED_MAX	CAPOS_CQ_ENTRIES
#define RT_FORGET_MAX	64
struct rt_thread {
	struct rt_thread *self;
	struct capos_ring_header *ring;
	struct capos_sqe *sq;
	struct capos_cqe *cq;
	/* Completions taken from the CQ that belong to another wait. */
	struct capos_cqe parked[RT_PARKED_MAX];
	uint32_t nparked;
	/* Entries whose completions nobody will collect (rt_forget). */
	uint64_t forget[RT_FORGET_MAX];
	uint32_t nforget;
	capos_cap_t handle;		/* ThreadHandle, for joining */
	void (*fn)(void *);
	void *arg;
	void *stack;
};

extern struct rt_thread rt_main_thread;
extern bool rt_threaded;

/* The calling thread's runtime state. */
static inline struct rt_thread *
rt_self(void)
{
	struct rt_thread *t;

	if (!rt_threaded)
		return &rt_main_thread;
	__asm__ volatile("movq %%fs:0, %0" : "=r"(t));
	return t;
}

void rt_thread_ring_init(struct rt_thread *t, uint64_t ring_addr);

/* The raw system calls. */
int64_t cap_enter(uint32_t min_complete, uint64_t timeout_ns);
void sys_exit(int32_t status) __attribute__((noreturn));

/* This process's start block (valid after startup). */
const struct capos_start *rt_start(void);

/*
 * Looks up a granted capability by CapSet name. Returns its id, or
 * CAPOS_CAP_NULL when nothing of that name (and interface, unless 0) was
 * granted.
 */
capos_cap_t rt_cap(const char *name, uint64_t interface_id);

/* The arguments the process was spawned with (NUL-separated). */
int rt_argc(void);
const char *rt_argv(int i);

/* The main thread's ring, for programs that drive it by hand. */
struct capos_ring_header *rt_ring(void);

/* Submits one entry; returns 0, or CAPOS_E* if the SQ is full. */
int rt_submit(const struct capos_sqe *sqe);
/* Waits for the completion of the entry with this user_data. */
int rt_wait(uint64_t user_data, struct capos_cqe *out);
/* Drops a capability from this process's table; 0 or CAPOS_EBADCAP. */
int rt_release(capos_cap_t cap);

/* Waits for any of n entries; returns the index of the one that completed
 * (its completion in *out), or a negative CAPOS_E* error (CAPOS_EBUSY when
 * the thread holds a full CQ's worth of completions nobody asked for). */
int rt_wait_any(const uint64_t *user_data, int n, struct capos_cqe *out);
/* Waits for all of n entries (at most 32), their completions in out[k]
 * in the order of user_data; 0 or a negative CAPOS_E* error. One kernel
 * entry waits for them all where it can: a server that answers a call
 * and waits for the next one blocks in the same entry that delivers the
 * answer, so its caller runs in its place (docs/smp.md, "The hand-off"). */
int rt_wait_all(const uint64_t *user_data, int n, struct capos_cqe *out);
/*
 * Says nobody will wait for the entry with this user_data: its completion
 * is dropped when it comes. Returns 0, or CAPOS_EBUSY when too many are
 * already forgotten and not yet completed.
 */
int rt_forget(uint64_t user_data);
/* A fresh user_data value. */
uint64_t rt_next_tag(void);

/* A call's outcome beyond the completion: the result message, read. */
struct rt_result {
	struct capos_cqe cqe;
	struct capnp_msg msg;
	struct capnp_struct root;
	struct capos_capdesc caps[CAPOS_MAX_XCAPS];
};

/*
 * Calls `method` of `iface` on cap with the message built in `params`
 * (NULL for an empty one) and the capabilities in `send`. The result
 * lands in `buf` and is read into res. Returns 0 when the call produced a
 * result message, a transport error (CAPOS_E*), or RT_EXCEPTION with
 * res->cqe.aux holding the CapException type.
 */
#define RT_EXCEPTION	(-1000)
int rt_call(capos_cap_t cap, uint64_t iface, uint16_t method,
    struct capnp_builder *params, const struct capos_capdesc *send,
    uint16_t nsend, void *buf, size_t buflen, struct rt_result *res);

/* Prepares an SQE for a CALL whose completion is collected later. The
 * caller keeps buf and caps alive until then. */
void rt_prep_call(struct capos_sqe *e, capos_cap_t cap, uint64_t iface,
    uint16_t method, struct capnp_builder *params, void *buf, size_t buflen,
    struct capos_capdesc *caps, uint16_t nsend, uint16_t nrecv);
/* Prepares a RECV on an endpoint owner: the call lands in buf (header
 * first), received capability ids in caps (room for CAPOS_MAX_XCAPS). */
void rt_prep_recv(struct capos_sqe *e, capos_cap_t owner, void *buf,
    size_t buflen, struct capos_capdesc *caps);
/* Prepares a RETURN of msg (len bytes) to call_id, sending ncaps caps. */
void rt_prep_return(struct capos_sqe *e, capos_cap_t owner, uint64_t call_id,
    const void *msg, size_t len, struct capos_capdesc *caps, uint16_t ncaps);
/* Reads the result message of a completed call into res. */
int rt_result_read(const struct capos_cqe *cqe, void *buf,
    struct rt_result *res);

/* Human-readable text for a transport error or RT_EXCEPTION. */
const char *rt_strerror(int err);
/* The reason text of the exception in res, or "". */
const char *rt_exception_reason(struct rt_result *res);

/* Console output through the CapSet's "console" capability, if granted. */
int rt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int rt_vprintf(const char *fmt, va_list ap);
void rt_flush(void);

/*
 * Console output by level (docs/boot.md, "Log levels"): printed only when
 * the system's level, which the kernel puts in the start block, is at
 * least the line's (a CAPOS_LOG_*). rt_printf prints at every level:
 * failures, and the output that is a program's purpose.
 */
bool rt_log_on(uint32_t level);
int rt_log(uint32_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#define rt_warn(...)	rt_log(CAPOS_LOG_WARN, __VA_ARGS__)
#define rt_info(...)	rt_log(CAPOS_LOG_INFO, __VA_ARGS__)
#define rt_debug(...)	rt_log(CAPOS_LOG_DEBUG, __VA_ARGS__)

/*
 * Anonymous memory through the "virtualMemory" capability. rt_vm_map
 * returns 0 with the address in *out, or one of RT_VM_* / CAPOS_E*.
 */
#define RT_PROT_READ	1
#define RT_PROT_WRITE	2
#define RT_PROT_EXEC	4
#define RT_VM_NOCAP	(-1001)	/* no virtualMemory capability granted */
#define RT_VM_INVALID	(-1002)
#define RT_VM_DENIED	(-1003)
#define RT_VM_QUOTA	(-1004)
#define RT_VM_NOMEM	(-1005)
#define RT_NOCAP	(-1007)	/* a capability the call needs is not held */
int rt_vm_map(uint64_t addr, uint64_t size, int prot, uint64_t *out);
int rt_vm_unmap(uint64_t addr, uint64_t size);
/* New permissions for mapped pages: 0, RT_VM_DENIED (write and exec at
 * once) or RT_VM_INVALID (a page of the range is not mapped). */
int rt_vm_protect(uint64_t addr, uint64_t size, int prot);

/*
 * Shared memory. rt_vm_share makes size bytes of it from the
 * "virtualMemory" quota (0 with the SharedMemory in *out, or RT_VM_* /
 * CAPOS_E*); rt_pool_share gives a DMAPool's SharedMemory face (or
 * CAPOS_CAP_NULL); rt_shared_map maps a SharedMemory (0 with its address
 * and size, or CAPOS_E* / RT_EXCEPTION; CAPOS_EINVAL when the answer is
 * not a page-aligned range of the device window).
 */
int rt_vm_share(uint64_t size, capos_cap_t *out);
capos_cap_t rt_pool_share(capos_cap_t pool);
int rt_shared_map(capos_cap_t mem, uint8_t **addr, uint64_t *size);

/* The heap, over rt_vm_map. */
void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);
void free(void *p);

/*
 * Serving an endpoint. rt_serve receives calls on the owner capability,
 * finds the handler for the call's interface and method, and returns what
 * the handler built in rq->reply (or its exception). Capabilities that came
 * with the call are in rq->caps (ids, rq->hdr->ncaps of them); a handler
 * adds capabilities to its answer with rt_reply_cap. A handler returns 0,
 * or non-zero to answer with a generic failure. rt_serve returns when no
 * client can call any more (CAPOS_EPEER) or on a ring error.
 *
 * A table entry with interface 0 and method CAPOS_METHOD_DROPPED receives
 * the kernel's notices that a badged client is gone (rq->hdr->badge); its
 * return value is ignored and nothing is answered.
 */
#define RT_BAD_PARAMS	(-1006)

struct rt_request {
	const struct capos_recv_hdr *hdr;
	const uint8_t *params_bytes;
	struct capnp_msg msg;
	struct capnp_struct params;
	struct capos_capdesc caps[CAPOS_MAX_XCAPS];
	struct capnp_builder reply;
	struct capos_capdesc reply_caps[CAPOS_MAX_XCAPS];
	uint16_t nreply_caps;
	int exc_type;
	const char *exc_reason;
	/* Set by a handler that will answer later with rt_return_empty. */
	bool deferred;
	uint32_t kept;		/* received capabilities the handler keeps */
};

typedef int (*rt_method_fn)(void *ctx, struct rt_request *rq);

struct rt_method {
	uint64_t iface;
	uint16_t method;
	rt_method_fn fn;
};

int rt_serve(capos_cap_t owner, const struct rt_method *table, size_t n,
    void *ctx);
int rt_reply_exception(struct rt_request *rq,
    enum capos_CapException_Type type, const char *reason);
/* Answers call_id with an empty result; returns the RETURN's status. */
int rt_return_empty(capos_cap_t owner, uint64_t call_id);
/*
 * Keeps received capability idx beyond the call and returns its id (or
 * CAPOS_CAP_NULL). Capabilities a handler does not keep are released once
 * the call is answered.
 */
capos_cap_t rt_keep_cap(struct rt_request *rq, uint32_t idx);
/* The completion status of the previous answer (>= 0: delivered). */
int rt_last_return(void);
/* Adds a capability to the answer; returns its index or -1. */
int rt_reply_cap(struct rt_request *rq, capos_cap_t cap, uint32_t mode);

/*
 * Threads, on the "threadSpawner" and "threadControl" capabilities. A new
 * thread runs fn(arg) on a stack of stack_size bytes from malloc; when fn
 * returns the thread exits with value 0. Returns 0 with *out set, or a
 * negative error. rt_thread_join waits for the thread, frees what the
 * runtime allocated for it, and gives its exit value.
 */
int rt_thread_spawn(void (*fn)(void *), void *arg, size_t stack_size,
    struct rt_thread **out);
int rt_thread_join(struct rt_thread *t, uint64_t *value);
void rt_thread_exit(uint64_t value) __attribute__((noreturn));
/* Keeps the calling thread to one CPU (numbered from 0), or lets it run
 * anywhere again with capos_ThreadControl_anyCpu (ThreadControl.setCpu).
 * RT_EXCEPTION when that CPU is not running. */
int rt_thread_set_cpu(uint32_t cpu);

/*
 * Parking on the "parkSpace" capability: rt_park_wait returns RT_PARK_WOKEN,
 * RT_PARK_MISMATCH (*addr != expected), RT_PARK_TIMEDOUT, or a negative
 * error; timeout_ns 0 waits without limit. rt_park_wake returns how many
 * waiters it woke, or a negative error.
 */
#define RT_PARK_WOKEN		0
#define RT_PARK_MISMATCH	1
#define RT_PARK_TIMEDOUT	2
int rt_park_wait(uint32_t *addr, uint32_t expected, uint64_t timeout_ns);
int rt_park_wake(uint32_t *addr, uint32_t count);

/*
 * A mutex that enters the kernel only when contended (0 free, 1 locked,
 * 2 locked with waiters), a condition variable and a once flag, all on
 * ParkSpace. Zero-initialised is unlocked / not yet run.
 */
struct rt_mutex {
	uint32_t state;
};
struct rt_cond {
	uint32_t seq;
};
struct rt_once {
	uint32_t state;
};
void rt_mutex_lock(struct rt_mutex *m);
bool rt_mutex_trylock(struct rt_mutex *m);
void rt_mutex_unlock(struct rt_mutex *m);
void rt_cond_wait(struct rt_cond *c, struct rt_mutex *m);
void rt_cond_signal(struct rt_cond *c);
void rt_cond_broadcast(struct rt_cond *c);
void rt_once(struct rt_once *o, void (*fn)(void));

/* Time, on the "timer" capability: monotonic ns (0 without the cap), and
 * sleeping (0, or a negative error). */
uint64_t rt_now_ns(void);
int rt_sleep_ns(uint64_t ns);
/* A TimerNotification that fires first after delay_ns, then every
 * period_ns (0: once), into *out. Returns 0, RT_NOCAP, RT_OVERLOADED when
 * the kernel's limits refuse it, RT_EXCEPTION, or a transport error. */
#define RT_OVERLOADED	(-1008)
int rt_timer_notify(uint64_t delay_ns, uint64_t period_ns, capos_cap_t *out);

/* The program's entry, called by the runtime's _start. */
int main(void);

#endif
