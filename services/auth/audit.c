/*
 * The audit log (audit.h).
 */
#include <string.h>

#include "audit.h"

static void
put_text(char *dst, const char *src, size_t len)
{
	if (len > AUDIT_TEXT_MAX)
		len = AUDIT_TEXT_MAX;
	if (len > 0)
		memcpy(dst, src, len);
	dst[len] = '\0';
}

uint64_t
audit_append(struct audit_log *log, uint64_t now_ns, enum audit_event event,
    uint32_t reason, const char *account, size_t alen, const char *source,
    size_t slen, const char *profile, size_t plen, uint64_t session_serial)
{
	uint64_t seq = log->last + 1;
	struct audit_record *r = &log->r[seq % AUDIT_MAX];

	if (r->seq != 0 && r->seq > log->read_upto)
		log->dropped++;
	memset(r, 0, sizeof(*r));
	r->seq = seq;
	r->time_ns = now_ns;
	r->event = event;
	r->reason = reason;
	put_text(r->account, account, alen);
	put_text(r->source, source, slen);
	put_text(r->profile, profile, plen);
	r->session_serial = session_serial;
	log->last = seq;
	return seq;
}

void
audit_set_tool(struct audit_log *log, uint64_t seq, const char *tool,
    size_t len)
{
	struct audit_record *r = &log->r[seq % AUDIT_MAX];

	if (r->seq != seq)
		return;
	if (len > AUDIT_TOOL_MAX)
		len = AUDIT_TOOL_MAX;
	memcpy(r->tool, tool, len);
	r->tool[len] = '\0';
}

void
audit_set_call(struct audit_log *log, uint64_t seq, const char *call,
    size_t len)
{
	struct audit_record *r = &log->r[seq % AUDIT_MAX];

	if (r->seq != seq)
		return;
	if (len > AUDIT_CALL_MAX)
		len = AUDIT_CALL_MAX;
	memcpy(r->call, call, len);
	r->call[len] = '\0';
}

void
audit_set_strength(struct audit_log *log, uint64_t seq, uint32_t strength)
{
	struct audit_record *r = &log->r[seq % AUDIT_MAX];

	if (r->seq == seq)
		r->strength = strength;
}

uint32_t
audit_read(struct audit_log *log, uint64_t after, uint32_t max,
    const struct audit_record **out)
{
	uint64_t first = after + 1;
	uint32_t n = 0;

	if (log->last >= AUDIT_MAX && first <= log->last - AUDIT_MAX)
		first = log->last - AUDIT_MAX + 1;
	for (uint64_t seq = first; seq <= log->last && n < max; seq++)
		out[n++] = &log->r[seq % AUDIT_MAX];
	if (n > 0 && out[n - 1]->seq > log->read_upto)
		log->read_upto = out[n - 1]->seq;
	return n;
}
