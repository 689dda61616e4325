/*
 * Kernel objects. Every capability names one; each object type lives in its
 * own file under kernel/obj/ and fills in this small vtable. Objects are
 * reference counted: every capability slot and every in-flight use holds a
 * reference, and dropping the last one calls release.
 */
#ifndef CAPOS_KOBJ_H
#define CAPOS_KOBJ_H

#include <stdint.h>

struct call;
struct kobj;

/* What call returns. A pending call completes later through call_finish. */
#define CALL_DONE	0
#define CALL_PENDING	1

struct kobj_ops {
	const char *name;
	/*
	 * Serves one method call. The params are validated message bytes in
	 * kernel memory; the method builds its result or sets an exception on
	 * `c`. Returns CALL_DONE or CALL_PENDING.
	 */
	int (*call)(struct kobj *obj, struct call *c);
	/* The last reference is gone: free the object. */
	void (*release)(struct kobj *obj);
};

struct kobj {
	const struct kobj_ops *ops;
	uint32_t refs;
	struct kobj *doomed_next;	/* on the release work list */
};

void kobj_init(struct kobj *o, const struct kobj_ops *ops);
struct kobj *kobj_ref(struct kobj *o);
/* Drops a reference. The last one releases the object, and every object
 * that release frees in turn, before kobj_unref returns; never by
 * recursion (see kobj.c). */
void kobj_unref(struct kobj *o);

#endif
