/*
 * ipctest-srv: the server side of the IPC tests (schema/ipctest.capnp),
 * serving the "ipctest" export. It echoes payloads, keeps and hands back
 * capabilities, reports the caller's session, and on `quit` exits in the
 * middle of a call.
 */
#include <string.h>

#include "ipctest.capnp.h"
#include "rt.h"

#define MAX_HELD	300

static capos_cap_t held[MAX_HELD];
static uint32_t nheld;
static capos_cap_t owner;
static uint64_t kept_call;
static uint64_t last_dropped;

/*
 * `check` reports the status of the previous RETURN, which ipctest reads
 * to see what the kernel said to an answer it provoked. Echo-only clients
 * call this server at the same time (on several CPUs, anywhere between
 * ipctest's two calls), so what `check` reports is the status of the last
 * RETURN that answered anything but an echo.
 */
static int other_return;
static bool answered_echo;

/* At the start of each method: the RETURN just before this call was the
 * answer to the previous call, an echo or not. */
static void
note_call(bool echo)
{
	if (!answered_echo)
		other_return = rt_last_return();
	answered_echo = echo;
}

static int
do_echo(void *ctx, struct rt_request *rq)
{
	struct capos_IpcTest_echo_Params_r p = { rq->params };
	struct capos_IpcTest_echo_Results_b r;
	struct capnp_data d;

	(void)ctx;
	note_call(true);
	if (capos_IpcTest_echo_Params_get_data(&p, &d) != 0)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "malformed data");
	if (capos_IpcTest_echo_Results_init_root(&rq->reply, &r) != 0 ||
	    capos_IpcTest_echo_Results_set_data(&r, d.ptr, d.len) != 0)
		return -1;
	return 0;
}

static int
do_hold(void *ctx, struct rt_request *rq)
{
	struct capos_IpcTest_hold_Params_r p = { rq->params };
	struct capos_IpcTest_hold_Results_b r;
	uint32_t idx;

	(void)ctx;
	note_call(false);
	if (capos_IpcTest_hold_Params_get_cap(&p, &idx) != 0 ||
	    idx >= rq->hdr->ncaps || nheld == MAX_HELD)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "no capability sent, or no room");
	held[nheld++] = rt_keep_cap(rq, idx);
	if (capos_IpcTest_hold_Results_init_root(&rq->reply, &r) != 0)
		return -1;
	capos_IpcTest_hold_Results_set_held(&r, nheld);
	return 0;
}

static int
do_give(void *ctx, struct rt_request *rq)
{
	struct capos_IpcTest_give_Params_r p = { rq->params };
	struct capos_IpcTest_give_Results_b r;
	bool move = capos_IpcTest_give_Params_get_move(&p);
	int i;

	(void)ctx;
	note_call(false);
	if (move && nheld == 0)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "nothing held to move");
	i = move ? rt_reply_cap(rq, held[nheld - 1], CAPOS_XFER_MOVE) :
	    rt_reply_cap(rq, rt_cap("console", capos_Console_INTERFACE_ID),
	    CAPOS_XFER_COPY);
	if (i < 0 || capos_IpcTest_give_Results_init_root(&rq->reply, &r) != 0)
		return -1;
	capos_IpcTest_give_Results_set_cap(&r, (uint32_t)i);
	return 0;
}

/* A held capability answers if a call on it reaches its object. */
static bool
answers(capos_cap_t cap)
{
	static uint8_t buf[256] __attribute__((aligned(8)));
	struct rt_result res;

	return rt_call(cap, capos_Console_INTERFACE_ID,
	    capos_Console_write_ORDINAL, NULL, NULL, 0, buf, sizeof(buf),
	    &res) == 0;
}

static int
do_check(void *ctx, struct rt_request *rq)
{
	struct capos_IpcTest_check_Results_b r;
	uint32_t live = 0;

	(void)ctx;
	note_call(false);
	/* A moved-out capability whose delivery failed is back: keep it. */
	for (uint32_t i = 0; i < nheld; i++)
		live += answers(held[i]);
	if (capos_IpcTest_check_Results_init_root(&rq->reply, &r) != 0)
		return -1;
	capos_IpcTest_check_Results_set_live(&r, live);
	capos_IpcTest_check_Results_set_lastReturn(&r, other_return);
	capos_IpcTest_check_Results_set_lastDropped(&r, last_dropped);
	return 0;
}

static int
do_drop(void *ctx, struct rt_request *rq)
{
	struct capos_IpcTest_drop_Results_b r;
	uint32_t n = 0;

	(void)ctx;
	note_call(false);
	for (uint32_t i = 0; i < nheld; i++)
		n += rt_release(held[i]) == 0;
	nheld = 0;
	if (capos_IpcTest_drop_Results_init_root(&rq->reply, &r) != 0)
		return -1;
	capos_IpcTest_drop_Results_set_dropped(&r, n);
	return 0;
}

static int
do_whoami(void *ctx, struct rt_request *rq)
{
	struct capos_IpcTest_whoami_Results_b r;

	(void)ctx;
	note_call(false);
	if (capos_IpcTest_whoami_Results_init_root(&rq->reply, &r) != 0 ||
	    capos_IpcTest_whoami_Results_set_session(&r, rq->hdr->session,
	    sizeof(rq->hdr->session)) != 0)
		return -1;
	capos_IpcTest_whoami_Results_set_epoch(&r, rq->hdr->epoch);
	capos_IpcTest_whoami_Results_set_badge(&r, rq->hdr->badge);
	return 0;
}

static int
do_badged(void *ctx, struct rt_request *rq)
{
	struct capos_IpcTest_badged_Params_r p = { rq->params };
	struct capos_IpcTest_badged_Results_b r;
	struct capos_Endpoint_client_Params_b cp;
	struct capos_Endpoint_client_Results_r cr;
	uint8_t params[64] __attribute__((aligned(8)));
	uint8_t out[64] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct rt_result res;
	uint32_t idx;
	int i;

	(void)ctx;
	note_call(false);
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_Endpoint_client_Params_init_root(&b, &cp) != 0)
		return -1;
	capos_Endpoint_client_Params_set_badge(&cp,
	    capos_IpcTest_badged_Params_get_badge(&p));
	if (rt_call(owner, capos_Endpoint_INTERFACE_ID,
	    capos_Endpoint_client_ORDINAL, &b, NULL, 0, out, sizeof(out),
	    &res) != 0)
		return -1;
	cr.s = res.root;
	if (capos_Endpoint_client_Results_get_client(&cr, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return -1;
	/* Moved: the server keeps no copy of the client it made. */
	i = rt_reply_cap(rq, res.caps[idx].cap, CAPOS_XFER_MOVE);
	if (i < 0 || capos_IpcTest_badged_Results_init_root(&rq->reply, &r))
		return -1;
	capos_IpcTest_badged_Results_set_cap(&r, (uint32_t)i);
	return 0;
}

static int
do_quit(void *ctx, struct rt_request *rq)
{
	(void)ctx;
	note_call(false);
	(void)rq;
	rt_printf("[ipctest-srv] leaving in the middle of a call\n");
	rt_flush();
	sys_exit(0);
}

static int
do_later(void *ctx, struct rt_request *rq)
{
	(void)ctx;
	note_call(false);
	if (kept_call != 0)
		return rt_reply_exception(rq, capos_CapException_Type_overloaded,
		    "a call is already kept");
	kept_call = rq->hdr->call_id;
	rq->deferred = true;
	return 0;
}

static int
do_flush(void *ctx, struct rt_request *rq)
{
	struct capos_IpcTest_flush_Results_b r;
	int status = 1;

	(void)ctx;
	note_call(false);
	if (kept_call != 0) {
		status = rt_return_empty(owner, kept_call);
		kept_call = 0;
	}
	if (capos_IpcTest_flush_Results_init_root(&rq->reply, &r) != 0)
		return -1;
	capos_IpcTest_flush_Results_set_status(&r, status);
	return 0;
}

static int
do_twice(void *ctx, struct rt_request *rq)
{
	(void)ctx;
	note_call(false);
	/* The first answer goes out now; rt_serve sends the second. */
	return rt_return_empty(owner, rq->hdr->call_id) < 0 ? -1 : 0;
}

static int
do_sleep(void *ctx, struct rt_request *rq)
{
	struct capos_IpcTest_sleep_Params_r p = { rq->params };
	struct capos_IpcTest_sleep_Results_b r;

	(void)ctx;
	note_call(false);
	if (rt_sleep_ns(capos_IpcTest_sleep_Params_get_ns(&p)) != 0)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "cannot sleep");
	return capos_IpcTest_sleep_Results_init_root(&rq->reply, &r) != 0;
}

static int
on_dropped(void *ctx, struct rt_request *rq)
{
	(void)ctx;
	last_dropped = rq->hdr->badge;
	return 0;
}

static const struct rt_method methods[] = {
	{ 0, CAPOS_METHOD_DROPPED, on_dropped },
	{ capos_IpcTest_INTERFACE_ID, capos_IpcTest_echo_ORDINAL, do_echo },
	{ capos_IpcTest_INTERFACE_ID, capos_IpcTest_hold_ORDINAL, do_hold },
	{ capos_IpcTest_INTERFACE_ID, capos_IpcTest_give_ORDINAL, do_give },
	{ capos_IpcTest_INTERFACE_ID, capos_IpcTest_check_ORDINAL, do_check },
	{ capos_IpcTest_INTERFACE_ID, capos_IpcTest_drop_ORDINAL, do_drop },
	{ capos_IpcTest_INTERFACE_ID, capos_IpcTest_whoami_ORDINAL,
	    do_whoami },
	{ capos_IpcTest_INTERFACE_ID, capos_IpcTest_quit_ORDINAL, do_quit },
	{ capos_IpcTest_INTERFACE_ID, capos_IpcTest_later_ORDINAL, do_later },
	{ capos_IpcTest_INTERFACE_ID, capos_IpcTest_flush_ORDINAL, do_flush },
	{ capos_IpcTest_INTERFACE_ID, capos_IpcTest_twice_ORDINAL, do_twice },
	{ capos_IpcTest_INTERFACE_ID, capos_IpcTest_sleep_ORDINAL, do_sleep },
	{ capos_IpcTest_INTERFACE_ID, capos_IpcTest_badged_ORDINAL, do_badged },
};

int
main(void)
{
	capos_cap_t ep = rt_cap("ipctest", capos_Endpoint_INTERFACE_ID);
	int rc;

	owner = ep;
	if (ep == CAPOS_CAP_NULL) {
		rt_printf("ipctest-srv: no \"ipctest\" endpoint\n");
		return 1;
	}
	rc = rt_serve(ep, methods, sizeof(methods) / sizeof(methods[0]), NULL);
	return rc == CAPOS_EPEER ? 0 : 1;
}
