/*
 * The connection protocol (RFC 4254), cut to one session channel.
 *
 * The channel is opened once (SSH_CH_NONE -> SSH_CH_OPEN) and never
 * again after it closes (SSH_CH_CLOSED): a second session, any other
 * channel type and any global request are refused with the protocol's
 * failure message, and each refusal is an SSH_EV_DENIED event with an
 * audit reason code. Channel requests: pty-req (once), window-change and
 * shell (once) are served; exec, subsystem, env, x11-req,
 * auth-agent-req@openssh.com and anything else are refused.
 *
 * Flow control, both ways: the client may send at most local_window
 * bytes (SSH_WINDOW to start) in packets of at most SSH_CHAN_PACKET;
 * more ends the connection. The window opens again only by what the
 * service reports as delivered (ssh_chan_consumed), in WINDOW_ADJUSTs of
 * at least half the window. We send at most peer_window bytes in packets
 * of at most the client's maximum packet size.
 */
#include <string.h>

#include "ssh_int.h"

/* A request's type and its audit reason when refused. */
static const struct {
	const char *type, *reason;
} refused[] = {
	{ "exec", "ssh-exec-denied" },
	{ "subsystem", "ssh-subsystem-denied" },
	{ "env", "ssh-env-denied" },
	{ "x11-req", "ssh-x11-forwarding-denied" },
	{ "auth-agent-req@openssh.com", "ssh-agent-forwarding-denied" },
};

static int
reply(struct ssh_conn *c, uint8_t type)
{
	struct ssh_wr w;
	int rc;

	if (!ssh_pkt_begin(c, &w))
		return ssh_fail(c, SSH_EPROTO, 0, NULL);
	ssh_wr_u8(&w, type);
	ssh_wr_u32(&w, c->peer_chan);
	if ((rc = ssh_pkt_end(c, &w)) < 0)
		return ssh_fail(c, rc, 0, NULL);
	return 0;
}

static int
protocol_error(struct ssh_conn *c, const char *why)
{
	return ssh_fail(c, SSH_EPROTO, DISC_PROTOCOL_ERROR, why);
}

static int
on_open(struct ssh_conn *c, struct ssh_rd *r, struct ssh_event *ev)
{
	const uint8_t *type;
	size_t tlen;
	uint32_t sender, window, maxpkt;
	struct ssh_wr w;

	type = ssh_rd_str(r, &tlen);
	sender = ssh_rd_u32(r);
	window = ssh_rd_u32(r);
	maxpkt = ssh_rd_u32(r);
	if (r->bad)
		return protocol_error(c, "malformed CHANNEL_OPEN");
	if (ssh_str_is(type, tlen, "session") && c->chan == SSH_CH_NONE &&
	    maxpkt > 0) {
		c->chan = SSH_CH_OPEN;
		c->peer_chan = sender;
		c->peer_window = window;
		c->peer_max = maxpkt;
		c->local_window = SSH_WINDOW;
		if (!ssh_pkt_begin(c, &w))
			return ssh_fail(c, SSH_EPROTO, 0, NULL);
		ssh_wr_u8(&w, MSG_CHANNEL_OPEN_CONFIRMATION);
		ssh_wr_u32(&w, sender);
		ssh_wr_u32(&w, 0);
		ssh_wr_u32(&w, SSH_WINDOW);
		ssh_wr_u32(&w, SSH_CHAN_PACKET);
		return ssh_pkt_end(c, &w);
	}
	ev->type = SSH_EV_DENIED;
	if (ssh_str_is(type, tlen, "session"))
		ev->reason = "ssh-second-session-denied";
	else if (ssh_str_is(type, tlen, "direct-tcpip"))
		ev->reason = "ssh-direct-tcpip-denied";
	else if (ssh_str_is(type, tlen, "x11"))
		ev->reason = "ssh-x11-forwarding-denied";
	else if (ssh_str_is(type, tlen, "auth-agent@openssh.com"))
		ev->reason = "ssh-agent-forwarding-denied";
	else
		ev->reason = "ssh-channel-type-denied";
	if (!ssh_pkt_begin(c, &w))
		return ssh_fail(c, SSH_EPROTO, 0, NULL);
	ssh_wr_u8(&w, MSG_CHANNEL_OPEN_FAILURE);
	ssh_wr_u32(&w, sender);
	ssh_wr_u32(&w, 1);	/* SSH_OPEN_ADMINISTRATIVELY_PROHIBITED */
	ssh_wr_cstr(&w, "refused by policy");
	ssh_wr_cstr(&w, "");
	return ssh_pkt_end(c, &w);
}

static int
on_global(struct ssh_conn *c, struct ssh_rd *r, struct ssh_event *ev)
{
	const uint8_t *name;
	size_t n;
	bool want;
	struct ssh_wr w;

	name = ssh_rd_str(r, &n);
	want = ssh_rd_u8(r) != 0;
	if (r->bad)
		return protocol_error(c, "malformed GLOBAL_REQUEST");
	/* OpenSSH's no-more-sessions@openssh.com and the like ask nothing
	 * of us; forwarding is what the audit log must see. */
	if (ssh_str_is(name, n, "tcpip-forward") ||
	    ssh_str_is(name, n, "cancel-tcpip-forward") ||
	    ssh_str_is(name, n, "streamlocal-forward@openssh.com")) {
		ev->type = SSH_EV_DENIED;
		ev->reason = "ssh-tcpip-forward-denied";
	}
	if (!want)
		return 0;
	if (!ssh_pkt_begin(c, &w))
		return ssh_fail(c, SSH_EPROTO, 0, NULL);
	ssh_wr_u8(&w, MSG_REQUEST_FAILURE);
	return ssh_pkt_end(c, &w);
}

static void
copy_term(struct ssh_event *ev, const uint8_t *t, size_t n)
{
	size_t k = 0;

	/* Only printable ASCII of TERM reaches the shell. */
	for (size_t i = 0; i < n && k < SSH_TERM_MAX; i++)
		if (t[i] > 0x20 && t[i] < 0x7f)
			ev->term[k++] = (char)t[i];
	ev->term[k] = 0;
}

static int
on_request(struct ssh_conn *c, struct ssh_rd *r, struct ssh_event *ev)
{
	const uint8_t *type, *term;
	size_t tlen, termlen, mlen;
	bool want, ok = false;

	type = ssh_rd_str(r, &tlen);
	want = ssh_rd_u8(r) != 0;
	if (r->bad)
		return protocol_error(c, "malformed CHANNEL_REQUEST");
	if (ssh_str_is(type, tlen, "pty-req") && !c->pty && !c->shell_started) {
		term = ssh_rd_str(r, &termlen);
		ev->cols = ssh_rd_u32(r);
		ev->rows = ssh_rd_u32(r);
		ev->width = ssh_rd_u32(r);
		ev->height = ssh_rd_u32(r);
		(void)ssh_rd_str(r, &mlen);	/* terminal modes: not used */
		if (r->bad)
			return protocol_error(c, "malformed pty-req");
		copy_term(ev, term, termlen);
		ev->type = SSH_EV_PTY;
		c->pty = ok = true;
	} else if (ssh_str_is(type, tlen, "window-change")) {
		ev->cols = ssh_rd_u32(r);
		ev->rows = ssh_rd_u32(r);
		ev->width = ssh_rd_u32(r);
		ev->height = ssh_rd_u32(r);
		if (r->bad)
			return protocol_error(c, "malformed window-change");
		ev->type = SSH_EV_WINDOW_CHANGE;
		ok = true;
	} else if (ssh_str_is(type, tlen, "shell") && !c->shell_started) {
		ev->type = SSH_EV_SHELL;
		c->shell_started = ok = true;
	} else {
		ev->type = SSH_EV_DENIED;
		ev->reason = "ssh-request-denied";
		for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
			if (ssh_str_is(type, tlen, refused[i].type))
				ev->reason = refused[i].reason;
	}
	if (!want)
		return 0;
	return reply(c, ok ? MSG_CHANNEL_SUCCESS : MSG_CHANNEL_FAILURE);
}

static int
on_data(struct ssh_conn *c, struct ssh_rd *r, bool extended,
    struct ssh_event *ev)
{
	const uint8_t *data;
	size_t n;

	if (extended)
		(void)ssh_rd_u32(r);
	data = ssh_rd_str(r, &n);
	if (r->bad)
		return protocol_error(c, "malformed CHANNEL_DATA");
	if (n > c->local_window || n > SSH_CHAN_PACKET)
		return protocol_error(c, "channel data beyond the window");
	c->local_window -= (uint32_t)n;
	if (extended) {
		/* A client has no standard error to send: the bytes are
		 * dropped, and their window space is given back. */
		ssh_chan_consumed(c, n);
		return 0;
	}
	if (n > 0) {
		ev->type = SSH_EV_DATA;
		ev->data = data;
		ev->len = n;
	}
	return 0;
}

int
ssh_chan_on_message(struct ssh_conn *c, const uint8_t *msg, size_t len,
    struct ssh_event *ev)
{
	struct ssh_rd r = { msg + 1, len - 1, false };
	uint32_t recipient, add;

	switch (msg[0]) {
	case MSG_GLOBAL_REQUEST:
		return on_global(c, &r, ev);
	case MSG_CHANNEL_OPEN:
		return on_open(c, &r, ev);
	case MSG_CHANNEL_WINDOW_ADJUST:
	case MSG_CHANNEL_DATA:
	case MSG_CHANNEL_EXTENDED_DATA:
	case MSG_CHANNEL_EOF:
	case MSG_CHANNEL_CLOSE:
	case MSG_CHANNEL_REQUEST:
		break;
	default:
		/* Replies to requests we never make. */
		return protocol_error(c, "unexpected connection message");
	}
	recipient = ssh_rd_u32(&r);
	if (r.bad || recipient != 0 || c->chan != SSH_CH_OPEN || c->close_seen)
		return protocol_error(c, "message for no open channel");
	switch (msg[0]) {
	case MSG_CHANNEL_WINDOW_ADJUST:
		add = ssh_rd_u32(&r);
		if (r.bad || add > UINT32_MAX - c->peer_window)
			return protocol_error(c, "window beyond 2^32 - 1");
		c->peer_window += add;
		return 0;
	case MSG_CHANNEL_DATA:
		return on_data(c, &r, false, ev);
	case MSG_CHANNEL_EXTENDED_DATA:
		return on_data(c, &r, true, ev);
	case MSG_CHANNEL_EOF:
		ev->type = SSH_EV_EOF;
		return 0;
	case MSG_CHANNEL_CLOSE:
		c->close_seen = true;
		ev->type = SSH_EV_CLOSE;
		if (!c->close_sent) {
			c->close_sent = true;
			if (reply(c, MSG_CHANNEL_CLOSE) < 0)
				return c->error;
		}
		c->chan = SSH_CH_CLOSED;
		return 0;
	default:
		return on_request(c, &r, ev);
	}
}

/* Largest packet overhead of a CHANNEL_DATA: header, padding, tag, and
 * the message's own 9 bytes. */
#define DATA_OVERHEAD	(4 + 1 + 11 + SSH_TAG_LEN + 9)

int
ssh_chan_send(struct ssh_conn *c, const uint8_t *data, size_t len)
{
	size_t n = len, free;
	struct ssh_wr w;
	int rc;

	if (c->state != SSH_ST_OPEN || c->chan != SSH_CH_OPEN ||
	    c->close_sent || c->eof_sent)
		return SSH_ECLOSED;
	if (ssh_kex_busy(c))
		return 0;
	if (n > c->peer_window)
		n = c->peer_window;
	if (n > c->peer_max)
		n = c->peer_max;
	/* The message's own 9 bytes count towards the payload bound. */
	if (n > SSH_PAYLOAD_MAX - 9)
		n = SSH_PAYLOAD_MAX - 9;
	free = SSH_OUT_MAX - c->out_len;
	if (free < DATA_OVERHEAD + 1 || n == 0)
		return 0;
	if (n > free - DATA_OVERHEAD)
		n = free - DATA_OVERHEAD;
	if (!ssh_pkt_begin(c, &w))
		return 0;
	ssh_wr_u8(&w, MSG_CHANNEL_DATA);
	ssh_wr_u32(&w, c->peer_chan);
	ssh_wr_str(&w, data, n);
	if ((rc = ssh_pkt_end(c, &w)) < 0)
		return ssh_fail(c, rc, 0, NULL);
	c->peer_window -= (uint32_t)n;
	if ((rc = ssh_maybe_rekey(c)) < 0)
		return ssh_fail(c, rc, 0, NULL);
	return (int)n;
}

void
ssh_chan_consumed(struct ssh_conn *c, size_t n)
{
	size_t room = SSH_WINDOW - c->local_window - c->local_credit;

	if (n > room)
		n = room;
	c->local_credit += (uint32_t)n;
	ssh_chan_flush_credit(c);
}

/* Sends a WINDOW_ADJUST once half the window waits to be re-advertised,
 * and not while a key exchange holds non-KEX messages back. */
void
ssh_chan_flush_credit(struct ssh_conn *c)
{
	struct ssh_wr w;

	if (c->state != SSH_ST_OPEN || c->chan != SSH_CH_OPEN ||
	    c->close_sent || ssh_kex_busy(c) ||
	    c->local_credit < SSH_WINDOW / 2 || !ssh_pkt_begin(c, &w))
		return;
	ssh_wr_u8(&w, MSG_CHANNEL_WINDOW_ADJUST);
	ssh_wr_u32(&w, c->peer_chan);
	ssh_wr_u32(&w, c->local_credit);
	if (ssh_pkt_end(c, &w) < 0) {
		ssh_fail(c, SSH_EKEX, 0, NULL);
		return;
	}
	c->local_window += c->local_credit;
	c->local_credit = 0;
}

int
ssh_chan_exit(struct ssh_conn *c, uint32_t status)
{
	struct ssh_wr w;
	int rc;

	if (c->state != SSH_ST_OPEN || c->chan != SSH_CH_OPEN || c->close_sent)
		return SSH_ECLOSED;
	if (ssh_kex_busy(c) || SSH_OUT_MAX - c->out_len < SSH_OUT_RESERVE)
		return SSH_EBUSY;
	if (!ssh_pkt_begin(c, &w))
		return SSH_EBUSY;
	ssh_wr_u8(&w, MSG_CHANNEL_REQUEST);
	ssh_wr_u32(&w, c->peer_chan);
	ssh_wr_cstr(&w, "exit-status");
	ssh_wr_u8(&w, 0);
	ssh_wr_u32(&w, status);
	if ((rc = ssh_pkt_end(c, &w)) < 0)
		return ssh_fail(c, rc, 0, NULL);
	if (!c->eof_sent && (rc = reply(c, MSG_CHANNEL_EOF)) < 0)
		return rc;
	c->eof_sent = true;
	if ((rc = reply(c, MSG_CHANNEL_CLOSE)) < 0)
		return rc;
	c->close_sent = true;
	if (c->close_seen)
		c->chan = SSH_CH_CLOSED;
	return 0;
}
