/*
 * echo: the TCP echo service (RFC 862). It holds only the console and a
 * TcpListenAuthority ("listen", for one port, port 7 in the shipped
 * systems): no Nic, no NetworkManager, no memory beyond its image. One
 * event loop serves up to MAX_CONN connections at once, each with one
 * call in flight (a recv, or a send of what that recv brought), and
 * echoes bytes until the peer's end of stream, then closes.
 *
 * Arguments: "count=N" ends the service after N connections (test
 * systems); "check" first proves that nothing but the two capabilities
 * can be reached; "idle=S" has the netstack reset a connection on which
 * no byte has moved either way for S seconds (default 300, 1 to 86400),
 * so a client that stalls, or goes without a word, gives its slot back.
 */
#include <string.h>

#include "net.capnp.h"
#include "rt.h"
#include "tcp.h"

#define MAX_CONN	20
#define IDLE_DEFAULT_S	300
#define MSG_ROOM	(capos_TcpSocket_maxChunk + 256)

/* C_RETRY_*: the netstack refused the call as overloaded; it is made
 * again after the next completion of another call. */
enum conn_state { C_FREE, C_RECV, C_SEND, C_RETRY_RECV, C_RETRY_SEND };

struct conn {
	enum conn_state state;
	capos_cap_t sock;
	uint64_t tag;
	uint32_t len, off;		/* bytes of data, bytes sent so far */
	const uint8_t *data;
	uint8_t in[MSG_ROOM] __attribute__((aligned(8)));
	uint8_t out[MSG_ROOM] __attribute__((aligned(8)));
	uint8_t res[64] __attribute__((aligned(8)));
};

static struct conn conns[MAX_CONN];
static capos_cap_t listener;
static uint8_t acc_buf[128] __attribute__((aligned(8)));
static struct capos_capdesc acc_caps[CAPOS_MAX_XCAPS];
static uint64_t acc_tag;
static bool acc_armed;
static bool acc_retry;		/* accept refused as overloaded: try again */
static bool acc_dead;		/* accept failed otherwise: stop accepting */
static uint64_t served, bytes;
static uint32_t idle_ms = IDLE_DEFAULT_S * 1000;

static int
call0(capos_cap_t cap, uint64_t iface, uint16_t method)
{
	static uint8_t buf[256] __attribute__((aligned(8)));
	struct rt_result res;

	return rt_call(cap, iface, method, NULL, NULL, 0, buf, sizeof(buf),
	    &res);
}

/* The CapSet holds exactly the console and the authority, and no other
 * slot, interface or port answers. */
static bool
confined(capos_cap_t con, capos_cap_t auth)
{
	static uint8_t buf[256] __attribute__((aligned(8)));
	struct capos_TcpListenAuthority_port_Results_r pr;
	struct rt_result res;
	int attempts = 0, bad = 0;

	if (rt_start()->ncaps != 2)
		return false;
	for (uint32_t i = 0; i < 256; i++) {
		capos_cap_t id = (con & 0xffff0000u) | i;

		if (id == con || id == auth)
			continue;
		attempts += 2;
		bad += call0(id, capos_Nic_INTERFACE_ID,
		    capos_Nic_info_ORDINAL) != CAPOS_EBADCAP;
		bad += call0(id, capos_NetworkManager_INTERFACE_ID,
		    capos_NetworkManager_status_ORDINAL) != CAPOS_EBADCAP;
	}
	/* The authority is nothing else: not a manager, not a Nic. */
	attempts += 3;
	bad += call0(auth, capos_NetworkManager_INTERFACE_ID,
	    capos_NetworkManager_status_ORDINAL) != CAPOS_EIFACE;
	bad += call0(auth, capos_Nic_INTERFACE_ID,
	    capos_Nic_info_ORDINAL) != CAPOS_EIFACE;
	bad += call0(auth, capos_TcpListener_INTERFACE_ID,
	    capos_TcpListener_accept_ORDINAL) != CAPOS_EIFACE;
	/* And it names port 7 only. */
	attempts++;
	if (rt_call(auth, capos_TcpListenAuthority_INTERFACE_ID,
	    capos_TcpListenAuthority_port_ORDINAL, NULL, NULL, 0, buf,
	    sizeof(buf), &res) != 0)
		bad++;
	else {
		pr.s = res.root;
		bad += capos_TcpListenAuthority_port_Results_get_port(&pr) != 7;
	}
	if (bad != 0) {
		rt_printf("[echo] %d of %d reach attempts did not fail\n", bad,
		    attempts);
		return false;
	}
	rt_debug("[proof] echo-confined ok: with only the console and port "
	    "7's listen authority, all %d attempts to reach anything else "
	    "failed\n", attempts);
	return true;
}

static int
do_listen(capos_cap_t auth)
{
	static uint8_t buf[256] __attribute__((aligned(8)));
	uint8_t params[64] __attribute__((aligned(8)));
	struct capos_TcpListenAuthority_listen_Params_b p;
	struct capos_ListenResult_r r;
	struct capnp_builder b;
	struct rt_result res;
	uint32_t idx;
	int rc;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_TcpListenAuthority_listen_Params_init_root(&b, &p) != 0)
		return -1;
	capos_TcpListenAuthority_listen_Params_set_backlog(&p, 16);
	rc = rt_call(auth, capos_TcpListenAuthority_INTERFACE_ID,
	    capos_TcpListenAuthority_listen_ORDINAL, &b, NULL, 0, buf,
	    sizeof(buf), &res);
	if (rc != 0)
		return rc;
	r.s = res.root;
	if (capos_ListenResult_which(&r) != capos_ListenResult_which_listener ||
	    capos_ListenResult_get_listener(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return -1;
	listener = res.caps[idx].cap;
	return 0;
}

static void
arm_accept(void)
{
	struct capos_sqe e;

	rt_prep_call(&e, listener, capos_TcpListener_INTERFACE_ID,
	    capos_TcpListener_accept_ORDINAL, NULL, acc_buf, sizeof(acc_buf),
	    acc_caps, 0, CAPOS_MAX_XCAPS);
	if (rt_submit(&e) == 0) {
		acc_tag = e.user_data;
		acc_armed = true;
	}
}

static void
release(capos_cap_t cap)
{
	(void)rt_release(cap);
}

/* The call failed only because the netstack has too many calls waiting:
 * worth making again later, not a reason to drop the connection. */
static bool
overloaded(int rc, const struct rt_result *res)
{
	return rc == RT_EXCEPTION &&
	    res->cqe.aux == capos_CapException_Type_overloaded;
}

static void
finish(struct conn *c)
{
	(void)call0(c->sock, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_close_ORDINAL);
	release(c->sock);
	c->state = C_FREE;
	served++;
}

static void
start_recv(struct conn *c)
{
	struct capos_TcpSocket_recv_Params_b p;
	struct capnp_builder b;
	struct capos_sqe e;

	/* No send is in flight, so its buffer holds the recv's params
	 * until the kernel has read them. */
	if (capnp_builder_init(&b, c->out, sizeof(c->out)) != 0 ||
	    capos_TcpSocket_recv_Params_init_root(&b, &p) != 0)
		return;
	capos_TcpSocket_recv_Params_set_maxBytes(&p, capos_TcpSocket_maxChunk);
	rt_prep_call(&e, c->sock, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_recv_ORDINAL, &b, c->in, sizeof(c->in), NULL, 0, 0);
	if (rt_submit(&e) != 0) {
		finish(c);
		return;
	}
	c->tag = e.user_data;
	c->state = C_RECV;
}

static void
start_send(struct conn *c)
{
	struct capos_TcpSocket_send_Params_b p;
	struct capnp_builder b;
	struct capos_sqe e;

	if (capnp_builder_init(&b, c->out, sizeof(c->out)) != 0 ||
	    capos_TcpSocket_send_Params_init_root(&b, &p) != 0 ||
	    capos_TcpSocket_send_Params_set_data(&p, c->data + c->off,
	    c->len - c->off) != 0) {
		finish(c);
		return;
	}
	rt_prep_call(&e, c->sock, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_send_ORDINAL, &b, c->res, sizeof(c->res), NULL, 0,
	    0);
	if (rt_submit(&e) != 0) {
		finish(c);
		return;
	}
	c->tag = e.user_data;
	c->state = C_SEND;
}

static void
recv_done(struct conn *c, const struct capos_cqe *cqe)
{
	struct capos_TcpSocket_recv_Results_r r;
	struct rt_result res;
	struct capnp_data d;
	int rc;

	if ((rc = rt_result_read(cqe, c->in, &res)) != 0) {
		if (overloaded(rc, &res))
			c->state = C_RETRY_RECV;
		else
			finish(c);	/* reset, or the netstack is gone */
		return;
	}
	r.s = res.root;
	if (capos_TcpSocket_recv_Results_get_data(&r, &d) != 0 ||
	    d.len == 0) {
		finish(c);		/* end of stream */
		return;
	}
	c->data = d.ptr;
	c->len = d.len;
	c->off = 0;
	start_send(c);
}

static void
send_done(struct conn *c, const struct capos_cqe *cqe)
{
	struct capos_TcpSocket_send_Results_r r;
	struct rt_result res;
	uint32_t n;
	int rc;

	if ((rc = rt_result_read(cqe, c->res, &res)) != 0) {
		if (overloaded(rc, &res))
			c->state = C_RETRY_SEND;
		else
			finish(c);
		return;
	}
	r.s = res.root;
	n = capos_TcpSocket_send_Results_get_sent(&r);
	if (n == 0 || n > c->len - c->off) {
		finish(c);
		return;
	}
	c->off += n;
	bytes += n;
	if (c->off < c->len)
		start_send(c);
	else
		start_recv(c);
}

static void
accept_done(const struct capos_cqe *cqe)
{
	struct capos_TcpListener_accept_Results_r r;
	struct rt_result res;
	uint32_t idx, n = cqe->ncaps < CAPOS_MAX_XCAPS ? cqe->ncaps :
	    CAPOS_MAX_XCAPS;
	int rc;

	acc_armed = false;
	if ((rc = rt_result_read(cqe, acc_buf, &res)) != 0) {
		if (overloaded(rc, &res))
			acc_retry = true;
		else
			acc_dead = true;	/* the listener is gone */
		return;
	}
	r.s = res.root;
	if (capos_TcpListener_accept_Results_get_socket(&r, &idx) != 0)
		idx = n;
	/* Only the socket is kept; anything else sent along is let go. */
	for (uint32_t i = 0; i < n; i++)
		if (i != idx)
			release(acc_caps[i].cap);
	if (idx >= n)
		return;
	for (int i = 0; i < MAX_CONN; i++) {
		if (conns[i].state != C_FREE)
			continue;
		conns[i].sock = acc_caps[idx].cap;
		/* Without its idle timeout a stalled client would keep the
		 * slot for as long as it likes: no connection goes without. */
		if (tcp_set_idle_timeout(conns[i].sock, idle_ms) != 0) {
			finish(&conns[i]);
			return;
		}
		start_recv(&conns[i]);
		return;
	}
	release(acc_caps[idx].cap);	/* cannot happen: accept needs a slot */
}

/* Makes again the calls the netstack refused as overloaded. */
static void
retry_refused(void)
{
	for (int i = 0; i < MAX_CONN; i++) {
		if (conns[i].state == C_RETRY_RECV)
			start_recv(&conns[i]);
		else if (conns[i].state == C_RETRY_SEND)
			start_send(&conns[i]);
	}
	acc_retry = false;
}

/* Seconds, 1 to 86400, as milliseconds. */
static bool
parse_secs(const char *s, uint32_t *ms)
{
	uint32_t n = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		n = n * 10 + (uint32_t)(*s - '0');
		if (n > 86400)
			return false;
	}
	if (n == 0)
		return false;
	*ms = n * 1000;
	return true;
}

static bool
slot_free(void)
{
	for (int i = 0; i < MAX_CONN; i++)
		if (conns[i].state == C_FREE)
			return true;
	return false;
}

int
main(void)
{
	capos_cap_t con = rt_cap("console", capos_Console_INTERFACE_ID);
	capos_cap_t auth = rt_cap("listen",
	    capos_TcpListenAuthority_INTERFACE_ID);
	uint64_t limit = 0;

	if (con == CAPOS_CAP_NULL || auth == CAPOS_CAP_NULL) {
		rt_printf("[echo] needs \"console\" and \"listen\"\n");
		return 1;
	}
	for (int i = 0; i < rt_argc(); i++) {
		const char *a = rt_argv(i);

		if (strncmp(a, "count=", 6) == 0) {
			for (const char *p = a + 6; *p >= '0' && *p <= '9' &&
			    limit < 1000000; p++)
				limit = limit * 10 + (uint64_t)(*p - '0');
		} else if (strncmp(a, "idle=", 5) == 0) {
			if (!parse_secs(a + 5, &idle_ms)) {
				rt_printf("[echo] bad argument \"%s\"\n", a);
				return 1;
			}
		} else if (strcmp(a, "check") == 0 && !confined(con, auth)) {
			return 1;
		}
	}
	if (do_listen(auth) != 0) {
		rt_printf("[echo] cannot listen\n");
		return 1;
	}
	rt_info("[echo] listening\n");
	for (;;) {
		uint64_t tags[MAX_CONN + 1];
		int idx[MAX_CONN + 1], n = 0, k;
		struct capos_cqe c;
		int retries = 0, live;

		for (int i = 0; i < MAX_CONN; i++) {
			if (conns[i].state == C_RECV ||
			    conns[i].state == C_SEND)
				tags[n] = conns[i].tag, idx[n++] = i;
			else if (conns[i].state != C_FREE)
				retries++;
		}
		live = n + retries;
		/* Refused calls wait for another completion (the netstack
		 * answering someone frees room); with none in flight they
		 * go again now: echo holds no timer to wait on. */
		if (n == 0 && !acc_armed)
			retry_refused();
		if (!acc_armed && !acc_retry && !acc_dead && slot_free() &&
		    (limit == 0 ||
		    served + (uint64_t)live < limit))
			arm_accept();
		if (limit != 0 && served >= limit && live == 0)
			break;
		if (acc_armed)
			tags[n] = acc_tag, idx[n++] = -1;
		if (n == 0 && retries == 0)
			break;
		if (n == 0)
			continue;
		if ((k = rt_wait_any(tags, n, &c)) < 0)
			return 1;
		/* Another call completed: what was refused before goes
		 * again (what this completion refuses waits for the next). */
		retry_refused();
		if (idx[k] < 0)
			accept_done(&c);
		else if (conns[idx[k]].state == C_RECV)
			recv_done(&conns[idx[k]], &c);
		else
			send_done(&conns[idx[k]], &c);
	}
	(void)call0(listener, capos_TcpListener_INTERFACE_ID,
	    capos_TcpListener_close_ORDINAL);
	rt_debug("[echo] served %llu connections, echoed %llu bytes\n",
	    (unsigned long long)served, (unsigned long long)bytes);
	return 0;
}
