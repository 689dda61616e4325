/*
 * The answers auth owes (pending.h). PEND_MAX is small, so every
 * operation is a scan of the table.
 */
#include <string.h>

#include "pending.h"

static bool
same(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

uint32_t
pend_count(const struct pend_queue *q, const char *source, size_t slen)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < PEND_MAX; i++)
		if (q->e[i].used && same(q->e[i].source, q->e[i].slen, source,
		    slen))
			n++;
	return n;
}

uint64_t
pend_due(const struct pend_queue *q, uint64_t now_ns, uint64_t delay_ns,
    const char *source, size_t slen, const char *account, size_t alen)
{
	uint64_t from = now_ns;

	for (uint32_t i = 0; i < PEND_MAX; i++) {
		const struct pend_entry *p = &q->e[i];

		if (!p->used || p->due_ns <= from)
			continue;
		if (same(p->source, p->slen, source, slen) ||
		    (alen != 0 && same(p->account, p->alen, account, alen)))
			from = p->due_ns;
	}
	return delay_ns > UINT64_MAX - from ? UINT64_MAX : from + delay_ns;
}

int
pend_add(struct pend_queue *q, uint64_t call_id, uint64_t due_ns,
    const char *source, size_t slen, const char *account, size_t alen,
    const void *msg, size_t len)
{
	struct pend_entry *p = NULL;

	if (len > PEND_MSG_MAX || slen > PEND_KEY_MAX || alen > PEND_KEY_MAX)
		return PEND_TOO_BIG;
	for (uint32_t i = 0; i < PEND_MAX && p == NULL; i++)
		if (!q->e[i].used)
			p = &q->e[i];
	if (p == NULL)
		return PEND_FULL;
	memset(p, 0, sizeof(*p));
	p->used = true;
	p->call_id = call_id;
	p->due_ns = due_ns;
	p->seq = q->seq++;
	memcpy(p->source, source, slen);
	p->slen = slen;
	memcpy(p->account, account, alen);
	p->alen = alen;
	memcpy(p->msg, msg, len);
	p->len = len;
	q->n++;
	return 0;
}

/* The entry that leaves first: earliest due, then earliest arrival. */
static struct pend_entry *
first(struct pend_queue *q)
{
	struct pend_entry *best = NULL;

	for (uint32_t i = 0; i < PEND_MAX; i++) {
		struct pend_entry *p = &q->e[i];

		if (p->used && (best == NULL || p->due_ns < best->due_ns ||
		    (p->due_ns == best->due_ns && p->seq < best->seq)))
			best = p;
	}
	return best;
}

bool
pend_next(const struct pend_queue *q, uint64_t *due_ns)
{
	struct pend_entry *p = first((struct pend_queue *)q);

	if (p == NULL)
		return false;
	*due_ns = p->due_ns;
	return true;
}

bool
pend_take(struct pend_queue *q, uint64_t now_ns, struct pend_entry *out)
{
	struct pend_entry *p = first(q);

	if (p == NULL || p->due_ns > now_ns)
		return false;
	*out = *p;
	p->used = false;
	q->n--;
	return true;
}
