/*
 * Capability table. See captable.h.
 */
#include <stddef.h>

#include "cap/captable.h"

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
	uint32_t i = t->free_head;
	struct cap_slot *s;

	if (i >= t->nslots)
		return CAPOS_CAP_NULL;
	s = &t->slots[i];
	t->free_head = s->next_free;
	s->obj = obj;
	s->interface_id = interface_id;
	s->meta = meta;
	s->state = SLOT_LIVE;
	t->nlive++;
	return make_id(t, i);
}

struct cap_slot *
captable_lookup(struct captable *t, capos_cap_t id)
{
	return find(t, id, SLOT_LIVE);
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

struct kobj *
captable_remove(struct captable *t, capos_cap_t id)
{
	struct cap_slot *s = find(t, id, SLOT_LIVE);

	return s != NULL ? release_slot(t, s) : NULL;
}

int
captable_reserve(struct captable *t, capos_cap_t id)
{
	struct cap_slot *s = find(t, id, SLOT_LIVE);

	if (s == NULL)
		return -1;
	s->state = SLOT_RESERVED;
	return 0;
}

struct kobj *
captable_commit(struct captable *t, capos_cap_t id)
{
	struct cap_slot *s = find(t, id, SLOT_RESERVED);

	return s != NULL ? release_slot(t, s) : NULL;
}

int
captable_rollback(struct captable *t, capos_cap_t id)
{
	struct cap_slot *s = find(t, id, SLOT_RESERVED);

	if (s == NULL)
		return -1;
	s->state = SLOT_LIVE;
	return 0;
}

uint32_t
captable_room(const struct captable *t)
{
	return t->nslots - t->nlive;
}

void
captable_foreach(struct captable *t,
    void (*fn)(struct cap_slot *s, void *ctx), void *ctx)
{
	for (uint32_t i = 0; i < t->nslots; i++)
		if (t->slots[i].state != SLOT_FREE)
			fn(&t->slots[i], ctx);
}
