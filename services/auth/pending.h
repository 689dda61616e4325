/*
 * The answers auth owes but has not given yet: a failed login's (or
 * step-up's) refusal waits out the failure policy's delay (credential.h)
 * here instead of in a sleep, so auth keeps serving every other call
 * meanwhile. Pure: the caller gives the time and sends what falls due.
 *
 * Each entry is the call's id, its prepared answer (a result message of
 * at most PEND_MSG_MAX bytes, never a capability: only refusals wait),
 * the time it falls due, and the source and account it counts against.
 *
 * The delay keeps its meaning per source and per account: a new entry
 * falls due its delay after the later of now and the last entry already
 * waiting for the same source or the same account, so calls made side
 * by side are answered one delay apart, as if they had been made one
 * after another. Entries of equal due time leave in the order they came.
 *
 * Bounds and what happens at them:
 *   - PEND_PER_SOURCE entries per source: the caller refuses that
 *     source's next attempt at once as throttled, before any credential
 *     is checked, so it spends no guess and learns nothing (pend_count);
 *   - PEND_MAX entries in all: pend_add returns PEND_FULL and the caller
 *     answers that refusal at once. It takes PEND_MAX / PEND_PER_SOURCE
 *     sources failing together to get there, more than the gateways'
 *     own limits on logins in progress allow; answering at once rather
 *     than refusing unchecked means no one can be locked out by it.
 */
#ifndef AUTH_PENDING_H
#define AUTH_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PEND_MAX		32
#define PEND_PER_SOURCE		2
#define PEND_MSG_MAX		64	/* a refusal's result message */
#define PEND_KEY_MAX		31	/* SessionManager.maxName, maxSource */

#define PEND_FULL	(-1)
#define PEND_TOO_BIG	(-2)

struct pend_entry {
	bool used;
	uint64_t call_id;
	uint64_t due_ns;
	uint64_t seq;			/* arrival order, for equal due times */
	char source[PEND_KEY_MAX];
	size_t slen;
	char account[PEND_KEY_MAX];
	size_t alen;
	uint64_t msg[PEND_MSG_MAX / 8];	/* aligned for the RETURN */
	size_t len;
};

struct pend_queue {
	struct pend_entry e[PEND_MAX];
	uint32_t n;
	uint64_t seq;
};

/* How many entries wait for this source. */
uint32_t pend_count(const struct pend_queue *q, const char *source,
    size_t slen);
/* When an answer owed delay_ns for this source and account falls due. */
uint64_t pend_due(const struct pend_queue *q, uint64_t now_ns,
    uint64_t delay_ns, const char *source, size_t slen, const char *account,
    size_t alen);
/* Records an answer; 0, PEND_FULL, or PEND_TOO_BIG when the message or a
 * key is past its bound. */
int pend_add(struct pend_queue *q, uint64_t call_id, uint64_t due_ns,
    const char *source, size_t slen, const char *account, size_t alen,
    const void *msg, size_t len);
/* The earliest due time waiting; false when nothing waits. */
bool pend_next(const struct pend_queue *q, uint64_t *due_ns);
/* Takes the entry that falls due first, if it is due at now_ns, into
 * *out; false when none is due. */
bool pend_take(struct pend_queue *q, uint64_t now_ns, struct pend_entry *out);

#endif
