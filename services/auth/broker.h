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
 */
#ifndef AUTH_BROKER_H
#define AUTH_BROKER_H

#include <stddef.h>
#include <stdint.h>

#include "account.h"

#define PROFILE_MAX	8
#define PROFILE_CAPS	8

struct profile {
	char name[ACCOUNT_NAME_MAX + 1];
	uint32_t ncaps;
	char caps[PROFILE_CAPS][ACCOUNT_NAME_MAX + 1];
};

struct profile_set {
	uint32_t n;
	struct profile p[PROFILE_MAX];
};

/* Adds "NAME:CAP[+CAP...]" (CAP names as account names, plus capital
 * letters); NULL, or why it is refused. */
const char *profile_add(struct profile_set *ps, const char *s, size_t len);

/* The values of schema/auth.capnp's Reason the broker gives. */
#define BROKER_OK			0
#define BROKER_PROFILE_NOT_ALLOWED	6
#define BROKER_UNKNOWN_PROFILE		7

/* Decides whether account (NULL: the anonymous session) may have the
 * profile; sets *out to it when allowed. */
int broker_decide(const struct profile_set *ps, const struct account *a,
    const char *name, size_t len, const struct profile **out);

#endif
