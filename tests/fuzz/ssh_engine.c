/*
 * libFuzzer target for lib/proto/ssh: arbitrary client bytes into the
 * server engine. Past NEWKEYS a fuzzer cannot forge a MAC, so the first
 * input byte also picks where the connection starts, with the packet
 * framing left in plaintext:
 *
 *	byte 0 % 4	0 a fresh connection (identification, KEXINIT, ECDH)
 *			1 identified, in the first key exchange
 *			2 keys exchanged, in user authentication
 *			3 authenticated, with the session channel open
 *	byte 1		the input is fed in pieces of (byte 1 % 64) + 1 bytes,
 *			so every partial-read path is reached
 *
 * After every call the output is drained, DATA is reported consumed and
 * a little shell output is sent, as a service would. Every result must
 * be a byte count or one of the SSH_E* codes, and the engine's bounds
 * must hold after each call; anything else aborts.
 *
 *	make fuzz && build/fuzz/ssh_engine -max_total_time=60
 */
#include <stdlib.h>
#include <string.h>

#include "ssh.h"

static const uint8_t host_seed[32] = { 1 };
static struct crypto_ed25519_key host;
static uint32_t counter;

static int
fz_sign(void *ctx, const uint8_t *h, size_t len, uint8_t sig[64])
{
	(void)ctx;
	return crypto_ed25519_sign(&host, h, len, sig);
}

static int
fz_random(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(++counter * 131u >> 3);
	return 0;
}

/* One user, "a", may log in with any well-formed key. */
static int
fz_authorize(void *ctx, const char *user, size_t ulen, const uint8_t pub[32],
    const uint8_t *signed_data, size_t slen, const uint8_t sig[64])
{
	(void)ctx;
	(void)pub;
	(void)signed_data;
	(void)slen;
	(void)sig;
	return ulen == 1 && user[0] == 'a' ? 0 : -1;
}

static struct ssh_conn conn;

static void
start(struct ssh_conn *c, int where)
{
	struct ssh_config cfg = { .sign = fz_sign, .random = fz_random,
		.authorize = fz_authorize, .rekey_bytes = 4096 };

	if (host.pub[0] == 0)
		crypto_ed25519_from_seed(&host, host_seed);
	memcpy(cfg.host_pub, host.pub, 32);
	ssh_init(c, &cfg);
	if (where == 0)
		return;
	memcpy(c->client_id, "SSH-2.0-fuzz", 12);
	c->client_id_len = 12;
	c->state = SSH_ST_KEX;
	if (where == 1)
		return;
	/* As after the first NEWKEYS, framing still in plaintext. */
	c->kex = SSH_KX_NONE;
	c->strict = true;
	c->first_kex_done = true;
	memset(c->session_id, 0x5e, sizeof(c->session_id));
	c->state = SSH_ST_AUTH;
	if (where == 2)
		return;
	c->state = SSH_ST_OPEN;
	c->chan = SSH_CH_OPEN;
	c->peer_chan = 3;
	c->peer_window = 100000;
	c->peer_max = 1000;
	c->local_window = SSH_WINDOW;
}

static void
check(const struct ssh_conn *c, int rc, size_t offered)
{
	if (rc > 0 && (size_t)rc > offered)
		abort();
	if (rc < 0 && rc < SSH_EBUSY)
		abort();
	if (c->out_len > SSH_OUT_MAX || c->in_have > SSH_PACKET_MAX ||
	    c->in_need > SSH_PACKET_MAX || c->local_window > SSH_WINDOW ||
	    c->client_id_len > SSH_ID_MAX)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t out_text[] = "$ ";
	size_t piece;

	if (size < 2)
		return 0;
	start(&conn, data[0] % 4);
	piece = data[1] % 64 + 1;
	data += 2;
	size -= 2;
	while (size > 0) {
		struct ssh_event ev;
		size_t n = size < piece ? size : piece;
		const uint8_t *p;
		int rc = ssh_input(&conn, data, n, &ev);

		check(&conn, rc, n);
		ssh_output_done(&conn, ssh_output(&conn, &p));
		if (rc < 0)
			break;
		if (ev.type == SSH_EV_DATA) {
			if (ev.len > SSH_CHAN_PACKET)
				abort();
			ssh_chan_consumed(&conn, ev.len);
		}
		if (ev.type == SSH_EV_SHELL || ev.type == SSH_EV_DATA)
			check(&conn, ssh_chan_send(&conn, out_text, 2), 2);
		if (ev.type == SSH_EV_EOF)
			check(&conn, ssh_chan_exit(&conn, 0), 0);
		ssh_output_done(&conn, ssh_output(&conn, &p));
		if (rc == 0 && ev.type == SSH_EV_NONE)
			break;
		data += rc;
		size -= (size_t)rc;
	}
	return 0;
}
