/*
 * Host tests for lib/proto/ssh (docs/ssh.md). The client side is written
 * here against the RFCs with lib/crypto only and shares no code with the
 * engine: its own packet framing, its own chacha20-poly1305@openssh.com,
 * its own exchange hash and key derivation. A login therefore checks the
 * engine's H (the client verifies the host's signature over the H it
 * computed itself) and its keys (every MAC after NEWKEYS).
 */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "ssh.h"
#include "test.h"

#define CLI_BUF	(1 << 18)

struct cli_keys {
	_Alignas(16) uint8_t k2[32];	/* main key */
	_Alignas(16) uint8_t k1[32];	/* length key */
};

struct cli {
	struct ssh_conn *srv;
	uint8_t rx[CLI_BUF];		/* server bytes not yet parsed */
	size_t rx_len;
	bool got_id;
	char v_s[256];
	uint32_t tx_seq, rx_seq;
	bool tx_keyed, rx_keyed;
	struct cli_keys tx, rxk, tx_next, rx_next;
	uint8_t i_c[1024], i_s[2048];
	size_t i_c_len, i_s_len;
	uint8_t e[32], q_c[32], h[32], session_id[32];
	bool have_session;
	int rc;				/* the server's last error, or 0 */
	struct ssh_event ev[64];
	uint8_t data[4096];		/* DATA events' bytes, in order */
	size_t data_len;
	int nev;
	struct crypto_ed25519_key user;
	bool no_pump;			/* leave server output queued */
};

/* ---- The server's callbacks ---- */

static const uint8_t host_seed[32] = { 0x68, 0x6f, 0x73, 0x74 };
static const uint8_t user_seed[32] = { 0x75, 0x73, 0x65, 0x72 };
static struct crypto_ed25519_key host_key;
static uint32_t rand_counter;
static int authorize_calls, authorize_verdict;
static uint8_t authorized_sig[CRYPTO_ED25519_SIG_LEN];

static int
t_sign(void *ctx, const uint8_t *h, size_t len, uint8_t sig[64])
{
	(void)ctx;
	return crypto_ed25519_sign(&host_key, h, len, sig);
}

/* Deterministic bytes: SHA-256 of a counter. */
static int
t_random(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	while (n > 0) {
		uint8_t b[32];
		size_t k = n < 32 ? n : 32;

		rand_counter++;
		crypto_sha256(&rand_counter, sizeof(rand_counter), b);
		memcpy(out, b, k);
		out += k;
		n -= k;
	}
	return 0;
}

static struct crypto_ed25519_key user_key;

static int
t_authorize(void *ctx, const char *user, size_t ulen, const uint8_t pub[32],
    const uint8_t *signed_data, size_t slen, const uint8_t sig[64])
{
	(void)ctx;
	authorize_calls++;
	if (signed_data != NULL) {
		/* The engine says it verified this; check that it did. */
		if (slen == 0 || crypto_ed25519_verify(pub, signed_data, slen,
		    sig) != 0)
			return -1;
		memcpy(authorized_sig, sig, 64);
	}
	if (ulen != 5 || memcmp(user, "alice", 5) != 0)
		return -1;
	if (memcmp(pub, user_key.pub, 32) != 0)
		return -1;
	return authorize_verdict;
}

static void
server_config(struct ssh_config *cfg, uint64_t rekey)
{
	crypto_ed25519_from_seed(&host_key, host_seed);
	crypto_ed25519_from_seed(&user_key, user_seed);
	memset(cfg, 0, sizeof(*cfg));
	memcpy(cfg->host_pub, host_key.pub, 32);
	cfg->sign = t_sign;
	cfg->random = t_random;
	cfg->authorize = t_authorize;
	cfg->rekey_bytes = rekey;
	authorize_calls = 0;
	authorize_verdict = 0;
}

/* ---- Wire helpers of the client ---- */

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

struct buf {
	uint8_t b[40000];
	size_t n;
};

static void b_u8(struct buf *b, uint8_t v) { b->b[b->n++] = v; }
static void b_u32(struct buf *b, uint32_t v) { put32(b->b + b->n, v); b->n += 4; }
static void b_raw(struct buf *b, const void *p, size_t n) { memcpy(b->b + b->n, p, n); b->n += n; }
static void b_str(struct buf *b, const void *p, size_t n) { b_u32(b, (uint32_t)n); b_raw(b, p, n); }
static void b_cstr(struct buf *b, const char *s) { b_str(b, s, strlen(s)); }

static void
cli_nonce(uint32_t seq, uint8_t n[12])
{
	memset(n, 0, 12);
	put32(n + 8, seq);
}

/* ---- Feeding the server and collecting what it says ---- */

static void
pump(struct cli *c)
{
	const uint8_t *p;
	size_t n = ssh_output(c->srv, &p);

	if (c->no_pump)
		return;
	if (n > CLI_BUF - c->rx_len)
		n = CLI_BUF - c->rx_len;
	memcpy(c->rx + c->rx_len, p, n);
	c->rx_len += n;
	ssh_output_done(c->srv, n);
}

static void
feed(struct cli *c, const uint8_t *p, size_t n)
{
	while (n > 0 && c->rc == 0) {
		struct ssh_event ev;
		int rc = ssh_input(c->srv, p, n, &ev);

		pump(c);
		if (rc < 0) {
			c->rc = rc;
			break;
		}
		if (ev.type != SSH_EV_NONE && c->nev < 64) {
			if (ev.type == SSH_EV_DATA &&
			    ev.len <= sizeof(c->data) - c->data_len) {
				memcpy(c->data + c->data_len, ev.data, ev.len);
				c->data_len += ev.len;
			}
			c->ev[c->nev++] = ev;
		}
		if (rc == 0 && ev.type == SSH_EV_NONE)
			break;		/* output full: nothing taken */
		p += rc;
		n -= (size_t)rc;
	}
}

/* Frames and sends one payload; returns the packet's length on the wire. */
static size_t
cli_packet(struct cli *c, const uint8_t *payload, size_t len, uint8_t *out)
{
	size_t pad = 8 - (1 + len + (c->tx_keyed ? 0 : 4)) % 8, total;
	_Alignas(16) uint8_t n[12];
	_Alignas(16) uint8_t pk[32] = { 0 };

	if (pad < 4)
		pad += 8;
	put32(out, (uint32_t)(1 + len + pad));
	out[4] = (uint8_t)pad;
	memcpy(out + 5, payload, len);
	memset(out + 5 + len, 0x5a, pad);
	total = 5 + len + pad;
	if (c->tx_keyed) {
		cli_nonce(c->tx_seq, n);
		crypto_chacha20_xor(c->tx.k1, n, 0, out, out, 4);
		crypto_chacha20_xor(c->tx.k2, n, 1, out + 4, out + 4, total - 4);
		crypto_chacha20_xor(c->tx.k2, n, 0, pk, pk, 32);
		crypto_poly1305(pk, out, total, out + total);
		total += 16;
	}
	c->tx_seq++;
	return total;
}

static void
cli_send(struct cli *c, const struct buf *b)
{
	static uint8_t wire[40100];
	size_t n = cli_packet(c, b->b, b->n, wire);

	feed(c, wire, n);
}

/* The next payload from the server, or 0 when none is complete. */
static size_t
cli_recv(struct cli *c, uint8_t *out)
{
	_Alignas(16) uint8_t n[12];
	_Alignas(16) uint8_t pk[32] = { 0 };
	uint8_t tag[16], lenb[4];
	size_t plen, total;

	if (!c->got_id) {
		uint8_t *lf = memchr(c->rx, '\n', c->rx_len);
		size_t l;

		if (lf == NULL)
			return 0;
		l = (size_t)(lf - c->rx);
		memcpy(c->v_s, c->rx, l - 1);	/* without CR LF */
		c->v_s[l - 1] = 0;
		memmove(c->rx, lf + 1, c->rx_len - l - 1);
		c->rx_len -= l + 1;
		c->got_id = true;
	}
	if (c->rx_len < 4)
		return 0;
	memcpy(lenb, c->rx, 4);
	cli_nonce(c->rx_seq, n);
	if (c->rx_keyed)
		crypto_chacha20_xor(c->rxk.k1, n, 0, lenb, lenb, 4);
	plen = get32(lenb);
	total = 4 + plen + (c->rx_keyed ? 16 : 0);
	if (plen > 35000 || c->rx_len < total)
		return 0;
	if (c->rx_keyed) {
		crypto_chacha20_xor(c->rxk.k2, n, 0, pk, pk, 32);
		crypto_poly1305(pk, c->rx, 4 + plen, tag);
		if (memcmp(tag, c->rx + 4 + plen, 16) != 0) {
			test_fail(__FILE__, __LINE__, "server packet MAC");
			return 0;
		}
		crypto_chacha20_xor(c->rxk.k2, n, 1, c->rx + 4, c->rx + 4, plen);
		/* Plaintext alignment excludes the length field here. */
		if (plen % 8 != 0)
			test_fail(__FILE__, __LINE__, "server padding %zu", plen);
	} else if ((plen + 4) % 8 != 0) {
		test_fail(__FILE__, __LINE__, "server padding %zu", plen);
	}
	if (c->rx[4] < 4)
		test_fail(__FILE__, __LINE__, "server pad %u < 4", c->rx[4]);
	plen = plen - 1 - c->rx[4];
	memcpy(out, c->rx + 5, plen);
	memmove(c->rx, c->rx + total, c->rx_len - total);
	c->rx_len -= total;
	c->rx_seq++;
	return plen;
}

/* The next message, which must be of type `type`. */
static size_t
expect(struct cli *c, uint8_t type, uint8_t *out, int line)
{
	size_t n = cli_recv(c, out);

	if (n == 0 || out[0] != type) {
		test_fail(__FILE__, line, "expected message %u, got %u (n %zu)",
		    type, n ? out[0] : 0, n);
		return 0;
	}
	return n;
}
#define EXPECT(c, t, o) expect((c), (t), (o), __LINE__)

/* ---- The client's key exchange ---- */

#define CLI_KEX	"curve25519-sha256,ext-info-c,kex-strict-c-v00@openssh.com"
#define CIPHER	"chacha20-poly1305@openssh.com"

static void
cli_kexinit_follows(struct cli *c, const char *kex, const char *cipher,
    bool follows)
{
	struct buf b = { .n = 0 };
	uint8_t cookie[16] = { 0xc0 };

	b_u8(&b, 20);
	b_raw(&b, cookie, 16);
	b_cstr(&b, kex);
	b_cstr(&b, "ssh-ed25519");
	b_cstr(&b, cipher);
	b_cstr(&b, cipher);
	b_cstr(&b, "hmac-sha2-256");
	b_cstr(&b, "hmac-sha2-256");
	b_cstr(&b, "none");
	b_cstr(&b, "none");
	b_cstr(&b, "");
	b_cstr(&b, "");
	b_u8(&b, follows);
	b_u32(&b, 0);
	memcpy(c->i_c, b.b, b.n);
	c->i_c_len = b.n;
	cli_send(c, &b);
}

static void
cli_kexinit(struct cli *c, const char *kex, const char *cipher)
{
	cli_kexinit_follows(c, kex, cipher, false);
}

static void
h_str(struct crypto_sha256 *h, const void *p, size_t n)
{
	uint8_t l[4];

	put32(l, (uint32_t)n);
	crypto_sha256_update(h, l, 4);
	crypto_sha256_update(h, p, n);
}

/* K as an mpint: leading zeros dropped, a zero byte before a set top bit. */
static size_t
mpint(const uint8_t k[32], uint8_t out[37])
{
	size_t i = 0, n;

	while (i < 32 && k[i] == 0)
		i++;
	n = 32 - i;
	if (n > 0 && (k[i] & 0x80)) {
		put32(out, (uint32_t)n + 1);
		out[4] = 0;
		memcpy(out + 5, k + i, n);
		return 5 + n;
	}
	put32(out, (uint32_t)n);
	memcpy(out + 4, k + i, n);
	return 4 + n;
}

static void
cli_derive(const uint8_t *kmp, size_t kn, const uint8_t h[32],
    const uint8_t sid[32], char x, struct cli_keys *k)
{
	uint8_t in[37 + 32 + 1 + 32], out[64];
	size_t n = 0;

	memcpy(in, kmp, kn); n += kn;
	memcpy(in + n, h, 32); n += 32;
	in[n++] = (uint8_t)x;
	memcpy(in + n, sid, 32); n += 32;
	crypto_sha256(in, n, out);
	n = kn + 32;
	memcpy(in + n, out, 32);
	crypto_sha256(in, n + 32, out + 32);
	memcpy(k->k2, out, 32);
	memcpy(k->k1, out + 32, 32);
}

/* The client's ECDH exchange after both KEXINITs: sends ECDH_INIT, checks
 * the reply's signature over its own H, sends NEWKEYS. true on success. */
static bool
cli_ecdh(struct cli *c)
{
	static uint8_t m[40000];
	struct buf b = { .n = 0 };
	struct crypto_sha256 hs;
	const uint8_t *ks, *qs, *sig;
	uint8_t k[32], kmp[37], pub[32], s[64];
	size_t n, kn;

	t_random(NULL, c->e, 32);
	c->e[0] ^= 0x11;
	crypto_x25519_public(c->q_c, c->e);
	b_u8(&b, 30);
	b_str(&b, c->q_c, 32);
	cli_send(c, &b);
	n = EXPECT(c, 31, m);
	if (n == 0)
		return false;
	ks = m + 5;
	if (get32(m + 1) != 51)
		return false;
	qs = m + 5 + 51 + 4;
	if (get32(m + 5 + 51) != 32)
		return false;
	sig = m + 5 + 51 + 4 + 32 + 4;
	if (crypto_ssh_ed25519_parse_key(ks, 51, pub) != 0 ||
	    memcmp(pub, host_key.pub, 32) != 0 ||
	    crypto_ssh_ed25519_parse_sig(sig, get32(sig - 4), s) != 0)
		return false;
	if (crypto_x25519(k, c->e, qs) != 0)
		return false;
	kn = mpint(k, kmp);
	crypto_sha256_init(&hs);
	h_str(&hs, "SSH-2.0-capos_test", 18);
	h_str(&hs, c->v_s, strlen(c->v_s));
	h_str(&hs, c->i_c, c->i_c_len);
	h_str(&hs, c->i_s, c->i_s_len);
	h_str(&hs, ks, 51);
	h_str(&hs, c->q_c, 32);
	h_str(&hs, qs, 32);
	crypto_sha256_update(&hs, kmp, kn);
	crypto_sha256_final(&hs, c->h);
	if (crypto_ed25519_verify(host_key.pub, c->h, 32, s) != 0) {
		test_fail(__FILE__, __LINE__, "host signature over the "
		    "independently computed H does not verify");
		return false;
	}
	if (!c->have_session) {
		memcpy(c->session_id, c->h, 32);
		c->have_session = true;
	}
	cli_derive(kmp, kn, c->h, c->session_id, 'C', &c->tx_next);
	cli_derive(kmp, kn, c->h, c->session_id, 'D', &c->rx_next);
	if (EXPECT(c, 21, m) == 0)
		return false;
	c->rxk = c->rx_next;
	c->rx_keyed = true;
	c->rx_seq = 0;
	b.n = 0;
	b_u8(&b, 21);
	cli_send(c, &b);
	c->tx = c->tx_next;
	c->tx_keyed = true;
	c->tx_seq = 0;
	return c->rc == 0;
}

static struct ssh_conn srv;
static struct cli cl;

static struct cli *
cli_start(uint64_t rekey)
{
	struct ssh_config cfg;

	server_config(&cfg, rekey);
	memset(&cl, 0, sizeof(cl));
	cl.srv = &srv;
	ssh_init(&srv, &cfg);
	pump(&cl);
	return &cl;
}

static void
cli_ident(struct cli *c)
{
	feed(c, (const uint8_t *)"SSH-2.0-capos_test\r\n", 20);
}

/* Identification and the first key exchange, up to EXT_INFO. */
static bool
cli_handshake(struct cli *c)
{
	static uint8_t m[40000];
	size_t n;

	cli_ident(c);
	cli_kexinit(c, CLI_KEX, CIPHER);
	n = EXPECT(c, 20, m);
	if (n == 0)
		return false;
	memcpy(c->i_s, m, n);
	c->i_s_len = n;
	if (!cli_ecdh(c))
		return false;
	n = EXPECT(c, 7, m);
	/* EXT_INFO: one extension, server-sig-algs = ssh-ed25519. */
	return n == 1 + 4 + 4 + 15 + 4 + 11 && get32(m + 1) == 1 &&
	    memcmp(m + 9, "server-sig-algs", 15) == 0 &&
	    memcmp(m + 28, "ssh-ed25519", 11) == 0;
}

static void
userauth_pk(struct cli *c, const char *user, const struct crypto_ed25519_key *k,
    bool with_sig, bool corrupt)
{
	struct buf b = { .n = 0 }, sd = { .n = 0 };
	uint8_t blob[51], sig[64], sigblob[83];

	crypto_ssh_ed25519_key_blob(k->pub, blob);
	b_u8(&b, 50);
	b_cstr(&b, user);
	b_cstr(&b, "ssh-connection");
	b_cstr(&b, "publickey");
	b_u8(&b, with_sig);
	b_cstr(&b, "ssh-ed25519");
	b_str(&b, blob, 51);
	if (with_sig) {
		b_str(&sd, c->session_id, 32);
		b_raw(&sd, b.b, b.n);
		crypto_ed25519_sign(k, sd.b, sd.n, sig);
		if (corrupt)
			sig[0] ^= 1;
		crypto_ssh_ed25519_sig_blob(sig, sigblob);
		b_str(&b, sigblob, sizeof(sigblob));
	}
	cli_send(c, &b);
}

static bool
cli_login(struct cli *c)
{
	static uint8_t m[40000];
	struct buf b = { .n = 0 };

	if (!cli_handshake(c))
		return false;
	b_u8(&b, 5);
	b_cstr(&b, "ssh-userauth");
	cli_send(c, &b);
	if (EXPECT(c, 6, m) == 0)
		return false;
	userauth_pk(c, "alice", &user_key, true, false);
	return EXPECT(c, 52, m) != 0 && c->srv->state == SSH_ST_OPEN;
}

static bool
cli_open_session(struct cli *c, uint32_t window, uint32_t maxpkt)
{
	static uint8_t m[40000];
	struct buf b = { .n = 0 };

	b_u8(&b, 90);
	b_cstr(&b, "session");
	b_u32(&b, 7);
	b_u32(&b, window);
	b_u32(&b, maxpkt);
	cli_send(c, &b);
	return EXPECT(c, 91, m) != 0 && get32(m + 1) == 7 &&
	    get32(m + 5) == 0 && get32(m + 9) == SSH_WINDOW;
}

static void
chan_request(struct cli *c, const char *type, bool want, const struct buf *extra)
{
	struct buf b = { .n = 0 };

	b_u8(&b, 98);
	b_u32(&b, 0);
	b_cstr(&b, type);
	b_u8(&b, want);
	if (extra != NULL)
		b_raw(&b, extra->b, extra->n);
	cli_send(c, &b);
}

/* The last event, or an empty one when there was none. */
static const struct ssh_event *
last_ev(const struct cli *c)
{
	static const struct ssh_event none = { .reason = "" };

	return c->nev > 0 ? &c->ev[c->nev - 1] : &none;
}

static int
last_event(const struct cli *c)
{
	return c->nev > 0 ? (int)last_ev(c)->type : -1;
}

/* ---- Tests ---- */

/*
 * The worked example of draft-ietf-sshm-chacha20-poly1305-02, Appendix
 * A: a 64-byte key, sequence number 7, a 72-byte packet body (padding
 * length 6, CHANNEL_DATA "Lorem ipsum dolor sit amet, consectetur
 * adipiscing elit"), with the expected encrypted length, body and tag.
 */
static const uint8_t tv_key[64] = {
	0x8b, 0xbf, 0xf6, 0x85, 0x5f, 0xc1, 0x02, 0x33, 0x8c, 0x37, 0x3e,
	0x73, 0xaa, 0xc0, 0xc9, 0x14, 0xf0, 0x76, 0xa9, 0x05, 0xb2, 0x44,
	0x4a, 0x32, 0xee, 0xca, 0xff, 0xea, 0xe2, 0x2b, 0xec, 0xc5, 0xe9,
	0xb7, 0xa7, 0xa5, 0x82, 0x5a, 0x82, 0x49, 0x34, 0x6e, 0xc1, 0xc2,
	0x83, 0x01, 0xcf, 0x39, 0x45, 0x43, 0xfc, 0x75, 0x69, 0x88, 0x7d,
	0x76, 0xe1, 0x68, 0xf3, 0x75, 0x62, 0xac, 0x07, 0x40,
};
static const uint8_t tv_plain[72] = {
	0x06, 0x5e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x38, 0x4c,
	0x6f, 0x72, 0x65, 0x6d, 0x20, 0x69, 0x70, 0x73, 0x75, 0x6d, 0x20,
	0x64, 0x6f, 0x6c, 0x6f, 0x72, 0x20, 0x73, 0x69, 0x74, 0x20, 0x61,
	0x6d, 0x65, 0x74, 0x2c, 0x20, 0x63, 0x6f, 0x6e, 0x73, 0x65, 0x63,
	0x74, 0x65, 0x74, 0x75, 0x72, 0x20, 0x61, 0x64, 0x69, 0x70, 0x69,
	0x73, 0x69, 0x63, 0x69, 0x6e, 0x67, 0x20, 0x65, 0x6c, 0x69, 0x74,
	0x4e, 0x43, 0xe8, 0x04, 0xdc, 0x6c,
};
static const uint8_t tv_len[4] = { 0x2c, 0x3e, 0xcc, 0xe4 };
static const uint8_t tv_cipher[72] = {
	0xa5, 0xbc, 0x05, 0x89, 0x5b, 0xf0, 0x7a, 0x7b, 0xa9, 0x56, 0xb6,
	0xc6, 0x88, 0x29, 0xac, 0x7c, 0x83, 0xb7, 0x80, 0xb7, 0x00, 0x0e,
	0xcd, 0xe7, 0x45, 0xaf, 0xc7, 0x05, 0xbb, 0xc3, 0x78, 0xce, 0x03,
	0xa2, 0x80, 0x23, 0x6b, 0x87, 0xb5, 0x3b, 0xed, 0x58, 0x39, 0x66,
	0x23, 0x02, 0xb1, 0x64, 0xb6, 0x28, 0x6a, 0x48, 0xcd, 0x1e, 0x09,
	0x71, 0x38, 0xe3, 0xcb, 0x90, 0x9b, 0x8b, 0x2b, 0x82, 0x9d, 0xd1,
	0x8d, 0x2a, 0x35, 0xff, 0x82, 0xd9,
};
static const uint8_t tv_tag[16] = {
	0x95, 0x34, 0x9e, 0x85, 0x5b, 0xf0, 0x2c, 0x29, 0x8e, 0xf7, 0x75,
	0xf2, 0xd1, 0xa7, 0xe8, 0xb8,
};

/* The engine's cipher, reached through its internal header. */
#include "ssh_int.h"

TEST(ssh_cipher_published_vector)
{
	struct ssh_cipher k;
	uint8_t pkt[4 + 72], tag[16], len[4];

	ssh_cipher_key(&k, tv_key);
	put32(pkt, 72);
	memcpy(pkt + 4, tv_plain, 72);
	ssh_cipher_seal(&k, 7, pkt, sizeof(pkt), tag);
	CHECK(memcmp(pkt, tv_len, 4) == 0);
	CHECK(memcmp(pkt + 4, tv_cipher, 72) == 0);
	CHECK(memcmp(tag, tv_tag, 16) == 0);

	ssh_cipher_length(&k, 7, pkt, len);
	CHECK_EQ(get32(len), 72);
	CHECK_EQ(ssh_cipher_open(&k, 7, pkt, sizeof(pkt), tv_tag), 0);
	CHECK(memcmp(pkt + 4, tv_plain, 72) == 0);

	/* The wrong sequence number, a flipped length bit, a flipped body
	 * bit: each fails the tag, and the body stays encrypted. */
	memcpy(pkt, tv_len, 4);
	memcpy(pkt + 4, tv_cipher, 72);
	CHECK_EQ(ssh_cipher_open(&k, 8, pkt, sizeof(pkt), tv_tag),
	    CRYPTO_EBADSIG);
	pkt[0] ^= 1;
	CHECK_EQ(ssh_cipher_open(&k, 7, pkt, sizeof(pkt), tv_tag),
	    CRYPTO_EBADSIG);
	pkt[0] ^= 1;
	pkt[40] ^= 0x80;
	CHECK_EQ(ssh_cipher_open(&k, 7, pkt, sizeof(pkt), tv_tag),
	    CRYPTO_EBADSIG);
	CHECK(memcmp(pkt + 4, tv_cipher, 40 - 4) == 0);
	if (memcmp(tag, tv_tag, 16) == 0 && memcmp(pkt + 4, tv_cipher, 36) == 0)
		printf("[proof] chacha20-poly1305@openssh.com matches the "
		    "published worked example and refuses altered packets ok\n");
}

TEST(ssh_login_shell_and_data)
{
	static uint8_t m[40000];
	struct cli *c = cli_start(0);
	struct buf b = { .n = 0 };
	int n;

	CHECK(cli_handshake(c));
	CHECK_STR(c->v_s, "SSH-2.0-capOS_1.0");
	CHECK(memcmp(c->session_id, srv.session_id, 32) == 0);

	/* The client's own EXT_INFO (we offer ext-info-s) is accepted;
	 * then service, a key query (PK_OK), a signed request. */
	b_u8(&b, 7);
	b_u32(&b, 0);
	cli_send(c, &b);
	CHECK_EQ(c->rc, 0);
	b.n = 0;
	b_u8(&b, 5);
	b_cstr(&b, "ssh-userauth");
	cli_send(c, &b);
	CHECK(EXPECT(c, 6, m) != 0);
	b.n = 0;
	b_u8(&b, 50);
	b_cstr(&b, "alice");
	b_cstr(&b, "ssh-connection");
	b_cstr(&b, "none");
	cli_send(c, &b);
	n = (int)EXPECT(c, 51, m);
	CHECK(n == 1 + 4 + 9 + 1 && memcmp(m + 5, "publickey", 9) == 0);
	userauth_pk(c, "alice", &user_key, false, false);
	CHECK(EXPECT(c, 60, m) != 0);
	CHECK_EQ(authorize_calls, 1);
	userauth_pk(c, "alice", &user_key, true, false);
	CHECK(EXPECT(c, 52, m) != 0);
	CHECK_EQ(authorize_calls, 2);
	CHECK_EQ(last_event(c), SSH_EV_AUTH_OK);
	CHECK(last_ev(c)->ulen == 5 &&
	    memcmp(last_ev(c)->user, "alice", 5) == 0);

	CHECK(cli_open_session(c, 1 << 20, 32768));
	b.n = 0;
	b_cstr(&b, "xterm-256color");
	b_u32(&b, 80); b_u32(&b, 24); b_u32(&b, 0); b_u32(&b, 0);
	b_cstr(&b, "");
	chan_request(c, "pty-req", true, &b);
	CHECK(EXPECT(c, 99, m) != 0 && get32(m + 1) == 7);
	CHECK_EQ(last_event(c), SSH_EV_PTY);
	CHECK_STR(last_ev(c)->term, "xterm-256color");
	CHECK_EQ(last_ev(c)->cols, 80);
	chan_request(c, "shell", true, NULL);
	CHECK(EXPECT(c, 99, m) != 0);
	CHECK_EQ(last_event(c), SSH_EV_SHELL);
	b.n = 0;
	b_u32(&b, 120); b_u32(&b, 40); b_u32(&b, 0); b_u32(&b, 0);
	chan_request(c, "window-change", false, &b);
	CHECK_EQ(last_event(c), SSH_EV_WINDOW_CHANGE);
	CHECK_EQ(last_ev(c)->rows, 40);

	/* Keystrokes in, output out. */
	b.n = 0;
	b_u8(&b, 94); b_u32(&b, 0); b_cstr(&b, "caps\r");
	cli_send(c, &b);
	CHECK_EQ(last_event(c), SSH_EV_DATA);
	CHECK(c->data_len == 5 && memcmp(c->data, "caps\r", 5) == 0);
	CHECK_EQ(ssh_chan_send(&srv, (const uint8_t *)"terminal\r\n", 10), 10);
	pump(c);
	n = (int)EXPECT(c, 94, m);
	CHECK(n == 19 && get32(m + 1) == 7 && memcmp(m + 9, "terminal\r\n", 10) == 0);

	/* The shell exits: exit-status, EOF, CLOSE; the client closes. */
	CHECK_EQ(ssh_chan_exit(&srv, 0), 0);
	pump(c);
	n = (int)EXPECT(c, 98, m);
	CHECK(n > 0 && memcmp(m + 9, "exit-status", 11) == 0 &&
	    get32(m + 21) == 0);
	CHECK(EXPECT(c, 96, m) != 0);
	CHECK(EXPECT(c, 97, m) != 0);
	b.n = 0;
	b_u8(&b, 97); b_u32(&b, 0);
	cli_send(c, &b);
	CHECK_EQ(last_event(c), SSH_EV_CLOSE);
	CHECK_EQ(srv.chan, SSH_CH_CLOSED);
	CHECK_EQ(c->rc, 0);
	if (c->rc == 0 && srv.chan == SSH_CH_CLOSED)
		printf("[proof] ssh login: H computed by the test client "
		    "verifies under the host key, ed25519 user key accepted, "
		    "pty/shell/data/exit-status round trip ok\n");
}

/*
 * The verdict on a signed request given later (SSH_AUTH_LATER), as a
 * gateway does while auth's answer is in flight: nothing is answered
 * and no input is taken until ssh_auth_answer, and the bytes held back
 * are taken after it.
 */
TEST(ssh_login_verdict_given_later)
{
	static uint8_t m[40000], wire[256];
	struct cli *c = cli_start(0);
	struct buf b = { .n = 0 };
	struct ssh_event ev;
	size_t n;

	CHECK(cli_handshake(c));
	b_u8(&b, 5);
	b_cstr(&b, "ssh-userauth");
	cli_send(c, &b);
	CHECK(EXPECT(c, 6, m) != 0);
	authorize_verdict = SSH_AUTH_LATER;
	userauth_pk(c, "alice", &user_key, true, false);
	CHECK_EQ(authorize_calls, 1);
	CHECK(srv.auth_wait);
	CHECK_EQ(cli_recv(c, m), 0);
	b.n = 0;
	b_u8(&b, 2);
	b_cstr(&b, "held");
	n = cli_packet(c, b.b, b.n, wire);
	CHECK_EQ(ssh_input(&srv, wire, n, &ev), 0);
	CHECK_EQ(ev.type, SSH_EV_NONE);
	CHECK_EQ(ssh_auth_answer(&srv, true, &ev), 0);
	CHECK_EQ(ev.type, SSH_EV_AUTH_OK);
	CHECK(ev.ulen == 5 && memcmp(ev.user, "alice", 5) == 0);
	CHECK(memcmp(ev.pub, user_key.pub, 32) == 0);
	pump(c);
	CHECK(EXPECT(c, 52, m) != 0);
	CHECK_EQ(srv.state, SSH_ST_OPEN);
	CHECK_EQ(ssh_auth_answer(&srv, true, &ev), SSH_EPROTO);
	feed(c, wire, n);
	CHECK_EQ(c->rc, 0);
	CHECK(cli_open_session(c, 1 << 20, 32768));
}

TEST(ssh_login_denied_later_counts_as_a_failure)
{
	static uint8_t m[40000];
	struct cli *c = cli_start(0);
	struct buf b = { .n = 0 };
	struct ssh_event ev;

	CHECK(cli_handshake(c));
	b_u8(&b, 5);
	b_cstr(&b, "ssh-userauth");
	cli_send(c, &b);
	CHECK(EXPECT(c, 6, m) != 0);
	CHECK_EQ(ssh_auth_answer(&srv, false, &ev), SSH_EPROTO);
	authorize_verdict = SSH_AUTH_LATER;
	userauth_pk(c, "alice", &user_key, true, false);
	CHECK(srv.auth_wait);
	CHECK_EQ(ssh_auth_answer(&srv, false, &ev), 0);
	CHECK_EQ(ev.type, SSH_EV_DENIED);
	CHECK_STR(ev.reason, "ssh-key-unknown");
	CHECK_EQ(srv.auth_failures, 1);
	pump(c);
	CHECK(EXPECT(c, 51, m) != 0);
	CHECK_EQ(srv.state, SSH_ST_AUTH);
	/* The query form cannot be deferred: it is a denial. */
	userauth_pk(c, "alice", &user_key, false, false);
	CHECK(EXPECT(c, 51, m) != 0);
	CHECK(!srv.auth_wait);
}

TEST(ssh_ident_lines)
{
	struct cli *c;
	static const char *bad[] = {
		"SSH-1.5-old\r\n", "SSH-1.99-compat\r\n", "SSH-2.0-\r\n",
		"SSH-2.0- space\r\n", "SSH-2.0-a\x01" "b\r\n",
	};
	char line[400];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = cli_start(0);
		feed(c, (const uint8_t *)bad[i], strlen(bad[i]));
		CHECK_EQ(c->rc, SSH_EIDENT);
	}
	/* A NUL, and a line of 255 bytes without its end. */
	c = cli_start(0);
	feed(c, (const uint8_t *)"SSH-2.0-a\0b\r\n", 13);
	CHECK_EQ(c->rc, SSH_EIDENT);
	c = cli_start(0);
	memset(line, 'A', sizeof(line));
	memcpy(line, "SSH-2.0-", 8);
	feed(c, (const uint8_t *)line, sizeof(line));
	CHECK_EQ(c->rc, SSH_EIDENT);
	/* Lines before the version are skipped, up to the bound. */
	c = cli_start(0);
	for (int i = 0; i < SSH_PREBANNER_MAX; i++)
		feed(c, (const uint8_t *)"hello\r\n", 7);
	feed(c, (const uint8_t *)"SSH-2.0-ok comment\r\n", 20);
	CHECK_EQ(c->rc, 0);
	CHECK_EQ(srv.state, SSH_ST_KEX);
	c = cli_start(0);
	for (int i = 0; i <= SSH_PREBANNER_MAX; i++)
		feed(c, (const uint8_t *)"hello\r\n", 7);
	CHECK_EQ(c->rc, SSH_EIDENT);
	/* A bare LF ends a line too. */
	c = cli_start(0);
	feed(c, (const uint8_t *)"SSH-2.0-lf\n", 11);
	CHECK_EQ(srv.state, SSH_ST_KEX);
}

TEST(ssh_kexinit_negotiation)
{
	static uint8_t m[40000];
	struct cli *c;

	/* No common cipher, no strict key exchange: refused with
	 * DISCONNECT (key exchange failed). */
	c = cli_start(0);
	cli_ident(c);
	cli_kexinit(c, CLI_KEX, "aes128-ctr");
	CHECK_EQ(c->rc, SSH_ENOALG);
	CHECK(EXPECT(c, 20, m) != 0);
	CHECK(EXPECT(c, 1, m) != 0 && get32(m + 1) == 3);
	c = cli_start(0);
	cli_ident(c);
	cli_kexinit(c, "curve25519-sha256,ext-info-c", CIPHER);
	CHECK_EQ(c->rc, SSH_ENOALG);
	c = cli_start(0);
	cli_ident(c);
	cli_kexinit(c, "diffie-hellman-group14-sha256,"
	    "kex-strict-c-v00@openssh.com", CIPHER);
	CHECK_EQ(c->rc, SSH_ENOALG);
	/* The libssh.org alias is the same method. */
	c = cli_start(0);
	cli_ident(c);
	cli_kexinit(c, "curve25519-sha256@libssh.org,"
	    "kex-strict-c-v00@openssh.com", CIPHER);
	CHECK(EXPECT(c, 20, m) != 0);
	memcpy(c->i_s, m, 1);
	c->i_s_len = 0;
	CHECK_EQ(c->rc, 0);
	CHECK_EQ(srv.kex, SSH_KX_ECDH);
}

/*
 * first_kex_packet_follows with a wrong guess (RFC 4253 7): the client's
 * first choice is a method the server lacks, so the KEX packet it sent on
 * that guess is dropped and the exchange goes on with the next one.
 */
TEST(ssh_kex_wrong_guess_dropped)
{
	static uint8_t m[40000];
	struct buf b = { .n = 0 };
	struct cli *c = cli_start(0);
	size_t n;

	cli_ident(c);
	cli_kexinit_follows(c, "sntrup761x25519-sha512@openssh.com,"
	    "curve25519-sha256,kex-strict-c-v00@openssh.com", CIPHER, true);
	n = EXPECT(c, 20, m);
	memcpy(c->i_s, m, n);
	c->i_s_len = n;
	b_u8(&b, 30);
	b_str(&b, m, 1190);		/* the guessed method's init */
	cli_send(c, &b);
	CHECK_EQ(c->rc, 0);
	CHECK_EQ(cli_recv(c, m), 0);	/* no reply to it */
	CHECK(cli_ecdh(c));
	CHECK_EQ(c->rc, 0);
}

/* The first key exchange accepts only its own messages, in order. */
TEST(ssh_strict_kex_unexpected_messages)
{
	static uint8_t m[40000];
	struct buf b = { .n = 0 };
	struct cli *c;

	/* IGNORE before KEXINIT: the Terrapin attack's injected message. */
	c = cli_start(0);
	cli_ident(c);
	b_u8(&b, 2);
	b_cstr(&b, "");
	cli_send(c, &b);
	CHECK_EQ(c->rc, SSH_EPROTO);

	/* IGNORE between KEXINIT and ECDH_INIT. */
	c = cli_start(0);
	cli_ident(c);
	cli_kexinit(c, CLI_KEX, CIPHER);
	cli_send(c, &b);
	CHECK_EQ(c->rc, SSH_EPROTO);

	/* A service request before NEWKEYS. */
	c = cli_start(0);
	cli_ident(c);
	cli_kexinit(c, CLI_KEX, CIPHER);
	b.n = 0;
	b_u8(&b, 5);
	b_cstr(&b, "ssh-userauth");
	cli_send(c, &b);
	CHECK_EQ(c->rc, SSH_EPROTO);

	/* NEWKEYS before ECDH_INIT. */
	c = cli_start(0);
	cli_ident(c);
	cli_kexinit(c, CLI_KEX, CIPHER);
	b.n = 0;
	b_u8(&b, 21);
	cli_send(c, &b);
	CHECK_EQ(c->rc, SSH_EPROTO);
	(void)m;
}

/*
 * Terrapin-style prefix truncation: a man in the middle deletes the
 * client's first encrypted packet (here: it never reaches the server, so
 * the next one arrives sealed with sequence number 1). Under strict key
 * exchange the server expects 0 and the MAC fails; and an IGNORE the
 * attacker injects before NEWKEYS to make up the count is refused.
 */
TEST(ssh_strict_kex_prefix_truncation)
{
	static uint8_t wire[1024], m[40000];
	struct buf b = { .n = 0 };
	struct cli *c = cli_start(0);
	bool ok;

	CHECK(cli_handshake(c));
	b_u8(&b, 2);
	b_cstr(&b, "dropped");
	(void)cli_packet(c, b.b, b.n, wire);	/* seq 0, never delivered */
	b.n = 0;
	b_u8(&b, 5);
	b_cstr(&b, "ssh-userauth");
	cli_send(c, &b);
	/* The length decrypts to noise under the wrong sequence number:
	 * either its bound or the MAC ends the connection. */
	CHECK(c->rc == SSH_EMAC || c->rc == SSH_ELENGTH);
	ok = c->rc == SSH_EMAC || c->rc == SSH_ELENGTH;
	CHECK_EQ(cli_recv(c, m), 0);		/* nothing answered */

	/* The injected IGNORE before the client's NEWKEYS. */
	c = cli_start(0);
	cli_ident(c);
	cli_kexinit(c, CLI_KEX, CIPHER);
	CHECK(EXPECT(c, 20, m) != 0);
	b.n = 0;
	b_u8(&b, 30);
	memset(wire, 9, 32);
	b_str(&b, wire, 32);
	cli_send(c, &b);
	CHECK(EXPECT(c, 31, m) != 0);
	CHECK(EXPECT(c, 21, m) != 0);
	b.n = 0;
	b_u8(&b, 2);
	b_cstr(&b, "");
	cli_send(c, &b);
	CHECK_EQ(c->rc, SSH_EPROTO);
	if (ok && c->rc == SSH_EPROTO)
		printf("[proof] strict kex: a dropped first encrypted packet fails "
	    "the MAC and an injected IGNORE before NEWKEYS is refused ok\n");
}

TEST(ssh_bad_mac_and_lengths)
{
	static uint8_t wire[40100], m[40000];
	struct buf b = { .n = 0 };
	struct cli *c;
	size_t n;

	/* A flipped bit in an encrypted packet's body. */
	c = cli_start(0);
	CHECK(cli_handshake(c));
	b_u8(&b, 5);
	b_cstr(&b, "ssh-userauth");
	n = cli_packet(c, b.b, b.n, wire);
	wire[10] ^= 4;
	feed(c, wire, n);
	CHECK_EQ(c->rc, SSH_EMAC);
	CHECK_EQ(srv.state, SSH_ST_CLOSED);
	CHECK_EQ(ssh_input(&srv, wire, n, &(struct ssh_event){0}), SSH_EMAC);

	/* Plaintext lengths: 2^32 - 1, not a multiple of 8, too short,
	 * over the 35000-byte packet. */
	static const uint32_t bad[] = { 0xffffffffu, 13, 4, 35004 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = cli_start(0);
		cli_ident(c);
		put32(wire, bad[i]);
		feed(c, wire, 4);
		CHECK_EQ(c->rc, SSH_ELENGTH);
	}
	/* A length just inside the bound is read on. */
	c = cli_start(0);
	cli_ident(c);
	put32(wire, 35000 - 4);
	feed(c, wire, 4);
	CHECK_EQ(c->rc, 0);

	/* An encrypted length over the bound (2^32 - 1 under K_1). */
	c = cli_start(0);
	CHECK(cli_handshake(c));
	{
		_Alignas(16) uint8_t nn[12];
		uint8_t l[4];

		cli_nonce(c->tx_seq, nn);
		put32(l, 0xffffffffu);
		crypto_chacha20_xor(c->tx.k1, nn, 0, l, l, 4);
		feed(c, l, 4);
	}
	CHECK_EQ(c->rc, SSH_ELENGTH);
	/* Padding shorter than 4 bytes. */
	c = cli_start(0);
	cli_ident(c);
	memset(wire, 0, 16);
	put32(wire, 12);
	wire[4] = 3;
	wire[5] = 20;
	feed(c, wire, 16);
	CHECK_EQ(c->rc, SSH_ELENGTH);
	(void)m;
}

TEST(ssh_auth_denials)
{
	static uint8_t m[40000];
	struct buf b = { .n = 0 };
	struct crypto_ed25519_key other;
	uint8_t seed[32] = { 9 };
	struct cli *c = cli_start(0);
	int failures = 0;

	crypto_ed25519_from_seed(&other, seed);
	CHECK(cli_handshake(c));
	b_u8(&b, 5);
	b_cstr(&b, "ssh-userauth");
	cli_send(c, &b);
	CHECK(EXPECT(c, 6, m) != 0);

	/* A connection message before authentication is refused later; a
	 * password is answered with failure listing only publickey. */
	b.n = 0;
	b_u8(&b, 50);
	b_cstr(&b, "alice");
	b_cstr(&b, "ssh-connection");
	b_cstr(&b, "password");
	b_u8(&b, 0);
	b_cstr(&b, "hunter2");
	cli_send(c, &b);
	CHECK(EXPECT(c, 51, m) != 0 && memcmp(m + 5, "publickey", 9) == 0 &&
	    get32(m + 1) == 9);
	CHECK(last_event(c) == SSH_EV_DENIED &&
	    strcmp(last_ev(c)->reason, "ssh-password-denied") == 0);
	failures++;
	b.n = 0;
	b_u8(&b, 50);
	b_cstr(&b, "alice");
	b_cstr(&b, "ssh-connection");
	b_cstr(&b, "keyboard-interactive");
	b_cstr(&b, "");
	b_cstr(&b, "");
	cli_send(c, &b);
	CHECK(EXPECT(c, 51, m) != 0);
	CHECK_STR(last_ev(c)->reason, "ssh-keyboard-interactive-denied");
	failures++;

	/* An unknown key: query and signed request both fail. */
	userauth_pk(c, "alice", &other, false, false);
	CHECK(EXPECT(c, 51, m) != 0);
	CHECK_STR(last_ev(c)->reason, "ssh-key-unknown");
	failures++;
	/* A bad signature by the right key: the callback is not asked. */
	authorize_calls = 0;
	userauth_pk(c, "alice", &user_key, true, true);
	CHECK(EXPECT(c, 51, m) != 0);
	CHECK_STR(last_ev(c)->reason, "ssh-bad-signature");
	CHECK_EQ(authorize_calls, 0);
	failures++;
	/* The service says no to the right key for another user. */
	userauth_pk(c, "mallory", &user_key, true, false);
	CHECK(EXPECT(c, 51, m) != 0);
	failures++;
	CHECK_EQ(srv.state, SSH_ST_AUTH);
	/* The sixth failure ends the connection. */
	CHECK_EQ(failures, SSH_AUTH_TRIES - 1);
	userauth_pk(c, "alice", &other, true, false);
	CHECK_EQ(c->rc, SSH_EAUTH);
	CHECK(EXPECT(c, 1, m) != 0 && get32(m + 1) == 14);
}

TEST(ssh_connection_before_auth_refused)
{
	struct buf b = { .n = 0 };
	struct cli *c = cli_start(0);

	CHECK(cli_handshake(c));
	b_u8(&b, 90);
	b_cstr(&b, "session");
	b_u32(&b, 0); b_u32(&b, 1000); b_u32(&b, 1000);
	cli_send(c, &b);
	CHECK_EQ(c->rc, SSH_EPROTO);
}

TEST(ssh_denied_features)
{
	static uint8_t m[40000];
	static const struct {
		const char *req, *reason;
	} reqs[] = {
		{ "exec", "ssh-exec-denied" },
		{ "subsystem", "ssh-subsystem-denied" },
		{ "env", "ssh-env-denied" },
		{ "x11-req", "ssh-x11-forwarding-denied" },
		{ "auth-agent-req@openssh.com", "ssh-agent-forwarding-denied" },
		{ "signal", "ssh-request-denied" },
	};
	struct buf b = { .n = 0 }, x = { .n = 0 };
	struct cli *c = cli_start(0);
	bool all = true;

	CHECK(cli_login(c));
	CHECK(cli_open_session(c, 1 << 20, 32768));
	b_cstr(&x, "anything");
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		chan_request(c, reqs[i].req, true, &x);
		if (EXPECT(c, 100, m) == 0 || last_event(c) != SSH_EV_DENIED ||
		    strcmp(last_ev(c)->reason, reqs[i].reason) != 0) {
			test_fail(__FILE__, __LINE__, "%s not refused", reqs[i].req);
			all = false;
		}
	}
	/* Channel types: a second session, direct-tcpip. */
	static const struct {
		const char *type, *reason;
	} opens[] = {
		{ "session", "ssh-second-session-denied" },
		{ "direct-tcpip", "ssh-direct-tcpip-denied" },
		{ "x11", "ssh-x11-forwarding-denied" },
	};
	for (size_t i = 0; i < sizeof(opens) / sizeof(opens[0]); i++) {
		b.n = 0;
		b_u8(&b, 90);
		b_cstr(&b, opens[i].type);
		b_u32(&b, 8); b_u32(&b, 1000); b_u32(&b, 1000);
		cli_send(c, &b);
		if (EXPECT(c, 92, m) == 0 || get32(m + 1) != 8 ||
		    get32(m + 5) != 1 ||
		    strcmp(last_ev(c)->reason, opens[i].reason) != 0) {
			test_fail(__FILE__, __LINE__, "%s opened", opens[i].type);
			all = false;
		}
	}
	/* tcpip-forward as a global request. */
	b.n = 0;
	b_u8(&b, 80);
	b_cstr(&b, "tcpip-forward");
	b_u8(&b, 1);
	b_cstr(&b, "127.0.0.1");
	b_u32(&b, 8080);
	cli_send(c, &b);
	CHECK(EXPECT(c, 82, m) != 0);
	CHECK_STR(last_ev(c)->reason, "ssh-tcpip-forward-denied");
	/* A second shell on the same channel. */
	chan_request(c, "shell", true, NULL);
	CHECK(EXPECT(c, 99, m) != 0);
	chan_request(c, "shell", true, NULL);
	CHECK(EXPECT(c, 100, m) != 0);
	CHECK_EQ(c->rc, 0);
	if (all && c->rc == 0)
		printf("[proof] ssh: exec, subsystem, env, x11, agent, "
		    "direct-tcpip, tcpip-forward and a second session refused "
		    "with their reason codes ok\n");
}

TEST(ssh_window_both_ways)
{
	static uint8_t m[40000], big[40000];
	struct buf b = { .n = 0 };
	struct cli *c = cli_start(0);
	uint32_t sent = 0;

	CHECK(cli_login(c));
	CHECK(cli_open_session(c, 1000, 300));
	chan_request(c, "shell", false, NULL);
	/* Out: packets of at most 300 bytes, 1000 bytes in all. */
	memset(big, 'x', sizeof(big));
	for (int i = 0; i < 10; i++) {
		int n = ssh_chan_send(&srv, big, sizeof(big));

		CHECK(n >= 0 && n <= 300);
		sent += (uint32_t)n;
	}
	CHECK_EQ(sent, 1000);
	pump(c);
	for (uint32_t got = 0; got < 1000;) {
		size_t n = EXPECT(c, 94, m);

		if (n == 0)
			break;
		CHECK(get32(m + 5) <= 300);
		got += get32(m + 5);
	}
	/* The client opens its window: sending goes on. */
	b_u8(&b, 93); b_u32(&b, 0); b_u32(&b, 50);
	cli_send(c, &b);
	CHECK_EQ(ssh_chan_send(&srv, big, 100), 50);
	pump(c);
	CHECK(EXPECT(c, 94, m) != 0);
	/* A window adjust past 2^32 - 1 ends the connection. */
	b.n = 0;
	b_u8(&b, 93); b_u32(&b, 0); b_u32(&b, 0xffffffffu);
	cli_send(c, &b);
	CHECK_EQ(c->rc, 0);
	cli_send(c, &b);
	CHECK_EQ(c->rc, SSH_EPROTO);

	/* In: four full packets fill the window; the service's consumption
	 * reopens it; one byte beyond the window ends the connection. */
	c = cli_start(0);
	CHECK(cli_login(c));
	CHECK(cli_open_session(c, 1000, 300));
	for (int i = 0; i < SSH_WINDOW / SSH_CHAN_PACKET; i++) {
		b.n = 0;
		b_u8(&b, 94); b_u32(&b, 0); b_str(&b, big, SSH_CHAN_PACKET);
		cli_send(c, &b);
	}
	CHECK_EQ(srv.local_window, 0);
	ssh_chan_consumed(&srv, SSH_WINDOW / 2);
	pump(c);
	CHECK(EXPECT(c, 93, m) != 0 && get32(m + 5) == SSH_WINDOW / 2);
	b.n = 0;
	b_u8(&b, 94); b_u32(&b, 0); b_str(&b, big, SSH_CHAN_PACKET);
	cli_send(c, &b);
	CHECK_EQ(c->rc, 0);
	b.n = 0;
	b_u8(&b, 94); b_u32(&b, 0); b_str(&b, big, SSH_CHAN_PACKET);
	cli_send(c, &b);
	CHECK_EQ(c->rc, 0);
	b.n = 0;
	b_u8(&b, 94); b_u32(&b, 0); b_str(&b, big, 1);
	cli_send(c, &b);
	CHECK_EQ(c->rc, SSH_EPROTO);
	/* A packet over our maximum is refused even inside the window. */
	c = cli_start(0);
	CHECK(cli_login(c));
	CHECK(cli_open_session(c, 1000, 300));
	b.n = 0;
	b_u8(&b, 94); b_u32(&b, 0); b_str(&b, big, SSH_CHAN_PACKET + 1);
	cli_send(c, &b);
	CHECK_EQ(c->rc, SSH_EPROTO);
}

/* One more ECDH round for a re-key: after both KEXINITs. */
static bool
cli_rekey_rest(struct cli *c)
{
	return cli_ecdh(c);
}

TEST(ssh_rekey_by_client_and_by_bytes)
{
	static uint8_t m[40000], big[8192];
	struct buf b = { .n = 0 };
	struct cli *c = cli_start(64 * 1024);
	uint8_t first_h[32];
	size_t n;
	int rekeys = 0;

	CHECK(cli_login(c));
	CHECK(cli_open_session(c, 1 << 30, 32768));
	chan_request(c, "shell", false, NULL);
	memcpy(first_h, c->h, 32);

	/* The client asks. */
	cli_kexinit(c, "curve25519-sha256", CIPHER);
	n = EXPECT(c, 20, m);
	memcpy(c->i_s, m, n);
	c->i_s_len = n;
	CHECK(cli_rekey_rest(c));
	CHECK_EQ(last_event(c), SSH_EV_REKEYED);
	CHECK(memcmp(first_h, c->h, 32) != 0);
	CHECK(memcmp(srv.session_id, c->session_id, 32) == 0);
	rekeys++;

	/* The server asks after 64 KiB: output stops while it runs. */
	memset(big, 'y', sizeof(big));
	for (int i = 0; i < 40 && rekeys < 3; i++) {
		int sent = ssh_chan_send(&srv, big, sizeof(big));

		pump(c);
		while ((n = cli_recv(c, m)) > 0) {
			if (m[0] == 20) {
				CHECK_EQ(ssh_chan_send(&srv, big, 10), 0);
				memcpy(c->i_s, m, n);
				c->i_s_len = n;
				cli_kexinit(c, "curve25519-sha256", CIPHER);
				CHECK(cli_rekey_rest(c));
				rekeys++;
			}
		}
		CHECK(sent > 0 || rekeys > 0);
	}
	CHECK_EQ(rekeys, 3);
	/* Data still flows, under the third set of keys. */
	b_u8(&b, 94); b_u32(&b, 0); b_cstr(&b, "after");
	cli_send(c, &b);
	CHECK_EQ(c->rc, 0);
	CHECK(c->data_len >= 5 &&
	    memcmp(c->data + c->data_len - 5, "after", 5) == 0);
	if (rekeys == 3 && c->rc == 0)
		printf("[proof] ssh re-key: asked by the client and started by "
		    "the server after its byte limit, data intact ok\n");
}

/* Output that cannot be drained holds input back instead of losing it. */
TEST(ssh_output_backpressure)
{
	static uint8_t big[SSH_CHAN_PACKET];
	struct buf b = { .n = 0 };
	struct cli *c = cli_start(0);
	uint8_t wire[256];
	size_t n;
	int rc;

	CHECK(cli_login(c));
	CHECK(cli_open_session(c, 1 << 30, 32768));
	/* Fill the server's output. */
	while (ssh_chan_send(&srv, big, sizeof(big)) > 0)
		;
	b_u8(&b, 98); b_u32(&b, 0); b_cstr(&b, "shell"); b_u8(&b, 1);
	n = cli_packet(c, b.b, b.n, wire);
	rc = ssh_input(&srv, wire, n, &(struct ssh_event){0});
	CHECK(rc >= 0 && (size_t)rc < n);
	CHECK(!srv.shell_started);
	pump(c);
	feed(c, wire + rc, n - (size_t)rc);
	CHECK(srv.shell_started);
	CHECK_EQ(c->rc, 0);
}
