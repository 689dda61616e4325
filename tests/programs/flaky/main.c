/*
 * flaky: a test program for init's supervisor (docs/init.md,
 * "Restarts"). One binary, three roles chosen by the first argument:
 *
 *   serve   holds "console" and the owner of its "greeter" export. It
 *           answers one Greeter.greet and exits with status 1, so init
 *           restarts it; given the name "crash" it faults instead of
 *           answering. When no client is left it exits 0.
 *   doomed  holds "console"; exits with status 1 at once, every time, so
 *           init's back-off grows until it gives up.
 *   client  holds "console" and a "greeter" client. It greets "a", "b",
 *           "crash" and "c": each call but the crash must be answered,
 *           by a fresh instance each time, and the call in flight when
 *           the server crashed must fail with `disconnected`.
 */
#include <string.h>

#include "greeter.capnp.h"
#include "rt.h"

static uint8_t in[512] __attribute__((aligned(8)));
static uint8_t out[256] __attribute__((aligned(8)));
static uint8_t params[128] __attribute__((aligned(8)));

static int
serve(void)
{
	capos_cap_t owner = rt_cap("greeter", capos_Endpoint_INTERFACE_ID);
	const struct capos_recv_hdr *h = (const void *)in;
	struct capos_capdesc caps[CAPOS_MAX_XCAPS];
	struct capos_Greeter_greet_Params_r p;
	struct capos_Greeter_greet_Results_b r;
	struct capnp_builder b;
	struct capnp_text name;
	struct capnp_msg m;
	struct capos_sqe e;
	struct capos_cqe c;

	rt_prep_recv(&e, owner, in, sizeof(in), caps);
	if (rt_submit(&e) != 0 || rt_wait(e.user_data, &c) != 0)
		return 2;
	if (c.status == CAPOS_EPEER)
		return 0;	/* no client left */
	if (c.status < (int)sizeof(*h) ||
	    capnp_msg_init(&m, in + sizeof(*h), h->params_len) != 0 ||
	    capnp_msg_root(&m, &p.s) != 0 ||
	    capos_Greeter_greet_Params_get_name(&p, &name) != 0)
		return 2;
	if (name.len == 5 && memcmp(name.str, "crash", 5) == 0)
		*(volatile int *)0 = 1;
	if (capnp_builder_init(&b, out, sizeof(out)) != 0 ||
	    capos_Greeter_greet_Results_init_root(&b, &r) != 0 ||
	    capos_Greeter_greet_Results_set_greeting(&r, name.str,
	    name.len) != 0)
		return 2;
	rt_prep_return(&e, owner, h->call_id, out, capnp_builder_finish(&b),
	    NULL, 0);
	if (rt_submit(&e) != 0 || rt_wait(e.user_data, &c) != 0)
		return 2;
	return 1;	/* answered one: end, and be restarted */
}

/* greet(name): 0 with the answer checked, RT_EXCEPTION with the type in
 * *exc, or another error. */
static int
greet(capos_cap_t g, const char *name, int *exc)
{
	struct capos_Greeter_greet_Params_b p;
	struct capos_Greeter_greet_Results_r r;
	struct capnp_builder b;
	struct capnp_text t;
	struct rt_result res;
	int rc;

	*exc = -1;
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_Greeter_greet_Params_init_root(&b, &p) != 0 ||
	    capos_Greeter_greet_Params_set_name(&p, name, strlen(name)) != 0)
		return -1;
	rc = rt_call(g, capos_Greeter_INTERFACE_ID,
	    capos_Greeter_greet_ORDINAL, &b, NULL, 0, out, sizeof(out), &res);
	if (rc == RT_EXCEPTION)
		*exc = (int)res.cqe.aux;
	if (rc != 0)
		return rc;
	r.s = res.root;
	if (capos_Greeter_greet_Results_get_greeting(&r, &t) != 0 ||
	    t.len != strlen(name) || memcmp(t.str, name, t.len) != 0)
		return -1;
	return 0;
}

static int
client(void)
{
	capos_cap_t g = rt_cap("greeter", capos_Greeter_INTERFACE_ID);
	int exc, bad = 0;

	bad += greet(g, "a", &exc) != 0;
	bad += greet(g, "b", &exc) != 0;
	if (greet(g, "crash", &exc) != RT_EXCEPTION ||
	    exc != capos_CapException_Type_disconnected) {
		rt_printf("flaky client: the crashed call did not fail with "
		    "disconnected\n");
		bad++;
	}
	bad += greet(g, "c", &exc) != 0;
	if (bad != 0) {
		rt_printf("flaky client: %d calls went wrong\n", bad);
		return 1;
	}
	rt_debug("[proof] supervisor ok: calls answered by restarted "
	    "instances on the same capability; the call in flight when the "
	    "service crashed failed with disconnected, and the next call "
	    "was answered\n");
	return 0;
}

int
main(void)
{
	const char *role = rt_argc() > 0 ? rt_argv(0) : "";

	if (strcmp(role, "serve") == 0)
		return serve();
	if (strcmp(role, "doomed") == 0)
		return 1;
	if (strcmp(role, "client") == 0)
		return client();
	rt_printf("flaky: unknown role \"%s\"\n", role);
	return 2;
}
