/*
 * Constructors for the kernel object types, one file each in kernel/obj/.
 * Each returns an object holding one reference, or NULL.
 */
#ifndef CAPOS_OBJECTS_H
#define CAPOS_OBJECTS_H

#include <stddef.h>
#include <stdint.h>

#include "cap/kobj.h"

struct process;

struct kobj *console_create(void);
struct kobj *entropy_create(void);
/* A VirtualMemory capability with a quota of `quota` bytes. */
struct kobj *vm_create(uint64_t quota);

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
struct kobj *process_handle_create(struct process *p);
/* Called once when p stops: answers waiters and detaches the handle. */
void process_handle_exited(struct process *p);

/* Interface ids the objects serve, for cap-table slots. */
#include "capos.capnp.h"

#endif
