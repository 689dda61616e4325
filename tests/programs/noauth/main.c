/*
 * noauth: the no-ambient-authority test.
 *
 * Run without arguments it holds two capabilities: "console", and "peer",
 * the owner of its export, which a cooperating process calls. It tries
 * every way it has to reach authority it was not given, and each attempt
 * must fail with the error that says why:
 *   - the spawner and boot package by name, by every other slot of its own
 *     table, and by the ids they have in init's table (CAPOS_EBADCAP);
 *   - its console called as the spawner (CAPOS_EIFACE);
 *   - clients of its endpoint labelled with each kernel interface id, so
 *     that the endpoint would pass for a kernel object (a `failed`
 *     exception, no capability);
 *   - the ids the peer's own capabilities (console, boot package, spawner,
 *     VirtualMemory, its client of "peer") have in the peer's table, sent
 *     as plain numbers: verbatim they name nothing here (CAPOS_EBADCAP);
 *     moved into this table's generation they name only this table's own
 *     slots (CAPOS_EIFACE) or nothing.
 * The console the peer sends as a capability, by contrast, must work.
 *
 * Run with the argument "peer" it is that cooperating process: it holds
 * "console", "bootPackage", "processSpawner", "virtualMemory" and
 * "noauth", a client of noauth's export. It checks that each id names a
 * live capability in its own table, tells noauth all of them with
 * PeerIds.tell, sends its console along as a copy, and exits 0 once
 * noauth has answered.
 */
#include <string.h>

#include "check.h"
#include "ipctest.capnp.h"
#include "rt.h"

/* Slots a process table has (kernel/proc/proc.h: PROC_CAP_SLOTS). */
#define SLOTS	256
/* init is process 1; its table's generations start at 1 * 0x9E37 and its
 * first five slots hold the kernel objects it was given at boot. */
#define INIT_GEN	0x9E37u
/* The most ids the peer tells: one per capability it holds. */
#define PEER_IDS	CAPOS_MAX_XCAPS

static uint8_t buf[512] __attribute__((aligned(8)));

/* Every interface the kernel serves (kernel/obj/endpoint.c). */
static const uint64_t kernel_ids[] = {
	capos_Console_INTERFACE_ID, capos_BootPackage_INTERFACE_ID,
	capos_ProcessSpawner_INTERFACE_ID, capos_ProcessHandle_INTERFACE_ID,
	capos_VirtualMemory_INTERFACE_ID, capos_SharedMemory_INTERFACE_ID,
	capos_DeviceManager_INTERFACE_ID, capos_DeviceMmio_INTERFACE_ID,
	capos_Interrupt_INTERFACE_ID, capos_DMAPool_INTERFACE_ID,
	capos_Entropy_INTERFACE_ID, capos_Endpoint_INTERFACE_ID,
	capos_EndpointFactory_INTERFACE_ID, capos_ThreadSpawner_INTERFACE_ID,
	capos_ThreadHandle_INTERFACE_ID, capos_ThreadControl_INTERFACE_ID,
	capos_ParkSpace_INTERFACE_ID, capos_TimerNotification_INTERFACE_ID,
	capos_Timer_INTERFACE_ID,
};

/* This process's own capabilities, to tell them from what it tries. */
struct held {
	capos_cap_t id;
	uint64_t iface;
};
static struct held held[4];
static int nheld;

static void
hold(capos_cap_t id, uint64_t iface)
{
	if (nheld < (int)(sizeof(held) / sizeof(held[0])))
		held[nheld++] = (struct held){ id, iface };
}

/* The interface id names in this table, or 0 when it names nothing. */
static uint64_t
held_iface(capos_cap_t id)
{
	for (int i = 0; i < nheld; i++)
		if (held[i].id == id)
			return held[i].iface;
	return 0;
}

static int
try_call(capos_cap_t cap, uint64_t iface, uint16_t method)
{
	struct rt_result res;

	return rt_call(cap, iface, method, NULL, NULL, 0, buf, sizeof(buf),
	    &res);
}

/* The spawner and boot package by name, by slot and by init's ids. */
static void
unheld_ids(capos_cap_t con)
{
	static const char *const names[] = { "processSpawner", "bootPackage",
		"virtualMemory", "endpointFactory", "deviceManager" };
	int bad = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		bad += rt_cap(names[i], 0) != CAPOS_CAP_NULL;
	expect("no kernel authority found by name", bad, 0);
	/* Every other slot of this table, with this table's generation. */
	bad = 0;
	for (uint32_t i = 0; i < SLOTS; i++) {
		capos_cap_t id = (con & 0xFFFF0000u) | i;

		if (held_iface(id) != 0)
			continue;
		bad += try_call(id, capos_ProcessSpawner_INTERFACE_ID,
		    capos_ProcessSpawner_spawn_ORDINAL) != CAPOS_EBADCAP;
		bad += try_call(id, capos_BootPackage_INTERFACE_ID,
		    capos_BootPackage_listBinaries_ORDINAL) != CAPOS_EBADCAP;
	}
	expect("every unheld slot of this table is CAPOS_EBADCAP", bad, 0);
	/* The ids the spawner and boot package have in init's table. */
	bad = 0;
	for (uint32_t i = 0; i < 5; i++)
		bad += try_call((INIT_GEN << 16) | i,
		    capos_ProcessSpawner_INTERFACE_ID,
		    capos_ProcessSpawner_spawn_ORDINAL) != CAPOS_EBADCAP;
	expect("init's ids are CAPOS_EBADCAP here", bad, 0);
	expect("the console called as the spawner", try_call(con,
	    capos_ProcessSpawner_INTERFACE_ID,
	    capos_ProcessSpawner_spawn_ORDINAL), CAPOS_EIFACE);
}

/*
 * Clients of the endpoint labelled with kernel interface ids: each one
 * would let this process answer calls meant for a kernel object.
 */
static void
forged_labels(capos_cap_t owner)
{
	struct capos_Endpoint_client_Params_b p;
	struct capos_Endpoint_client_Results_r r;
	struct capnp_builder b;
	struct rt_result res;
	uint8_t params[64] __attribute__((aligned(8)));
	int bad = 0, rc;
	uint32_t idx;

	for (size_t i = 0; i <= sizeof(kernel_ids) / sizeof(kernel_ids[0]);
	    i++) {
		/* The last round asks for the endpoint's own interface. */
		bool own = i == sizeof(kernel_ids) / sizeof(kernel_ids[0]);

		if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
		    capos_Endpoint_client_Params_init_root(&b, &p) != 0) {
			bad++;
			continue;
		}
		capos_Endpoint_client_Params_set_interfaceId(&p,
		    own ? 0 : kernel_ids[i]);
		rc = rt_call(owner, capos_Endpoint_INTERFACE_ID,
		    capos_Endpoint_client_ORDINAL, &b, NULL, 0, buf,
		    sizeof(buf), &res);
		if (own) {
			r.s = res.root;
			expect("a client of the endpoint's own interface",
			    rc == 0 && res.cqe.ncaps == 1 &&
			    capos_Endpoint_client_Results_get_client(&r,
			    &idx) == 0 && idx == 0 &&
			    rt_release(res.caps[0].cap) == 0, 1);
			break;
		}
		if (rc != RT_EXCEPTION || res.cqe.aux !=
		    capos_CapException_Type_failed || res.cqe.ncaps != 0) {
			rt_printf("noauth: a client labelled %#llx: status %d, "
			    "%u capabilities\n",
			    (unsigned long long)kernel_ids[i], rc,
			    res.cqe.ncaps);
			bad++;
			for (uint32_t k = 0; k < res.cqe.ncaps; k++)
				(void)rt_release(res.caps[k].cap);
		}
	}
	expect("every kernel interface label refused as failed", bad, 0);
}

/* The peer's ids, tried in this table. */
static void
peer_ids(const struct capnp_list *ids, const struct capnp_list *ifaces,
    capos_cap_t own_gen)
{
	int spawner = 0, boot = 0, verbatim = 0, rebased = 0, own = 0;

	expect("the peer told one interface per id", ids->n == ifaces->n &&
	    ids->n >= 4 && ids->n <= PEER_IDS, 1);
	if (ids->n != ifaces->n || ids->n > PEER_IDS)
		return;
	for (uint32_t i = 0; i < ids->n; i++) {
		capos_cap_t id = capnp_list_u32(ids, i);
		capos_cap_t here = own_gen | CAPOS_CAP_INDEX(id);
		uint64_t iface = capnp_list_u64(ifaces, i);
		uint64_t mine = held_iface(here);
		int rc;

		spawner += iface == capos_ProcessSpawner_INTERFACE_ID;
		boot += iface == capos_BootPackage_INTERFACE_ID;
		/* Method numbers past every interface's: the call must be
		 * refused before any object sees it. */
		if ((rc = try_call(id, iface, 0x7FFF)) != CAPOS_EBADCAP) {
			rt_printf("noauth: the peer's id %#x (%#llx) by value: "
			    "status %d\n", id, (unsigned long long)iface, rc);
			verbatim++;
		}
		if (mine == iface) {
			own++;		/* names this table's own capability */
			continue;
		}
		if ((rc = try_call(here, iface, 0x7FFF)) !=
		    (mine != 0 ? CAPOS_EIFACE : CAPOS_EBADCAP)) {
			rt_printf("noauth: slot %u of this table as %#llx: "
			    "status %d\n", CAPOS_CAP_INDEX(id),
			    (unsigned long long)iface, rc);
			rebased++;
		}
	}
	expect("the peer's ids include its spawner and boot package",
	    spawner == 1 && boot == 1, 1);
	expect("a peer's id by value names nothing here", verbatim, 0);
	expect("its slot in this table names only this table's own", rebased,
	    0);
	expect("at most its console shares a slot and interface here", own <=
	    1, 1);
}

/* Serves the peer's one call: its ids by value, its console by transfer. */
static void
serve_peer(capos_cap_t owner, capos_cap_t own_gen)
{
	static uint8_t rbuf[1024] __attribute__((aligned(8)));
	const struct capos_recv_hdr *h = (const struct capos_recv_hdr *)rbuf;
	struct capos_PeerIds_tell_Params_r p;
	struct capos_capdesc rcaps[CAPOS_MAX_XCAPS];
	struct capnp_list ids, ifaces;
	struct capnp_msg m;
	struct capos_sqe e;
	struct capos_cqe c;
	struct rt_result res;
	capos_cap_t peer_con = CAPOS_CAP_NULL;
	uint32_t idx;
	int rc;

	rt_prep_recv(&e, owner, rbuf, sizeof(rbuf), rcaps);
	rc = rt_submit(&e) == 0 && rt_wait(e.user_data, &c) == 0 ? c.status :
	    -1;
	expect("the peer's call arrives", rc >= (int)sizeof(*h) &&
	    h->interface_id == capos_PeerIds_INTERFACE_ID &&
	    h->method == capos_PeerIds_tell_ORDINAL &&
	    h->params_len <= (uint32_t)rc - sizeof(*h), 1);
	if (rc < (int)sizeof(*h) || h->params_len > (uint32_t)rc - sizeof(*h))
		return;
	if (capnp_msg_init(&m, rbuf + sizeof(*h), h->params_len) != 0 ||
	    capos_PeerIds_tell_Params_read_root(&m, &p) != 0 ||
	    capos_PeerIds_tell_Params_get_ids(&p, &ids) != 0 ||
	    capos_PeerIds_tell_Params_get_interfaces(&p, &ifaces) != 0) {
		expect("the peer's ids are readable", 0, 1);
		return;
	}
	if (capos_PeerIds_tell_Params_get_console(&p, &idx) == 0 &&
	    idx < h->ncaps)
		peer_con = rcaps[idx].cap;
	expect("the peer's console came as a capability", peer_con !=
	    CAPOS_CAP_NULL, 1);
	hold(peer_con, capos_Console_INTERFACE_ID);
	peer_ids(&ids, &ifaces, own_gen);
	/* The capability sent is authority; the numbers were not. */
	expect("the console sent as a capability works", rt_call(peer_con,
	    capos_Console_INTERFACE_ID, capos_Console_write_ORDINAL, NULL,
	    NULL, 0, buf, sizeof(buf), &res), 0);
	expect("answer the peer", rt_return_empty(owner, h->call_id), 0);
}

/* The cooperating process: its ids, by value, to noauth. */
static int
peer(void)
{
	static const struct {
		const char *name;
		uint64_t iface;
	} mine[] = {
		{ "console", capos_Console_INTERFACE_ID },
		{ "bootPackage", capos_BootPackage_INTERFACE_ID },
		{ "processSpawner", capos_ProcessSpawner_INTERFACE_ID },
		{ "virtualMemory", capos_VirtualMemory_INTERFACE_ID },
		{ "noauth", capos_PeerIds_INTERFACE_ID },
	};
	const uint32_t n = sizeof(mine) / sizeof(mine[0]);
	struct capos_PeerIds_tell_Params_b p;
	struct capos_capdesc send[1];
	struct capnp_builder b;
	struct capnp_lb ids, ifaces;
	struct rt_result res;
	capos_cap_t id[sizeof(mine) / sizeof(mine[0])];
	uint8_t params[256] __attribute__((aligned(8)));
	int bad = 0;

	for (uint32_t i = 0; i < n; i++) {
		id[i] = rt_cap(mine[i].name, mine[i].iface);
		/* Live here: a call under interface 0 reaches the slot and is
		 * refused for its interface, not for its id. */
		bad += id[i] == CAPOS_CAP_NULL || try_call(id[i], 0, 0) !=
		    CAPOS_EIFACE;
	}
	expect("each id names a live capability in the peer's table", bad, 0);
	if (bad != 0)
		return 1;
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_PeerIds_tell_Params_init_root(&b, &p) != 0 ||
	    capos_PeerIds_tell_Params_init_ids(&p, n, &ids) != 0 ||
	    capos_PeerIds_tell_Params_init_interfaces(&p, n, &ifaces) != 0)
		return 1;
	for (uint32_t i = 0; i < n; i++)
		if (capnp_lb_set_prim(&ids, i, id[i]) != 0 ||
		    capnp_lb_set_prim(&ifaces, i, mine[i].iface) != 0)
			return 1;
	capos_PeerIds_tell_Params_set_console(&p, 0);
	send[0] = (struct capos_capdesc){ id[0], CAPOS_XFER_COPY };
	expect("noauth answers the ids", rt_call(id[n - 1],
	    capos_PeerIds_INTERFACE_ID, capos_PeerIds_tell_ORDINAL, &b, send,
	    1, buf, sizeof(buf), &res), 0);
	return test_failed != 0;
}

int
main(void)
{
	capos_cap_t con = rt_cap("console", capos_Console_INTERFACE_ID);
	capos_cap_t owner = rt_cap("peer", capos_Endpoint_INTERFACE_ID);
	const struct capos_start *sb = rt_start();

	if (rt_argc() > 0 && strcmp(rt_argv(0), "peer") == 0)
		return peer();
	if (sb->ncaps != 2 || con == CAPOS_CAP_NULL ||
	    owner == CAPOS_CAP_NULL) {
		rt_printf("noauth: expected exactly the console and the owner "
		    "\"peer\"; have %u capabilities\n", sb->ncaps);
		return 1;
	}
	hold(con, capos_Console_INTERFACE_ID);
	hold(owner, capos_Endpoint_INTERFACE_ID);
	unheld_ids(con);
	forged_labels(owner);
	serve_peer(owner, con & 0xFFFF0000u);
	if (test_failed != 0) {
		rt_printf("noauth: %d of %d checks failed\n", test_failed,
		    test_checks);
		return 1;
	}
	rt_debug("[proof] no-ambient-authority ok spawner and boot package "
	    "unreachable by name, slot and init's ids; kernel interface "
	    "labels refused; a peer's ids by value name nothing here\n");
	return 0;
}
