/*
 * The SSH transport (RFC 4253): identification lines, the binary packet
 * protocol and the dispatch of each received message by connection
 * state. Key exchange is kex.c, user authentication auth.c, the session
 * channel channel.c.
 *
 * Receiving: a packet's first 4 bytes (its length, decrypted with K_1
 * once keys are in use) are checked before anything more is read into
 * `in`: a length whose packet would exceed SSH_PACKET_MAX, is too short
 * for a padding byte, four bytes of padding and a message number, or is
 * not a multiple of the 8-byte block ends the connection (SSH_ELENGTH).
 * The MAC is checked before the body is decrypted (SSH_EMAC). Neither
 * error sends a DISCONNECT: a reply would tell an attacker what failed.
 *
 * Strict key exchange (OpenSSH's kex-strict-*-v00): a client must offer
 * it. Until the first NEWKEYS only KEXINIT, ECDH_INIT and NEWKEYS are
 * accepted, in that order, the KEXINIT as the very first packet; and each
 * NEWKEYS resets that direction's sequence number to 0. An attacker who
 * drops or injects packets before encryption starts (the Terrapin prefix
 * truncation) therefore either sends a refused message or leaves the
 * sequence numbers out of step, and the next MAC fails.
 */
#include <string.h>

#include "ssh_int.h"

#define SERVER_ID	"SSH-2.0-capOS_1.0"

void
ssh_init(struct ssh_conn *c, const struct ssh_config *cfg)
{
	memset(c, 0, sizeof(*c));
	c->cfg = *cfg;
	if (c->cfg.rekey_bytes == 0)
		c->cfg.rekey_bytes = SSH_REKEY_BYTES;
	c->state = SSH_ST_IDENT;
	memcpy(c->out, SERVER_ID "\r\n", sizeof(SERVER_ID) + 1);
	c->out_len = sizeof(SERVER_ID) + 1;
	/*
	 * Our KEXINIT answers the client's (kex.c) rather than following
	 * the identification at once: OpenSSH holds its KEX_ECDH_INIT back
	 * until its KEXINIT is acknowledged (Nagle's algorithm, on before a
	 * session), and with nothing to send back a TCP stack delays that
	 * ACK, 40 ms on Linux. Measured under TCG, this step of a login went
	 * from 45 ms to 15.
	 */
}

const char *
ssh_server_id(void)
{
	return SERVER_ID;
}

size_t
ssh_output(const struct ssh_conn *c, const uint8_t **p)
{
	*p = c->out + c->out_head;
	return c->out_len;
}

void
ssh_output_done(struct ssh_conn *c, size_t n)
{
	if (n > c->out_len)
		n = c->out_len;
	c->out_head += n;
	c->out_len -= n;
	if (c->out_len == 0)
		c->out_head = 0;
}

bool
ssh_kex_busy(const struct ssh_conn *c)
{
	return c->kex != SSH_KX_NONE;
}

int
ssh_fail(struct ssh_conn *c, int err, uint32_t reason, const char *why)
{
	struct ssh_wr w;

	if (c->state == SSH_ST_CLOSED)
		return c->error;
	if (reason != 0 && ssh_pkt_begin(c, &w)) {
		ssh_wr_u8(&w, MSG_DISCONNECT);
		ssh_wr_u32(&w, reason);
		ssh_wr_cstr(&w, why);
		ssh_wr_cstr(&w, "");
		(void)ssh_pkt_end(c, &w);
	}
	c->state = SSH_ST_CLOSED;
	c->error = err;
	crypto_wipe(&c->in_cipher, sizeof(c->in_cipher));
	crypto_wipe(&c->in_next, sizeof(c->in_next));
	crypto_wipe(&c->out_cipher, sizeof(c->out_cipher));
	return err;
}

void
ssh_disconnect(struct ssh_conn *c, uint32_t reason, const char *why)
{
	ssh_fail(c, SSH_ECLOSED, reason, why);
}

/* ---- Sending ---- */

/* Length, padding length, at most 11 bytes of padding, the tag. */
#define PKT_OVERHEAD	(4 + 1 + 11 + SSH_TAG_LEN)

bool
ssh_pkt_begin(struct ssh_conn *c, struct ssh_wr *w)
{
	size_t free;

	if (c->out_head > 0 && c->out_len > 0)
		memmove(c->out, c->out + c->out_head, c->out_len);
	c->out_head = 0;
	free = SSH_OUT_MAX - c->out_len;
	if (free < PKT_OVERHEAD + 1)
		return false;
	w->p = c->out + c->out_len + 5;
	w->len = 0;
	w->room = free - PKT_OVERHEAD;
	if (w->room > SSH_PAYLOAD_MAX)
		w->room = SSH_PAYLOAD_MAX;
	w->bad = false;
	return true;
}

int
ssh_pkt_end(struct ssh_conn *c, struct ssh_wr *w)
{
	uint8_t *pkt = c->out + c->out_len;
	size_t pad, body, total;

	if (w->bad)
		return SSH_EPROTO;
	/* The block is 8 bytes. With the AEAD the length field is not part
	 * of the aligned text; in plaintext it is (PROTOCOL.chacha20poly1305
	 * and RFC 4253 6). */
	body = 1 + w->len;
	pad = 8 - (body + (c->out_keyed ? 0 : 4)) % 8;
	if (pad < 4)
		pad += 8;
	if (c->cfg.random(c->cfg.ctx, pkt + 5 + w->len, pad) != 0)
		return SSH_EKEX;
	body += pad;
	ssh_put_u32(pkt, (uint32_t)body);
	pkt[4] = (uint8_t)pad;
	total = 4 + body;
	if (c->out_keyed) {
		ssh_cipher_seal(&c->out_cipher, c->out_seq, pkt, total,
		    pkt + total);
		total += SSH_TAG_LEN;
	}
	c->out_len += total;
	c->out_seq++;
	c->out_bytes += total;
	c->out_packets++;
	return 0;
}

/* ---- Identification (RFC 4253 4.2) ---- */

/*
 * A complete line of n bytes without its LF. Lines before the version
 * are skipped, SSH_PREBANNER_MAX at most. The version line must be
 * "SSH-2.0-" and a software version of printable ASCII, optionally a
 * space and comments; no control characters anywhere.
 */
static int
ident_line(struct ssh_conn *c, const uint8_t *line, size_t n)
{
	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (n < 4 || memcmp(line, "SSH-", 4) != 0) {
		if (++c->prebanner_lines > SSH_PREBANNER_MAX)
			return ssh_fail(c, SSH_EIDENT, 0, NULL);
		return 0;
	}
	if (n < 9 || memcmp(line, "SSH-2.0-", 8) != 0)
		return ssh_fail(c, SSH_EIDENT, 0, NULL);
	for (size_t i = 8; i < n; i++)
		if (line[i] < 0x20 || line[i] > 0x7e)
			return ssh_fail(c, SSH_EIDENT, 0, NULL);
	if (line[8] == ' ' || line[8] == '-')
		return ssh_fail(c, SSH_EIDENT, 0, NULL);
	memcpy(c->client_id, line, n);
	c->client_id_len = n;
	c->state = SSH_ST_KEX;
	return 0;
}

/* Takes bytes of identification up to and including one LF. */
static int
ident_input(struct ssh_conn *c, const uint8_t *in, size_t len, size_t *used)
{
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '\n') {
			*used = i + 1;
			int rc = ident_line(c, c->in, c->in_have);
			c->in_have = 0;
			return rc;
		}
		/* A NUL anywhere is refused, in any line (RFC 4253 4.2). */
		if (in[i] == 0 || c->in_have >= SSH_ID_MAX - 1)
			return ssh_fail(c, SSH_EIDENT, 0, NULL);
		c->in[c->in_have++] = in[i];
	}
	*used = len;
	return 0;
}

/* ---- Receiving packets ---- */

/* Checks the length field; sets in_need for the whole packet. */
static int
packet_length(struct ssh_conn *c)
{
	uint8_t plain[4];
	uint32_t n;
	size_t total;

	if (c->in_keyed)
		ssh_cipher_length(&c->in_cipher, c->in_seq, c->in, plain);
	else
		memcpy(plain, c->in, 4);
	n = ssh_get_u32(plain);
	total = (size_t)4 + n + (c->in_keyed ? SSH_TAG_LEN : 0);
	/* The smallest packet is a padding length, a message number and
	 * four bytes of padding, rounded up to the block: 8 bytes with the
	 * AEAD, 16 with the length field in plaintext. */
	if (n < (c->in_keyed ? 8u : 12u) || total > SSH_PACKET_MAX ||
	    (n + (c->in_keyed ? 0 : 4)) % 8 != 0)
		return ssh_fail(c, SSH_ELENGTH, 0, NULL);
	c->in_need = total;
	return 0;
}

/* The message numbers RFC 4250 4.1 and RFC 8308 define. */
static bool
known(uint8_t type)
{
	return (type >= MSG_DISCONNECT && type <= MSG_EXT_INFO) ||
	    type == MSG_KEXINIT || type == MSG_NEWKEYS ||
	    type == MSG_KEX_ECDH_INIT || type == MSG_KEX_ECDH_REPLY ||
	    (type >= MSG_USERAUTH_REQUEST && type <= MSG_USERAUTH_SUCCESS) ||
	    type == MSG_USERAUTH_PK_OK ||
	    (type >= MSG_GLOBAL_REQUEST && type <= MSG_REQUEST_FAILURE) ||
	    (type >= MSG_CHANNEL_OPEN && type <= MSG_CHANNEL_FAILURE);
}

static bool
in_kex_first(const struct ssh_conn *c)
{
	return c->state == SSH_ST_KEX;
}

/*
 * One message. During the first key exchange only its messages are
 * accepted, in order. Afterwards the generic transport messages are
 * accepted in every state; others by state.
 */
static int
dispatch(struct ssh_conn *c, const uint8_t *msg, size_t len,
    struct ssh_event *ev)
{
	uint8_t type = msg[0];
	struct ssh_wr w;

	if (c->skip_guess) {
		/* The client guessed the KEX wrong: its first KEX packet is
		 * for another method and is dropped (RFC 4253 7). */
		c->skip_guess = false;
		if (type == MSG_KEX_ECDH_INIT)
			return 0;
	}
	switch (type) {
	case MSG_KEXINIT:
		return ssh_kex_on_kexinit(c, msg, len);
	case MSG_KEX_ECDH_INIT:
		return ssh_kex_on_ecdh(c, msg, len);
	case MSG_NEWKEYS:
		return ssh_kex_on_newkeys(c, ev);
	}
	if (in_kex_first(c))
		return ssh_fail(c, SSH_EPROTO, DISC_PROTOCOL_ERROR,
		    "unexpected message during key exchange");
	if (type == MSG_DISCONNECT)
		return ssh_fail(c, SSH_EPEER, 0, NULL);
	if (type == MSG_IGNORE || type == MSG_DEBUG || type == MSG_UNIMPLEMENTED)
		return 0;
	/* After the client's KEXINIT only key exchange messages may come
	 * until its NEWKEYS (RFC 4253 7.1). */
	if (c->kex == SSH_KX_ECDH || c->kex == SSH_KX_NEWKEYS)
		return ssh_fail(c, SSH_EPROTO, DISC_PROTOCOL_ERROR,
		    "unexpected message during key exchange");
	switch (c->state) {
	case SSH_ST_SERVICE:
		/* We offer ext-info-s, so a client may send its own EXT_INFO
		 * right after its first NEWKEYS (RFC 8308 2.4); it names
		 * nothing this server uses. */
		if (type == MSG_EXT_INFO)
			return 0;
		if (type == MSG_SERVICE_REQUEST) {
			struct ssh_rd r = { msg + 1, len - 1, false };
			size_t n;
			const uint8_t *name = ssh_rd_str(&r, &n);

			if (r.bad || !ssh_str_is(name, n, "ssh-userauth"))
				return ssh_fail(c, SSH_EPROTO,
				    DISC_SERVICE_NOT_AVAILABLE,
				    "only ssh-userauth is served");
			if (!ssh_pkt_begin(c, &w))
				return ssh_fail(c, SSH_EPROTO, 0, NULL);
			ssh_wr_u8(&w, MSG_SERVICE_ACCEPT);
			ssh_wr_cstr(&w, "ssh-userauth");
			c->state = SSH_ST_AUTH;
			return ssh_pkt_end(c, &w);
		}
		break;
	case SSH_ST_AUTH:
		if (type == MSG_USERAUTH_REQUEST)
			return ssh_auth_on_request(c, msg, len, ev);
		break;
	case SSH_ST_OPEN:
		/* Requests after success are ignored (RFC 4252 5.1). */
		if (type == MSG_USERAUTH_REQUEST)
			return 0;
		if (type >= MSG_GLOBAL_REQUEST && type <= 127)
			return ssh_chan_on_message(c, msg, len, ev);
		break;
	default:
		break;
	}
	/* A defined message out of its state breaks the protocol; a number
	 * nobody defined gets UNIMPLEMENTED (RFC 4253 11.4). */
	if (known(type))
		return ssh_fail(c, SSH_EPROTO, DISC_PROTOCOL_ERROR,
		    "message not allowed in this state");
	if (!ssh_pkt_begin(c, &w))
		return ssh_fail(c, SSH_EPROTO, 0, NULL);
	ssh_wr_u8(&w, MSG_UNIMPLEMENTED);
	ssh_wr_u32(&w, c->in_seq - 1);
	return ssh_pkt_end(c, &w);
}

/* A whole packet is in `in`: check, decrypt, dispatch. */
static int
packet(struct ssh_conn *c, struct ssh_event *ev)
{
	size_t body = c->in_need - 4 - (c->in_keyed ? SSH_TAG_LEN : 0);
	uint8_t pad;
	int rc;

	if (c->in_keyed) {
		uint8_t plain[4];

		if (ssh_cipher_open(&c->in_cipher, c->in_seq, c->in, 4 + body,
		    c->in + 4 + body) != 0)
			return ssh_fail(c, SSH_EMAC, 0, NULL);
		ssh_cipher_length(&c->in_cipher, c->in_seq, c->in, plain);
		memcpy(c->in, plain, 4);
	}
	pad = c->in[4];
	if (pad < 4 || (size_t)pad + 1 >= body)
		return ssh_fail(c, SSH_ELENGTH, 0, NULL);
	c->in_seq++;
	c->in_packets++;
	c->in_bytes += c->in_need;
	rc = dispatch(c, c->in + 5, body - 1 - pad, ev);
	if (rc < 0)
		return rc;
	return 0;
}

/* Starts a re-key once the byte or packet limit is passed. */
int
ssh_maybe_rekey(struct ssh_conn *c)
{
	if (c->state < SSH_ST_SERVICE || c->state == SSH_ST_CLOSED ||
	    ssh_kex_busy(c))
		return 0;
	if (c->in_bytes + c->out_bytes < c->cfg.rekey_bytes &&
	    c->in_packets < SSH_REKEY_PACKETS &&
	    c->out_packets < SSH_REKEY_PACKETS)
		return 0;
	return ssh_kex_send_init(c);
}

int
ssh_input(struct ssh_conn *c, const uint8_t *in, size_t len,
    struct ssh_event *ev)
{
	size_t done = 0;
	int rc;

	memset(ev, 0, sizeof(*ev));
	if (len > INT32_MAX)
		len = INT32_MAX;
	if (c->state == SSH_ST_CLOSED)
		return c->error != 0 ? c->error : SSH_ECLOSED;
	/* A request waiting for its verdict (SSH_AUTH_LATER) holds all
	 * input after it back. */
	while (done < len && ev->type == SSH_EV_NONE && !c->auth_wait) {
		size_t want, take;

		if (c->state == SSH_ST_IDENT) {
			rc = ident_input(c, in + done, len - done, &take);
			if (rc < 0)
				return rc;
			done += take;
			continue;
		}
		want = (c->in_need == 0 ? 4 : c->in_need) - c->in_have;
		take = len - done < want ? len - done : want;
		memcpy(c->in + c->in_have, in + done, take);
		c->in_have += take;
		done += take;
		if (c->in_need == 0 && c->in_have == 4) {
			rc = packet_length(c);
			if (rc < 0)
				return rc;
		}
		if (c->in_need == 0 || c->in_have < c->in_need)
			continue;
		/* A whole packet: process it only while a reply fits. */
		if (SSH_OUT_MAX - c->out_len < SSH_OUT_RESERVE) {
			/* Give the last byte back so it is offered again. */
			c->in_have--;
			done--;
			break;
		}
		rc = packet(c, ev);
		c->in_have = 0;
		c->in_need = 0;
		if (rc < 0)
			return rc;
		if (c->state == SSH_ST_CLOSED)
			return c->error;
		/* No key exchange starts under a waiting request, whose
		 * answer must not follow our KEXINIT (RFC 4253 7.1). */
		if (!c->auth_wait && ssh_maybe_rekey(c) < 0)
			return ssh_fail(c, SSH_EKEX, 0, NULL);
		ssh_chan_flush_credit(c);
	}
	return (int)done;
}
