/*
 * Constructors for the kernel object types, one file each in kernel/obj/.
 * Each returns an object holding one reference, or NULL.
 */
#ifndef CAPOS_OBJECTS_H
#define CAPOS_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cap/kobj.h"
#include "capos/abi.h"

struct process;
struct thread;

struct kobj *console_create(void);
/* Routes the console's interrupt (after the timer is up). */
void console_start(void);
/* The ConsoleInput object, or NULL when the console has no interrupt. */
struct kobj *console_input_create(void);
/* Whether all console output has gone out. */
bool console_idle(void);
struct kobj *entropy_create(void);
/* A VirtualMemory capability with a quota of `quota` bytes. */
struct kobj *vm_create(uint64_t quota);
/* Refunds every VirtualMemory capability charged for p's pages. */
void vm_process_stopped(struct process *p);
/* Gives bytes of quota back to a VirtualMemory (a SharedMemory is gone). */
void vm_refund(struct kobj *vm, uint64_t bytes);

/* SharedMemory (kernel/obj/shm.c): pages zeroed, charged to vm by the
 * caller, refunded through vm_refund on release. */
struct kobj *shm_create(struct kobj *vm, uint64_t pages);
/* Answers SharedMemory.map with addr (0: no room) and size. */
struct call;
int shared_map_result(struct call *c, uint64_t addr, uint64_t size);

/*
 * The boot package: checks the image (untrusted bytes) and keeps it. On
 * failure returns NULL and sets *why to a reason.
 */
struct kobj *bootpkg_create(const uint8_t *image, size_t len,
    const char **why);
/* Finds a binary in the package; returns 0 or -1. */
int bootpkg_find(struct kobj *pkg, const char *name, size_t name_len,
    const uint8_t **data, size_t *len);

struct kobj *spawner_create(struct kobj *pkg);

/* The handle to a process; at most one per process. */
struct kmem_account;
/* p's handle, charged to payer (the spawner's account). */
struct kobj *process_handle_create(struct process *p,
    struct kmem_account *payer);
/* Called once when p stops: answers waiters and detaches the handle. */
void process_handle_exited(struct process *p);

/*
 * Endpoints (kernel/obj/endpoint.c). The factory creates them; an owner
 * capability receives and returns calls, client capabilities only call.
 */
struct reply_to;
struct xcap;
struct kobj *endpoint_factory_create(void);
bool endpoint_is_owner(const struct kobj *obj);
/* RECV: 0 when the completion was posted or is owed (the caller already
 * promised the CQ slot), or a transport error. */
int endpoint_recv(struct kobj *owner, const struct reply_to *to,
    capos_cap_t cap);
/* Cancels the calls thread t has queued on endpoints (t is ending). */
void endpoint_thread_gone(struct thread *t);
/* Fails the calls process p received and did not answer (p stopped). */
void endpoint_process_gone(struct process *p);
/* Whether iface is the id of an interface the kernel serves. */
bool kernel_interface(uint64_t iface);
/* RETURN: the client's completion status (>= 0 delivered) or an error. */
int endpoint_return(struct kobj *owner, uint64_t call_id, const uint8_t *msg,
    uint32_t len, bool exception, struct xcap *caps, uint32_t ncaps);

/* Threads of the calling process (kernel/obj/thread.c). */
struct thread;
struct kobj *thread_spawner_create(void);
struct kobj *thread_control_create(void);
/* Called once when t ends: answers joiners (or fails them if killed). */
void thread_handle_exited(struct thread *t, bool killed);

/* Timers and parking (kernel/obj/timer.c, kernel/obj/park.c). */
struct kobj *timer_create(void);
struct kobj *park_create(void);
/* Whether obj is the ParkSpace (its calls may run without the BKL). */
bool park_is(const struct kobj *obj);
/* Drops the pending waits of a thread that ended. */
void park_thread_gone(struct thread *t);
void timer_thread_gone(struct thread *t);

/* Devices (kernel/obj/device.c): the manager init holds. */
struct kobj *device_manager_create(void);

/* Interface ids the objects serve, for cap-table slots. */
#include "capos.capnp.h"

#endif
