/*
 * init: the first process. It reads the system manifest from the boot
 * package, checks every service entry, creates an endpoint for every
 * export, starts the services in dependency order with exactly the
 * capabilities their entries grant, and reports each exit.
 *
 * The manifest is untrusted input. A service whose entry is bad is
 * reported by name and skipped, and so is every service that imports from
 * it or sits on a dependency cycle; the rest of the system still starts.
 * docs/init.md has the rules.
 *
 * init supervises the services whose restart policy is not `never`: it
 * keeps a copy of their exports' owners (so the endpoints outlive a
 * crash and clients keep their capabilities) and of the clients it minted
 * for their imports, and restarts them when they end (`always`) or fail
 * (`onFailure`) after a back-off of BACKOFF_FIRST_MS doubling to
 * BACKOFF_MAX_MS. A service that ends RESTART_LIMIT + 1 times in a row,
 * each time within STABLE_MS of its start, is given up: init lets go of
 * what it kept, so its clients see it as gone. Its capabilities are granted
 * afresh at each start (devices minted again).
 */
#include <string.h>

#include "graph.h"
#include "rt.h"

#define MAX_SERVICES	GRAPH_MAX
#define MAX_EXPORTS	4
#define NAME_MAX_LEN	(CAPOS_CAPNAME_MAX - 1)
#define RESTART_LIMIT	5
#define BACKOFF_FIRST_MS 50
#define BACKOFF_MAX_MS	5000
#define STABLE_MS	10000

struct service {
	char name[CAPOS_CAPNAME_MAX];
	struct capos_Service_r entry;
	const char *why;		/* why it is skipped, or NULL */
	uint32_t nexports;
	char export_name[MAX_EXPORTS][CAPOS_CAPNAME_MAX];
	capos_cap_t owner[MAX_EXPORTS];	/* held until the service starts */
	capos_cap_t client[CAPOS_MAX_XCAPS];	/* per grant, for imports */
	capos_cap_t handle;
	uint8_t status_buf[256] __attribute__((aligned(8)));
	enum capos_RestartPolicy restart;
	uint32_t devices;		/* client[] bits minted from devices */
	uint32_t failures;		/* quick ends in a row */
	uint64_t started_tsc;
	uint64_t backoff_from_ns;	/* rt_now_ns() when the back-off began */
};

static uint8_t manifest_buf[CAPOS_MANIFEST_MAX] __attribute__((aligned(8)));
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
	[capos_KernelObject_endpointFactory] = "endpointFactory",
	[capos_KernelObject_deviceManager] = "deviceManager",
	[capos_KernelObject_consoleInput] = "consoleInput",
};

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

/* Copies a checked name into a C string buffer of CAPOS_CAPNAME_MAX. */
static void
copy_name(char *dst, const struct capnp_text *t)
{
	memcpy(dst, t->str, t->len);
	dst[t->len] = '\0';
}

static int
find_service(const struct capnp_text *t)
{
	for (int i = 0; i < nservices; i++)
		if (strlen(services[i].name) == t->len &&
		    memcmp(services[i].name, t->str, t->len) == 0)
			return i;
	return -1;
}

/* Calls a method whose result holds one capability; returns its id. */
static capos_cap_t
call_for_cap(capos_cap_t cap, uint64_t iface, uint16_t method,
    struct capnp_builder *params, int (*get)(struct capnp_struct *,
    uint32_t *))
{
	struct rt_result res;
	uint32_t idx;

	if (rt_call(cap, iface, method, params, NULL, 0, result_buf,
	    sizeof(result_buf), &res) != 0 || get(&res.root, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return CAPOS_CAP_NULL;
	return res.caps[idx].cap;
}

static int
get_endpoint(struct capnp_struct *s, uint32_t *idx)
{
	struct capos_EndpointFactory_create_Results_r r = { *s };

	return capos_EndpointFactory_create_Results_get_endpoint(&r, idx);
}

static int
get_client(struct capnp_struct *s, uint32_t *idx)
{
	struct capos_Endpoint_client_Results_r r = { *s };

	return capos_Endpoint_client_Results_get_client(&r, idx);
}

static capos_cap_t
create_endpoint(uint64_t iface)
{
	capos_cap_t factory = rt_cap("endpointFactory",
	    capos_EndpointFactory_INTERFACE_ID);
	struct capos_EndpointFactory_create_Params_b p;
	struct capnp_builder b;

	if (factory == CAPOS_CAP_NULL ||
	    capnp_builder_init(&b, params_buf, sizeof(params_buf)) != 0 ||
	    capos_EndpointFactory_create_Params_init_root(&b, &p) != 0)
		return CAPOS_CAP_NULL;
	capos_EndpointFactory_create_Params_set_interfaceId(&p, iface);
	return call_for_cap(factory, capos_EndpointFactory_INTERFACE_ID,
	    capos_EndpointFactory_create_ORDINAL, &b, get_endpoint);
}

/* Pass 1: names, and an endpoint for each export. */
static void
read_service(struct service *s, uint32_t i)
{
	struct capos_Export_r ex;
	struct capnp_list exports;
	struct capnp_text t;

	if (s->why != NULL)
		return;
	if (capos_Service_get_exports(&s->entry, &exports) != 0) {
		s->why = "unreadable exports";
		return;
	}
	if (exports.n > MAX_EXPORTS) {
		s->why = "too many exports";
		return;
	}
	for (uint32_t k = 0; k < exports.n; k++) {
		if (capos_Export_at(&exports, k, &ex) != 0 ||
		    capos_Export_get_name(&ex, &t) != 0 || !name_ok(&t)) {
			s->why = "an export has a missing or malformed name";
			return;
		}
		copy_name(s->export_name[k], &t);
		for (uint32_t j = 0; j < k; j++)
			if (strcmp(s->export_name[j], s->export_name[k]) == 0) {
				s->why = "two exports with the same name";
				return;
			}
		s->owner[k] = create_endpoint(capos_Export_get_interfaceId(&ex));
		s->nexports = k + 1;
		if (s->owner[k] == CAPOS_CAP_NULL) {
			s->why = "cannot create an endpoint for an export";
			return;
		}
	}
	(void)i;
}

/* The owner of export `exp` of service index `from`, or CAPOS_CAP_NULL. */
static capos_cap_t
export_owner(int from, const struct capnp_text *exp)
{
	struct service *s = &services[from];

	for (uint32_t k = 0; k < s->nexports; k++)
		if (strlen(s->export_name[k]) == exp->len &&
		    memcmp(s->export_name[k], exp->str, exp->len) == 0)
			return s->owner[k];
	return CAPOS_CAP_NULL;
}

/* Pass 2: imports become graph edges and freshly minted client caps. */
static void
link_imports(struct svc_graph *g, int i)
{
	struct service *s = &services[i];
	struct capos_Grant_source_serviceExport_r se;
	struct capos_Grant_source_r src;
	struct capos_Grant_r gr;
	struct capnp_list grants;
	struct capnp_text svc, exp;
	capos_cap_t owner;
	int from;

	if (s->why != NULL)
		return;
	if (capos_Service_get_grants(&s->entry, &grants) != 0 ||
	    grants.n > CAPOS_MAX_XCAPS) {
		s->why = "unreadable grants, or more than 16";
		return;
	}
	for (uint32_t k = 0; k < grants.n; k++) {
		if (capos_Grant_at(&grants, k, &gr) != 0) {
			s->why = "unreadable grant";
			return;
		}
		src = capos_Grant_get_source(&gr);
		if (capos_Grant_source_which(&src) !=
		    capos_Grant_source_which_serviceExport)
			continue;
		se = capos_Grant_source_get_serviceExport(&src);
		if (capos_Grant_source_serviceExport_get_service(&se, &svc) ||
		    capos_Grant_source_serviceExport_get_export(&se, &exp)) {
			s->why = "unreadable service export grant";
			return;
		}
		from = find_service(&svc);
		owner = from < 0 ? CAPOS_CAP_NULL : export_owner(from, &exp);
		if (owner == CAPOS_CAP_NULL) {
			s->why = "imports an export no service provides";
			return;
		}
		g->dep[i][from] = true;
		/* Badge 0, typed with the export's interface. */
		s->client[k] = call_for_cap(owner, capos_Endpoint_INTERFACE_ID,
		    capos_Endpoint_client_ORDINAL, NULL, get_client);
		if (s->client[k] == CAPOS_CAP_NULL) {
			s->why = "cannot obtain a client capability";
			return;
		}
	}
}

static int
get_mmio(struct capnp_struct *s, uint32_t *idx)
{
	struct capos_DeviceManager_mmio_Results_r r = { *s };

	return capos_DeviceManager_mmio_Results_get_mmio(&r, idx);
}

static int
get_interrupt(struct capnp_struct *s, uint32_t *idx)
{
	struct capos_DeviceManager_interrupt_Results_r r = { *s };

	return capos_DeviceManager_interrupt_Results_get_interrupt(&r, idx);
}

static int
get_pool(struct capnp_struct *s, uint32_t *idx)
{
	struct capos_DeviceManager_dmaPool_Results_r r = { *s };

	return capos_DeviceManager_dmaPool_Results_get_pool(&r, idx);
}

/*
 * Mints the device resource a grant names through the DeviceManager.
 * The three requests share vendor, device and index, so they are built
 * with the mmio params layout and differ in the rest.
 */
static capos_cap_t
mint_device(const struct capos_DeviceGrant_r *dg, const char **why)
{
	capos_cap_t dm = rt_cap("deviceManager",
	    capos_DeviceManager_INTERFACE_ID);
	struct capos_DeviceGrant_resource_r res =
	    capos_DeviceGrant_get_resource(dg);
	struct capos_DeviceManager_mmio_Params_b mp;
	struct capos_DeviceManager_interrupt_Params_b ip;
	struct capos_DeviceManager_dmaPool_Params_b pp;
	uint8_t buf[128] __attribute__((aligned(8)));
	struct capnp_builder b;
	capos_cap_t cap = CAPOS_CAP_NULL;
	uint16_t vendor = capos_DeviceGrant_get_vendor(dg);
	uint16_t device = capos_DeviceGrant_get_device(dg);
	uint16_t index = capos_DeviceGrant_get_index(dg);

	*why = "init holds no device manager";
	if (dm == CAPOS_CAP_NULL ||
	    capnp_builder_init(&b, buf, sizeof(buf)) != 0)
		return CAPOS_CAP_NULL;
	*why = "the device resource cannot be had";
	switch (capos_DeviceGrant_resource_which(&res)) {
	case capos_DeviceGrant_resource_which_mmio:
		if (capos_DeviceManager_mmio_Params_init_root(&b, &mp) != 0)
			return CAPOS_CAP_NULL;
		capos_DeviceManager_mmio_Params_set_vendor(&mp, vendor);
		capos_DeviceManager_mmio_Params_set_device(&mp, device);
		capos_DeviceManager_mmio_Params_set_index(&mp, index);
		capos_DeviceManager_mmio_Params_set_bar(&mp,
		    capos_DeviceGrant_resource_get_mmio(&res));
		cap = call_for_cap(dm, capos_DeviceManager_INTERFACE_ID,
		    capos_DeviceManager_mmio_ORDINAL, &b, get_mmio);
		break;
	case capos_DeviceGrant_resource_which_interrupt:
		if (capos_DeviceManager_interrupt_Params_init_root(&b, &ip) != 0)
			return CAPOS_CAP_NULL;
		capos_DeviceManager_interrupt_Params_set_vendor(&ip, vendor);
		capos_DeviceManager_interrupt_Params_set_device(&ip, device);
		capos_DeviceManager_interrupt_Params_set_index(&ip, index);
		cap = call_for_cap(dm, capos_DeviceManager_INTERFACE_ID,
		    capos_DeviceManager_interrupt_ORDINAL, &b, get_interrupt);
		break;
	case capos_DeviceGrant_resource_which_dmaPool:
		if (capos_DeviceManager_dmaPool_Params_init_root(&b, &pp) != 0)
			return CAPOS_CAP_NULL;
		capos_DeviceManager_dmaPool_Params_set_vendor(&pp, vendor);
		capos_DeviceManager_dmaPool_Params_set_device(&pp, device);
		capos_DeviceManager_dmaPool_Params_set_index(&pp, index);
		capos_DeviceManager_dmaPool_Params_set_pages(&pp,
		    capos_DeviceGrant_resource_get_dmaPool(&res));
		cap = call_for_cap(dm, capos_DeviceManager_INTERFACE_ID,
		    capos_DeviceManager_dmaPool_ORDINAL, &b, get_pool);
		break;
	default:
		*why = "unknown device resource";
		break;
	}
	return cap;
}

/*
 * Resolves one grant to a capability init holds and how to send it.
 * Returns the cap id, or CAPOS_CAP_NULL with *why set.
 */
static capos_cap_t
resolve_grant(struct service *s, uint32_t k, const struct capos_Grant_r *g,
    uint32_t *mode, const char **why)
{
	struct capos_Grant_source_r src = capos_Grant_get_source(g);
	struct capnp_text t;
	char name[CAPOS_CAPNAME_MAX];
	capos_cap_t cap;
	unsigned kind;

	*mode = CAPOS_XFER_COPY;
	switch (capos_Grant_source_which(&src)) {
	case capos_Grant_source_which_kernel:
		kind = (unsigned)capos_Grant_source_get_kernel(&src);
		if (kind >= sizeof(kernel_names) / sizeof(kernel_names[0]) ||
		    kernel_names[kind] == NULL) {
			*why = "unknown kernel object";
			return CAPOS_CAP_NULL;
		}
		cap = rt_cap(kernel_names[kind], 0);
		if (cap == CAPOS_CAP_NULL)
			*why = "kernel object not available to init";
		return cap;
	case capos_Grant_source_which_init:
		if (capos_Grant_source_get_init(&src, &t) != 0 ||
		    !name_ok(&t)) {
			*why = "malformed init capability name";
			return CAPOS_CAP_NULL;
		}
		copy_name(name, &t);
		cap = rt_cap(name, 0);
		if (cap == CAPOS_CAP_NULL)
			*why = "init holds no capability of that name";
		return cap;
	case capos_Grant_source_which_serviceExport:
		/* Minted for this service alone: it moves there, unless init
		 * keeps it for restarts. */
		*mode = s->restart == capos_RestartPolicy_never ?
		    CAPOS_XFER_MOVE : CAPOS_XFER_COPY;
		return s->client[k];
	case capos_Grant_source_which_device: {
		struct capos_DeviceGrant_r dg;

		if (capos_Grant_source_get_device(&src, &dg) != 0) {
			*why = "malformed device grant";
			return CAPOS_CAP_NULL;
		}
		/* Kept in client[] so a failed spawn releases it. */
		s->client[k] = mint_device(&dg, why);
		s->devices |= 1u << k;
		*mode = CAPOS_XFER_MOVE;
		return s->client[k];
	}
	default:
		*why = "unknown grant source";
		return CAPOS_CAP_NULL;
	}
}

static const char *
add_named_cap(struct capnp_lb *gl, uint32_t i, const char *name,
    size_t len)
{
	struct capos_ProcessSpawner_NamedCap_b nc;

	if (capos_ProcessSpawner_NamedCap_b_at(gl, i, &nc) != 0 ||
	    capos_ProcessSpawner_NamedCap_set_name(&nc, name, len) != 0)
		return "entry too large";
	capos_ProcessSpawner_NamedCap_set_cap(&nc, i);
	return NULL;
}

/* Builds the spawn params: grants, then exports (owners move over). */
static const char *
build_spawn(struct service *s, struct capnp_builder *b,
    struct capos_capdesc *send, uint16_t *nsend)
{
	struct capos_ProcessSpawner_spawn_Params_b p;
	struct capnp_list grants, args;
	struct capnp_lb gl, al;
	struct capnp_text bin, gname, arg;
	struct capos_Grant_r g;
	const char *why = NULL;
	uint32_t n;

	if (capos_Service_get_binary(&s->entry, &bin) != 0 || !name_ok(&bin))
		return "missing or malformed binary name";
	if (capos_Service_get_grants(&s->entry, &grants) != 0 ||
	    capos_Service_get_args(&s->entry, &args) != 0)
		return "malformed grants or args";
	n = grants.n + s->nexports;
	if (n > CAPOS_MAX_XCAPS)
		return "more than 16 grants and exports";
	if (capnp_builder_init(b, params_buf, sizeof(params_buf)) != 0 ||
	    capos_ProcessSpawner_spawn_Params_init_root(b, &p) != 0 ||
	    capos_ProcessSpawner_spawn_Params_set_binary(&p, bin.str,
	    bin.len) != 0 ||
	    capos_ProcessSpawner_spawn_Params_set_name(&p, s->name,
	    strlen(s->name)) != 0 ||
	    capos_ProcessSpawner_spawn_Params_init_grants(&p, n, &gl) != 0 ||
	    capos_ProcessSpawner_spawn_Params_init_args(&p, args.n, &al) != 0)
		return "entry too large";
	capos_ProcessSpawner_spawn_Params_set_kernelMemory(&p,
	    capos_Service_get_kernelMemory(&s->entry));
	capos_ProcessSpawner_spawn_Params_set_processes(&p,
	    capos_Service_get_processes(&s->entry));
	for (uint32_t i = 0; i < grants.n; i++) {
		if (capos_Grant_at(&grants, i, &g) != 0 ||
		    capos_Grant_get_name(&g, &gname) != 0 || !name_ok(&gname))
			return "a grant has a missing or malformed name";
		send[i].cap = resolve_grant(s, i, &g, &send[i].mode, &why);
		if (send[i].cap == CAPOS_CAP_NULL)
			return why;
		if ((why = add_named_cap(&gl, i, gname.str, gname.len)) != NULL)
			return why;
	}
	for (uint32_t k = 0; k < s->nexports; k++) {
		send[grants.n + k].cap = s->owner[k];
		send[grants.n + k].mode = s->restart ==
		    capos_RestartPolicy_never ? CAPOS_XFER_MOVE :
		    CAPOS_XFER_COPY;
		if ((why = add_named_cap(&gl, grants.n + k, s->export_name[k],
		    strlen(s->export_name[k]))) != NULL)
			return why;
	}
	*nsend = (uint16_t)n;
	for (uint32_t i = 0; i < args.n; i++)
		if (capnp_list_text(&args, i, &arg) != 0 ||
		    capnp_lb_set_text(&al, i, arg.str, arg.len) != 0)
			return "malformed or oversized args";
	return NULL;
}

/* Spawns one checked service; returns 0 or -1 (reported). */
static int
spawn_once(struct service *s)
{
	capos_cap_t spawner = rt_cap("processSpawner",
	    capos_ProcessSpawner_INTERFACE_ID);
	struct capos_ProcessSpawner_SpawnResult_r r;
	struct capos_capdesc send[CAPOS_MAX_XCAPS];
	struct capnp_builder b;
	struct rt_result res;
	struct capnp_text t;
	const char *why;
	uint16_t nsend = 0;
	uint32_t idx;
	int rc;

	if ((why = build_spawn(s, &b, send, &nsend)) != NULL) {
		rt_printf("[init] manifest: service %s: %s; skipped\n", s->name,
		    why);
		return -1;
	}
	rc = rt_call(spawner, capos_ProcessSpawner_INTERFACE_ID,
	    capos_ProcessSpawner_spawn_ORDINAL, &b, send, nsend, result_buf,
	    sizeof(result_buf), &res);
	if (rc != 0) {
		rt_printf("[init] %s: spawn failed: %s %s\n", s->name,
		    rt_strerror(rc), rt_exception_reason(&res));
		return -1;
	}
	/* Moved capabilities now belong to the child; a supervised
	 * service's exports and imports were copied and stay init's. */
	if (s->restart == capos_RestartPolicy_never) {
		memset(s->owner, 0, sizeof(s->owner));
		memset(s->client, 0, sizeof(s->client));
	} else {
		for (uint32_t k = 0; k < CAPOS_MAX_XCAPS; k++)
			if (s->devices & (1u << k))
				s->client[k] = CAPOS_CAP_NULL;
	}
	s->devices = 0;
	s->started_tsc = __builtin_ia32_rdtsc();
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

/* Spawns s; a failed spawn gives back the devices minted for it, which
 * the next attempt mints again. */
static int
spawn(struct service *s)
{
	int rc = spawn_once(s);

	if (rc != 0) {
		for (uint32_t k = 0; k < CAPOS_MAX_XCAPS; k++)
			if ((s->devices & (1u << k)) &&
			    s->client[k] != CAPOS_CAP_NULL) {
				rt_release(s->client[k]);
				s->client[k] = CAPOS_CAP_NULL;
			}
		s->devices = 0;
	}
	return rc;
}

/* Reads the service list and checks each entry's own fields. */
static int
read_services(const struct capos_SystemManifest_r *man)
{
	struct capnp_list list;
	struct capnp_text name;

	if (capos_SystemManifest_get_services(man, &list) != 0) {
		rt_printf("[init] manifest: unreadable service list\n");
		return -1;
	}
	if (list.n > MAX_SERVICES)
		rt_printf("[init] manifest: only the first %d services are "
		    "read\n", MAX_SERVICES);
	for (uint32_t i = 0; i < list.n && nservices < MAX_SERVICES; i++) {
		struct service *s = &services[nservices];

		memset(s, 0, sizeof(*s));
		if (capos_Service_at(&list, i, &s->entry) != 0 ||
		    capos_Service_get_name(&s->entry, &name) != 0 ||
		    !name_ok(&name)) {
			rt_printf("[init] manifest: service %u has a missing or "
			    "malformed name; skipped\n", i);
			continue;
		}
		copy_name(s->name, &name);
		if (find_service(&name) >= 0)
			s->why = "duplicate service name";
		s->restart = capos_Service_get_restart(&s->entry);
		if (s->restart > capos_RestartPolicy_always)
			s->why = "unknown restart policy";
		nservices++;
		read_service(s, i);
	}
	return 0;
}

/* Releases what init keeps of a service: its exports' owners and its
 * imports' clients. */
static void
let_go(struct service *s)
{
	for (uint32_t k = 0; k < MAX_EXPORTS; k++)
		if (s->owner[k] != CAPOS_CAP_NULL) {
			rt_release(s->owner[k]);
			s->owner[k] = CAPOS_CAP_NULL;
		}
	for (uint32_t k = 0; k < CAPOS_MAX_XCAPS; k++)
		if (s->client[k] != CAPOS_CAP_NULL) {
			rt_release(s->client[k]);
			s->client[k] = CAPOS_CAP_NULL;
		}
}

/* Checks, orders and starts everything; returns how many started. */
static int
start_services(const struct capos_SystemManifest_r *man)
{
	static struct svc_graph g;
	enum node_state state[MAX_SERVICES];
	int order[MAX_SERVICES], blocker[MAX_SERVICES], n, started = 0;
	bool down[MAX_SERVICES] = { false };

	if (read_services(man) != 0)
		return 0;
	g.n = nservices;
	for (int i = 0; i < nservices; i++)
		link_imports(&g, i);
	for (int i = 0; i < nservices; i++)
		state[i] = services[i].why == NULL ? NODE_OK : NODE_BAD;
	n = graph_order(&g, state, order, blocker);
	for (int i = 0; i < nservices; i++) {
		struct service *s = &services[i];

		if (state[i] == NODE_BAD)
			rt_printf("[init] manifest: service %s: %s; skipped\n",
			    s->name, s->why);
		else if (state[i] == NODE_CYCLE)
			rt_printf("[init] manifest: service %s is on a "
			    "dependency cycle; skipped\n", s->name);
		else if (state[i] == NODE_BLOCKED)
			rt_printf("[init] manifest: service %s imports from %s, "
			    "which will not start; skipped\n", s->name,
			    services[blocker[i]].name);
	}
	/* A service that fails to start (a device grant with no device
	 * behind it: a machine without a NIC) takes down what imports from
	 * it, as a bad entry does; its own line says why, the rest are
	 * debug lines, so a missing device is one line at info. */
	for (int k = 0; k < n; k++) {
		struct service *s = &services[order[k]];
		int from = -1;

		for (int j = 0; j < nservices && from < 0; j++)
			if (g.dep[order[k]][j] && down[j])
				from = j;
		if (from >= 0) {
			rt_debug("[init] %s imports from %s, which did not "
			    "start; skipped\n", s->name, services[from].name);
			down[order[k]] = true;
		} else if (spawn(s) == 0) {
			rt_debug("[init] started %s\n", s->name);
			started++;
		} else {
			down[order[k]] = true;
		}
	}
	/* Endpoints and clients of services that did not start go away,
	 * so whoever imports from them sees the service as gone; init keeps
	 * those of the services it supervises. */
	for (int i = 0; i < nservices; i++)
		if (services[i].handle == CAPOS_CAP_NULL ||
		    services[i].restart == capos_RestartPolicy_never)
			let_go(&services[i]);
	return started;
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

/* Reports how s ended; true when it failed (not an exit with 0). */
static bool
report_exit(struct service *s, const struct capos_cqe *cqe)
{
	struct capos_ExitStatus_r es;
	struct capos_Fault_r f;
	struct rt_result res;
	int rc = rt_result_read(cqe, s->status_buf, &res), code;

	if (rc != 0) {
		rt_printf("[init] %s: wait failed: %s\n", s->name,
		    rt_strerror(rc));
		return true;
	}
	es.s = res.root;
	switch (capos_ExitStatus_which(&es)) {
	case capos_ExitStatus_which_exited:
		code = capos_ExitStatus_get_exited(&es);
		/* A clean end is routine; any other status is news. */
		rt_log(code == 0 ? CAPOS_LOG_DEBUG : CAPOS_LOG_WARN,
		    "[init] %s exited with status %d\n", s->name, code);
		return code != 0;
	case capos_ExitStatus_which_faulted:
		if (capos_ExitStatus_get_faulted(&es, &f) != 0)
			memset(&f, 0, sizeof(f));
		rt_printf("[init] %s faulted: %s at ip %#llx, address "
		    "%#llx\n", s->name, fault_name(capos_Fault_get_kind(&f)),
		    (unsigned long long)capos_Fault_get_ip(&f),
		    (unsigned long long)capos_Fault_get_address(&f));
		return true;
	default:
		rt_printf("[init] %s was killed\n", s->name);
		return true;
	}
}

/* What init waits on: each service's end or back-off, and the console
 * when "stop=console" is among its arguments. */
enum wait_kind { WAIT_END, WAIT_BACKOFF, WAIT_STOP };

struct waiting {
	uint64_t tag;
	int svc;
	enum wait_kind kind;
};

static struct waiting waits[MAX_SERVICES + 1];
static int nwaits;
static uint8_t sleep_params[64] __attribute__((aligned(8)));
static uint8_t sleep_result[MAX_SERVICES][64] __attribute__((aligned(8)));

static uint8_t stop_params[64] __attribute__((aligned(8)));
static uint8_t stop_result[256] __attribute__((aligned(8)));

/* Reads the console for a stop request; false if it cannot. */
static bool
wait_stop(void)
{
	capos_cap_t in = rt_cap("consoleInput", capos_ConsoleInput_INTERFACE_ID);
	struct capos_ConsoleInput_read_Params_b p;
	struct capnp_builder b;
	struct capos_sqe e;

	if (in == CAPOS_CAP_NULL ||
	    capnp_builder_init(&b, stop_params, sizeof(stop_params)) != 0 ||
	    capos_ConsoleInput_read_Params_init_root(&b, &p) != 0)
		return false;
	capos_ConsoleInput_read_Params_set_max(&p, 64);
	rt_prep_call(&e, in, capos_ConsoleInput_INTERFACE_ID,
	    capos_ConsoleInput_read_ORDINAL, &b, stop_result,
	    sizeof(stop_result), NULL, 0, 0);
	if (rt_submit(&e) != 0)
		return false;
	waits[nwaits++] = (struct waiting){ e.user_data, -1, WAIT_STOP };
	return true;
}

/* Whether a completed console read holds 'q'. */
static bool
stop_typed(const struct capos_cqe *cqe)
{
	struct capos_ConsoleInput_read_Results_r r;
	struct rt_result res;
	struct capnp_data d;

	if (rt_result_read(cqe, stop_result, &res) != 0)
		return false;
	r.s = res.root;
	return capos_ConsoleInput_read_Results_get_bytes(&r, &d) == 0 &&
	    memchr(d.ptr, 'q', d.len) != NULL;
}

static bool
has_arg(const char *a)
{
	for (int i = 0; i < rt_argc(); i++)
		if (strcmp(rt_argv(i), a) == 0)
			return true;
	return false;
}

static uint64_t
ms_since(uint64_t tsc)
{
	uint64_t hz = rt_start()->tsc_hz;

	return hz == 0 ? 0 : (__builtin_ia32_rdtsc() - tsc) / (hz / 1000);
}

/* Waits for s to end; false if the wait cannot be posted. */
static bool
wait_end(int i)
{
	struct service *s = &services[i];
	struct capos_sqe e;

	rt_prep_call(&e, s->handle, capos_ProcessHandle_INTERFACE_ID,
	    capos_ProcessHandle_wait_ORDINAL, NULL, s->status_buf,
	    sizeof(s->status_buf), NULL, 0, 0);
	if (rt_submit(&e) != 0) {
		rt_printf("[init] %s: cannot wait\n", s->name);
		return false;
	}
	waits[nwaits++] = (struct waiting){ e.user_data, i, WAIT_END };
	return true;
}

/* Waits ms before restarting s; false if the timer cannot be asked. */
static bool
wait_backoff(int i, uint64_t ms)
{
	capos_cap_t timer = rt_cap("timer", capos_Timer_INTERFACE_ID);
	struct capos_Timer_sleep_Params_b p;
	struct capnp_builder b;
	struct capos_sqe e;

	if (timer == CAPOS_CAP_NULL ||
	    capnp_builder_init(&b, sleep_params, sizeof(sleep_params)) != 0 ||
	    capos_Timer_sleep_Params_init_root(&b, &p) != 0)
		return false;
	capos_Timer_sleep_Params_set_ns(&p, ms * 1000000ull);
	rt_prep_call(&e, timer, capos_Timer_INTERFACE_ID,
	    capos_Timer_sleep_ORDINAL, &b, sleep_result[i],
	    sizeof(sleep_result[i]), NULL, 0, 0);
	if (rt_submit(&e) != 0)
		return false;
	waits[nwaits++] = (struct waiting){ e.user_data, i, WAIT_BACKOFF };
	return true;
}

/* s has ended: restart it after its back-off, or give it up. */
static void
ended(int i, bool failed)
{
	struct service *s = &services[i];
	bool not_started = s->handle == CAPOS_CAP_NULL;	/* spawn failed */
	uint64_t ms;

	if (!not_started) {
		rt_release(s->handle);
		s->handle = CAPOS_CAP_NULL;
	}
	if (s->restart == capos_RestartPolicy_never ||
	    (s->restart == capos_RestartPolicy_onFailure && !failed)) {
		let_go(s);
		return;
	}
	s->failures = not_started || ms_since(s->started_tsc) < STABLE_MS ?
	    s->failures + 1 : 1;
	if (s->failures > RESTART_LIMIT) {
		rt_printf("[init] %s ended %u times in a row within %u ms of "
		    "its start; giving up\n", s->name, s->failures, STABLE_MS);
		let_go(s);
		return;
	}
	ms = BACKOFF_FIRST_MS << (s->failures - 1);
	if (ms > BACKOFF_MAX_MS)
		ms = BACKOFF_MAX_MS;
	rt_warn("[init] %s: restarting in %llu ms (restart %u of %u)\n",
	    s->name, (unsigned long long)ms, s->failures, RESTART_LIMIT);
	s->backoff_from_ns = rt_now_ns();
	if (!wait_backoff(i, ms)) {
		rt_printf("[init] %s: no timer for the back-off; giving up\n",
		    s->name);
		let_go(s);
	}
}

/* How long s's back-off took on init's own clock, in ms: what it waited,
 * as opposed to what it asked the timer for. */
static uint64_t
waited_ms(const struct service *s)
{
	return (rt_now_ns() - s->backoff_from_ns) / 1000000;
}

/* True when a back-off before restarting service i is pending. */
static bool
is_waiting(int i)
{
	for (int j = 0; j < nwaits; j++)
		if (waits[j].svc == i && waits[j].kind == WAIT_BACKOFF)
			return true;
	return false;
}

/* True when s has ended for good and its entry says that ends the
 * system (endsSystem): a console shell beside gateways that serve forever. */
static bool
ends_system(int i)
{
	struct service *s = &services[i];

	if (s->handle != CAPOS_CAP_NULL || is_waiting(i) ||
	    !capos_Service_get_endsSystem(&s->entry))
		return false;
	rt_debug("[init] %s ended: stopping the system\n", s->name);
	return true;
}

/*
 * Waits for every started service, reporting ends in the order they
 * happen, and restarts supervised ones; returns once nothing is left to
 * wait for, or when 'q' is typed on the console and init's arguments
 * have "stop=console" (test systems whose services never end: init's
 * exit then stops them all, and the kernel checks for leaks), or when a
 * service whose entry has endsSystem ends for good. True when it stopped
 * with services left.
 */
static bool
supervise(void)
{
	uint64_t tags[MAX_SERVICES + 1];
	struct capos_cqe cqe;
	bool stoppable = has_arg("stop=console");

	for (int i = 0; i < nservices; i++)
		if (services[i].handle != CAPOS_CAP_NULL && !wait_end(i))
			let_go(&services[i]);
	if (stoppable && !(stoppable = wait_stop()))
		rt_printf("[init] stop=console: no consoleInput\n");
	/* Until no service is left to wait for (the stop read aside). */
	while (nwaits > (stoppable ? 1 : 0)) {
		struct waiting w;
		int k;

		for (int j = 0; j < nwaits; j++)
			tags[j] = waits[j].tag;
		if ((k = rt_wait_any(tags, nwaits, &cqe)) < 0) {
			rt_printf("[init] waiting failed: %s\n",
			    rt_strerror(k));
			return false;
		}
		w = waits[k];
		waits[k] = waits[--nwaits];
		if (w.kind == WAIT_STOP) {
			if (stop_typed(&cqe)) {
				rt_debug("[init] stop requested on the "
				    "console\n");
				return true;
			}
			stoppable = wait_stop();
		} else if (w.kind == WAIT_END) {
			ended(w.svc, report_exit(&services[w.svc], &cqe));
			if (ends_system(w.svc))
				return true;
		} else {
			/* The back-off is over: measured before the spawn,
			 * which takes its own time. */
			uint64_t waited = waited_ms(&services[w.svc]);

			if (spawn(&services[w.svc]) != 0) {
				ended(w.svc, true);
				continue;
			}
			rt_warn("[init] restarted %s (waited %llu ms)\n",
			    services[w.svc].name, (unsigned long long)waited);
			if (!wait_end(w.svc))
				let_go(&services[w.svc]);
		}
	}
	return false;
}

/*
 * With "bench" on the kernel command line (init's arguments), init reports
 * when it started, for make bench (docs/benchmarks.md).
 */
static void
bench_start(void)
{
	const struct capos_start *sb = rt_start();
	uint64_t now = __builtin_ia32_rdtsc(), us;
	bool bench = false;

	for (int i = 0; i < rt_argc(); i++)
		bench |= strcmp(rt_argv(i), "bench") == 0;
	if (!bench || sb->tsc_hz == 0)
		return;
	us = (now - sb->boot_tsc) / (sb->tsc_hz / 1000000);
	rt_printf("[bench] start\n");
	rt_printf("[bench] tsc_hz=%llu\n", (unsigned long long)sb->tsc_hz);
	rt_printf("[bench] row=boot_to_init value=%llu.%03llu unit=ms "
	    "iters=1\n", (unsigned long long)(us / 1000),
	    (unsigned long long)(us % 1000));
}

int
main(void)
{
	capos_cap_t pkg = rt_cap("bootPackage", capos_BootPackage_INTERFACE_ID);
	struct capos_BootPackage_manifest_Results_r r;
	struct capos_SystemManifest_r man;
	struct rt_result res;
	int rc, started;

	bench_start();
	if (pkg == CAPOS_CAP_NULL) {
		rt_printf("[init] no boot package capability\n");
		return 1;
	}
	rc = rt_call(pkg, capos_BootPackage_INTERFACE_ID,
	    capos_BootPackage_manifest_ORDINAL, NULL, NULL, 0, manifest_buf,
	    sizeof(manifest_buf), &res);
	r.s = res.root;
	if (rc != 0 ||
	    capos_BootPackage_manifest_Results_get_manifest(&r, &man) != 0) {
		/* The kernel names the cause in its exception; the limit is
		 * the one a package built without mkpkg most likely broke. */
		rt_printf("[init] cannot read the manifest: %s (the manifest "
		    "must fit a %u-byte result, CAPOS_MANIFEST_MAX)\n",
		    rc == RT_EXCEPTION ? rt_exception_reason(&res) :
		    rc == 0 ? "malformed result" : rt_strerror(rc),
		    (unsigned)CAPOS_MANIFEST_MAX);
		return 1;
	}
	started = start_services(&man);
	rt_debug("[proof] init ok services=%d\n", started);
	if (supervise())
		rt_debug("[init] the kernel stops the services left\n");
	else
		rt_debug("[init] all services have ended\n");
	return 0;
}
