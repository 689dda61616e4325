/*
 * greeter-client: the first-service guide's client (docs/first-service.md).
 * It holds "console" and a "greeter" client, asks for a greeting, checks
 * it, and checks that an empty name is refused.
 */
#include <string.h>

#include "greeter.capnp.h"
#include "rt.h"

static uint8_t params[128] __attribute__((aligned(8)));
static uint8_t result[256] __attribute__((aligned(8)));

/* Calls greet(name); 0 with the greeting in *out, or rt_call's error. */
static int
greet(capos_cap_t greeter, const char *name, struct capnp_text *out)
{
	struct capos_Greeter_greet_Params_b p;
	struct capos_Greeter_greet_Results_r r;
	struct capnp_builder b;
	struct rt_result res;
	int rc;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_Greeter_greet_Params_init_root(&b, &p) != 0 ||
	    capos_Greeter_greet_Params_set_name(&p, name, strlen(name)) != 0)
		return -1;
	rc = rt_call(greeter, capos_Greeter_INTERFACE_ID,
	    capos_Greeter_greet_ORDINAL, &b, NULL, 0, result, sizeof(result),
	    &res);
	if (rc != 0)
		return rc;
	r.s = res.root;
	return capos_Greeter_greet_Results_get_greeting(&r, out);
}

int
main(void)
{
	capos_cap_t greeter = rt_cap("greeter", capos_Greeter_INTERFACE_ID);
	struct capnp_text g;

	if (greeter == CAPOS_CAP_NULL) {
		rt_printf("greeter-client: no \"greeter\" capability\n");
		return 1;
	}
	if (greet(greeter, "capOS", &g) != 0 || g.len != 12 ||
	    memcmp(g.str, "hello, capOS", 12) != 0) {
		rt_printf("greeter-client: no proper greeting\n");
		return 1;
	}
	rt_printf("greeter-client: %.*s\n", (int)g.len, g.str);
	if (greet(greeter, "", &g) != RT_EXCEPTION) {
		rt_printf("greeter-client: an empty name was not refused\n");
		return 1;
	}
	rt_debug("[proof] greeter ok: the greeting came back for the name "
	    "sent, and an empty name was refused\n");
	return 0;
}
