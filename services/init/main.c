/*
 * init: the first process. It reads the system manifest from the boot
 * package, checks every service entry, starts the good ones with exactly
 * the capabilities their entries grant, and reports each exit.
 *
 * The manifest is untrusted input. A service whose entry is bad (unknown
 * binary, duplicate name, a grant init cannot satisfy) is reported by name
 * and skipped; the rest of the system still starts. docs/init.md has the
 * rules.
 */
#include <string.h>

#include "rt.h"

#define MAX_SERVICES	32
#define MANIFEST_BUF	65536
#define NAME_MAX_LEN	(CAPOS_CAPNAME_MAX - 1)

struct service {
	char name[CAPOS_CAPNAME_MAX];
	capos_cap_t handle;
	uint64_t wait_tag;
	uint8_t status_buf[256] __attribute__((aligned(8)));
};

static uint8_t manifest_buf[MANIFEST_BUF] __attribute__((aligned(8)));
static uint8_t params_buf[8192] __attribute__((aligned(8)));
static uint8_t result_buf[1024] __attribute__((aligned(8)));
static struct service services[MAX_SERVICES];
static int nservices;

/* The CapSet names init's own kernel capabilities go by, by KernelObject. */
static const char *const kernel_names[] = {
	[capos_KernelObject_console] = "console",
	[capos_KernelObject_bootPackage] = "bootPackage",
	[capos_KernelObject_processSpawner] = "processSpawner",
	[capos_KernelObject_virtualMemory] = "virtualMemory",
	[capos_KernelObject_entropy] = "entropy",
	[capos_KernelObject_timer] = "timer",
	[capos_KernelObject_threadSpawner] = "threadSpawner",
	[capos_KernelObject_parkSpace] = "parkSpace",
	[capos_KernelObject_threadControl] = "threadControl",
};

static bool
text_is(const struct capnp_text *t, const char *s)
{
	return t->len == strlen(s) && memcmp(t->str, s, t->len) == 0;
}

static bool
name_ok(const struct capnp_text *t)
{
	if (t->len == 0 || t->len > NAME_MAX_LEN)
		return false;
	for (uint32_t i = 0; i < t->len; i++) {
		char c = t->str[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

/* Fetches the manifest; returns 0 with *out set, or -1. */
static int
load_manifest(capos_cap_t pkg, struct rt_result *res,
    struct capos_SystemManifest_r *out)
{
	struct capos_BootPackage_manifest_Results_r r;
	int rc;

	rc = rt_call(pkg, capos_BootPackage_INTERFACE_ID,
	    capos_BootPackage_manifest_ORDINAL, NULL, NULL, 0, manifest_buf,
	    sizeof(manifest_buf), res);
	if (rc != 0) {
		rt_printf("[init] cannot read the manifest: %s\n",
		    rt_strerror(rc));
		return -1;
	}
	r.s = res->root;
	if (capos_BootPackage_manifest_Results_get_manifest(&r, out) != 0) {
		rt_printf("[init] the manifest is malformed\n");
		return -1;
	}
	return 0;
}

/*
 * Resolves one grant to a capability init holds. Returns the cap id, or
 * CAPOS_CAP_NULL with *why set.
 */
static capos_cap_t
resolve_grant(const struct capos_Grant_r *g, const char **why)
{
	struct capos_Grant_source_r src = capos_Grant_get_source(g);
	struct capnp_text t;
	char name[CAPOS_CAPNAME_MAX];
	capos_cap_t cap;
	unsigned k;

	switch (capos_Grant_source_which(&src)) {
	case capos_Grant_source_which_kernel:
		k = (unsigned)capos_Grant_source_get_kernel(&src);
		if (k >= sizeof(kernel_names) / sizeof(kernel_names[0]) ||
		    kernel_names[k] == NULL) {
			*why = "unknown kernel object";
			return CAPOS_CAP_NULL;
		}
		cap = rt_cap(kernel_names[k], 0);
		if (cap == CAPOS_CAP_NULL)
			*why = "kernel object not available to init";
		return cap;
	case capos_Grant_source_which_init:
		if (capos_Grant_source_get_init(&src, &t) != 0 ||
		    !name_ok(&t)) {
			*why = "malformed init capability name";
			return CAPOS_CAP_NULL;
		}
		memcpy(name, t.str, t.len);
		name[t.len] = '\0';
		cap = rt_cap(name, 0);
		if (cap == CAPOS_CAP_NULL)
			*why = "init holds no capability of that name";
		return cap;
	case capos_Grant_source_which_serviceExport:
		*why = "service exports are not supported yet";
		return CAPOS_CAP_NULL;
	default:
		*why = "unknown grant source";
		return CAPOS_CAP_NULL;
	}
}

/* Builds the spawn params for one service; returns NULL or the problem. */
static const char *
build_spawn(const struct capos_Service_r *svc, struct capnp_builder *b,
    struct capos_capdesc *send, uint16_t *nsend)
{
	struct capos_ProcessSpawner_spawn_Params_b p;
	struct capos_ProcessSpawner_NamedCap_b nc;
	struct capnp_list grants, args;
	struct capnp_lb gl, al;
	struct capnp_text bin, gname, other, arg;
	struct capos_Grant_r g, h;
	const char *why = NULL;

	if (capos_Service_get_binary(svc, &bin) != 0 || !name_ok(&bin))
		return "missing or malformed binary name";
	if (capos_Service_get_grants(svc, &grants) != 0 ||
	    capos_Service_get_args(svc, &args) != 0)
		return "malformed grants or args";
	if (grants.n > CAPOS_MAX_XCAPS)
		return "too many grants";
	if (capnp_builder_init(b, params_buf, sizeof(params_buf)) != 0 ||
	    capos_ProcessSpawner_spawn_Params_init_root(b, &p) != 0 ||
	    capos_ProcessSpawner_spawn_Params_set_binary(&p, bin.str,
	    bin.len) != 0 ||
	    capos_ProcessSpawner_spawn_Params_init_grants(&p, grants.n,
	    &gl) != 0 ||
	    capos_ProcessSpawner_spawn_Params_init_args(&p, args.n, &al) != 0)
		return "entry too large";
	for (uint32_t i = 0; i < grants.n; i++) {
		if (capos_Grant_at(&grants, i, &g) != 0 ||
		    capos_Grant_get_name(&g, &gname) != 0 || !name_ok(&gname))
			return "a grant has a missing or malformed name";
		for (uint32_t j = 0; j < i; j++)
			if (capos_Grant_at(&grants, j, &h) == 0 &&
			    capos_Grant_get_name(&h, &other) == 0 &&
			    other.len == gname.len &&
			    memcmp(other.str, gname.str, gname.len) == 0)
				return "two grants with the same name";
		send[i].cap = resolve_grant(&g, &why);
		send[i].mode = CAPOS_XFER_COPY;
		if (send[i].cap == CAPOS_CAP_NULL)
			return why;
		if (capos_ProcessSpawner_NamedCap_b_at(&gl, i, &nc) != 0 ||
		    capos_ProcessSpawner_NamedCap_set_name(&nc, gname.str,
		    gname.len) != 0)
			return "entry too large";
		capos_ProcessSpawner_NamedCap_set_cap(&nc, i);
	}
	*nsend = (uint16_t)grants.n;
	for (uint32_t i = 0; i < args.n; i++)
		if (capnp_list_text(&args, i, &arg) != 0 ||
		    capnp_lb_set_text(&al, i, arg.str, arg.len) != 0)
			return "malformed or oversized args";
	return NULL;
}

/* Spawns one checked service; returns 0 or -1 (reported). */
static int
spawn(capos_cap_t spawner, struct service *s, struct capnp_builder *b,
    struct capos_capdesc *send, uint16_t nsend)
{
	struct capos_ProcessSpawner_SpawnResult_r r;
	struct rt_result res;
	struct capnp_text t;
	uint32_t idx;
	int rc;

	rc = rt_call(spawner, capos_ProcessSpawner_INTERFACE_ID,
	    capos_ProcessSpawner_spawn_ORDINAL, b, send, nsend, result_buf,
	    sizeof(result_buf), &res);
	if (rc != 0) {
		rt_printf("[init] %s: spawn failed: %s %s\n", s->name,
		    rt_strerror(rc), rt_exception_reason(&res));
		return -1;
	}
	r.s = res.root;
	switch (capos_ProcessSpawner_SpawnResult_which(&r)) {
	case capos_ProcessSpawner_SpawnResult_which_handle:
		if (capos_ProcessSpawner_SpawnResult_get_handle(&r, &idx) != 0 ||
		    idx >= res.cqe.ncaps) {
			rt_printf("[init] %s: spawn returned no handle\n",
			    s->name);
			return -1;
		}
		s->handle = res.caps[idx].cap;
		return 0;
	case capos_ProcessSpawner_SpawnResult_which_notFound:
		rt_printf("[init] %s: binary not found\n", s->name);
		return -1;
	case capos_ProcessSpawner_SpawnResult_which_badGrant:
		if (capos_ProcessSpawner_SpawnResult_get_badGrant(&r, &t) != 0)
			t.str = "?";
		rt_printf("[init] %s: grant refused: %s\n", s->name, t.str);
		return -1;
	default:
		rt_printf("[init] %s: spawn refused\n", s->name);
		return -1;
	}
}

/* Checks and starts every service; returns how many started. */
static int
start_services(const struct capos_SystemManifest_r *man)
{
	capos_cap_t spawner = rt_cap("processSpawner",
	    capos_ProcessSpawner_INTERFACE_ID);
	struct capos_capdesc send[CAPOS_MAX_XCAPS];
	struct capos_Service_r svc, other;
	struct capnp_builder b;
	struct capnp_list list;
	struct capnp_text name, oname;
	const char *why;
	uint16_t nsend;

	if (capos_SystemManifest_get_services(man, &list) != 0) {
		rt_printf("[init] manifest: unreadable service list\n");
		return 0;
	}
	for (uint32_t i = 0; i < list.n; i++) {
		struct service *s = &services[nservices];

		if (capos_Service_at(&list, i, &svc) != 0 ||
		    capos_Service_get_name(&svc, &name) != 0 ||
		    !name_ok(&name)) {
			rt_printf("[init] manifest: service %u has a missing or "
			    "malformed name; skipped\n", i);
			continue;
		}
		memset(s, 0, sizeof(*s));
		memcpy(s->name, name.str, name.len);
		why = NULL;
		for (uint32_t j = 0; j < i && why == NULL; j++)
			if (capos_Service_at(&list, j, &other) == 0 &&
			    capos_Service_get_name(&other, &oname) == 0 &&
			    text_is(&oname, s->name))
				why = "duplicate service name";
		if (why == NULL && nservices == MAX_SERVICES)
			why = "too many services";
		if (why == NULL)
			why = build_spawn(&svc, &b, send, &nsend);
		if (why != NULL) {
			rt_printf("[init] manifest: service %s: %s; skipped\n",
			    s->name, why);
			continue;
		}
		if (spawn(spawner, s, &b, send, nsend) == 0) {
			rt_printf("[init] started %s\n", s->name);
			nservices++;
		}
	}
	return nservices;
}

static const char *
fault_name(enum capos_FaultKind k)
{
	switch (k) {
	case capos_FaultKind_pageFault:
		return "page fault";
	case capos_FaultKind_generalProtection:
		return "general protection fault";
	case capos_FaultKind_invalidOpcode:
		return "invalid opcode";
	case capos_FaultKind_divideError:
		return "divide error";
	default:
		return "fault";
	}
}

static void
report_exit(struct service *s, const struct capos_cqe *cqe)
{
	struct capos_ExitStatus_r es;
	struct capos_Fault_r f;
	struct rt_result res;
	int rc = rt_result_read(cqe, s->status_buf, &res);

	if (rc != 0) {
		rt_printf("[init] %s: wait failed: %s\n", s->name,
		    rt_strerror(rc));
		return;
	}
	es.s = res.root;
	switch (capos_ExitStatus_which(&es)) {
	case capos_ExitStatus_which_exited:
		rt_printf("[init] %s exited with status %d\n", s->name,
		    capos_ExitStatus_get_exited(&es));
		break;
	case capos_ExitStatus_which_faulted:
		if (capos_ExitStatus_get_faulted(&es, &f) != 0)
			memset(&f, 0, sizeof(f));
		rt_printf("[init] %s faulted: %s at ip %#llx, address "
		    "%#llx\n", s->name, fault_name(capos_Fault_get_kind(&f)),
		    (unsigned long long)capos_Fault_get_ip(&f),
		    (unsigned long long)capos_Fault_get_address(&f));
		break;
	default:
		rt_printf("[init] %s was killed\n", s->name);
		break;
	}
}

/* Waits for every started service, reporting exits in the order they end. */
static void
wait_all(void)
{
	uint64_t tags[MAX_SERVICES];
	int idx[MAX_SERVICES], n = 0;
	struct capos_sqe e;
	struct capos_cqe cqe;

	for (int i = 0; i < nservices; i++) {
		rt_prep_call(&e, services[i].handle,
		    capos_ProcessHandle_INTERFACE_ID,
		    capos_ProcessHandle_wait_ORDINAL, NULL,
		    services[i].status_buf, sizeof(services[i].status_buf),
		    NULL, 0, 0);
		if (rt_submit(&e) != 0) {
			rt_printf("[init] %s: cannot wait\n", services[i].name);
			continue;
		}
		tags[n] = e.user_data;
		idx[n++] = i;
	}
	while (n > 0) {
		int k = rt_wait_any(tags, n, &cqe);

		if (k < 0) {
			rt_printf("[init] waiting failed: %s\n", rt_strerror(k));
			return;
		}
		report_exit(&services[idx[k]], &cqe);
		tags[k] = tags[n - 1];
		idx[k] = idx[n - 1];
		n--;
	}
}

int
main(void)
{
	capos_cap_t pkg = rt_cap("bootPackage", capos_BootPackage_INTERFACE_ID);
	struct capos_SystemManifest_r man;
	struct rt_result res;
	int started;

	if (pkg == CAPOS_CAP_NULL) {
		rt_printf("[init] no boot package capability\n");
		return 1;
	}
	if (load_manifest(pkg, &res, &man) != 0)
		return 1;
	started = start_services(&man);
	rt_printf("[proof] init ok services=%d\n", started);
	wait_all();
	rt_printf("[init] all services have ended\n");
	return 0;
}
