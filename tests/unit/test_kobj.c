/*
 * Releasing kernel objects: the last reference releases an object, and
 * objects its release drops in turn are released too, all before
 * kobj_unref returns, in constant kernel stack whatever the shape users
 * built (kernel/cap/kobj.c). A chain of a million objects, each holding
 * the next, is released here; a recursive release would need a stack
 * frame per link.
 */
#include <stdint.h>
#include <stdlib.h>

#include "cap/kobj.h"
#include "test.h"

#define CHAIN	1000000

struct link {
	struct kobj obj;
	struct link *next;	/* a reference, or NULL */
};

static long released;
static uintptr_t stack_low, stack_high;

static void
note_stack(void)
{
	volatile char here;
	uintptr_t sp = (uintptr_t)&here;

	if (stack_low == 0 || sp < stack_low)
		stack_low = sp;
	if (sp > stack_high)
		stack_high = sp;
}

static void
link_release(struct kobj *o)
{
	struct link *l = (struct link *)o;

	note_stack();
	released++;
	if (l->next != NULL)
		kobj_unref(&l->next->obj);
}

static const struct kobj_ops link_ops = { "Link", NULL, link_release };

TEST(kobj_release_of_a_long_chain_uses_constant_stack)
{
	struct link *links = calloc(CHAIN, sizeof(*links));

	CHECK(links != NULL);
	if (links == NULL)
		return;
	for (long i = 0; i < CHAIN; i++) {
		kobj_init(&links[i].obj, &link_ops);
		links[i].next = i + 1 < CHAIN ? &links[i + 1] : NULL;
	}
	released = 0;
	stack_low = stack_high = 0;
	/* Each link holds the only reference to the next; drop the head. */
	kobj_unref(&links[0].obj);
	CHECK_EQ_U64((uint64_t)released, CHAIN);
	for (long i = 0; i < CHAIN; i++)
		if (links[i].obj.refs != 0) {
			test_fail(__FILE__, __LINE__, "link %ld not released",
			    i);
			break;
		}
	/* Every release ran at the same depth, give or take a frame. */
	CHECK(stack_high - stack_low < 256);
	free(links);
}

TEST(kobj_release_runs_before_unref_returns)
{
	struct link a, b;

	kobj_init(&a.obj, &link_ops);
	kobj_init(&b.obj, &link_ops);
	a.next = &b;
	b.next = NULL;
	kobj_ref(&a.obj);
	released = 0;
	kobj_unref(&a.obj);
	CHECK_EQ_U64((uint64_t)released, 0);
	kobj_unref(&a.obj);
	CHECK_EQ_U64((uint64_t)released, 2);
	CHECK_EQ_U64(b.obj.refs, 0);
}
