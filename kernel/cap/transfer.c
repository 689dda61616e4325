/*
 * Capabilities in flight. See transfer.h.
 */
#include <stddef.h>

#include "cap/transfer.h"

int
xcaps_take(struct captable *t, const struct capos_capdesc *d, uint32_t n,
    struct xcap *out)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		/* A slot already reserved by this call no longer looks up. */
		struct cap_slot *s = captable_lookup(t, d[i].cap);

		if (s == NULL || d[i].mode > CAPOS_XFER_MOVE)
			break;
		out[i].obj = kobj_ref(s->obj);
		out[i].iface = s->interface_id;
		out[i].sender_id = d[i].cap;
		out[i].mode = d[i].mode;
		if (d[i].mode == CAPOS_XFER_MOVE)
			captable_reserve(t, d[i].cap);
	}
	if (i == n)
		return 0;
	xcaps_settle(t, out, i, false);
	return CAPOS_ETRANSFER;
}

void
xcaps_settle(struct captable *t, struct xcap *caps, uint32_t n, bool ok)
{
	for (uint32_t i = 0; i < n; i++) {
		if (caps[i].mode == CAPOS_XFER_MOVE && t != NULL) {
			if (ok)
				kobj_unref(captable_commit(t, caps[i].sender_id));
			else
				captable_rollback(t, caps[i].sender_id);
		}
		kobj_unref(caps[i].obj);
		caps[i].obj = NULL;
	}
}
