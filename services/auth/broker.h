/*
 * The authority broker's rules: shell profiles, read from auth's
 * arguments (manifest data), each naming the capabilities a shell of that
 * profile receives. The broker grants a profile only to a session whose
 * account lists it; the anonymous session may use only the profile named
 * "anonymous", if there is one.
 *
 * A capability name in a profile is either one auth mints per session
 * ("session": the UserSession; "audit": an AuditLog reader) or the name
 * of a capability auth itself was granted, which the bundle carries as a
 * copy. Bounds: PROFILE_MAX profiles of PROFILE_CAPS names.
 *
 * A profile may also carry an agent permission map (docs/agent.md): up to
 * PROFILE_TOOLS entries "CAP.METHOD=MODE", MODE one of forbidden, auto,
 * consent, stepUp, given to the profile's shell by
 * UserSession.toolPermissions. A tool the map does not name is treated
 * by the shell as never offered.
 */
#ifndef AUTH_BROKER_H
#define AUTH_BROKER_H

#include <stddef.h>
#include <stdint.h>

#include "account.h"

#define PROFILE_MAX	8
#define PROFILE_CAPS	8
#define PROFILE_TOOLS	16
#define TOOL_NAME_MAX	63

/* The values of schema/agent.capnp's PermissionMode. */
enum tool_mode { TOOL_FORBIDDEN, TOOL_AUTO, TOOL_CONSENT, TOOL_STEP_UP };

struct tool_perm {
	char tool[TOOL_NAME_MAX + 1];
	enum tool_mode mode;
};

struct profile {
	char name[ACCOUNT_NAME_MAX + 1];
	uint32_t ncaps;
	char caps[PROFILE_CAPS][ACCOUNT_NAME_MAX + 1];
	uint32_t ntools;
	struct tool_perm tools[PROFILE_TOOLS];
};

struct profile_set {
	uint32_t n;
	struct profile p[PROFILE_MAX];
};

/* Adds "NAME:CAP[+CAP...]" (CAP names as account names, plus capital
 * letters); NULL, or why it is refused. */
const char *profile_add(struct profile_set *ps, const char *s, size_t len);

/* Adds "PROFILE:CAP.METHOD=MODE[+CAP.METHOD=MODE...]" to a profile
 * already added; NULL, or why it is refused (nothing is added then). */
const char *profile_tools_add(struct profile_set *ps, const char *s,
    size_t len);

/* The values of schema/auth.capnp's Reason the broker gives. */
#define BROKER_OK			0
#define BROKER_PROFILE_NOT_ALLOWED	6
#define BROKER_UNKNOWN_PROFILE		7

/* Decides whether account (NULL: the anonymous session) may have the
 * profile; sets *out to it when allowed. */
int broker_decide(const struct profile_set *ps, const struct account *a,
    const char *name, size_t len, const struct profile **out);

#endif
