/*
 * ssh-gateway: the SSH server of capOS (docs/ssh.md, "The gateway"). A
 * stock OpenSSH client logs in with an ssh-ed25519 key and gets
 * capos-shell on a TerminalSession this process serves; the shell holds
 * that terminal and its broker's bundle, nothing of the gateway's.
 *
 * Holds:
 *   "listen"          TcpListenAuthority for one port (22): it can listen
 *                     there and do nothing else with the network
 *   "hostKey"         SshHostKey: signs exchange hashes; the private key
 *                     stays in the key vault
 *   "sessionManager"  SessionManager: keyAcceptable and loginKey; auth
 *                     decides who logs in and mints the session
 *   "shells"          RestrictedShellLauncher: starts capos-shell only
 *   "terminals"       the endpoint it serves TerminalSessions on, one
 *                     badged client per connection
 *   "timer", "entropy", "virtualMemory", "console": the login grace
 *                     time, the engine's random numbers, connection
 *                     memory, status lines
 * No NetworkManager, no ProcessSpawner, no key store.
 *
 * Arguments: "grace=S", the login grace time in seconds (1..600,
 * default GW_GRACE_DEFAULT_S); "idle=S", the seconds after which the
 * netstack resets a connection on which no byte moved either way
 * (1..86400, default GW_IDLE_DEFAULT_S). A client's own keep-alives
 * (ServerAliveInterval) are bytes: a client that sends them stays.
 *
 * One loop waits at once on the listener's accept, a RECV of the
 * terminal endpoint, the timer's tick and every connection's calls in
 * flight (conn.c), among them auth's loginKey, whose refusal auth holds
 * back for its failure delay: one connection's login waits without
 * stalling the others. The other calls to the key vault, auth
 * (keyAcceptable, which is never delayed) and shell-launcher are made
 * synchronously: each is answered by one service without waiting on
 * anyone.
 *
 * Limits (gateway.h): GW_STARTUPS_MAX connections not yet logged in, one
 * more is closed at accept (audit reason ssh-startups-full); the login
 * grace time, past which a connection is disconnected
 * (ssh-login-grace-time); GW_SESSIONS_MAX logged-in connections, a login
 * past it is refused (ssh-session-limit); each connection is one struct
 * gw_conn (its size is printed at start), allocated at accept and freed
 * when the connection and its shell are gone.
 */
#include <string.h>

#include "auth.capnp.h"
#include "crypto.h"
#include "crypto_rt.h"
#include "fmt/fmt.h"
#include "gateway.h"
#include "remote_shell.h"
#include "shell.capnp.h"
#include "tcp.h"

capos_cap_t gw_hostkey, gw_manager, gw_shells, gw_owner;
uint32_t gw_sessions, gw_logins;

static struct gw_conn *conns[GW_CONN_MAX];
static uint32_t next_id;
static uint64_t next_badge = 1;
static uint64_t grace_ns = GW_GRACE_DEFAULT_S * 1000000000ull;
static uint32_t idle_s = GW_IDLE_DEFAULT_S;
static uint8_t host_pub[CRYPTO_ED25519_PUB_LEN];
static struct crypto_drbg drbg;
static struct crypto_rt_source entropy;
static capos_cap_t listener, tick, keep;

static uint8_t recv_buf[SVC_RECV_BUF] __attribute__((aligned(8)));
static struct capos_capdesc recv_caps[CAPOS_MAX_XCAPS];
static uint8_t acc_buf[128] __attribute__((aligned(8)));
static struct capos_capdesc acc_caps[CAPOS_MAX_XCAPS];
static uint8_t tick_buf[128] __attribute__((aligned(8)));
static uint8_t mbuf[512] __attribute__((aligned(8)));

int
gw_random(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	return crypto_drbg_generate(&drbg, out, n) == 0 ? 0 : -1;
}

/* The host key's public half from the vault, and its fingerprint on the
 * console for a person to compare with what ssh shows. */
static int
load_host_key(void)
{
	struct capos_SshHostKey_publicKey_Results_r r;
	char fp[CRYPTO_SSH_FINGERPRINT_LEN];
	struct capnp_data d;
	struct rt_result res;

	if (rt_call(gw_hostkey, capos_SshHostKey_INTERFACE_ID,
	    capos_SshHostKey_publicKey_ORDINAL, NULL, NULL, 0, mbuf,
	    sizeof(mbuf), &res) != 0)
		return -1;
	r.s = res.root;
	if (capos_SshHostKey_publicKey_Results_get_blob(&r, &d) != 0 ||
	    crypto_ssh_ed25519_parse_key(d.ptr, d.len, host_pub) != 0 ||
	    crypto_ssh_fingerprint(d.ptr, d.len, fp) != 0)
		return -1;
	rt_printf("[ssh-gateway] host key ED25519 %s\n", fp);
	return 0;
}

static int
listen_on(capos_cap_t auth)
{
	struct capos_TcpListenAuthority_listen_Params_b p;
	struct capos_TcpListenAuthority_port_Results_r pr;
	struct capos_ListenResult_r r;
	struct capnp_builder b;
	struct rt_result res;
	uint8_t params[64] __attribute__((aligned(8)));
	uint16_t port;
	uint32_t idx;

	if (rt_call(auth, capos_TcpListenAuthority_INTERFACE_ID,
	    capos_TcpListenAuthority_port_ORDINAL, NULL, NULL, 0, mbuf,
	    sizeof(mbuf), &res) != 0)
		return -1;
	pr.s = res.root;
	port = capos_TcpListenAuthority_port_Results_get_port(&pr);
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_TcpListenAuthority_listen_Params_init_root(&b, &p) != 0)
		return -1;
	capos_TcpListenAuthority_listen_Params_set_backlog(&p, GW_CONN_MAX);
	if (rt_call(auth, capos_TcpListenAuthority_INTERFACE_ID,
	    capos_TcpListenAuthority_listen_ORDINAL, &b, NULL, 0, mbuf,
	    sizeof(mbuf), &res) != 0)
		return -1;
	r.s = res.root;
	if (capos_ListenResult_which(&r) != capos_ListenResult_which_listener ||
	    capos_ListenResult_get_listener(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return -1;
	listener = res.caps[idx].cap;
	rt_printf("[ssh-gateway] listening on port %u\n", port);
	return 0;
}

/* "ssh A.B.C.D:PORT" of the socket's peer, for auth's audit records. */
static void
peer_source(capos_cap_t sock, char *out, size_t room)
{
	struct capos_TcpSocket_peer_Results_r r;
	struct rt_result res;
	uint32_t a;

	if (rt_call(sock, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_peer_ORDINAL, NULL, NULL, 0, mbuf, sizeof(mbuf),
	    &res) != 0) {
		(void)fmt_snprintf(out, room, "ssh");
		return;
	}
	r.s = res.root;
	a = capos_TcpSocket_peer_Results_get_address(&r);
	(void)fmt_snprintf(out, room, "ssh %u.%u.%u.%u:%u", a >> 24,
	    (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff,
	    capos_TcpSocket_peer_Results_get_port(&r));
}

static void
close_sock(capos_cap_t sock)
{
	struct rt_result res;

	(void)rt_call(sock, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_close_ORDINAL, NULL, NULL, 0, mbuf, sizeof(mbuf),
	    &res);
	(void)rt_release(sock);
}

/* A new connection: a slot and memory for it, unless as many as
 * GW_STARTUPS_MAX are still logging in. Returns -1 when the listener is
 * gone. */
static int
accept_done(const struct capos_cqe *cqe)
{
	struct capos_TcpListener_accept_Results_r r;
	struct rt_result res;
	uint32_t idx, n = cqe->ncaps < CAPOS_MAX_XCAPS ? cqe->ncaps :
	    CAPOS_MAX_XCAPS;
	uint32_t startups = 0;
	int slot = -1, rc;
	capos_cap_t sock;

	if ((rc = rt_result_read(cqe, acc_buf, &res)) != 0)
		return rc == RT_EXCEPTION && res.cqe.aux ==
		    capos_CapException_Type_overloaded ? 0 : -1;
	r.s = res.root;
	if (capos_TcpListener_accept_Results_get_socket(&r, &idx) != 0)
		idx = n;
	for (uint32_t i = 0; i < n; i++)
		if (i != idx)
			(void)rt_release(acc_caps[i].cap);
	if (idx >= n)
		return 0;
	sock = acc_caps[idx].cap;
	for (int i = 0; i < GW_CONN_MAX; i++) {
		if (conns[i] == NULL) {
			if (slot < 0)
				slot = i;
		} else if (conns[i]->state == GW_LIVE && !conns[i]->authed) {
			startups++;
		}
	}
	if (startups >= GW_STARTUPS_MAX || slot < 0) {
		rt_printf("[ssh-gateway] refused a connection: "
		    "ssh-startups-full\n");
		close_sock(sock);
		return 0;
	}
	if (tcp_set_idle_timeout(sock, idle_s * 1000) != 0) {
		rt_printf("[ssh-gateway] refused a connection: its idle "
		    "timeout was not set\n");
		close_sock(sock);
		return 0;
	}
	conns[slot] = malloc(sizeof(struct gw_conn));
	if (conns[slot] == NULL) {
		rt_printf("[ssh-gateway] refused a connection: no memory\n");
		close_sock(sock);
		return 0;
	}
	conn_start(conns[slot], sock, ++next_id, next_badge++, host_pub,
	    grace_ns);
	peer_source(sock, conns[slot]->source, sizeof(conns[slot]->source));
	rt_printf("[ssh-gateway] conn %u from %s\n", next_id,
	    conns[slot]->source + 4);
	conn_pump(conns[slot]);
	return 0;
}

static struct gw_conn *
by_badge(uint64_t badge)
{
	for (int i = 0; i < GW_CONN_MAX; i++)
		if (conns[i] != NULL && conns[i]->state != GW_FREE &&
		    conns[i]->badge == badge)
			return conns[i];
	return NULL;
}

/* One call (or drop notice) on the terminal endpoint. */
static void
terminal_call(const struct capos_cqe *cqe)
{
	struct svc_call call;
	struct gw_conn *c;
	int rc = svc_take(cqe, recv_buf, &call);

	if (rc < 0 && rc != RT_BAD_PARAMS)
		return;
	/* No TerminalSession method takes capabilities. */
	for (uint16_t i = 0; i < call.hdr->ncaps && i < CAPOS_MAX_XCAPS; i++)
		(void)rt_release(recv_caps[i].cap);
	if (call.notice)
		return;
	c = by_badge(call.hdr->badge);
	if (c == NULL) {
		(void)svc_answer_exception(gw_owner, call.hdr->call_id,
		    capos_CapException_Type_disconnected,
		    "the connection is gone");
		return;
	}
	term_call(&c->term, call.hdr->call_id, call.hdr->interface_id,
	    call.hdr->method, &call.params, rc != RT_BAD_PARAMS);
	conn_pump(c);
}

static int
post(struct capos_sqe *e, uint64_t *tag)
{
	if (rt_submit(e) != 0)
		return -1;
	*tag = e->user_data;
	return 0;
}

static int
post_accept(uint64_t *tag)
{
	struct capos_sqe e;

	rt_prep_call(&e, listener, capos_TcpListener_INTERFACE_ID,
	    capos_TcpListener_accept_ORDINAL, NULL, acc_buf, sizeof(acc_buf),
	    acc_caps, 0, CAPOS_MAX_XCAPS);
	return post(&e, tag);
}

static int
post_recv(uint64_t *tag)
{
	struct capos_sqe e;

	rt_prep_recv(&e, gw_owner, recv_buf, sizeof(recv_buf), recv_caps);
	return post(&e, tag);
}

static int
post_tick(uint64_t *tag)
{
	struct capos_sqe e;

	rt_prep_call(&e, tick, capos_TimerNotification_INTERFACE_ID,
	    capos_TimerNotification_next_ORDINAL, NULL, tick_buf,
	    sizeof(tick_buf), NULL, 0, 0);
	return post(&e, tag);
}

static int
setup(void)
{
	capos_cap_t auth;

	for (int i = 0; i < rt_argc(); i++) {
		const char *a = rt_argv(i);

		if (strncmp(a, "grace=", 6) == 0) {
			uint64_t s = 0;

			for (a += 6; *a >= '0' && *a <= '9' && s <= 600; a++)
				s = s * 10 + (uint64_t)(*a - '0');
			if (*a != '\0' || s < 1 || s > 600) {
				rt_printf("[ssh-gateway] grace= takes 1..600 "
				    "seconds\n");
				return -1;
			}
			grace_ns = s * 1000000000ull;
		} else if (strncmp(a, "idle=", 5) == 0) {
			uint32_t s = 0;

			for (a += 5; *a >= '0' && *a <= '9' && s <= 86400; a++)
				s = s * 10 + (uint32_t)(*a - '0');
			if (*a != '\0' || s < 1 || s > 86400) {
				rt_printf("[ssh-gateway] idle= takes 1..86400 "
				    "seconds\n");
				return -1;
			}
			idle_s = s;
		} else {
			rt_printf("[ssh-gateway] unknown argument \"%s\"\n",
			    a);
			return -1;
		}
	}
	auth = rt_cap("listen", capos_TcpListenAuthority_INTERFACE_ID);
	gw_hostkey = rt_cap("hostKey", capos_SshHostKey_INTERFACE_ID);
	gw_manager = rt_cap("sessionManager",
	    capos_SessionManager_INTERFACE_ID);
	gw_shells = rt_cap("shells",
	    capos_RestrictedShellLauncher_INTERFACE_ID);
	gw_owner = rt_cap("terminals", capos_Endpoint_INTERFACE_ID);
	entropy.cap = rt_cap("entropy", capos_Entropy_INTERFACE_ID);
	entropy.iface = capos_Entropy_INTERFACE_ID;
	if (auth == CAPOS_CAP_NULL || gw_hostkey == CAPOS_CAP_NULL ||
	    gw_manager == CAPOS_CAP_NULL || gw_shells == CAPOS_CAP_NULL ||
	    gw_owner == CAPOS_CAP_NULL || entropy.cap == CAPOS_CAP_NULL ||
	    rt_cap("timer", capos_Timer_INTERFACE_ID) == CAPOS_CAP_NULL) {
		rt_printf("[ssh-gateway] needs listen, hostKey, "
		    "sessionManager, shells, terminals, timer and entropy\n");
		return -1;
	}
	if (crypto_drbg_init(&drbg, crypto_rt_entropy, &entropy) != 0) {
		rt_printf("[ssh-gateway] the random generator failed\n");
		return -1;
	}
	if (load_host_key() != 0) {
		rt_printf("[ssh-gateway] the key vault gave no host key\n");
		return -1;
	}
	/* A client of our own, so a RECV waits while no shell holds a
	 * terminal instead of failing with no client left. */
	keep = remote_shell_terminal(gw_owner, 0);
	if (keep == CAPOS_CAP_NULL ||
	    rt_timer_notify(1000000000ull, 1000000000ull, &tick) != 0) {
		rt_printf("[ssh-gateway] cannot set up its endpoint or "
		    "timer\n");
		return -1;
	}
	if (listen_on(auth) != 0) {
		rt_printf("[ssh-gateway] cannot listen\n");
		return -1;
	}
	(void)rt_release(auth);
	rt_debug("[ssh-gateway] %u bytes a connection, at most %u logging "
	    "in, %u logged in, login grace %u s, %u s idle\n",
	    (unsigned)sizeof(struct gw_conn), GW_STARTUPS_MAX,
	    GW_SESSIONS_MAX, (unsigned)(grace_ns / 1000000000ull), idle_s);
	return 0;
}

int
main(void)
{
	/* Tags: accept, terminal RECV, tick, then four per connection. */
	uint64_t tags[3 + 4 * GW_CONN_MAX];
	struct gw_conn *owner_of[3 + 4 * GW_CONN_MAX];
	int which_of[3 + 4 * GW_CONN_MAX];
	uint64_t acc_tag, recv_tag, tick_tag;
	struct capos_cqe cqe;

	if (setup() != 0)
		return 1;
	if (post_accept(&acc_tag) != 0 || post_recv(&recv_tag) != 0 ||
	    post_tick(&tick_tag) != 0)
		return 1;
	for (;;) {
		int n = 3, k;

		tags[0] = acc_tag;
		tags[1] = recv_tag;
		tags[2] = tick_tag;
		for (int i = 0; i < GW_CONN_MAX; i++) {
			struct gw_conn *c = conns[i];

			if (c == NULL)
				continue;
			if (c->rbusy) {
				owner_of[n] = c;
				which_of[n] = 0;
				tags[n++] = c->rtag;
			}
			if (c->sbusy) {
				owner_of[n] = c;
				which_of[n] = 1;
				tags[n++] = c->stag;
			}
			if (c->waiting) {
				owner_of[n] = c;
				which_of[n] = 2;
				tags[n++] = c->wtag;
			}
			if (c->lbusy) {
				owner_of[n] = c;
				which_of[n] = 3;
				tags[n++] = c->ltag;
			}
		}
		if ((k = rt_wait_any(tags, n, &cqe)) < 0) {
			rt_printf("[ssh-gateway] stopped: %s\n",
			    rt_strerror(k));
			return 1;
		}
		if (k == 0) {
			if (accept_done(&cqe) != 0 ||
			    post_accept(&acc_tag) != 0) {
				rt_printf("[ssh-gateway] the listener is "
				    "gone\n");
				return 1;
			}
		} else if (k == 1) {
			terminal_call(&cqe);
			if (post_recv(&recv_tag) != 0)
				return 1;
		} else if (k == 2) {
			uint64_t now = rt_now_ns();

			for (int i = 0; i < GW_CONN_MAX; i++) {
				if (conns[i] == NULL)
					continue;
				conn_retry(conns[i]);
				conn_tick(conns[i], now);
			}
			if (post_tick(&tick_tag) != 0)
				return 1;
		} else {
			conn_done(owner_of[k], which_of[k], &cqe);
		}
		for (int i = 0; i < GW_CONN_MAX; i++) {
			if (conns[i] != NULL && conns[i]->state == GW_FREE) {
				free(conns[i]);
				conns[i] = NULL;
			}
		}
	}
}
