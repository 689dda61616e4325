/*
 * nettest: the TCP tests of the net-loop system, run against the echo
 * service through two netstacks joined by nic-loop.
 *
 *   nettest client   holds "net" (a NetworkManager): small echoes, a
 *                    large transfer, 16 connections at once, a TIME_WAIT
 *                    socket whose pcb lwIP reuses, a client
 *                    closing mid-transfer, a server closing first, a
 *                    refused connect, a closed socket's badge, a
 *                    second recv on one socket (overloaded), and a
 *                    socket and a listener dropped without close
 *   nettest closer   holds "listen" (a TcpListenAuthority): accepts one
 *                    connection, says "bye", closes it first, and
 *                    listens on the port again while it is closing
 *   nettest sink     holds "listen": accepts a control connection and
 *                    FLOOD_CONNS more, sends on those and reads nothing
 *                    until the control connection says "done"
 *
 * Every proof line is printed after the check behind it.
 */
#include <string.h>

#include "fmt/fmt.h"
#include "net.capnp.h"
#include "rt.h"
#include "tcp.h"

#define ECHO_ADDR	0x0a000001u	/* 10.0.0.1, the echo's netstack */
#define MY_ADDR		0x0a000002u
#define MAX_STREAMS	16
#define LARGE_BYTES	(2u << 20)
#define MANY_BYTES	(128u << 10)
/* The netstack's pcb pool (MEMP_NUM_TCP_PCB) less the one kept socket. */
#define TW_CHURN	63
#define TW_BYTES	(16u << 10)
#define DROP_PORT	5000	/* a port of our own netstack */
/* Connections to the sink, and bytes each way on each: one window. */
#define FLOOD_CONNS	30
#define FLOOD_BYTES	(128u << 10)
#define FLOOD_GOOD_BYTES (256u << 10)

static capos_cap_t nm;
static uint8_t buf[TCP_SCRATCH] __attribute__((aligned(8)));
static uint8_t params[TCP_SCRATCH] __attribute__((aligned(8)));
static int failures;

#define FAIL(...) do {							\
	rt_printf("nettest: FAILED: " __VA_ARGS__);			\
	rt_printf("\n");						\
	failures++;							\
} while (0)

static void
release(capos_cap_t cap)
{
	(void)rt_release(cap);
}

static int
sock_call0(capos_cap_t s, uint16_t method)
{
	struct rt_result res;

	return rt_call(s, capos_TcpSocket_INTERFACE_ID, method, NULL, NULL, 0,
	    buf, sizeof(buf), &res);
}

/* Connects to addr:port through the NetworkManager; the ConnectResult
 * union's tag, or a negative error. */
static int
connect_to(uint32_t addr, uint16_t port, capos_cap_t *out)
{
	return tcp_connect(nm, addr, port, out, buf);
}

/*
 * The first connection to a port served by another service: that service
 * is started beside this one and may not have listened yet (on several
 * CPUs it often has not), so a refusal is asked again, a bounded number
 * of times. Later connections to the port use connect_to.
 */
#define LISTEN_TRIES	20000

static int
connect_first(uint32_t addr, uint16_t port, capos_cap_t *out)
{
	int rc = capos_ConnectResult_which_refused;

	for (int i = 0; i < LISTEN_TRIES &&
	    rc == capos_ConnectResult_which_refused; i++)
		rc = connect_to(addr, port, out);
	return rc;
}

/* Receives up to max bytes into out; the count, 0 at end of stream, or a
 * negative error. */
static int
recv_into(capos_cap_t s, uint8_t *out, uint32_t max)
{
	const uint8_t *d;
	int n = tcp_recv_some(s, max, &d, buf);

	if (n > 0)
		memmove(out, d, (size_t)n);
	return n;
}

static bool
small_echo(const char *tag, int rounds)
{
	static const char *msgs[] = { "hello, capOS\n", "x",
	    "the quick brown fox jumps over the lazy dog\n" };
	uint8_t back[64];
	capos_cap_t s;
	int rc;

	if ((rc = connect_to(ECHO_ADDR, 7, &s)) !=
	    capos_ConnectResult_which_socket) {
		FAIL("%s: connect to port 7 gave %d", tag, rc);
		return false;
	}
	for (int i = 0; i < rounds; i++) {
		const char *m = msgs[i % 3];
		uint32_t n = (uint32_t)strlen(m);

		if (tcp_send_all(s, (const uint8_t *)m, n, buf) != 0 ||
		    tcp_recv_exact(s, back, n, buf) != 0 ||
		    memcmp(back, m, n) != 0) {
			FAIL("%s: echo %d did not come back", tag, i);
			tcp_close(s);
			return false;
		}
	}
	tcp_close(s);
	return true;
}

/* ---- Streams: many bytes each way at once, one send and one recv in
 * flight per connection. ---- */

struct stream {
	capos_cap_t sock;
	uint32_t total, sent, rcvd;
	uint32_t seed_tx, seed_rx;
	uint64_t sum;
	bool send_busy, recv_busy, shut, eof, failed;
	const char *why;		/* what failed */
	char whybuf[96];		/* why, when it names a reason */
	uint64_t send_tag, recv_tag;
	uint32_t chunk_len, chunk_off;
	uint8_t chunk[capos_TcpSocket_maxChunk];
	uint8_t sparams[TCP_SCRATCH] __attribute__((aligned(8)));
	uint8_t rparams[64] __attribute__((aligned(8)));
	uint8_t sres[64] __attribute__((aligned(8)));
	uint8_t rres[TCP_SCRATCH] __attribute__((aligned(8)));
};

static struct stream streams[MAX_STREAMS];

static uint8_t
next_byte(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return (uint8_t)(*x >> 24);
}

static void
stream_send(struct stream *st)
{
	struct capos_TcpSocket_send_Params_b p;
	struct capnp_builder b;
	struct capos_sqe e;

	if (st->chunk_off == st->chunk_len) {
		uint32_t n = st->total - st->sent;

		if (n > sizeof(st->chunk))
			n = sizeof(st->chunk);
		for (uint32_t i = 0; i < n; i++)
			st->chunk[i] = next_byte(&st->seed_tx);
		st->chunk_len = n;
		st->chunk_off = 0;
	}
	if (capnp_builder_init(&b, st->sparams, sizeof(st->sparams)) != 0 ||
	    capos_TcpSocket_send_Params_init_root(&b, &p) != 0 ||
	    capos_TcpSocket_send_Params_set_data(&p, st->chunk + st->chunk_off,
	    st->chunk_len - st->chunk_off) != 0) {
		st->failed = true;
		return;
	}
	rt_prep_call(&e, st->sock, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_send_ORDINAL, &b, st->sres, sizeof(st->sres), NULL,
	    0, 0);
	if (rt_submit(&e) != 0) {
		st->failed = true;
		return;
	}
	st->send_tag = e.user_data;
	st->send_busy = true;
}

static void
stream_recv(struct stream *st)
{
	struct capos_TcpSocket_recv_Params_b p;
	struct capnp_builder b;
	struct capos_sqe e;

	if (capnp_builder_init(&b, st->rparams, sizeof(st->rparams)) != 0 ||
	    capos_TcpSocket_recv_Params_init_root(&b, &p) != 0) {
		st->failed = true;
		return;
	}
	capos_TcpSocket_recv_Params_set_maxBytes(&p, capos_TcpSocket_maxChunk);
	rt_prep_call(&e, st->sock, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_recv_ORDINAL, &b, st->rres, sizeof(st->rres), NULL,
	    0, 0);
	if (rt_submit(&e) != 0) {
		st->failed = true;
		return;
	}
	st->recv_tag = e.user_data;
	st->recv_busy = true;
}

/* "what failed: the netstack's reason", kept in the stream. */
static const char *
failure(struct stream *st, const char *what, struct rt_result *res)
{
	fmt_snprintf(st->whybuf, sizeof(st->whybuf), "%s failed: %s", what,
	    rt_exception_reason(res));
	return st->whybuf;
}

static void
send_done(struct stream *st, const struct capos_cqe *c)
{
	struct capos_TcpSocket_send_Results_r r;
	struct rt_result res;
	uint32_t n;

	st->send_busy = false;
	if (rt_result_read(c, st->sres, &res) != 0) {
		st->failed = true;
		st->why = failure(st, "send", &res);
		return;
	}
	r.s = res.root;
	n = capos_TcpSocket_send_Results_get_sent(&r);
	if (n == 0 || n > st->chunk_len - st->chunk_off) {
		st->failed = true;
		return;
	}
	st->chunk_off += n;
	st->sent += n;
}

static void
recv_done(struct stream *st, const struct capos_cqe *c)
{
	struct capos_TcpSocket_recv_Results_r r;
	struct rt_result res;
	struct capnp_data d;

	st->recv_busy = false;
	if (rt_result_read(c, st->rres, &res) != 0) {
		st->failed = true;
		st->why = failure(st, "recv", &res);
		return;
	}
	r.s = res.root;
	if (capos_TcpSocket_recv_Results_get_data(&r, &d) != 0 ||
	    d.len > st->total - st->rcvd) {
		st->failed = true;
		return;
	}
	if (d.len == 0) {
		st->eof = true;
		return;
	}
	/* Each byte must be the one sent at that position. */
	for (uint32_t i = 0; i < d.len; i++) {
		uint8_t want = next_byte(&st->seed_rx);

		if (d.ptr[i] != want) {
			st->failed = true;
			st->why = "wrong byte";
			return;
		}
		st->sum = (st->sum ^ d.ptr[i]) * 0x100000001b3ull;
	}
	st->rcvd += d.len;
}

/* Connects streams[0..n) to the echo, `each` bytes to go on each. */
static bool
connect_streams(int n, uint32_t each)
{
	for (int i = 0; i < n; i++) {
		struct stream *st = &streams[i];

		memset(st, 0, offsetof(struct stream, chunk));
		st->total = each;
		st->seed_tx = st->seed_rx = 0x9e3779b9u + (uint32_t)i * 7919u;
		st->sum = 0xcbf29ce484222325ull;
		if (connect_to(ECHO_ADDR, 7, &st->sock) !=
		    capos_ConnectResult_which_socket) {
			FAIL("stream %d: connect failed", i);
			return false;
		}
	}
	return true;
}

/* Moves the connected streams[0..n); true if every byte came back in
 * order. */
static bool
pump_streams(int n, uint64_t *sum)
{
	for (;;) {
		uint64_t tags[2 * MAX_STREAMS];
		struct stream *who[2 * MAX_STREAMS];
		struct capos_cqe c;
		int m = 0, k;

		for (int i = 0; i < n; i++) {
			struct stream *st = &streams[i];

			if (st->failed)
				continue;
			if (!st->send_busy && st->sent < st->total)
				stream_send(st);
			if (!st->send_busy && st->sent == st->total &&
			    !st->shut) {
				/* Everything is out: end of stream to echo. */
				st->shut = sock_call0(st->sock,
				    capos_TcpSocket_shutdown_ORDINAL) == 0;
				st->failed = !st->shut;
			}
			if (!st->recv_busy && !st->eof && !st->failed)
				stream_recv(st);
			if (st->send_busy)
				tags[m] = st->send_tag, who[m++] = st;
			if (st->recv_busy)
				tags[m] = st->recv_tag, who[m++] = st;
		}
		if (m == 0)
			break;
		if ((k = rt_wait_any(tags, m, &c)) < 0)
			return false;
		if (c.user_data == who[k]->send_tag && who[k]->send_busy)
			send_done(who[k], &c);
		else
			recv_done(who[k], &c);
	}
	*sum = 0;
	for (int i = 0; i < n; i++) {
		struct stream *st = &streams[i];

		if (st->failed || st->rcvd != st->total || !st->eof) {
			FAIL("stream %d: %u of %u bytes back (%s)", i, st->rcvd,
			    st->total, st->why != NULL ? st->why : "no eof");
			return false;
		}
		*sum ^= st->sum;
		tcp_close(st->sock);
	}
	return true;
}

/* Runs n streams of `each` bytes to the echo; true if every byte came
 * back in order. */
static bool
run_streams(int n, uint32_t each, uint64_t *sum)
{
	return connect_streams(n, each) && pump_streams(n, sum);
}

/* ---- Edge cases ---- */

static bool
client_aborts(void)
{
	static uint8_t junk[256 << 10];
	capos_cap_t s;

	for (uint32_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)i;
	if (connect_to(ECHO_ADDR, 7, &s) != capos_ConnectResult_which_socket)
		return false;
	/* Nothing is read back: the close finds unread data and resets. */
	if (tcp_send_all(s, junk, sizeof(junk), buf) != 0) {
		tcp_close(s);
		return false;
	}
	tcp_close(s);
	return small_echo("after-abort", 3);
}

static bool
server_closes_first(void)
{
	uint8_t got[16];
	capos_cap_t s;
	int n, total = 0;

	if (connect_first(ECHO_ADDR, 9, &s) != capos_ConnectResult_which_socket)
		return false;
	while ((n = recv_into(s, got + total, sizeof(got) - (uint32_t)total))
	    > 0)
		total += n;
	tcp_close(s);
	return n == 0 && total == 4 && memcmp(got, "bye\n", 4) == 0;
}

/*
 * A socket that was shut down and then got the peer's FIN keeps its badge
 * while lwIP holds the pcb in TIME_WAIT. Once the pcb pool is full, lwIP
 * frees the oldest TIME_WAIT pcb for the next connection (the pool hands
 * back the block it just freed), so the netstack must have let go of it:
 * the old socket's recv and close must not reach the new connection.
 * Runs first, so that the old pcb is the oldest in the pool.
 */
static bool
timewait_reuse(void)
{
	uint8_t got[8];
	capos_cap_t old;
	uint64_t sum;
	int n;

	if ((n = connect_first(ECHO_ADDR, 7, &old)) !=
	    capos_ConnectResult_which_socket) {
		FAIL("timewait: the first connect to port 7 gave %d", n);
		return false;
	}
	if (tcp_send_all(old, (const uint8_t *)"x", 1, buf) != 0 ||
	    sock_call0(old, capos_TcpSocket_shutdown_ORDINAL) != 0)
		return false;
	/* The echo answers our FIN with its own: TIME_WAIT here. */
	while ((n = recv_into(old, got, sizeof(got))) > 0)
		;
	if (n != 0)
		return false;
	/* Fill the pool with TIME_WAIT pcbs (each ended by our close)... */
	for (int i = 0; i < TW_CHURN; i++)
		if (!small_echo("churn", 1))
			return false;
	/* ...so these take the oldest, the old socket's, among them. */
	if (!connect_streams(MAX_STREAMS, TW_BYTES))
		return false;
	if (recv_into(old, got, sizeof(got)) != 0) {
		FAIL("timewait: old socket's recv did not give eof");
		return false;
	}
	tcp_close(old);
	return pump_streams(MAX_STREAMS, &sum);
}

/* Listens on the authority's port; the listener, or CAPOS_CAP_NULL with
 * the ListenResult's tag in *which (-1 for a failed call). */
static capos_cap_t
listen_on(capos_cap_t auth, uint16_t backlog, int *which)
{
	struct capos_TcpListenAuthority_listen_Params_b p;
	struct capos_ListenResult_r lr;
	struct capnp_builder b;
	struct rt_result res;
	uint32_t idx;

	*which = -1;
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_TcpListenAuthority_listen_Params_init_root(&b, &p) != 0)
		return CAPOS_CAP_NULL;
	capos_TcpListenAuthority_listen_Params_set_backlog(&p, backlog);
	if (rt_call(auth, capos_TcpListenAuthority_INTERFACE_ID,
	    capos_TcpListenAuthority_listen_ORDINAL, &b, NULL, 0, buf,
	    sizeof(buf), &res) != 0)
		return CAPOS_CAP_NULL;
	lr.s = res.root;
	*which = capos_ListenResult_which(&lr);
	if (*which != capos_ListenResult_which_listener ||
	    capos_ListenResult_get_listener(&lr, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return CAPOS_CAP_NULL;
	return res.caps[idx].cap;
}

static void
listener_close(capos_cap_t l)
{
	struct rt_result res;

	(void)rt_call(l, capos_TcpListener_INTERFACE_ID,
	    capos_TcpListener_close_ORDINAL, NULL, NULL, 0, buf, sizeof(buf),
	    &res);
	release(l);
}

/* A NetworkManager's authority for port; CAPOS_CAP_NULL on failure. */
static capos_cap_t
authority(uint16_t port)
{
	struct capos_NetworkManager_listenAuthority_Params_b p;
	struct capos_NetworkManager_listenAuthority_Results_r r;
	struct capnp_builder b;
	struct rt_result res;
	uint32_t idx;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_NetworkManager_listenAuthority_Params_init_root(&b, &p) != 0)
		return CAPOS_CAP_NULL;
	capos_NetworkManager_listenAuthority_Params_set_port(&p, port);
	if (rt_call(nm, capos_NetworkManager_INTERFACE_ID,
	    capos_NetworkManager_listenAuthority_ORDINAL, &b, NULL, 0, buf,
	    sizeof(buf), &res) != 0)
		return CAPOS_CAP_NULL;
	r.s = res.root;
	if (capos_NetworkManager_listenAuthority_Results_get_authority(&r,
	    &idx) != 0 || idx >= res.cqe.ncaps)
		return CAPOS_CAP_NULL;
	return res.caps[idx].cap;
}

/*
 * Objects whose holder lets go without close: the netstack hears of it
 * from the kernel and frees them. A dropped listener's port can be
 * listened on again at once; a dropped socket is gone from the netstack's
 * count of open sockets at exit (test_net.py reads it).
 */
static bool
dropped_objects(void)
{
	uint8_t got[4];
	capos_cap_t s, auth, l;
	int which;

	if (connect_to(ECHO_ADDR, 7, &s) != capos_ConnectResult_which_socket)
		return false;
	if (tcp_send_all(s, (const uint8_t *)"drop", 4, buf) != 0 ||
	    tcp_recv_exact(s, got, 4, buf) != 0)
		return false;
	release(s);
	if ((auth = authority(DROP_PORT)) == CAPOS_CAP_NULL ||
	    (l = listen_on(auth, 1, &which)) == CAPOS_CAP_NULL)
		return false;
	release(l);
	l = listen_on(auth, 1, &which);
	if (l == CAPOS_CAP_NULL) {
		FAIL("listen after a dropped listener gave %d", which);
		return false;
	}
	listener_close(l);
	release(auth);
	return true;
}

/*
 * A peer that opens many connections and sends data nobody reads, and has
 * data sent to it that it never reads, must not stop a well-behaved
 * transfer. The sink (port 10 of the echo's netstack) accepts FLOOD_CONNS
 * connections and reads none of them while sending FLOOD_BYTES on each;
 * here each gets FLOOD_BYTES that the sink never reads and nothing it
 * sends is read. Both netstacks then hold a window of unread data per
 * connection each way, several times the lwIP pool, and queued sends that
 * would fill the lwIP heap; four streams through the echo must still
 * move every byte.
 */
/*
 * The sink's listener holds 31 sockets now, one short of its quota
 * (NS_LISTENER_SOCKETS): one more connection waits for accept, the next
 * is reset, so connections from outside cannot take every socket.
 */
static bool
listener_quota(void)
{
	capos_cap_t spare, over;
	uint8_t got[4];
	int rc;

	if (connect_to(ECHO_ADDR, 10, &spare) !=
	    capos_ConnectResult_which_socket) {
		FAIL("quota: the 32nd connection failed");
		return false;
	}
	rc = connect_to(ECHO_ADDR, 10, &over);
	if (rc == capos_ConnectResult_which_socket) {
		/* The handshake completed before the netstack refused it. */
		rc = recv_into(over, got, sizeof(got));
		tcp_close(over);
		if (rc != RT_EXCEPTION)
			FAIL("quota: the 33rd connection gave %d", rc);
	} else if (rc != capos_ConnectResult_which_refused) {
		FAIL("quota: the 33rd connect gave %d", rc);
	}
	tcp_close(spare);
	return rc == RT_EXCEPTION || rc == capos_ConnectResult_which_refused;
}

static bool
flood(void)
{
	static uint8_t junk[FLOOD_BYTES];
	static capos_cap_t hog[FLOOD_CONNS];
	capos_cap_t ctl;
	uint64_t sum;
	bool ok;

	memset(junk, 0x5a, sizeof(junk));
	if (connect_first(ECHO_ADDR, 10, &ctl) !=
	    capos_ConnectResult_which_socket)
		return false;
	for (int i = 0; i < FLOOD_CONNS; i++) {
		if (connect_to(ECHO_ADDR, 10, &hog[i]) !=
		    capos_ConnectResult_which_socket) {
			FAIL("flood: connect %d failed", i);
			return false;
		}
		if (tcp_send_all(hog[i], junk, sizeof(junk), buf) != 0) {
			FAIL("flood: send on %d failed", i);
			return false;
		}
	}
	ok = run_streams(4, FLOOD_GOOD_BYTES, &sum) && listener_quota();
	/* Tells the sink to end; our unread data makes these resets. */
	if (tcp_send_all(ctl, (const uint8_t *)"done", 4, buf) != 0)
		ok = false;
	for (int i = 0; i < FLOOD_CONNS; i++)
		tcp_close(hog[i]);
	tcp_close(ctl);
	return ok;
}

static bool
closed_badge_and_overload(void)
{
	struct capos_TcpSocket_recv_Params_b p;
	struct capnp_builder b;
	static uint8_t r1[TCP_SCRATCH] __attribute__((aligned(8)));
	static uint8_t r2[TCP_SCRATCH] __attribute__((aligned(8)));
	uint8_t pp[64] __attribute__((aligned(8)));
	struct capos_sqe e1, e2;
	struct capos_cqe c1, c2;
	capos_cap_t s;
	bool ok;
	int rc;

	if (connect_to(ECHO_ADDR, 7, &s) != capos_ConnectResult_which_socket)
		return false;
	/* Two recvs on one socket: the second is refused as overloaded. */
	if (capnp_builder_init(&b, pp, sizeof(pp)) != 0 ||
	    capos_TcpSocket_recv_Params_init_root(&b, &p) != 0)
		return false;
	capos_TcpSocket_recv_Params_set_maxBytes(&p, 16);
	rt_prep_call(&e1, s, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_recv_ORDINAL, &b, r1, sizeof(r1), NULL, 0, 0);
	rt_prep_call(&e2, s, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_recv_ORDINAL, &b, r2, sizeof(r2), NULL, 0, 0);
	if (rt_submit(&e1) != 0 || rt_submit(&e2) != 0 ||
	    rt_wait(e2.user_data, &c2) != 0)
		return false;
	ok = (c2.flags & CAPOS_CQE_EXCEPTION) &&
	    c2.aux == capos_CapException_Type_overloaded;
	if (tcp_send_all(s, (const uint8_t *)"ping", 4, buf) != 0 ||
	    rt_wait(e1.user_data, &c1) != 0 || c1.status < 0 ||
	    (c1.flags & CAPOS_CQE_EXCEPTION))
		ok = false;
	(void)sock_call0(s, capos_TcpSocket_close_ORDINAL);
	/* The closed socket's badge reaches nothing. */
	rc = sock_call0(s, capos_TcpSocket_peer_ORDINAL);
	ok = ok && rc == RT_EXCEPTION;
	rc = recv_into(s, buf, 16);
	ok = ok && rc == RT_EXCEPTION;
	release(s);
	return ok;
}

static int
client(void)
{
	struct capos_NetworkManager_status_Results_r sr;
	struct capos_NetworkManager_Status_r st;
	struct rt_result res;
	uint64_t sum, t0;
	capos_cap_t s;
	int rc;

	nm = rt_cap("net", capos_NetworkManager_INTERFACE_ID);
	if (nm == CAPOS_CAP_NULL) {
		rt_printf("nettest: no \"net\"\n");
		return 1;
	}
	if (rt_call(nm, capos_NetworkManager_INTERFACE_ID,
	    capos_NetworkManager_status_ORDINAL, NULL, NULL, 0, buf,
	    sizeof(buf), &res) != 0)
		return 1;
	sr.s = res.root;
	if (capos_NetworkManager_status_Results_get_status(&sr, &st) != 0 ||
	    !capos_NetworkManager_Status_get_configured(&st) ||
	    capos_NetworkManager_Status_get_address(&st) != MY_ADDR)
		FAIL("status: not configured as 10.0.0.2");
	if (timewait_reuse())
		rt_debug("[proof] tcp-timewait-reuse ok conns=%d\n",
		    TW_CHURN + MAX_STREAMS + 1);
	else
		FAIL("a TIME_WAIT socket's pcb reused");
	if (small_echo("small", 6))
		rt_debug("[proof] tcp-echo-small ok messages=6\n");
	t0 = __builtin_ia32_rdtsc();
	if (run_streams(1, LARGE_BYTES, &sum)) {
		uint64_t ms = (__builtin_ia32_rdtsc() - t0) /
		    (rt_start()->tsc_hz / 1000 + 1);

		rt_debug("[proof] tcp-echo ok bytes=%u sum=%016llx\n",
		    LARGE_BYTES, (unsigned long long)sum);
		rt_printf("nettest: large transfer took %llu ms\n",
		    (unsigned long long)ms);
	}
	if (run_streams(MAX_STREAMS, MANY_BYTES, &sum))
		rt_debug("[proof] tcp-many ok conns=%d bytes=%u sum=%016llx\n",
		    MAX_STREAMS, MAX_STREAMS * MANY_BYTES,
		    (unsigned long long)sum);
	if (flood())
		rt_debug("[proof] tcp-flood ok conns=%d unread=%u\n",
		    FLOOD_CONNS, FLOOD_CONNS * FLOOD_BYTES);
	else
		FAIL("a transfer during a flood of unread data");
	if (client_aborts())
		rt_debug("[proof] tcp-client-abort ok\n");
	else
		FAIL("client closing mid-transfer");
	if (server_closes_first())
		rt_debug("[proof] tcp-server-close ok\n");
	else
		FAIL("server closing first");
	if ((rc = connect_to(ECHO_ADDR, 8, &s)) ==
	    capos_ConnectResult_which_refused)
		rt_debug("[proof] tcp-refused ok\n");
	else
		FAIL("connect to a closed port gave %d", rc);
	if (closed_badge_and_overload())
		rt_debug("[proof] tcp-badge ok\n");
	else
		FAIL("overloaded recv or closed badge");
	if (dropped_objects())
		rt_debug("[proof] tcp-dropped ok\n");
	else
		FAIL("dropped socket or listener");
	rt_printf("nettest: %d failed\n", failures);
	return failures == 0 ? 0 : 1;
}

/* ---- The server that closes first ---- */

static int
closer(void)
{
	capos_cap_t auth = rt_cap("listen",
	    capos_TcpListenAuthority_INTERFACE_ID);
	struct capos_TcpListener_accept_Results_r ar;
	struct rt_result res;
	capos_cap_t l, s;
	uint32_t idx;
	int which;

	if (auth == CAPOS_CAP_NULL ||
	    (l = listen_on(auth, 1, &which)) == CAPOS_CAP_NULL)
		return 1;
	if (rt_call(l, capos_TcpListener_INTERFACE_ID,
	    capos_TcpListener_accept_ORDINAL, NULL, NULL, 0, buf, sizeof(buf),
	    &res) != 0)
		return 1;
	ar.s = res.root;
	if (capos_TcpListener_accept_Results_get_socket(&ar, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return 1;
	s = res.caps[idx].cap;
	if (tcp_send_all(s, (const uint8_t *)"bye\n", 4, buf) != 0)
		return 1;
	tcp_close(s);
	listener_close(l);
	rt_printf("nettest closer: said bye and closed first\n");
	/* The connection is still closing (FIN_WAIT, then TIME_WAIT), and
	 * holds port 9: listening there again must work all the same. */
	if ((l = listen_on(auth, 1, &which)) == CAPOS_CAP_NULL) {
		rt_printf("nettest closer: FAILED: listen again gave %d\n",
		    which);
		return 1;
	}
	listener_close(l);
	rt_printf("nettest closer: listened again on port 9\n");
	return 0;
}

/* ---- The sink: holds connections and reads none of them ---- */

static capos_cap_t
accept_one(capos_cap_t l)
{
	struct capos_TcpListener_accept_Results_r ar;
	struct rt_result res;
	uint32_t idx;

	if (rt_call(l, capos_TcpListener_INTERFACE_ID,
	    capos_TcpListener_accept_ORDINAL, NULL, NULL, 0, buf, sizeof(buf),
	    &res) != 0)
		return CAPOS_CAP_NULL;
	ar.s = res.root;
	if (capos_TcpListener_accept_Results_get_socket(&ar, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return CAPOS_CAP_NULL;
	return res.caps[idx].cap;
}

/*
 * Accepts a control connection and FLOOD_CONNS more, sends FLOOD_BYTES on
 * each of those (one send in flight per connection; the peer reads none)
 * and reads nothing until the control connection says "done".
 */
static int
sink(void)
{
	static capos_cap_t socks[FLOOD_CONNS];
	static uint64_t tags[FLOOD_CONNS + 1];
	static uint32_t sent[FLOOD_CONNS];
	static bool busy[FLOOD_CONNS];
	static uint8_t res_bufs[FLOOD_CONNS][64] __attribute__((aligned(8)));
	static uint8_t rparams[64] __attribute__((aligned(8)));
	static uint8_t cres[256] __attribute__((aligned(8)));
	capos_cap_t auth = rt_cap("listen",
	    capos_TcpListenAuthority_INTERFACE_ID);
	struct capos_TcpSocket_send_Params_b sp;
	struct capos_TcpSocket_recv_Params_b rp;
	struct capnp_builder sb, rb;
	struct capos_sqe e;
	capos_cap_t l, ctl;
	int which;

	if (auth == CAPOS_CAP_NULL ||
	    (l = listen_on(auth, 16, &which)) == CAPOS_CAP_NULL ||
	    (ctl = accept_one(l)) == CAPOS_CAP_NULL)
		return 1;
	for (int i = 0; i < FLOOD_CONNS; i++)
		if ((socks[i] = accept_one(l)) == CAPOS_CAP_NULL)
			return 1;
	/* Every send carries the same message, built once. */
	memset(buf, 0xa5, capos_TcpSocket_maxChunk);
	if (capnp_builder_init(&sb, params, sizeof(params)) != 0 ||
	    capos_TcpSocket_send_Params_init_root(&sb, &sp) != 0 ||
	    capos_TcpSocket_send_Params_set_data(&sp, buf,
	    capos_TcpSocket_maxChunk) != 0 ||
	    capnp_builder_init(&rb, rparams, sizeof(rparams)) != 0 ||
	    capos_TcpSocket_recv_Params_init_root(&rb, &rp) != 0)
		return 1;
	capos_TcpSocket_recv_Params_set_maxBytes(&rp, 16);
	rt_prep_call(&e, ctl, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_recv_ORDINAL, &rb, cres, sizeof(cres), NULL, 0, 0);
	if (rt_submit(&e) != 0)
		return 1;
	tags[FLOOD_CONNS] = e.user_data;
	for (;;) {
		struct capos_TcpSocket_send_Results_r r;
		struct rt_result res;
		struct capos_cqe c;
		int k;

		for (int i = 0; i < FLOOD_CONNS; i++) {
			if (busy[i] || sent[i] >= FLOOD_BYTES)
				continue;
			rt_prep_call(&e, socks[i], capos_TcpSocket_INTERFACE_ID,
			    capos_TcpSocket_send_ORDINAL, &sb, res_bufs[i],
			    sizeof(res_bufs[i]), NULL, 0, 0);
			if (rt_submit(&e) != 0)
				return 1;
			tags[i] = e.user_data;
			busy[i] = true;
		}
		if ((k = rt_wait_any(tags, FLOOD_CONNS + 1, &c)) < 0)
			return 1;
		if (k == FLOOD_CONNS)
			break;		/* "done" (or the end of the control) */
		busy[k] = false;
		tags[k] = rt_next_tag();	/* a tag nothing completes */
		if (rt_result_read(&c, res_bufs[k], &res) != 0) {
			sent[k] = FLOOD_BYTES;	/* reset: stop sending */
			continue;
		}
		r.s = res.root;
		sent[k] += capos_TcpSocket_send_Results_get_sent(&r);
	}
	/* Sends still waiting fail as their sockets close: nobody asks. */
	for (int i = 0; i < FLOOD_CONNS; i++) {
		if (busy[i])
			(void)rt_forget(tags[i]);
		tcp_close(socks[i]);
	}
	tcp_close(ctl);
	listener_close(l);
	rt_printf("nettest sink: held %d connections unread\n", FLOOD_CONNS);
	return 0;
}

int
main(void)
{
	const char *mode = rt_argc() > 0 ? rt_argv(0) : "";

	if (strcmp(mode, "client") == 0)
		return client();
	if (strcmp(mode, "closer") == 0)
		return closer();
	if (strcmp(mode, "sink") == 0)
		return sink();
	rt_printf("nettest: mode \"client\", \"closer\" or \"sink\"\n");
	return 1;
}
