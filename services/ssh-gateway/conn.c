/*
 * One SSH connection of the gateway: the TCP socket, the engine
 * (lib/proto/ssh) over it, the TerminalSession (lib/term) its shell is
 * given, and the shell's process handle and UserSession.
 *
 * Bytes flow, each way with one bound:
 *   client -> rbuf (one TCP recv, GW_MSG_ROOM) -> ssh_input -> stage (one
 *     channel packet, SSH_CHAN_PACKET) -> term_input (TERM_PEND_MAX). No
 *     new recv is made while rbuf has bytes the engine has not taken, and
 *     the engine is not fed while stage has bytes the terminal has not
 *     taken, so a shell that does not read stops the client by TCP's and
 *     SSH's windows, never by a drop.
 *   shell -> term write -> sout (GW_SOUT_MAX; the write's answer waits
 *     past GW_SOUT_BLOCK) -> ssh_chan_send (the client's window and
 *     maximum packet) -> the engine's output -> one TCP send.
 *
 * Calls in flight: at most one TCP recv, one TCP send, the shell's wait
 * and, while logging in, auth's loginKey. A connection that ends
 * (conn_end) hangs up its terminal, logs out its session (which ends the
 * shell's authority), closes the socket and waits for those calls to
 * come back before its memory is freed: their answers land in it.
 */
#include <string.h>

#include "auth.capnp.h"
#include "crypto.h"
#include "gateway.h"
#include "remote_shell.h"
#include "shell.capnp.h"

static uint8_t cbuf[1024] __attribute__((aligned(8)));
static uint8_t cres[1024] __attribute__((aligned(8)));

/* ---- The engine's callbacks ---- */

/* The exchange hash goes to the key vault; only the signature comes
 * back. */
static int
sign(void *ctx, const uint8_t *hash, size_t len,
    uint8_t sig[CRYPTO_ED25519_SIG_LEN])
{
	struct capos_SshHostKey_signExchangeHash_Params_b p;
	struct capos_SshHostKey_signExchangeHash_Results_r r;
	struct capnp_builder b;
	struct capnp_data d;
	struct rt_result res;

	(void)ctx;
	if (capnp_builder_init(&b, cbuf, sizeof(cbuf)) != 0 ||
	    capos_SshHostKey_signExchangeHash_Params_init_root(&b, &p) != 0 ||
	    capos_SshHostKey_signExchangeHash_Params_set_hash(&p, hash,
	    len) != 0 ||
	    rt_call(gw_hostkey, capos_SshHostKey_INTERFACE_ID,
	    capos_SshHostKey_signExchangeHash_ORDINAL, &b, NULL, 0, cres,
	    sizeof(cres), &res) != 0)
		return -1;
	r.s = res.root;
	if (capos_SshHostKey_signExchangeHash_Results_get_signature(&r,
	    &d) != 0)
		return -1;
	return crypto_ssh_ed25519_parse_sig(d.ptr, d.len, sig) == 0 ? 0 : -1;
}

static bool
key_acceptable(struct gw_conn *c, const char *user, size_t ulen,
    const uint8_t *blob)
{
	struct capos_SessionManager_keyAcceptable_Params_b p;
	struct capos_SessionManager_keyAcceptable_Results_r r;
	struct capnp_builder b;
	struct rt_result res;

	if (capnp_builder_init(&b, cbuf, sizeof(cbuf)) != 0 ||
	    capos_SessionManager_keyAcceptable_Params_init_root(&b, &p) != 0 ||
	    capos_SessionManager_keyAcceptable_Params_set_account(&p, user,
	    ulen) != 0 ||
	    capos_SessionManager_keyAcceptable_Params_set_keyBlob(&p, blob,
	    CRYPTO_SSH_ED25519_KEY_BLOB_LEN) != 0 ||
	    capos_SessionManager_keyAcceptable_Params_set_source(&p, c->source,
	    strlen(c->source)) != 0 ||
	    rt_call(gw_manager, capos_SessionManager_INTERFACE_ID,
	    capos_SessionManager_keyAcceptable_ORDINAL, &b, NULL, 0, cres,
	    sizeof(cres), &res) != 0)
		return false;
	r.s = res.root;
	return capos_SessionManager_keyAcceptable_Results_get_acceptable(&r);
}

/* auth verifies the signature itself and mints the session; the gateway
 * only carries the bytes. The call is left in flight (its answer comes
 * to login_done): a refusal may wait out auth's failure delay. 0, or -1
 * when it cannot be made. */
static int
post_login_key(struct gw_conn *c, const char *user, size_t ulen,
    const uint8_t *blob, const uint8_t *signed_data, size_t slen,
    const uint8_t sig[CRYPTO_ED25519_SIG_LEN])
{
	struct capos_SessionManager_loginKey_Params_b p;
	uint8_t sblob[CRYPTO_SSH_ED25519_SIG_BLOB_LEN];
	struct capnp_builder b;
	struct capos_sqe e;

	crypto_ssh_ed25519_sig_blob(sig, sblob);
	if (capnp_builder_init(&b, c->lparams, sizeof(c->lparams)) != 0 ||
	    capos_SessionManager_loginKey_Params_init_root(&b, &p) != 0 ||
	    capos_SessionManager_loginKey_Params_set_account(&p, user,
	    ulen) != 0 ||
	    capos_SessionManager_loginKey_Params_set_keyBlob(&p, blob,
	    CRYPTO_SSH_ED25519_KEY_BLOB_LEN) != 0 ||
	    capos_SessionManager_loginKey_Params_set_signedData(&p,
	    signed_data, slen) != 0 ||
	    capos_SessionManager_loginKey_Params_set_signature(&p, sblob,
	    sizeof(sblob)) != 0 ||
	    capos_SessionManager_loginKey_Params_set_source(&p, c->source,
	    strlen(c->source)) != 0)
		return -1;
	rt_prep_call(&e, gw_manager, capos_SessionManager_INTERFACE_ID,
	    capos_SessionManager_loginKey_ORDINAL, &b, c->lres,
	    sizeof(c->lres), c->lcaps, 0, CAPOS_MAX_XCAPS);
	if (rt_submit(&e) != 0)
		return -1;
	c->ltag = e.user_data;
	c->lbusy = true;
	gw_logins++;
	rt_debug("[ssh-gateway] conn %u asked auth to log in %.*s\n", c->id,
	    (int)ulen, user);
	return 0;
}

/* Whether a key may log in is SessionManager's answer, never the
 * gateway's: the query form asks keyAcceptable, the signed form
 * loginKey. */
static int
authorize(void *ctx, const char *user, size_t ulen,
    const uint8_t pub[CRYPTO_ED25519_PUB_LEN], const uint8_t *signed_data,
    size_t slen, const uint8_t sig[CRYPTO_ED25519_SIG_LEN])
{
	struct gw_conn *c = ctx;
	uint8_t blob[CRYPTO_SSH_ED25519_KEY_BLOB_LEN];

	if (ulen == 0 || ulen > capos_SessionManager_maxName ||
	    c->session != CAPOS_CAP_NULL)
		return -1;
	crypto_ssh_ed25519_key_blob(pub, blob);
	if (signed_data == NULL)
		return key_acceptable(c, user, ulen, blob) ? 0 : -1;
	if (slen > capos_SessionManager_maxSignedData)
		return -1;
	/* Logins in flight count: each may become a session. */
	if (gw_sessions + gw_logins >= GW_SESSIONS_MAX) {
		rt_printf("[ssh-gateway] conn %u denied: ssh-session-limit\n",
		    c->id);
		return -1;
	}
	if (c->lbusy || post_login_key(c, user, ulen, blob, signed_data, slen,
	    sig) != 0)
		return -1;
	return SSH_AUTH_LATER;
}

/* ---- The terminal's side ---- */

static void
t_write(void *ctx, const void *p, size_t n)
{
	struct gw_conn *c = ctx;
	const uint8_t *s = p;

	for (size_t i = 0; i < n; i++) {
		size_t need = (s[i] == '\n' && c->pty) ? 2 : 1;

		if (c->sout_len + need > sizeof(c->sout)) {
			c->sout_lost += n - i;
			return;
		}
		if (need == 2)
			c->sout[c->sout_len++] = '\r';
		c->sout[c->sout_len++] = s[i];
	}
}

static void
t_answer(void *ctx, uint64_t call_id, struct capnp_builder *b)
{
	(void)ctx;
	(void)svc_answer(gw_owner, call_id, b, NULL, 0);
}

static void
t_fail(void *ctx, uint64_t call_id, enum capos_CapException_Type type,
    const char *why)
{
	(void)ctx;
	(void)svc_answer_exception(gw_owner, call_id, type, why);
}

static bool
t_blocked(void *ctx)
{
	const struct gw_conn *c = ctx;

	return c->sout_len >= GW_SOUT_BLOCK;
}

static const struct term_ops term_ops = {
	.write = t_write,
	.answer = t_answer,
	.fail = t_fail,
	.blocked = t_blocked,
};

/* ---- Starting and ending ---- */

void
conn_start(struct gw_conn *c, capos_cap_t sock, uint32_t id, uint64_t badge,
    const uint8_t host_pub[CRYPTO_ED25519_PUB_LEN], uint64_t grace_ns)
{
	struct ssh_config cfg = { .sign = sign, .random = gw_random,
		.authorize = authorize, .ctx = c };

	memset(c, 0, sizeof(*c));
	c->state = GW_LIVE;
	c->id = id;
	c->badge = badge;
	c->sock = sock;
	c->session = c->handle = CAPOS_CAP_NULL;
	c->deadline_ns = rt_now_ns() + grace_ns;
	memcpy(cfg.host_pub, host_pub, CRYPTO_ED25519_PUB_LEN);
	ssh_init(&c->ssh, &cfg);
	term_init(&c->term, &term_ops, c);
}

/* Ends the session, and checks that it has: info must now fail. */
static void
logout(struct gw_conn *c)
{
	struct rt_result res;

	(void)rt_call(c->session, capos_UserSession_INTERFACE_ID,
	    capos_UserSession_logout_ORDINAL, NULL, NULL, 0, cres, sizeof(cres),
	    &res);
	if (rt_call(c->session, capos_UserSession_INTERFACE_ID,
	    capos_UserSession_info_ORDINAL, NULL, NULL, 0, cres, sizeof(cres),
	    &res) == RT_EXCEPTION)
		rt_debug("[ssh-gateway] conn %u session ended\n", c->id);
	else
		rt_warn("[ssh-gateway] conn %u session STILL LIVE after "
		    "logout\n", c->id);
}

/* Frees the connection once nothing of it is in flight. */
static void
reap(struct gw_conn *c)
{
	if (c->state != GW_ENDING || c->rbusy || c->sbusy || c->waiting ||
	    c->lbusy)
		return;
	if (c->handle != CAPOS_CAP_NULL)
		(void)rt_release(c->handle);
	rt_debug("[ssh-gateway] conn %u freed\n", c->id);
	c->state = GW_FREE;
}

void
conn_end(struct gw_conn *c, const char *why)
{
	struct rt_result res;

	if (c->state != GW_LIVE)
		return;
	c->state = GW_ENDING;
	if (c->authed)
		gw_sessions--;
	rt_printf("[ssh-gateway] conn %u closed: %s%s (%u re-keys)\n", c->id,
	    why, c->shell && !c->exited ? ", its shell hung up" : "",
	    c->rekeys);
	/* The shell's reads now answer closed, so it ends; its session ends
	 * here whatever the shell does. */
	term_hangup(&c->term);
	if (c->session != CAPOS_CAP_NULL) {
		logout(c);
		(void)rt_release(c->session);
		c->session = CAPOS_CAP_NULL;
	}
	(void)rt_call(c->sock, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_close_ORDINAL, NULL, NULL, 0, cres, sizeof(cres),
	    &res);
	(void)rt_release(c->sock);
	c->sock = CAPOS_CAP_NULL;
	reap(c);
}

/* ---- The shell ---- */

/* Asks shell-launcher for capos-shell on this connection's terminal with
 * the first profile the broker allows; 0, or -1 with the reason told to
 * the client. */
static int
launch(struct gw_conn *c)
{
	static const char *const profiles[] = { "operator", "guest" };
	const char *profile = "";
	char why[48];

	c->handle = remote_shell_launch(gw_shells, gw_owner, c->badge,
	    c->session, profiles, sizeof(profiles) / sizeof(profiles[0]),
	    &profile, why, sizeof(why));
	if (c->handle != CAPOS_CAP_NULL) {
		rt_debug("[ssh-gateway] conn %u shell started (profile %s)\n",
		    c->id, profile);
		return 0;
	}
	rt_printf("[ssh-gateway] conn %u no shell: %s\n", c->id, why);
	t_write(c, "ssh-gateway: no shell for this account: ", 40);
	t_write(c, why, strlen(why));
	t_write(c, "\n", 1);
	return -1;
}

static void
post_wait(struct gw_conn *c)
{
	struct capos_sqe e;

	rt_prep_call(&e, c->handle, capos_ProcessHandle_INTERFACE_ID,
	    capos_ProcessHandle_wait_ORDINAL, NULL, c->wbuf, sizeof(c->wbuf),
	    NULL, 0, 0);
	if (rt_submit(&e) != 0) {
		conn_end(c, "cannot wait for the shell");
		return;
	}
	c->wtag = e.user_data;
	c->waiting = true;
}

static void
start_shell(struct gw_conn *c)
{
	c->shell = true;
	if (launch(c) != 0) {
		c->exited = true;
		c->status = 1;
		return;
	}
	post_wait(c);
}

/* ---- Events ---- */

static void
on_event(struct gw_conn *c, const struct ssh_event *ev)
{
	switch (ev->type) {
	case SSH_EV_NONE:
		break;
	case SSH_EV_REKEYED:
		c->rekeys++;
		break;
	case SSH_EV_AUTH_OK:
		c->authed = true;
		gw_sessions++;
		rt_printf("[ssh-gateway] conn %u logged in as %.*s\n", c->id,
		    (int)ev->ulen, ev->user);
		break;
	case SSH_EV_PTY:
		c->pty = true;
		term_resize(&c->term, (uint16_t)(ev->cols > TERM_DIM_MAX ?
		    TERM_DIM_MAX : ev->cols), (uint16_t)(ev->rows >
		    TERM_DIM_MAX ? TERM_DIM_MAX : ev->rows), false);
		break;
	case SSH_EV_WINDOW_CHANGE:
		term_resize(&c->term, (uint16_t)(ev->cols > TERM_DIM_MAX ?
		    TERM_DIM_MAX : ev->cols), (uint16_t)(ev->rows >
		    TERM_DIM_MAX ? TERM_DIM_MAX : ev->rows), true);
		rt_debug("[ssh-gateway] conn %u window %ux%u\n", c->id,
		    ev->cols, ev->rows);
		break;
	case SSH_EV_SHELL:
		start_shell(c);
		break;
	case SSH_EV_DATA:
		/* The engine's channel packets are at most SSH_CHAN_PACKET
		 * bytes, and stage is empty whenever the engine is fed. */
		if (ev->len > sizeof(c->stage) || c->stage_len != 0) {
			conn_end(c, "channel data past its bound");
			return;
		}
		memcpy(c->stage, ev->data, ev->len);
		c->stage_len = ev->len;
		c->stage_off = 0;
		break;
	case SSH_EV_EOF:
		c->eof_seen = true;
		break;
	case SSH_EV_CLOSE:
		/* Our CLOSE may still be in the output: it goes out first. */
		c->why = "the channel closed";
		c->closing = true;
		c->deadline_ns = rt_now_ns() + GW_LINGER_NS;
		break;
	case SSH_EV_DENIED:
		rt_printf("[ssh-gateway] conn %u denied: %s\n", c->id,
		    ev->reason);
		break;
	}
}

/* ---- Moving bytes ---- */

static void
post_recv(struct gw_conn *c)
{
	struct capos_TcpSocket_recv_Params_b p;
	struct capnp_builder b;
	struct capos_sqe e;

	if (capnp_builder_init(&b, c->rparams, sizeof(c->rparams)) != 0 ||
	    capos_TcpSocket_recv_Params_init_root(&b, &p) != 0)
		return;
	capos_TcpSocket_recv_Params_set_maxBytes(&p, capos_TcpSocket_maxChunk);
	rt_prep_call(&e, c->sock, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_recv_ORDINAL, &b, c->rbuf, sizeof(c->rbuf), NULL,
	    0, 0);
	if (rt_submit(&e) != 0) {
		c->rretry = true;
		return;
	}
	c->rtag = e.user_data;
	c->rbusy = true;
}

static void
post_send(struct gw_conn *c)
{
	struct capos_TcpSocket_send_Params_b p;
	struct capnp_builder b;
	struct capos_sqe e;
	const uint8_t *out;
	size_t n = ssh_output(&c->ssh, &out);

	if (n > capos_TcpSocket_maxChunk)
		n = capos_TcpSocket_maxChunk;
	if (capnp_builder_init(&b, c->sparams, sizeof(c->sparams)) != 0 ||
	    capos_TcpSocket_send_Params_init_root(&b, &p) != 0 ||
	    capos_TcpSocket_send_Params_set_data(&p, out, n) != 0)
		return;
	rt_prep_call(&e, c->sock, capos_TcpSocket_INTERFACE_ID,
	    capos_TcpSocket_send_ORDINAL, &b, c->sres, sizeof(c->sres), NULL,
	    0, 0);
	if (rt_submit(&e) != 0) {
		c->sretry = true;
		return;
	}
	c->stag = e.user_data;
	c->slen = n;
	c->sbusy = true;
}

/* The engine's error as the console says it. */
static const char *
ssh_error(int rc)
{
	switch (rc) {
	case SSH_EPROTO:	return "protocol error";
	case SSH_EMAC:		return "bad MAC";
	case SSH_ELENGTH:	return "bad packet length";
	case SSH_ENOALG:	return "no common algorithm";
	case SSH_EIDENT:	return "bad identification line";
	case SSH_EKEX:		return "key exchange failed";
	case SSH_EAUTH:		return "too many authentication failures";
	case SSH_EPEER:		return "the client disconnected";
	default:		return "closed";
	}
}

/* One round of moving bytes; whether anything moved. */
static bool
step(struct gw_conn *c)
{
	bool moved = false;

	/* The shell's output into the channel, as the window allows. While
	 * a TCP send is under way it gathers in sout, so a shell writing a
	 * line at a time fills one packet when the send comes back instead
	 * of sealing a packet, and making a send, for every line. */
	while (c->sout_len > 0 && (!c->sbusy || c->sout_len >= GW_SOUT_BLOCK)) {
		int k = ssh_chan_send(&c->ssh, c->sout, c->sout_len);

		if (k <= 0)
			break;
		memmove(c->sout, c->sout + k, c->sout_len - (size_t)k);
		c->sout_len -= (size_t)k;
		moved = true;
	}
	if (c->sout_len < GW_SOUT_BLOCK)
		term_drained(&c->term);
	if (c->exited && !c->exit_sent && c->sout_len == 0 &&
	    ssh_chan_exit(&c->ssh, c->status) == 0) {
		c->exit_sent = true;
		moved = true;
	}

	/* Typed bytes into the terminal, reopening the client's window. */
	if (c->stage_off < c->stage_len) {
		size_t k = term_input(&c->term, c->stage + c->stage_off,
		    c->stage_len - c->stage_off);

		if (k > 0) {
			ssh_chan_consumed(&c->ssh, k);
			c->stage_off += k;
			moved = true;
		}
		if (c->stage_off == c->stage_len)
			c->stage_len = c->stage_off = 0;
	}
	/* The client's EOF, once everything before it is taken, reads as
	 * Ctrl-D: the shell sees end of input where it reads next. */
	if (c->eof_seen && !c->eof_typed && c->stage_len == 0 &&
	    term_room(&c->term) > 0) {
		(void)term_input(&c->term, "\x04", 1);
		c->eof_typed = true;
		moved = true;
	}

	/* The client's bytes into the engine, one event at a time. */
	while (c->state == GW_LIVE && !c->closing && c->rlen > 0 &&
	    c->stage_len == 0) {
		struct ssh_event ev;
		int rc = ssh_input(&c->ssh, c->rdata, c->rlen, &ev);

		if (rc < 0) {
			c->why = ssh_error(rc);
			c->closing = true;
			c->deadline_ns = rt_now_ns() + GW_LINGER_NS;
			moved = true;
			break;
		}
		c->rdata += rc;
		c->rlen -= (size_t)rc;
		if (rc > 0 || ev.type != SSH_EV_NONE)
			moved = true;
		on_event(c, &ev);
		if (rc == 0 && ev.type == SSH_EV_NONE)
			break;
	}
	if (c->state != GW_LIVE)
		return false;
	if (c->reof && c->rlen == 0 && !c->closing) {
		c->why = "the client went away";
		c->closing = true;
		c->deadline_ns = rt_now_ns() + GW_LINGER_NS;
	}
	if (c->exit_sent && c->ssh.chan == SSH_CH_CLOSED && !c->closing) {
		c->why = "the shell ended";
		c->closing = true;
		c->deadline_ns = rt_now_ns() + GW_LINGER_NS;
	}
	/* Output waiting for a send is not progress here: conn_pump posts
	 * the send, and a send refused for now waits for the tick. */
	return moved;
}

void
conn_pump(struct gw_conn *c)
{
	const uint8_t *out;

	while (c->state == GW_LIVE) {
		bool moved = step(c);

		if (c->state != GW_LIVE)
			break;
		if (!c->sbusy && !c->sretry && ssh_output(&c->ssh, &out) > 0)
			post_send(c);
		if (!moved)
			break;
	}
	if (c->state != GW_LIVE) {
		reap(c);
		return;
	}
	/* A closing connection ends once its last packets are out. */
	if (c->closing) {
		if (!c->sbusy && ssh_output(&c->ssh, &out) == 0)
			conn_end(c, c->why);
		return;
	}
	if (!c->rbusy && !c->rretry && !c->reof && c->rlen == 0)
		post_recv(c);
}

static bool
overloaded(int rc, const struct rt_result *res)
{
	return rc == RT_EXCEPTION &&
	    res->cqe.aux == capos_CapException_Type_overloaded;
}

static void
recv_done(struct gw_conn *c, const struct capos_cqe *cqe)
{
	struct capos_TcpSocket_recv_Results_r r;
	struct rt_result res;
	struct capnp_data d;
	int rc;

	c->rbusy = false;
	if (c->state != GW_LIVE)
		return;
	if ((rc = rt_result_read(cqe, c->rbuf, &res)) != 0) {
		if (overloaded(rc, &res))
			c->rretry = true;
		else
			conn_end(c, "the connection was reset");
		return;
	}
	r.s = res.root;
	if (capos_TcpSocket_recv_Results_get_data(&r, &d) != 0 ||
	    d.len > capos_TcpSocket_maxChunk) {
		conn_end(c, "a bad answer from the network stack");
		return;
	}
	if (d.len == 0) {
		c->reof = true;
		return;
	}
	c->rdata = d.ptr;
	c->rlen = d.len;
}

static void
send_done(struct gw_conn *c, const struct capos_cqe *cqe)
{
	struct capos_TcpSocket_send_Results_r r;
	struct rt_result res;
	uint32_t n;
	int rc;

	c->sbusy = false;
	if (c->state != GW_LIVE)
		return;
	if ((rc = rt_result_read(cqe, c->sres, &res)) != 0) {
		if (overloaded(rc, &res))
			c->sretry = true;
		else
			conn_end(c, "the connection was reset");
		return;
	}
	r.s = res.root;
	n = capos_TcpSocket_send_Results_get_sent(&r);
	if (n == 0 || n > c->slen) {
		conn_end(c, "a bad answer from the network stack");
		return;
	}
	ssh_output_done(&c->ssh, n);
}

static void
wait_done(struct gw_conn *c, const struct capos_cqe *cqe)
{
	struct capos_ExitStatus_r es;
	struct rt_result res;

	c->waiting = false;
	c->exited = true;
	c->status = 255;
	if (rt_result_read(cqe, c->wbuf, &res) == 0) {
		es.s = res.root;
		if (capos_ExitStatus_which(&es) == capos_ExitStatus_which_exited)
			c->status = (uint32_t)capos_ExitStatus_get_exited(&es);
	}
	rt_printf("[ssh-gateway] conn %u shell exited with status %u\n", c->id,
	    c->status);
	/* The shell's terminal is of no use to anyone now. */
	term_hangup(&c->term);
}

/* auth's answer to loginKey: the engine's verdict, and the session kept
 * for the shell. A session minted for a connection that has ended since
 * is dropped, which ends it in auth. */
static void
login_done(struct gw_conn *c, const struct capos_cqe *cqe)
{
	struct capos_SessionManager_LoginResult_r r;
	capos_cap_t session = CAPOS_CAP_NULL;
	struct ssh_event ev;
	struct rt_result res;
	uint32_t idx, n = cqe->ncaps < CAPOS_MAX_XCAPS ? cqe->ncaps :
	    CAPOS_MAX_XCAPS;
	int rc;

	c->lbusy = false;
	gw_logins--;
	if (rt_result_read(cqe, c->lres, &res) == 0) {
		r.s = res.root;
		if (capos_SessionManager_LoginResult_which(&r) ==
		    capos_SessionManager_LoginResult_which_session &&
		    capos_SessionManager_LoginResult_get_session(&r,
		    &idx) == 0 && idx < n)
			session = c->lcaps[idx].cap;
	}
	for (uint32_t i = 0; i < n; i++)
		if (c->lcaps[i].cap != session)
			(void)rt_release(c->lcaps[i].cap);
	if (c->state != GW_LIVE) {
		if (session != CAPOS_CAP_NULL)
			(void)rt_release(session);
		return;
	}
	c->session = session;
	rc = ssh_auth_answer(&c->ssh, session != CAPOS_CAP_NULL, &ev);
	if (rc < 0) {
		c->why = ssh_error(rc);
		c->closing = true;
		c->deadline_ns = rt_now_ns() + GW_LINGER_NS;
		return;
	}
	on_event(c, &ev);
}

void
conn_done(struct gw_conn *c, int which, const struct capos_cqe *cqe)
{
	if (which == 0)
		recv_done(c, cqe);
	else if (which == 1)
		send_done(c, cqe);
	else if (which == 2)
		wait_done(c, cqe);
	else
		login_done(c, cqe);
	if (c->state == GW_LIVE)
		conn_pump(c);
	else
		reap(c);
}

void
conn_tick(struct gw_conn *c, uint64_t now)
{
	if (c->state != GW_LIVE || now < c->deadline_ns)
		return;
	if (c->closing) {
		conn_end(c, c->why);
		return;
	}
	if (!c->authed) {
		rt_printf("[ssh-gateway] conn %u denied: ssh-login-grace-time\n",
		    c->id);
		ssh_disconnect(&c->ssh, 2, "login grace time over");
		c->why = "login grace time over";
		c->closing = true;
		c->deadline_ns = now + GW_LINGER_NS;
		conn_pump(c);
	}
}

void
conn_retry(struct gw_conn *c)
{
	if (c->state != GW_LIVE || !(c->rretry || c->sretry))
		return;
	c->rretry = c->sretry = false;
	conn_pump(c);
}
