/*
 * The audit log: append-only records of what auth decided, held in a
 * ring of AUDIT_MAX entries.
 *
 * Policy when full: the oldest record is overwritten. Records carry a
 * sequence number from 1 up, so a reader sees a gap, and the log counts
 * every record overwritten before a read returned it (`dropped`).
 *
 * Redaction: a record has no field for a password, key or token, and
 * audit_append takes none. An account name is recorded only when it names
 * a known account (the caller passes "" otherwise), because a name that
 * matches nothing is often a password typed at the wrong prompt. A tool
 * decision's call comes from the agent shell with every argument its
 * schema marks secret already written <secret>: auth has no schema of the
 * tools, so the shell, which checked the call against one, redacts. Text
 * fields are cut to AUDIT_TEXT_MAX bytes, the call to AUDIT_CALL_MAX.
 */
#ifndef AUTH_AUDIT_H
#define AUTH_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_MAX	256
#define AUDIT_TEXT_MAX	31

/* The values of schema/auth.capnp's AuditEvent. */
enum audit_event {
	AUDIT_LOGIN_OK = 0,
	AUDIT_LOGIN_FAILED = 1,
	AUDIT_BUNDLE_ISSUED = 2,
	AUDIT_BUNDLE_REFUSED = 3,
	AUDIT_SESSION_ENDED = 4,
	AUDIT_ANONYMOUS = 5,
	AUDIT_TOOL_DECISION = 6,
	AUDIT_STEP_UP = 7,
	AUDIT_PASSKEY_ENROLLED = 8,
	AUDIT_PASSKEY_CHALLENGE = 9,
	AUDIT_ENROL_CODE_ISSUED = 10,
};

#define AUDIT_TOOL_MAX	63
#define AUDIT_CALL_MAX	255	/* UserSession.maxCall */

struct audit_record {
	uint64_t seq;
	uint64_t time_ns;
	enum audit_event event;
	uint32_t reason;		/* schema/auth.capnp's Reason */
	char account[AUDIT_TEXT_MAX + 1];
	char source[AUDIT_TEXT_MAX + 1];
	char profile[AUDIT_TEXT_MAX + 1];
	uint64_t session_serial;
	char tool[AUDIT_TOOL_MAX + 1];	/* a toolDecision's tool, else "" */
	uint32_t strength;		/* AuthStrength of a login; 0 else */
	/* A toolDecision's call, secrets redacted by the shell, else "". */
	char call[AUDIT_CALL_MAX + 1];
};

struct audit_log {
	struct audit_record r[AUDIT_MAX];
	uint64_t last;		/* the newest record's seq; 0 when empty */
	uint64_t read_upto;	/* the highest seq a read has returned */
	uint64_t dropped;
};

/* Appends a record; returns its seq. Texts are (pointer, length). */
uint64_t audit_append(struct audit_log *log, uint64_t now_ns,
    enum audit_event event, uint32_t reason, const char *account,
    size_t alen, const char *source, size_t slen, const char *profile,
    size_t plen, uint64_t session_serial);

/* Names the tool of record seq, the one audit_append just returned
 * (cut to AUDIT_TOOL_MAX bytes). */
void audit_set_tool(struct audit_log *log, uint64_t seq, const char *tool,
    size_t len);
/* The call of record seq, as the shell showed it with its secret
 * arguments redacted (cut to AUDIT_CALL_MAX bytes). */
void audit_set_call(struct audit_log *log, uint64_t seq, const char *call,
    size_t len);
/* Records how the login of record seq proved itself (AuthStrength). */
void audit_set_strength(struct audit_log *log, uint64_t seq,
    uint32_t strength);

/* Up to max records with seq > after, oldest first, into out; returns how
 * many. Records overwritten meanwhile are skipped. */
uint32_t audit_read(struct audit_log *log, uint64_t after, uint32_t max,
    const struct audit_record **out);

#endif
