/*
 * gatetest: stands in for a remote gateway, for tests/qemu/test_shell.py:
 * it logs in through SessionManager and has RestrictedShellLauncher start
 * a shell on the console's terminal. It holds "console", "terminal" (a
 * TerminalSession client, passed on to the shell), "sessionManager" and
 * "shells"; its arguments are the test accounts' development passwords,
 * "admin=PASSWORD" and "guest=PASSWORD" (NOT FOR PRODUCTION).
 *
 *   1. a guest asking for the operator profile, and anyone asking for a
 *      profile that does not exist, are refused by the broker
 *   2. admin gets a shell with the operator bundle; gatetest waits while
 *      a person (the test) uses it, until the shell ends at logout
 *   3. the shell exited with status 0, and admin's session then fails:
 *      the shell's logout ended it
 */
#include <string.h>

#include "auth.capnp.h"
#include "check.h"
#include "rt.h"
#include "shell.capnp.h"

static capos_cap_t manager, shells, terminal;
static uint8_t pbuf[1024] __attribute__((aligned(8)));
static uint8_t rbuf[4096] __attribute__((aligned(8)));

static const char *
arg(const char *key)
{
	size_t n = strlen(key);

	for (int i = 0; i < rt_argc(); i++)
		if (strncmp(rt_argv(i), key, n) == 0 && rt_argv(i)[n] == '=')
			return rt_argv(i) + n + 1;
	return "";
}

static capos_cap_t
login(const char *name)
{
	struct capos_SessionManager_login_Params_b p;
	struct capos_SessionManager_LoginResult_r r;
	struct capnp_builder b;
	struct rt_result res;
	const char *pw = arg(name);
	uint32_t idx;

	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_SessionManager_login_Params_init_root(&b, &p) != 0 ||
	    capos_SessionManager_login_Params_set_account(&p, name,
	    strlen(name)) != 0 ||
	    capos_SessionManager_login_Params_set_password(&p, pw,
	    strlen(pw)) != 0 ||
	    capos_SessionManager_login_Params_set_source(&p, "gatetest",
	    8) != 0 ||
	    rt_call(manager, capos_SessionManager_INTERFACE_ID,
	    capos_SessionManager_login_ORDINAL, &b, NULL, 0, rbuf, sizeof(rbuf),
	    &res) != 0)
		return CAPOS_CAP_NULL;
	r.s = res.root;
	if (capos_SessionManager_LoginResult_which(&r) !=
	    capos_SessionManager_LoginResult_which_session ||
	    capos_SessionManager_LoginResult_get_session(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return CAPOS_CAP_NULL;
	return res.caps[idx].cap;
}

/* Asks for a shell; the handle, or NULL with the refusal in why. */
static capos_cap_t
launch(capos_cap_t session, const char *profile, char *why, size_t room)
{
	struct capos_RestrictedShellLauncher_launch_Params_b p;
	struct capos_RestrictedShellLauncher_LaunchResult_r r;
	struct capos_capdesc send[2] = {
		{ .cap = terminal, .mode = CAPOS_XFER_COPY },
		{ .cap = session, .mode = CAPOS_XFER_COPY },
	};
	struct capnp_builder b;
	struct capnp_text t;
	struct rt_result res;
	uint32_t idx;

	why[0] = '\0';
	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_RestrictedShellLauncher_launch_Params_init_root(&b, &p) != 0 ||
	    capos_RestrictedShellLauncher_launch_Params_set_profile(&p,
	    profile, strlen(profile)) != 0)
		return CAPOS_CAP_NULL;
	capos_RestrictedShellLauncher_launch_Params_set_terminal(&p, 0);
	capos_RestrictedShellLauncher_launch_Params_set_session(&p, 1);
	if (rt_call(shells, capos_RestrictedShellLauncher_INTERFACE_ID,
	    capos_RestrictedShellLauncher_launch_ORDINAL, &b, send, 2, rbuf,
	    sizeof(rbuf), &res) != 0)
		return CAPOS_CAP_NULL;
	r.s = res.root;
	switch (capos_RestrictedShellLauncher_LaunchResult_which(&r)) {
	case capos_RestrictedShellLauncher_LaunchResult_which_handle:
		if (capos_RestrictedShellLauncher_LaunchResult_get_handle(&r,
		    &idx) == 0 && idx < res.cqe.ncaps)
			return res.caps[idx].cap;
		return CAPOS_CAP_NULL;
	case capos_RestrictedShellLauncher_LaunchResult_which_refused:
		if (capos_RestrictedShellLauncher_LaunchResult_get_refused(&r,
		    &t) == 0 && t.len < room)
			memcpy(why, t.str, t.len + 1);
		return CAPOS_CAP_NULL;
	default:
		return CAPOS_CAP_NULL;
	}
}

int
main(void)
{
	capos_cap_t guest, admin, handle;
	struct rt_result res;
	char why[32];

	manager = rt_cap("sessionManager", capos_SessionManager_INTERFACE_ID);
	shells = rt_cap("shells", capos_RestrictedShellLauncher_INTERFACE_ID);
	terminal = rt_cap("terminal", 0);
	if (manager == CAPOS_CAP_NULL || shells == CAPOS_CAP_NULL ||
	    terminal == CAPOS_CAP_NULL) {
		rt_printf("gatetest: needs sessionManager, shells, terminal\n");
		return 1;
	}
	guest = login("guest");
	expect("guest login", guest != CAPOS_CAP_NULL, 1);
	expect("a guest's operator shell", launch(guest, "operator", why,
	    sizeof(why)) == CAPOS_CAP_NULL, 1);
	expect("refused as profileNotAllowed",
	    strcmp(why, "profileNotAllowed"), 0);
	admin = login("admin");
	expect("admin login", admin != CAPOS_CAP_NULL, 1);
	expect("a root shell", launch(admin, "root", why, sizeof(why)) ==
	    CAPOS_CAP_NULL, 1);
	expect("refused as unknownProfile", strcmp(why, "unknownProfile"), 0);
	handle = launch(admin, "operator", why, sizeof(why));
	expect("admin's operator shell", handle != CAPOS_CAP_NULL, 1);
	if (handle == CAPOS_CAP_NULL)
		return 1;
	rt_printf("[gatetest] a shell runs on the console\n");
	rt_flush();
	expect("the shell's end", rt_call(handle,
	    capos_ProcessHandle_INTERFACE_ID, capos_ProcessHandle_wait_ORDINAL,
	    NULL, NULL, 0, rbuf, sizeof(rbuf), &res), 0);
	{
		struct capos_ExitStatus_r es = { res.root };

		expect("the shell's exit status", capos_ExitStatus_which(&es) ==
		    capos_ExitStatus_which_exited ?
		    capos_ExitStatus_get_exited(&es) : -1000, 0);
	}
	expect("admin's session after the shell's logout", rt_call(admin,
	    capos_UserSession_INTERFACE_ID, capos_UserSession_info_ORDINAL,
	    NULL, NULL, 0, rbuf, sizeof(rbuf), &res), RT_EXCEPTION);
	if (test_failed == 0)
		rt_debug("[proof] restricted-shell ok: the broker refused a "
		    "guest's operator shell (profileNotAllowed) and a root "
		    "shell (unknownProfile); admin's shell ran with the "
		    "operator bundle, ended cleanly, and its session ended "
		    "with it\n");
	rt_printf("[gatetest] %d checks, %d failed\n", test_checks,
	    test_failed);
	return test_failed != 0;
}
