/*
 * launcher: ProgramLauncher (schema/shell.capnp, docs/shell.md) on its
 * "programs" export. A shell's `run` starts programs through it; it
 * starts only the programs its arguments list, each with exactly one
 * capability, "console": a TextSink client of a fresh endpoint whose
 * owner goes back to the caller, who serves the child's output.
 *
 * Holds: "programs" (the endpoint it serves), "processSpawner" (to start
 * the listed programs), "endpointFactory" (the children's output
 * endpoints), "console" (its status lines; at debug level, each program
 * it has started). Arguments: "program=NAME",
 * one per program it may start (at most MAX_PROGRAMS).
 *
 * Bounds: a child may cause CHILD_KMEM bytes of kernel memory; a run
 * takes at most maxArgs arguments of maxArg bytes (refused beyond).
 * Calls are answered one at a time; a spawn is quick, and the launcher
 * never waits for a child. It ends when no client is left.
 */
#include <string.h>

#include "rt.h"
#include "shell.capnp.h"
#include "text.capnp.h"

#define MAX_PROGRAMS	8
#define CHILD_KMEM	(1u << 20)

static const char *programs[MAX_PROGRAMS];
static int nprograms;
static capos_cap_t spawner, factory;
static uint8_t pbuf[4096] __attribute__((aligned(8)));
static uint8_t rbuf[1024] __attribute__((aligned(8)));

static bool
listed(const struct capnp_text *t)
{
	for (int i = 0; i < nprograms; i++)
		if (strlen(programs[i]) == t->len &&
		    memcmp(programs[i], t->str, t->len) == 0)
			return true;
	return false;
}

/* A call whose result holds one capability at idx; its id or NULL. */
static capos_cap_t
cap_of(struct rt_result *res, uint32_t idx)
{
	return idx < res->cqe.ncaps ? res->caps[idx].cap : CAPOS_CAP_NULL;
}

/* A new TextSink endpoint: its owner and one client. */
static int
make_stdio(capos_cap_t *owner, capos_cap_t *client)
{
	struct capos_EndpointFactory_create_Params_b cp;
	struct capos_EndpointFactory_create_Results_r cr;
	struct capos_Endpoint_client_Params_b kp;
	struct capos_Endpoint_client_Results_r kr;
	struct capnp_builder b;
	struct rt_result res;
	uint32_t idx;

	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_EndpointFactory_create_Params_init_root(&b, &cp) != 0)
		return -1;
	capos_EndpointFactory_create_Params_set_interfaceId(&cp,
	    capos_TextSink_INTERFACE_ID);
	if (rt_call(factory, capos_EndpointFactory_INTERFACE_ID,
	    capos_EndpointFactory_create_ORDINAL, &b, NULL, 0, rbuf,
	    sizeof(rbuf), &res) != 0)
		return -1;
	cr.s = res.root;
	if (capos_EndpointFactory_create_Results_get_endpoint(&cr, &idx) != 0 ||
	    (*owner = cap_of(&res, idx)) == CAPOS_CAP_NULL)
		return -1;
	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_Endpoint_client_Params_init_root(&b, &kp) != 0 ||
	    rt_call(*owner, capos_Endpoint_INTERFACE_ID,
	    capos_Endpoint_client_ORDINAL, &b, NULL, 0, rbuf, sizeof(rbuf),
	    &res) != 0) {
		rt_release(*owner);
		return -1;
	}
	kr.s = res.root;
	if (capos_Endpoint_client_Results_get_client(&kr, &idx) != 0 ||
	    (*client = cap_of(&res, idx)) == CAPOS_CAP_NULL) {
		rt_release(*owner);
		return -1;
	}
	return 0;
}

/* Spawns the program with "console" = client (moved); the handle, or
 * NULL with *why set. */
static capos_cap_t
spawn(const struct capnp_text *prog, const struct capnp_list *args,
    capos_cap_t client, const char **why)
{
	struct capos_ProcessSpawner_spawn_Params_b p;
	struct capos_ProcessSpawner_NamedCap_b g;
	struct capos_ProcessSpawner_SpawnResult_r r;
	struct capos_capdesc send = { .cap = client, .mode = CAPOS_XFER_MOVE };
	struct capnp_builder b;
	struct capnp_lb gl, al;
	struct capnp_text t;
	struct rt_result res;
	uint32_t idx;

	*why = "the spawn request does not fit";
	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_ProcessSpawner_spawn_Params_init_root(&b, &p) != 0 ||
	    capos_ProcessSpawner_spawn_Params_set_binary(&p, prog->str,
	    prog->len) != 0 ||
	    capos_ProcessSpawner_spawn_Params_set_name(&p, prog->str,
	    prog->len) != 0 ||
	    capos_ProcessSpawner_spawn_Params_init_grants(&p, 1, &gl) != 0 ||
	    capos_ProcessSpawner_NamedCap_b_at(&gl, 0, &g) != 0 ||
	    capos_ProcessSpawner_NamedCap_set_name(&g, "console", 7) != 0 ||
	    capos_ProcessSpawner_spawn_Params_init_args(&p, args->n, &al) != 0)
		return CAPOS_CAP_NULL;
	capos_ProcessSpawner_NamedCap_set_cap(&g, 0);
	capos_ProcessSpawner_spawn_Params_set_kernelMemory(&p, CHILD_KMEM);
	/* It spawns nothing: one process slot, its own. */
	capos_ProcessSpawner_spawn_Params_set_processes(&p, 1);
	for (uint32_t i = 0; i < args->n; i++)
		if (capnp_list_text(args, i, &t) != 0 ||
		    capnp_lb_set_text(&al, i, t.str, t.len) != 0)
			return CAPOS_CAP_NULL;
	if (rt_call(spawner, capos_ProcessSpawner_INTERFACE_ID,
	    capos_ProcessSpawner_spawn_ORDINAL, &b, &send, 1, rbuf,
	    sizeof(rbuf), &res) != 0) {
		*why = "the spawner failed";
		return CAPOS_CAP_NULL;
	}
	r.s = res.root;
	switch (capos_ProcessSpawner_SpawnResult_which(&r)) {
	case capos_ProcessSpawner_SpawnResult_which_handle:
		if (capos_ProcessSpawner_SpawnResult_get_handle(&r, &idx) == 0)
			return cap_of(&res, idx);
		*why = "no process handle came back";
		return CAPOS_CAP_NULL;
	case capos_ProcessSpawner_SpawnResult_which_notFound:
		*why = "the boot package has no such binary";
		return CAPOS_CAP_NULL;
	case capos_ProcessSpawner_SpawnResult_which_noMemory:
		*why = "out of memory";
		return CAPOS_CAP_NULL;
	default:
		*why = "the spawner refused";
		return CAPOS_CAP_NULL;
	}
}

static int
do_run(void *ctx, struct rt_request *rq)
{
	struct capos_ProgramLauncher_run_Params_r p = { rq->params };
	struct capos_ProgramLauncher_RunResult_b r;
	struct capos_ProgramLauncher_RunResult_started_b st;
	struct capnp_text prog, t;
	struct capnp_list args = { 0 };
	capos_cap_t owner, client, handle;
	const char *why;

	(void)ctx;
	if (capos_ProgramLauncher_run_Params_get_program(&p, &prog) != 0 ||
	    capos_ProgramLauncher_run_Params_get_args(&p, &args) != 0 ||
	    args.n > capos_ProgramLauncher_maxArgs)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "malformed run request");
	for (uint32_t i = 0; i < args.n; i++)
		if (capnp_list_text(&args, i, &t) != 0 ||
		    t.len > capos_ProgramLauncher_maxArg)
			return rt_reply_exception(rq,
			    capos_CapException_Type_failed,
			    "an argument is too long");
	if (capos_ProgramLauncher_RunResult_init_root(&rq->reply, &r) != 0)
		return -1;
	if (!listed(&prog)) {
		capos_ProgramLauncher_RunResult_set_notAllowed(&r);
		return 0;
	}
	if (make_stdio(&owner, &client) != 0)
		return rt_reply_exception(rq, capos_CapException_Type_overloaded,
		    "cannot make the output endpoint");
	if ((handle = spawn(&prog, &args, client, &why)) == CAPOS_CAP_NULL) {
		/* A refused spawn gives the moved client back. */
		rt_release(client);
		rt_release(owner);
		return capos_ProgramLauncher_RunResult_set_failed(&r, why,
		    strlen(why));
	}
	rt_debug("[launcher] started %.*s\n", (int)prog.len, prog.str);
	st = capos_ProgramLauncher_RunResult_init_started(&r);
	capos_ProgramLauncher_RunResult_started_set_handle(&st,
	    (uint32_t)rt_reply_cap(rq, handle, CAPOS_XFER_MOVE));
	capos_ProgramLauncher_RunResult_started_set_stdio(&st,
	    (uint32_t)rt_reply_cap(rq, owner, CAPOS_XFER_MOVE));
	return 0;
}

static int
do_programs(void *ctx, struct rt_request *rq)
{
	struct capos_ProgramLauncher_programs_Results_b r;
	struct capnp_lb l;

	(void)ctx;
	if (capos_ProgramLauncher_programs_Results_init_root(&rq->reply,
	    &r) != 0 ||
	    capos_ProgramLauncher_programs_Results_init_names(&r,
	    (uint32_t)nprograms, &l) != 0)
		return -1;
	for (int i = 0; i < nprograms; i++)
		if (capnp_lb_set_text(&l, (uint32_t)i, programs[i],
		    strlen(programs[i])) != 0)
			return -1;
	return 0;
}

static const struct rt_method methods[] = {
	{ capos_ProgramLauncher_INTERFACE_ID,
	  capos_ProgramLauncher_programs_ORDINAL, do_programs },
	{ capos_ProgramLauncher_INTERFACE_ID, capos_ProgramLauncher_run_ORDINAL,
	  do_run },
};

int
main(void)
{
	capos_cap_t ep = rt_cap("programs", capos_Endpoint_INTERFACE_ID);
	int rc;

	spawner = rt_cap("processSpawner", capos_ProcessSpawner_INTERFACE_ID);
	factory = rt_cap("endpointFactory", capos_EndpointFactory_INTERFACE_ID);
	if (ep == CAPOS_CAP_NULL || spawner == CAPOS_CAP_NULL ||
	    factory == CAPOS_CAP_NULL) {
		rt_printf("[launcher] needs programs, processSpawner and "
		    "endpointFactory\n");
		return 1;
	}
	for (int i = 0; i < rt_argc(); i++) {
		const char *a = rt_argv(i);

		if (strncmp(a, "program=", 8) == 0 && a[8] != '\0' &&
		    nprograms < MAX_PROGRAMS)
			programs[nprograms++] = a + 8;
		else
			rt_printf("[launcher] argument %d refused\n", i);
	}
	rc = rt_serve(ep, methods, sizeof(methods) / sizeof(methods[0]), NULL);
	if (rc != CAPOS_EPEER) {
		rt_printf("[launcher] stopped: %s\n", rt_strerror(rc));
		return 1;
	}
	return 0;
}
