/*
 * Reference counting for kernel objects. The kernel runs on one CPU with
 * interrupts off, so plain counters suffice.
 *
 * Releasing an object can drop the last reference to others (an endpoint's
 * queued calls hold capabilities, which may be endpoint owners holding
 * calls of their own, ...). Users build those chains, so release never
 * recurses: an object whose count reaches zero while another release is
 * running joins a work list, and the outermost kobj_unref drains it. The
 * kernel stack used is the same for any shape of objects.
 */
#include <stdbool.h>
#include <stddef.h>

#include "cap/kobj.h"
#include "kernel.h"

static struct kobj *doomed;	/* released objects waiting their turn */
static bool releasing;

void
kobj_init(struct kobj *o, const struct kobj_ops *ops)
{
	o->ops = ops;
	o->refs = 1;
	o->doomed_next = NULL;
}

struct kobj *
kobj_ref(struct kobj *o)
{
	if (o->refs == 0 || o->refs == UINT32_MAX)
		panic("kobj_ref: %s has refcount %u", o->ops->name, o->refs);
	o->refs++;
	return o;
}

void
kobj_unref(struct kobj *o)
{
	if (o == NULL)
		return;
	if (o->refs == 0)
		panic("kobj_unref: %s already released", o->ops->name);
	if (--o->refs != 0 || o->ops->release == NULL)
		return;
	o->doomed_next = doomed;
	doomed = o;
	if (releasing)
		return;
	releasing = true;
	while ((o = doomed) != NULL) {
		doomed = o->doomed_next;
		o->ops->release(o);
	}
	releasing = false;
}
