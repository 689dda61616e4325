/*
 * ipctest: the client side of the IPC tests. With "echo N" it only makes
 * N echo calls checking every payload (several run at once to interleave).
 * Otherwise it runs the whole suite against "ipc" and "ipcquit": payload
 * sizes up to the limit, session references, capability copy and move in
 * both directions, moves rolled back when the receiver's table is full,
 * queue overflow, and a server that leaves in the middle of a call.
 */
#include <string.h>

#include "ipctest.capnp.h"
#include "check.h"
#include "rt.h"

/* The largest Data that fits a 64 KiB params message: the framing, the
 * root pointer and the Data pointer take 24 bytes. */
#define MAX_DATA	(CAPOS_MAX_PARAMS - 24)
#define BATCH		64
/* The badge of the client the "dier" process leaves its call through. */
#define DIER_BADGE	0xD1E5

static uint8_t params[CAPOS_MAX_PARAMS + 64] __attribute__((aligned(8)));
static uint8_t result[CAPOS_MAX_RESULT + 64] __attribute__((aligned(8)));
static uint8_t payload[CAPOS_MAX_PARAMS] __attribute__((aligned(8)));
static uint8_t batch_params[256] __attribute__((aligned(8)));
static uint8_t batch_results[BATCH][256] __attribute__((aligned(8)));

/* Echoes len bytes of pattern `seed`; returns 1 if they came back intact,
 * or a negative status. */
static int
echo(capos_cap_t srv, uint32_t len, uint8_t seed)
{
	struct capos_IpcTest_echo_Params_b p;
	struct capos_IpcTest_echo_Results_r r;
	struct capnp_builder b;
	struct rt_result res;
	struct capnp_data d;
	int rc;

	for (uint32_t i = 0; i < len; i++)
		payload[i] = (uint8_t)(seed + i * 7);
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_IpcTest_echo_Params_init_root(&b, &p) != 0 ||
	    capos_IpcTest_echo_Params_set_data(&p, payload, len) != 0)
		return CAPOS_E2BIG;
	rc = rt_call(srv, capos_IpcTest_INTERFACE_ID,
	    capos_IpcTest_echo_ORDINAL, &b, NULL, 0, result, sizeof(result),
	    &res);
	if (rc != 0)
		return rc;
	r.s = res.root;
	if (capos_IpcTest_echo_Results_get_data(&r, &d) != 0)
		return CAPOS_EINVAL;
	return d.len == len && memcmp(d.ptr, payload, len) == 0;
}

/* A call with an optional capability sent (mode) and one received. */
static int
call(capos_cap_t srv, uint16_t method, struct capnp_builder *b,
    capos_cap_t send, uint32_t mode, struct rt_result *res)
{
	struct capos_capdesc d = { send, mode };

	return rt_call(srv, capos_IpcTest_INTERFACE_ID, method, b,
	    send != CAPOS_CAP_NULL ? &d : NULL, send != CAPOS_CAP_NULL,
	    result, sizeof(result), res);
}

static int
hold(capos_cap_t srv, capos_cap_t cap, uint32_t mode)
{
	struct capos_IpcTest_hold_Params_b p;
	struct capnp_builder b;
	struct rt_result res;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_IpcTest_hold_Params_init_root(&b, &p) != 0)
		return CAPOS_E2BIG;
	capos_IpcTest_hold_Params_set_cap(&p, 0);
	return call(srv, capos_IpcTest_hold_ORDINAL, &b, cap, mode, &res);
}

/* Asks for a capability; returns its id, or CAPOS_CAP_NULL with *rc. */
static capos_cap_t
give(capos_cap_t srv, bool move, int *rc)
{
	struct capos_IpcTest_give_Params_b p;
	struct capos_IpcTest_give_Results_r r;
	struct capnp_builder b;
	struct rt_result res;
	uint32_t idx;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_IpcTest_give_Params_init_root(&b, &p) != 0) {
		*rc = CAPOS_E2BIG;
		return CAPOS_CAP_NULL;
	}
	capos_IpcTest_give_Params_set_move(&p, move);
	if ((*rc = call(srv, capos_IpcTest_give_ORDINAL, &b, CAPOS_CAP_NULL, 0,
	    &res)) != 0)
		return CAPOS_CAP_NULL;
	r.s = res.root;
	if (capos_IpcTest_give_Results_get_cap(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps) {
		*rc = CAPOS_EINVAL;
		return CAPOS_CAP_NULL;
	}
	return res.caps[idx].cap;
}

static void
check_server(capos_cap_t srv, uint32_t *live, int32_t *last)
{
	struct capos_IpcTest_check_Results_r r;
	struct rt_result res;

	*live = UINT32_MAX;
	*last = 0;
	if (call(srv, capos_IpcTest_check_ORDINAL, NULL, CAPOS_CAP_NULL, 0,
	    &res) == 0) {
		r.s = res.root;
		*live = capos_IpcTest_check_Results_get_live(&r);
		*last = capos_IpcTest_check_Results_get_lastReturn(&r);
	}
}

static uint32_t
drop_all(capos_cap_t srv)
{
	struct capos_IpcTest_drop_Results_r r;
	struct rt_result res;

	if (call(srv, capos_IpcTest_drop_ORDINAL, NULL, CAPOS_CAP_NULL, 0,
	    &res) != 0)
		return UINT32_MAX;
	r.s = res.root;
	return capos_IpcTest_drop_Results_get_dropped(&r);
}

/* Whether a console capability id still works. */
static bool
works(capos_cap_t cap)
{
	static uint8_t buf[256] __attribute__((aligned(8)));
	struct rt_result res;

	return rt_call(cap, capos_Console_INTERFACE_ID,
	    capos_Console_write_ORDINAL, NULL, NULL, 0, buf, sizeof(buf),
	    &res) == 0;
}

static void
payloads(capos_cap_t srv)
{
	expect("echo 0 bytes", echo(srv, 0, 1), 1);
	expect("echo 256 bytes", echo(srv, 256, 2), 1);
	expect("echo the maximum", echo(srv, MAX_DATA, 3), 1);
	expect("one byte over the maximum", echo(srv, MAX_DATA + 1, 4),
	    CAPOS_E2BIG);
}

static void
sessions(capos_cap_t srv)
{
	struct capos_IpcTest_whoami_Results_r r;
	struct rt_result res;
	struct capnp_data d;
	uint8_t first[16];
	bool nonzero = false;

	expect("whoami", call(srv, capos_IpcTest_whoami_ORDINAL, NULL,
	    CAPOS_CAP_NULL, 0, &res), 0);
	r.s = res.root;
	expect("session is 16 bytes", capos_IpcTest_whoami_Results_get_session(
	    &r, &d) == 0 && d.len == 16, 1);
	memcpy(first, d.ptr, 16);
	for (int i = 0; i < 16; i++)
		nonzero |= first[i] != 0;
	expect("session is set", nonzero, 1);
	expect("epoch is set", capos_IpcTest_whoami_Results_get_epoch(&r) != 0,
	    1);
	(void)call(srv, capos_IpcTest_whoami_ORDINAL, NULL, CAPOS_CAP_NULL, 0,
	    &res);
	r.s = res.root;
	expect("session is stable", capos_IpcTest_whoami_Results_get_session(
	    &r, &d) == 0 && memcmp(d.ptr, first, 16) == 0, 1);
	expect("the manifest's client has badge 0",
	    (int64_t)capos_IpcTest_whoami_Results_get_badge(&r), 0);
}

/* A client capability minted with a badge: calls through it carry it. */
static void
badges(capos_cap_t srv)
{
	struct capos_IpcTest_badged_Params_b p;
	struct capos_IpcTest_badged_Results_r br;
	struct capos_IpcTest_whoami_Results_r wr;
	struct capnp_builder b;
	struct rt_result res;
	uint32_t idx;
	capos_cap_t bc;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_IpcTest_badged_Params_init_root(&b, &p) != 0)
		return;
	capos_IpcTest_badged_Params_set_badge(&p, 0xB0D6E5);
	expect("badged client", call(srv, capos_IpcTest_badged_ORDINAL, &b,
	    CAPOS_CAP_NULL, 0, &res), 0);
	br.s = res.root;
	if (capos_IpcTest_badged_Results_get_cap(&br, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return;
	bc = res.caps[idx].cap;
	expect("whoami through it", call(bc, capos_IpcTest_whoami_ORDINAL,
	    NULL, CAPOS_CAP_NULL, 0, &res), 0);
	wr.s = res.root;
	expect("the server sees the badge",
	    (int64_t)capos_IpcTest_whoami_Results_get_badge(&wr), 0xB0D6E5);
	rt_release(bc);
	/* The kernel tells the server the badged client is gone. */
	expect("drop noticed", call(srv, capos_IpcTest_check_ORDINAL, NULL,
	    CAPOS_CAP_NULL, 0, &res), 0);
	{
		struct capos_IpcTest_check_Results_r cr = { res.root };

		expect("with its badge", (int64_t)
		    capos_IpcTest_check_Results_get_lastDropped(&cr), 0xB0D6E5);
	}
}

static void
transfers(capos_cap_t srv)
{
	capos_cap_t con = rt_cap("console", capos_Console_INTERFACE_ID);
	capos_cap_t spare = rt_cap("spare", capos_Console_INTERFACE_ID);
	capos_cap_t got;
	uint32_t live;
	int32_t last;
	int rc;

	expect("copy to server", hold(srv, con, CAPOS_XFER_COPY), 0);
	expect("copy leaves ours", works(con), 1);
	expect("move to server", hold(srv, spare, CAPOS_XFER_MOVE), 0);
	expect("move takes ours", works(spare), 0);
	check_server(srv, &live, &last);
	expect("server holds both", live, 2);

	got = give(srv, false, &rc);
	expect("copy from server", rc, 0);
	expect("copied capability works", works(got), 1);
	rt_release(got);
	got = give(srv, true, &rc);
	expect("move from server", rc, 0);
	expect("moved capability works", works(got), 1);
	check_server(srv, &live, &last);
	expect("server lost the moved one", live, 1);
	rt_release(got);
	expect("server drops what it still holds", drop_all(srv), 1);
}

/* Moves fail and roll back when the receiving table is full. */
static void
rollbacks(capos_cap_t srv)
{
	static capos_cap_t mine[300];
	capos_cap_t con = rt_cap("console", capos_Console_INTERFACE_ID);
	capos_cap_t spare2 = rt_cap("spare2", capos_Console_INTERFACE_ID);
	int n = 0, rc = 0;
	uint32_t live;
	int32_t last;

	/* Fill the server's table with copies of our console. */
	while (n < 300 && (rc = hold(srv, con, CAPOS_XFER_COPY)) == 0)
		n++;
	expect("server table fills", rc, CAPOS_ETRANSFER);
	expect("a move into a full table fails", hold(srv, spare2,
	    CAPOS_XFER_MOVE), CAPOS_ETRANSFER);
	expect("the failed move rolled back under the same id", works(spare2),
	    1);
	expect("server drops its copies", drop_all(srv), (uint32_t)n);

	/* Fill our own table with copies from the server. */
	n = 0;
	while (n < 300 && (mine[n] = give(srv, false, &rc)) != CAPOS_CAP_NULL)
		n++;
	expect("our table fills", rc, CAPOS_ETRANSFER);
	rt_release(mine[--n]);		/* room for one, to send a hold */
	expect("server holds one", hold(srv, con, CAPOS_XFER_COPY), 0);
	mine[n++] = give(srv, false, &rc);
	expect("table full again", rc, 0);
	(void)give(srv, true, &rc);
	expect("a move into our full table fails", rc, CAPOS_ETRANSFER);
	while (n > 0)
		rt_release(mine[--n]);
	check_server(srv, &live, &last);
	expect("the server's RETURN of the move failed", last,
	    CAPOS_ETRANSFER);
	expect("and the server still holds the capability", live, 1);
	expect("server drops it", drop_all(srv), 1);
}

/* Capabilities that cannot be sent: one not held, one already in flight. */
static void
bad_transfers(capos_cap_t srv)
{
	capos_cap_t spare2 = rt_cap("spare2", capos_Console_INTERFACE_ID);
	struct capos_IpcTest_hold_Params_b p;
	struct capos_capdesc d1 = { spare2, CAPOS_XFER_MOVE };
	struct capos_capdesc d2 = { spare2, CAPOS_XFER_COPY };
	struct capnp_builder b;
	struct capos_sqe e1, e2;
	struct capos_cqe c1, c2;

	expect("sending a capability not held", hold(srv,
	    (rt_cap("console", 0) & 0xFFFF0000u) | 200, CAPOS_XFER_COPY),
	    CAPOS_ETRANSFER);
	/* Two calls in one batch: the second names the capability the first
	 * is moving. */
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_IpcTest_hold_Params_init_root(&b, &p) != 0)
		return;
	capos_IpcTest_hold_Params_set_cap(&p, 0);
	rt_prep_call(&e1, srv, capos_IpcTest_INTERFACE_ID,
	    capos_IpcTest_hold_ORDINAL, &b, batch_results[0],
	    sizeof(batch_results[0]), &d1, 1, 0);
	rt_prep_call(&e2, srv, capos_IpcTest_INTERFACE_ID,
	    capos_IpcTest_hold_ORDINAL, &b, batch_results[1],
	    sizeof(batch_results[1]), &d2, 1, 0);
	if (rt_submit(&e1) != 0 || rt_submit(&e2) != 0 ||
	    rt_wait(e1.user_data, &c1) != 0 || rt_wait(e2.user_data, &c2) != 0)
		return;
	expect("moving a capability", c1.status >= 0, 1);
	expect("sending it again while in flight", c2.status,
	    CAPOS_ETRANSFER);
	expect("moved away for good", works(spare2), 0);
	expect("server drops the moved one", drop_all(srv), 1);
}

/* A server that answers one call twice, and answers a caller that died. */
static void
bad_returns(capos_cap_t srv)
{
	struct capos_IpcTest_flush_Results_r fr;
	struct rt_result res;
	uint32_t live;
	int32_t last;
	int status = 1;
	uint64_t dropped = 0;

	expect("a call answered twice gets the first answer", call(srv,
	    capos_IpcTest_twice_ORDINAL, NULL, CAPOS_CAP_NULL, 0, &res), 0);
	check_server(srv, &live, &last);
	expect("the second RETURN is refused", last, CAPOS_EINVAL);
	/* The "dier" process leaves a call with the server and exits; the
	 * server hears that its badged client was dropped once it has. On
	 * one CPU it is long gone by now; on several it may still run. */
	for (int i = 0; i < 100000 && dropped != DIER_BADGE; i++) {
		struct capos_IpcTest_check_Results_r cr;

		if (call(srv, capos_IpcTest_check_ORDINAL, NULL,
		    CAPOS_CAP_NULL, 0, &res) != 0)
			break;
		cr.s = res.root;
		dropped = capos_IpcTest_check_Results_get_lastDropped(&cr);
	}
	expect("the dier's end noticed", (int64_t)dropped, DIER_BADGE);
	for (int i = 0; i < 100000 && status == 1; i++) {
		if (call(srv, capos_IpcTest_flush_ORDINAL, NULL,
		    CAPOS_CAP_NULL, 0, &res) != 0)
			break;
		fr.s = res.root;
		status = capos_IpcTest_flush_Results_get_status(&fr);
	}
	expect("a RETURN to a caller that died", status, CAPOS_ECANCELED);
}

/* A batch of calls larger than the endpoint's queue: the rest are refused
 * as overloaded, never dropped. */
static void
overflow(capos_cap_t srv)
{
	struct capos_IpcTest_echo_Params_b p;
	struct capnp_builder b;
	struct capos_sqe e;
	struct capos_cqe c;
	uint64_t tags[BATCH];
	int ok = 0, overloaded = 0, other = 0;

	if (capnp_builder_init(&b, batch_params, sizeof(batch_params)) != 0 ||
	    capos_IpcTest_echo_Params_init_root(&b, &p) != 0)
		return;
	for (int i = 0; i < BATCH; i++) {
		rt_prep_call(&e, srv, capos_IpcTest_INTERFACE_ID,
		    capos_IpcTest_echo_ORDINAL, &b, batch_results[i],
		    sizeof(batch_results[i]), NULL, 0, 0);
		tags[i] = e.user_data;
		if (rt_submit(&e) != 0)
			other++;
	}
	for (int i = 0; i < BATCH; i++) {
		if (rt_wait(tags[i], &c) != 0)
			other++;
		else if (c.status >= 0 && !(c.flags & CAPOS_CQE_EXCEPTION))
			ok++;
		else if ((c.flags & CAPOS_CQE_EXCEPTION) &&
		    c.aux == capos_CapException_Type_overloaded)
			overloaded++;
		else
			other++;
	}
	expect("every call of the batch completed", ok + overloaded, BATCH);
	expect("calls past the queue bound refused", overloaded >= 31, 1);
	expect("no other outcome", other, 0);
	rt_printf("ipctest: batch of %d: %d served, %d overloaded\n", BATCH,
	    ok, overloaded);
}

static void
server_leaves(capos_cap_t srv)
{
	struct rt_result res;
	int rc;

	rc = call(srv, capos_IpcTest_quit_ORDINAL, NULL, CAPOS_CAP_NULL, 0,
	    &res);
	expect("call in progress fails", rc, RT_EXCEPTION);
	expect("as disconnected", (int64_t)res.cqe.aux,
	    capos_CapException_Type_disconnected);
	rc = echo(srv, 8, 9);
	expect("later calls fail at once", rc, RT_EXCEPTION);
}

/* Leaves a call with the server and exits before it is answered. The
 * call goes through a client badged DIER_BADGE: the kernel tells the
 * server that client was dropped only once this process has ended, and
 * bad_returns waits for that before it has the call answered. */
static int
leave_a_call(capos_cap_t srv)
{
	struct capos_IpcTest_badged_Params_b p;
	struct capos_IpcTest_badged_Results_r br;
	struct capnp_builder b;
	struct rt_result res;
	struct capos_sqe e;
	capos_cap_t bc;
	uint32_t idx;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_IpcTest_badged_Params_init_root(&b, &p) != 0)
		return 1;
	capos_IpcTest_badged_Params_set_badge(&p, DIER_BADGE);
	if (call(srv, capos_IpcTest_badged_ORDINAL, &b, CAPOS_CAP_NULL, 0,
	    &res) != 0)
		return 1;
	br.s = res.root;
	if (capos_IpcTest_badged_Results_get_cap(&br, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return 1;
	bc = res.caps[idx].cap;
	rt_prep_call(&e, bc, capos_IpcTest_INTERFACE_ID,
	    capos_IpcTest_later_ORDINAL, NULL, result, sizeof(result), NULL, 0,
	    0);
	if (rt_submit(&e) != 0)
		return 1;
	/* The server takes one call at a time, in the order they came: once
	 * this echo is answered, it has taken the call above and keeps it.
	 * (Leaving at once could leave the call still queued, while the
	 * server is busy on another CPU, and the queue drops it unseen.) */
	if (echo(bc, 8, 1) != 1)
		return 1;
	sys_exit(0);
}

static int
echo_only(capos_cap_t srv, const char *count)
{
	int n = 0, bad = 0;

	while (count != NULL && *count >= '0' && *count <= '9' && n < 100000)
		n = n * 10 + (*count++ - '0');
	for (int i = 0; i < n; i++)
		if (echo(srv, (uint32_t)(i % 512), (uint8_t)(i + 
		    rt_start()->name[0])) != 1)
			bad++;
	rt_printf("ipctest %s: %d echoes, %d bad\n", rt_start()->name, n, bad);
	return bad == 0 ? 0 : 1;
}

int
main(void)
{
	capos_cap_t srv = rt_cap("ipc", capos_IpcTest_INTERFACE_ID);
	capos_cap_t quitter = rt_cap("ipcquit", capos_IpcTest_INTERFACE_ID);
	const char *mode = rt_argv(0);

	if (srv == CAPOS_CAP_NULL) {
		rt_printf("ipctest: no \"ipc\" capability\n");
		return 2;
	}
	if (mode != NULL && strcmp(mode, "echo") == 0)
		return echo_only(srv, rt_argv(1));
	if (mode != NULL && strcmp(mode, "die") == 0)
		return leave_a_call(srv);
	payloads(srv);
	sessions(srv);
	badges(srv);
	transfers(srv);
	rollbacks(srv);
	bad_transfers(srv);
	if (quitter != CAPOS_CAP_NULL) {
		bad_returns(quitter);
		overflow(quitter);
		server_leaves(quitter);
	}
	rt_printf("ipctest: %d checks, %d failed\n", test_checks, test_failed);
	if (test_failed != 0)
		return 1;
	rt_debug("[proof] ipc ok: payloads arrive intact, copies and moves "
	    "of capabilities neither lose nor duplicate one, a full queue "
	    "refuses as overloaded, a departed server disconnects its "
	    "callers\n");
	return 0;
}
