/*
 * Reference counting for kernel objects. The kernel runs on one CPU with
 * interrupts off, so plain counters suffice.
 */
#include "cap/kobj.h"
#include "kernel.h"

void
kobj_init(struct kobj *o, const struct kobj_ops *ops)
{
	o->ops = ops;
	o->refs = 1;
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
	if (--o->refs == 0 && o->ops->release != NULL)
		o->ops->release(o);
}
