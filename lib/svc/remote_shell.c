/*
 * A remote gateway's shell launch (remote_shell.h). The calls are
 * synchronous: the endpoint's owner and shell-launcher answer without
 * waiting on anyone.
 */
#include <string.h>

#include "answer.h"
#include "remote_shell.h"
#include "shell.capnp.h"
#include "terminal.capnp.h"

static uint8_t pbuf[512] __attribute__((aligned(8)));
static uint8_t rbuf[1024] __attribute__((aligned(8)));

capos_cap_t
remote_shell_terminal(capos_cap_t owner, uint64_t badge)
{
	return svc_mint(owner, badge, capos_TerminalSession_INTERFACE_ID);
}

static void
say(char *why, size_t room, const char *s, size_t n)
{
	if (room == 0)
		return;
	if (n > room - 1)
		n = room - 1;
	memcpy(why, s, n);
	why[n] = '\0';
}

/* One launch with one profile: 0 with *handle set, 1 when the broker
 * refused the profile, -1 when the launch failed; why says which. */
static int
launch_one(capos_cap_t shells, capos_cap_t term, capos_cap_t session,
    const char *profile, capos_cap_t *handle, char *why, size_t room)
{
	struct capos_RestrictedShellLauncher_launch_Params_b p;
	struct capos_RestrictedShellLauncher_LaunchResult_r r;
	struct capos_capdesc send[2] = {
		{ .cap = term, .mode = CAPOS_XFER_MOVE },
		{ .cap = session, .mode = CAPOS_XFER_COPY },
	};
	struct capnp_builder b;
	struct capnp_text t;
	struct rt_result res;
	uint32_t idx;

	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_RestrictedShellLauncher_launch_Params_init_root(&b, &p) != 0 ||
	    capos_RestrictedShellLauncher_launch_Params_set_profile(&p,
	    profile, strlen(profile)) != 0) {
		(void)rt_release(term);
		say(why, room, "profile name too long", 21);
		return -1;
	}
	capos_RestrictedShellLauncher_launch_Params_set_terminal(&p, 0);
	capos_RestrictedShellLauncher_launch_Params_set_session(&p, 1);
	if (rt_call(shells, capos_RestrictedShellLauncher_INTERFACE_ID,
	    capos_RestrictedShellLauncher_launch_ORDINAL, &b, send, 2, rbuf,
	    sizeof(rbuf), &res) != 0) {
		say(why, room, "launch failed", 13);
		return -1;
	}
	r.s = res.root;
	switch (capos_RestrictedShellLauncher_LaunchResult_which(&r)) {
	case capos_RestrictedShellLauncher_LaunchResult_which_handle:
		if (capos_RestrictedShellLauncher_LaunchResult_get_handle(&r,
		    &idx) != 0 || idx >= res.cqe.ncaps)
			break;
		*handle = res.caps[idx].cap;
		return 0;
	case capos_RestrictedShellLauncher_LaunchResult_which_refused:
		if (capos_RestrictedShellLauncher_LaunchResult_get_refused(&r,
		    &t) != 0)
			break;
		say(why, room, t.str, t.len);
		return 1;
	case capos_RestrictedShellLauncher_LaunchResult_which_failed:
		if (capos_RestrictedShellLauncher_LaunchResult_get_failed(&r,
		    &t) != 0)
			break;
		say(why, room, t.str, t.len);
		return -1;
	default:
		break;
	}
	say(why, room, "a bad answer from shell-launcher", 32);
	return -1;
}

capos_cap_t
remote_shell_launch(capos_cap_t shells, capos_cap_t owner, uint64_t badge,
    capos_cap_t session, const char *const *profiles, size_t nprofiles,
    const char **profile, char *why, size_t room)
{
	capos_cap_t handle = CAPOS_CAP_NULL;

	say(why, room, "no profile", 10);
	for (size_t i = 0; i < nprofiles; i++) {
		capos_cap_t term = remote_shell_terminal(owner, badge);
		int rc;

		if (term == CAPOS_CAP_NULL) {
			say(why, room, "no terminal", 11);
			break;
		}
		rc = launch_one(shells, term, session, profiles[i], &handle,
		    why, room);
		if (rc == 0) {
			*profile = profiles[i];
			return handle;
		}
		if (rc < 0)
			break;
	}
	return CAPOS_CAP_NULL;
}
