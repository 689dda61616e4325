/*
 * Capability table. See captable.h.
 */
#include <stddef.h>

#include "cap/captable.h"
#include "lock.h"

static capos_cap_t
make_id(const struct captable *t, uint32_t i)
{
	return (capos_cap_t)i | ((capos_cap_t)t->slots[i].gen << 16);
}

/* The slot an id names in the wanted state, or NULL. */
static struct cap_slot *
find(struct captable *t, capos_cap_t id, enum slot_state want)
{
	uint32_t i = CAPOS_CAP_INDEX(id);
	struct cap_slot *s;

	if (i >= t->nslots)
		return NULL;
	s = &t->slots[i];
	if (s->state != want || s->gen != CAPOS_CAP_GEN(id))
		return NULL;
	return s;
}

void
captable_init(struct captable *t, struct cap_slot *slots, uint32_t n,
    uint16_t gen_base)
{
	if (n > CAPTABLE_MAX_SLOTS)
		n = CAPTABLE_MAX_SLOTS;
	t->lock.owner = 0;
	t->slots = slots;
	t->nslots = n;
	t->nlive = 0;
	t->free_head = (uint16_t)(n > 0 ? 0 : n);
	for (uint32_t i = 0; i < n; i++) {
		slots[i].obj = NULL;
		slots[i].interface_id = 0;
		slots[i].meta = 0;
		slots[i].gen = gen_base != 0 ? gen_base : 1;
		slots[i].state = SLOT_FREE;
		slots[i].next_free = (uint16_t)(i + 1);
	}
}

capos_cap_t
captable_insert(struct captable *t, struct kobj *obj, uint64_t interface_id,
    uint64_t meta)
{
	uint32_t i;
	struct cap_slot *s;
	capos_cap_t id;

	spin_lock(&t->lock);
	if ((i = t->free_head) >= t->nslots) {
		spin_unlock(&t->lock);
		return CAPOS_CAP_NULL;
	}
	s = &t->slots[i];
	t->free_head = s->next_free;
	s->obj = obj;
	s->interface_id = interface_id;
	s->meta = meta;
	s->state = SLOT_LIVE;
	t->nlive++;
	id = make_id(t, i);
	spin_unlock(&t->lock);
	return id;
}

struct cap_slot *
captable_lookup(struct captable *t, capos_cap_t id)
{
	return find(t, id, SLOT_LIVE);
}

bool
captable_get(struct captable *t, capos_cap_t id, struct cap_slot *out)
{
	struct cap_slot *s;

	spin_lock(&t->lock);
	if ((s = find(t, id, SLOT_LIVE)) != NULL)
		*out = *s;
	spin_unlock(&t->lock);
	return s != NULL;
}

static struct kobj *
release_slot(struct captable *t, struct cap_slot *s)
{
	struct kobj *obj = s->obj;

	s->obj = NULL;
	s->interface_id = 0;
	s->meta = 0;
	s->state = SLOT_FREE;
	/* Generation 0 is skipped so that no id is ever CAPOS_CAP_NULL. */
	if (++s->gen == 0)
		s->gen = 1;
	s->next_free = t->free_head;
	t->free_head = (uint16_t)(s - t->slots);
	t->nlive--;
	return obj;
}

/* Frees the slot id names in state want; its object, or NULL. */
static struct kobj *
release(struct captable *t, capos_cap_t id, enum slot_state want)
{
	struct cap_slot *s;
	struct kobj *obj = NULL;

	spin_lock(&t->lock);
	if ((s = find(t, id, want)) != NULL)
		obj = release_slot(t, s);
	spin_unlock(&t->lock);
	return obj;
}

struct kobj *
captable_remove(struct captable *t, capos_cap_t id)
{
	return release(t, id, SLOT_LIVE);
}

/* Moves the slot id names from state from to state to; 0, or -1. */
static int
move(struct captable *t, capos_cap_t id, enum slot_state from,
    enum slot_state to)
{
	struct cap_slot *s;

	spin_lock(&t->lock);
	if ((s = find(t, id, from)) != NULL)
		s->state = to;
	spin_unlock(&t->lock);
	return s != NULL ? 0 : -1;
}

int
captable_reserve(struct captable *t, capos_cap_t id)
{
	return move(t, id, SLOT_LIVE, SLOT_RESERVED);
}

struct kobj *
captable_commit(struct captable *t, capos_cap_t id)
{
	return release(t, id, SLOT_RESERVED);
}

int
captable_rollback(struct captable *t, capos_cap_t id)
{
	return move(t, id, SLOT_RESERVED, SLOT_LIVE);
}

uint32_t
captable_room(const struct captable *t)
{
	return t->nslots - t->nlive;
}

void
captable_clear(struct captable *t, void (*fn)(struct kobj *obj))
{
	for (uint32_t i = 0; i < t->nslots; i++) {
		struct kobj *obj = NULL;
		bool held;

		spin_lock(&t->lock);
		if ((held = t->slots[i].state != SLOT_FREE))
			obj = release_slot(t, &t->slots[i]);
		spin_unlock(&t->lock);
		if (held)
			fn(obj);
	}
}
