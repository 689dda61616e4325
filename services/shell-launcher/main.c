/*
 * shell-launcher: RestrictedShellLauncher (schema/shell.capnp,
 * docs/shell.md) on its "shells" export. A gateway that has a terminal
 * and a logged-in UserSession asks it for a shell; it starts capos-shell
 * and nothing else, holding the terminal and the bundle the session's
 * broker issues for the profile asked for. It asks the broker itself, so
 * the caller never chooses what the shell holds, and a profile the
 * account may not use is refused by the broker.
 *
 * Holds: "shells" (the endpoint it serves), "processSpawner" (to start
 * capos-shell), "console" (status lines). No arguments.
 *
 * A session capability it is given is used only to ask for that
 * session's bundle: a caller who passes a session it serves itself gets a
 * shell holding only capabilities that caller already had.
 *
 * Bounds: a shell gets at most CAPOS_MAX_XCAPS - 1 bundle entries and may
 * cause SHELL_KMEM bytes of kernel memory. Calls are answered one at a
 * time; it never waits for a shell. It ends when no client is left.
 */
#include <string.h>

#include "auth.capnp.h"
#include "rt.h"
#include "shell.capnp.h"

#define SHELL_KMEM	(4u << 20)

static capos_cap_t spawner;
static uint8_t pbuf[8192] __attribute__((aligned(8)));
static uint8_t rbuf[8192] __attribute__((aligned(8)));

struct entry {
	char name[CAPOS_CAPNAME_MAX];
	capos_cap_t cap;
};

/* Asks the session for its bundle; the count of entries, -1 when the
 * call failed, -2 when the broker refused (reason in why). */
static int
bundle_of(capos_cap_t session, const struct capnp_text *prof,
    struct entry *e, int max, char *why, size_t room)
{
	struct capos_UserSession_shellBundle_Params_b p;
	struct capos_UserSession_BundleResult_r r;
	struct capos_BundleEntry_r be;
	struct capnp_builder b;
	struct capnp_list list;
	struct capnp_text t;
	struct rt_result res;
	uint32_t idx;
	int n = 0;

	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_UserSession_shellBundle_Params_init_root(&b, &p) != 0 ||
	    capos_UserSession_shellBundle_Params_set_profile(&p, prof->str,
	    prof->len) != 0 ||
	    rt_call(session, capos_UserSession_INTERFACE_ID,
	    capos_UserSession_shellBundle_ORDINAL, &b, NULL, 0, rbuf,
	    sizeof(rbuf), &res) != 0)
		return -1;
	r.s = res.root;
	if (capos_UserSession_BundleResult_which(&r) ==
	    capos_UserSession_BundleResult_which_refused) {
		static const char *const names[] = { "ok", "unknownAccount",
		    "badPassword", "accountLocked", "accountDisabled",
		    "throttled", "profileNotAllowed", "unknownProfile",
		    "sessionEnded", "malformed", "tableFull" };
		unsigned v = capos_UserSession_BundleResult_get_refused(&r);

		strncpy(why, v < sizeof(names) / sizeof(names[0]) ? names[v] :
		    "refused", room - 1);
		why[room - 1] = '\0';
		return -2;
	}
	if (capos_UserSession_BundleResult_get_entries(&r, &list) != 0)
		return -1;
	for (uint32_t i = 0; i < list.n; i++) {
		if (capos_BundleEntry_at(&list, i, &be) != 0 ||
		    capos_BundleEntry_get_cap(&be, &idx) != 0 ||
		    idx >= res.cqe.ncaps)
			continue;
		if (n == max || capos_BundleEntry_get_name(&be, &t) != 0 ||
		    t.len == 0 || t.len >= CAPOS_CAPNAME_MAX ||
		    strcmp(t.str, "terminal") == 0) {
			rt_release(res.caps[idx].cap);
			continue;
		}
		memcpy(e[n].name, t.str, t.len + 1);
		e[n].cap = res.caps[idx].cap;
		n++;
	}
	return n;
}

/* Spawns capos-shell with the terminal and the entries (all moved). */
static capos_cap_t
spawn_shell(capos_cap_t terminal, struct entry *e, int n, const char **why)
{
	struct capos_ProcessSpawner_spawn_Params_b p;
	struct capos_ProcessSpawner_NamedCap_b g;
	struct capos_ProcessSpawner_SpawnResult_r r;
	struct capos_capdesc send[CAPOS_MAX_XCAPS];
	struct capnp_builder b;
	struct capnp_lb gl, al;
	struct rt_result res;
	uint32_t idx;

	*why = "the spawn request does not fit";
	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_ProcessSpawner_spawn_Params_init_root(&b, &p) != 0 ||
	    capos_ProcessSpawner_spawn_Params_set_binary(&p, "capos-shell",
	    11) != 0 ||
	    capos_ProcessSpawner_spawn_Params_set_name(&p, "shell", 5) != 0 ||
	    capos_ProcessSpawner_spawn_Params_init_grants(&p,
	    (uint32_t)n + 1, &gl) != 0 ||
	    capos_ProcessSpawner_spawn_Params_init_args(&p, 0, &al) != 0)
		return CAPOS_CAP_NULL;
	capos_ProcessSpawner_spawn_Params_set_kernelMemory(&p, SHELL_KMEM);
	/* It spawns nothing: one process slot, its own. */
	capos_ProcessSpawner_spawn_Params_set_processes(&p, 1);
	for (int i = 0; i <= n; i++) {
		const char *name = i == 0 ? "terminal" : e[i - 1].name;

		if (capos_ProcessSpawner_NamedCap_b_at(&gl, (uint32_t)i,
		    &g) != 0 ||
		    capos_ProcessSpawner_NamedCap_set_name(&g, name,
		    strlen(name)) != 0)
			return CAPOS_CAP_NULL;
		capos_ProcessSpawner_NamedCap_set_cap(&g, (uint32_t)i);
		send[i].cap = i == 0 ? terminal : e[i - 1].cap;
		send[i].mode = CAPOS_XFER_MOVE;
	}
	if (rt_call(spawner, capos_ProcessSpawner_INTERFACE_ID,
	    capos_ProcessSpawner_spawn_ORDINAL, &b, send, (uint16_t)(n + 1),
	    rbuf, sizeof(rbuf), &res) != 0) {
		*why = "the spawner failed";
		return CAPOS_CAP_NULL;
	}
	r.s = res.root;
	if (capos_ProcessSpawner_SpawnResult_which(&r) !=
	    capos_ProcessSpawner_SpawnResult_which_handle ||
	    capos_ProcessSpawner_SpawnResult_get_handle(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps) {
		*why = "the spawner refused";
		return CAPOS_CAP_NULL;
	}
	return res.caps[idx].cap;
}

static int
do_launch(void *ctx, struct rt_request *rq)
{
	struct capos_RestrictedShellLauncher_launch_Params_r p = { rq->params };
	struct capos_RestrictedShellLauncher_LaunchResult_b r;
	struct entry e[CAPOS_MAX_XCAPS - 1];
	struct capnp_text prof;
	uint32_t ti, si;
	capos_cap_t term, sess, handle;
	const char *why;
	char reason[32];
	int n;

	(void)ctx;
	if (capos_RestrictedShellLauncher_launch_Params_get_terminal(&p,
	    &ti) != 0 ||
	    capos_RestrictedShellLauncher_launch_Params_get_session(&p,
	    &si) != 0 ||
	    capos_RestrictedShellLauncher_launch_Params_get_profile(&p,
	    &prof) != 0 || prof.len > 31 ||
	    (term = rt_keep_cap(rq, ti)) == CAPOS_CAP_NULL ||
	    (sess = rt_keep_cap(rq, si)) == CAPOS_CAP_NULL || ti == si)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "launch needs a terminal, a session and a profile");
	if (capos_RestrictedShellLauncher_LaunchResult_init_root(&rq->reply,
	    &r) != 0)
		return -1;
	n = bundle_of(sess, &prof, e, CAPOS_MAX_XCAPS - 1, reason,
	    sizeof(reason));
	rt_release(sess);
	if (n < 0) {
		rt_release(term);
		if (n == -2)
			return capos_RestrictedShellLauncher_LaunchResult_set_refused(
			    &r, reason, strlen(reason));
		return capos_RestrictedShellLauncher_LaunchResult_set_failed(&r,
		    "the session did not answer", 26);
	}
	if ((handle = spawn_shell(term, e, n, &why)) == CAPOS_CAP_NULL) {
		/* A refused spawn gives the moved capabilities back. */
		rt_release(term);
		for (int i = 0; i < n; i++)
			rt_release(e[i].cap);
		return capos_RestrictedShellLauncher_LaunchResult_set_failed(&r,
		    why, strlen(why));
	}
	rt_debug("[shell-launcher] started a shell, profile %.*s, holding "
	    "terminal and %d bundle capabilities\n", (int)prof.len, prof.str,
	    n);
	capos_RestrictedShellLauncher_LaunchResult_set_handle(&r,
	    (uint32_t)rt_reply_cap(rq, handle, CAPOS_XFER_MOVE));
	return 0;
}

static const struct rt_method methods[] = {
	{ capos_RestrictedShellLauncher_INTERFACE_ID,
	  capos_RestrictedShellLauncher_launch_ORDINAL, do_launch },
};

int
main(void)
{
	capos_cap_t ep = rt_cap("shells", capos_Endpoint_INTERFACE_ID);
	int rc;

	spawner = rt_cap("processSpawner", capos_ProcessSpawner_INTERFACE_ID);
	if (ep == CAPOS_CAP_NULL || spawner == CAPOS_CAP_NULL) {
		rt_printf("[shell-launcher] needs shells and processSpawner\n");
		return 1;
	}
	rc = rt_serve(ep, methods, 1, NULL);
	if (rc != CAPOS_EPEER) {
		rt_printf("[shell-launcher] stopped: %s\n", rt_strerror(rc));
		return 1;
	}
	return 0;
}
