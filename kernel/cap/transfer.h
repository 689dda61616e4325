/*
 * Capabilities in flight with a call or a reply. Pure logic over a
 * capability table and object references, tested on the host.
 *
 * Taking a descriptor gives the in-flight record its own reference; a move
 * also reserves the sender's slot, so the sender can no longer use it but
 * nobody else can take the slot either. Settling then either commits (the
 * move's slot is freed) or rolls back (the slot is live again under the
 * same id), and drops the records' references. No path loses, duplicates
 * or half-inserts authority.
 */
#ifndef CAPOS_TRANSFER_H
#define CAPOS_TRANSFER_H

#include <stdbool.h>
#include <stdint.h>

#include "cap/captable.h"
#include "cap/kobj.h"
#include "capos/abi.h"

struct xcap {
	struct kobj *obj;	/* the record's own reference */
	uint64_t iface;
	capos_cap_t sender_id;
	uint32_t mode;		/* CAPOS_XFER_* */
};

/*
 * Takes n descriptors from table t. Returns 0, or CAPOS_ETRANSFER with
 * nothing taken (a bad id, a bad mode, or the same id moved twice).
 */
int xcaps_take(struct captable *t, const struct capos_capdesc *d, uint32_t n,
    struct xcap *out);

/*
 * Settles n taken records. `t` is the sender's table, or NULL when the
 * sender has stopped (its slots were already released with it).
 */
void xcaps_settle(struct captable *t, struct xcap *caps, uint32_t n, bool ok);

#endif
