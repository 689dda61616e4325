/*
 * greeter: the first-service guide's example (docs/first-service.md).
 * It holds "console" and the owner of its "greeter" export, nothing
 * else, and serves Greeter there until no client is left.
 */
#include <string.h>

#include "greeter.capnp.h"
#include "rt.h"

static bool
printable(const struct capnp_text *t)
{
	if (t->len == 0 || t->len > capos_Greeter_maxName)
		return false;
	for (uint32_t i = 0; i < t->len; i++)
		if (t->str[i] < 0x20 || t->str[i] > 0x7e)
			return false;
	return true;
}

static int
greet(void *ctx, struct rt_request *rq)
{
	struct capos_Greeter_greet_Params_r p = { rq->params };
	struct capos_Greeter_greet_Results_b r;
	struct capnp_text name;
	char text[8 + capos_Greeter_maxName];
	int *served = ctx;

	if (capos_Greeter_greet_Params_get_name(&p, &name) != 0 ||
	    !printable(&name))
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "a name is 1 to 32 printable characters");
	memcpy(text, "hello, ", 7);
	memcpy(text + 7, name.str, name.len);
	if (capos_Greeter_greet_Results_init_root(&rq->reply, &r) != 0 ||
	    capos_Greeter_greet_Results_set_greeting(&r, text,
	    7 + name.len) != 0)
		return -1;
	(*served)++;
	return 0;
}

int
main(void)
{
	static const struct rt_method methods[] = {
		{ capos_Greeter_INTERFACE_ID, capos_Greeter_greet_ORDINAL,
		  greet },
	};
	capos_cap_t owner = rt_cap("greeter", capos_Endpoint_INTERFACE_ID);
	int served = 0, rc;

	if (owner == CAPOS_CAP_NULL) {
		rt_printf("greeter: no \"greeter\" export to serve\n");
		return 1;
	}
	rc = rt_serve(owner, methods, 1, &served);
	rt_printf("greeter: served %d greetings\n", served);
	return rc == CAPOS_EPEER ? 0 : 1;
}
