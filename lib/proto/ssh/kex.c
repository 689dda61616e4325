/*
 * Key exchange: KEXINIT negotiation (RFC 4253 7.1), curve25519-sha256
 * (RFC 8731) with ssh-ed25519 host keys (RFC 8709), the exchange hash
 * and key derivation (RFC 4253 7.2, 8), strict key exchange and
 * EXT_INFO's server-sig-algs (RFC 8308).
 *
 * The exchange hash is computed as the messages arrive, so neither
 * KEXINIT has to be kept whole: H = SHA-256(V_C || V_S || I_C || I_S ||
 * K_S || Q_C || Q_S || K), each a string but K, an mpint. Only our own
 * KEXINIT (kexinit[], bound 512 bytes, written by us) and the client's
 * identification line are kept between messages.
 */
#include <string.h>

#include "ssh_int.h"

#define KEX_NAMES	"curve25519-sha256,curve25519-sha256@libssh.org"
#define KEX_FIRST_EXTRA	",ext-info-s,kex-strict-s-v00@openssh.com"
#define HOSTKEY_ALG	"ssh-ed25519"
#define CIPHER_ALG	"chacha20-poly1305@openssh.com"

static void
hash_str(struct crypto_sha256 *h, const void *p, size_t n)
{
	uint8_t len[4];

	ssh_put_u32(len, (uint32_t)n);
	crypto_sha256_update(h, len, 4);
	crypto_sha256_update(h, p, n);
}

/*
 * Our KEXINIT. The MAC lists are empty: the only cipher is an AEAD, for
 * which no MAC is negotiated (PROTOCOL.chacha20poly1305), and naming a
 * MAC would advertise an algorithm this server never runs.
 */
int
ssh_kex_send_init(struct ssh_conn *c)
{
	struct ssh_wr w = { c->kexinit, 0, sizeof(c->kexinit), false };
	struct ssh_wr pw;
	uint8_t cookie[16];

	if (c->cfg.random(c->cfg.ctx, cookie, sizeof(cookie)) != 0)
		return SSH_EKEX;
	ssh_wr_u8(&w, MSG_KEXINIT);
	ssh_wr_bytes(&w, cookie, sizeof(cookie));
	ssh_wr_cstr(&w, c->first_kex_done ? KEX_NAMES :
	    KEX_NAMES KEX_FIRST_EXTRA);
	ssh_wr_cstr(&w, HOSTKEY_ALG);
	ssh_wr_cstr(&w, CIPHER_ALG);
	ssh_wr_cstr(&w, CIPHER_ALG);
	ssh_wr_cstr(&w, "");
	ssh_wr_cstr(&w, "");
	ssh_wr_cstr(&w, "none");
	ssh_wr_cstr(&w, "none");
	ssh_wr_cstr(&w, "");
	ssh_wr_cstr(&w, "");
	ssh_wr_u8(&w, 0);		/* first_kex_packet_follows */
	ssh_wr_u32(&w, 0);		/* reserved */
	if (w.bad || !ssh_pkt_begin(c, &pw))
		return SSH_EKEX;
	c->kexinit_len = w.len;
	ssh_wr_bytes(&pw, c->kexinit, c->kexinit_len);
	c->kex = SSH_KX_SENT;
	return ssh_pkt_end(c, &pw);
}

/* The first name of a name-list. */
static size_t
first_name(const uint8_t *list, size_t len)
{
	size_t i = 0;

	while (i < len && list[i] != ',')
		i++;
	return i;
}

/* The client's first KEX method that we have (the client's preference
 * decides, RFC 4253 7.1), or NULL. */
static const char *
choose_kex(const uint8_t *list, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && list[i] != ',')
			continue;
		if (ssh_str_is(list + start, i - start, "curve25519-sha256"))
			return "curve25519-sha256";
		if (ssh_str_is(list + start, i - start,
		    "curve25519-sha256@libssh.org"))
			return "curve25519-sha256@libssh.org";
		start = i + 1;
	}
	return NULL;
}

int
ssh_kex_on_kexinit(struct ssh_conn *c, const uint8_t *msg, size_t len)
{
	struct ssh_rd r = { msg + 1, len - 1, false };
	const uint8_t *l[10];
	size_t n[10];
	const char *kex;
	bool follows;
	int rc;

	if (c->kex == SSH_KX_ECDH || c->kex == SSH_KX_NEWKEYS)
		return ssh_fail(c, SSH_EPROTO, DISC_PROTOCOL_ERROR,
		    "KEXINIT during key exchange");
	/* Strict key exchange: the KEXINIT is the first packet. */
	if (c->state == SSH_ST_KEX && c->in_seq != 1)
		return ssh_fail(c, SSH_EPROTO, DISC_PROTOCOL_ERROR,
		    "KEXINIT is not the first packet");
	for (int i = 0; i < 16; i++)
		(void)ssh_rd_u8(&r);
	for (int i = 0; i < 10; i++)
		l[i] = ssh_rd_str(&r, &n[i]);
	follows = ssh_rd_u8(&r) != 0;
	(void)ssh_rd_u32(&r);
	if (r.bad)
		return ssh_fail(c, SSH_EPROTO, DISC_PROTOCOL_ERROR,
		    "malformed KEXINIT");
	/* The first exchange, or a re-key the client started: ours goes
	 * now, before any refusal, so the client sees what we offer. */
	if (c->kex == SSH_KX_NONE) {
		rc = ssh_kex_send_init(c);
		if (rc < 0)
			return ssh_fail(c, rc, 0, NULL);
	}

	kex = choose_kex(l[0], n[0]);
	if (kex == NULL || !ssh_list_has(l[1], n[1], HOSTKEY_ALG) ||
	    !ssh_list_has(l[2], n[2], CIPHER_ALG) ||
	    !ssh_list_has(l[3], n[3], CIPHER_ALG) ||
	    !ssh_list_has(l[6], n[6], "none") ||
	    !ssh_list_has(l[7], n[7], "none"))
		return ssh_fail(c, SSH_ENOALG, DISC_KEY_EXCHANGE_FAILED,
		    "no common algorithm");
	if (!c->first_kex_done) {
		/* Without strict key exchange a man in the middle can drop
		 * packets before encryption starts unnoticed; such clients
		 * are refused rather than served weaker. */
		if (!ssh_list_has(l[0], n[0], "kex-strict-c-v00@openssh.com"))
			return ssh_fail(c, SSH_ENOALG,
			    DISC_KEY_EXCHANGE_FAILED,
			    "strict key exchange required");
		c->strict = true;
		c->ext_info = ssh_list_has(l[0], n[0], "ext-info-c");
	}
	if (follows)
		c->skip_guess = !ssh_str_is(l[0], first_name(l[0], n[0]), kex) ||
		    !ssh_str_is(l[1], first_name(l[1], n[1]), HOSTKEY_ALG);

	crypto_sha256_init(&c->hash);
	hash_str(&c->hash, c->client_id, c->client_id_len);
	hash_str(&c->hash, ssh_server_id(), strlen(ssh_server_id()));
	hash_str(&c->hash, msg, len);
	hash_str(&c->hash, c->kexinit, c->kexinit_len);
	c->kex = SSH_KX_ECDH;
	return 0;
}

/* RFC 4253 7.2: HASH(K || H || X || session_id), extended by
 * HASH(K || H || K1) to the cipher's 64 bytes. */
static void
derive(const struct ssh_conn *c, const uint8_t *kmp, size_t kn,
    const uint8_t h[CRYPTO_SHA256_LEN], char x, uint8_t out[64])
{
	struct crypto_sha256 s;

	crypto_sha256_init(&s);
	crypto_sha256_update(&s, kmp, kn);
	crypto_sha256_update(&s, h, CRYPTO_SHA256_LEN);
	crypto_sha256_update(&s, &x, 1);
	crypto_sha256_update(&s, c->session_id, CRYPTO_SHA256_LEN);
	crypto_sha256_final(&s, out);
	crypto_sha256_init(&s);
	crypto_sha256_update(&s, kmp, kn);
	crypto_sha256_update(&s, h, CRYPTO_SHA256_LEN);
	crypto_sha256_update(&s, out, 32);
	crypto_sha256_final(&s, out + 32);
	crypto_wipe(&s, sizeof(s));
}

static int
send_ext_info(struct ssh_conn *c)
{
	struct ssh_wr w;

	if (!ssh_pkt_begin(c, &w))
		return SSH_EPROTO;
	ssh_wr_u8(&w, MSG_EXT_INFO);
	ssh_wr_u32(&w, 1);
	ssh_wr_cstr(&w, "server-sig-algs");
	ssh_wr_cstr(&w, HOSTKEY_ALG);
	return ssh_pkt_end(c, &w);
}

/* Everything secret ecdh_reply holds, wiped on every way out. */
struct ecdh_secrets {
	uint8_t e[CRYPTO_X25519_LEN], k[CRYPTO_X25519_LEN];
	uint8_t kmp[4 + 1 + CRYPTO_X25519_LEN];
	uint8_t key[SSH_CIPHER_KEY_LEN];
};

static int
ecdh_reply(struct ssh_conn *c, const uint8_t qc[CRYPTO_X25519_LEN],
    struct ecdh_secrets *s)
{
	uint8_t qs[CRYPTO_X25519_LEN], h[CRYPTO_SHA256_LEN];
	uint8_t ks[CRYPTO_SSH_ED25519_KEY_BLOB_LEN];
	uint8_t sig[CRYPTO_ED25519_SIG_LEN];
	uint8_t sigblob[CRYPTO_SSH_ED25519_SIG_BLOB_LEN];
	struct ssh_wr kw = { s->kmp, 0, sizeof(s->kmp), false };
	struct ssh_wr w;
	int rc;

	if (c->cfg.random(c->cfg.ctx, s->e, sizeof(s->e)) != 0 ||
	    crypto_x25519_public(qs, s->e) != 0 ||
	    crypto_x25519(s->k, s->e, qc) != 0)
		return SSH_EKEX;
	ssh_wr_mpint(&kw, s->k, sizeof(s->k));
	crypto_ssh_ed25519_key_blob(c->cfg.host_pub, ks);
	hash_str(&c->hash, ks, sizeof(ks));
	hash_str(&c->hash, qc, CRYPTO_X25519_LEN);
	hash_str(&c->hash, qs, sizeof(qs));
	crypto_sha256_update(&c->hash, s->kmp, kw.len);
	crypto_sha256_final(&c->hash, h);
	if (!c->first_kex_done)
		memcpy(c->session_id, h, sizeof(h));
	if (c->cfg.sign(c->cfg.ctx, h, sizeof(h), sig) != 0)
		return SSH_EKEX;
	crypto_ssh_ed25519_sig_blob(sig, sigblob);

	if (!ssh_pkt_begin(c, &w))
		return SSH_EKEX;
	ssh_wr_u8(&w, MSG_KEX_ECDH_REPLY);
	ssh_wr_str(&w, ks, sizeof(ks));
	ssh_wr_str(&w, qs, sizeof(qs));
	ssh_wr_str(&w, sigblob, sizeof(sigblob));
	if ((rc = ssh_pkt_end(c, &w)) < 0)
		return rc;
	if (!ssh_pkt_begin(c, &w))
		return SSH_EKEX;
	ssh_wr_u8(&w, MSG_NEWKEYS);
	if ((rc = ssh_pkt_end(c, &w)) < 0)
		return rc;

	/* Our direction switches after our NEWKEYS; the client's after
	 * its own. */
	derive(c, s->kmp, kw.len, h, 'C', s->key);
	ssh_cipher_key(&c->in_next, s->key);
	derive(c, s->kmp, kw.len, h, 'D', s->key);
	ssh_cipher_key(&c->out_cipher, s->key);
	c->out_keyed = true;
	if (c->strict)
		c->out_seq = 0;
	c->kex = SSH_KX_NEWKEYS;
	return 0;
}

int
ssh_kex_on_ecdh(struct ssh_conn *c, const uint8_t *msg, size_t len)
{
	struct ssh_rd r = { msg + 1, len - 1, false };
	struct ecdh_secrets s;
	const uint8_t *qc;
	size_t n;
	int rc;

	if (c->kex != SSH_KX_ECDH)
		return ssh_fail(c, SSH_EPROTO, DISC_PROTOCOL_ERROR,
		    "KEX_ECDH_INIT out of order");
	qc = ssh_rd_str(&r, &n);
	if (r.bad || n != CRYPTO_X25519_LEN)
		return ssh_fail(c, SSH_EPROTO, DISC_KEY_EXCHANGE_FAILED,
		    "Q_C is not an X25519 point");
	rc = ecdh_reply(c, qc, &s);
	crypto_wipe(&s, sizeof(s));
	if (rc < 0)
		return ssh_fail(c, SSH_EKEX, DISC_KEY_EXCHANGE_FAILED,
		    "key exchange failed");
	return 0;
}

int
ssh_kex_on_newkeys(struct ssh_conn *c, struct ssh_event *ev)
{
	if (c->kex != SSH_KX_NEWKEYS)
		return ssh_fail(c, SSH_EPROTO, DISC_PROTOCOL_ERROR,
		    "NEWKEYS out of order");
	c->in_cipher = c->in_next;
	crypto_wipe(&c->in_next, sizeof(c->in_next));
	c->in_keyed = true;
	if (c->strict)
		c->in_seq = 0;
	c->kex = SSH_KX_NONE;
	c->in_bytes = c->out_bytes = 0;
	c->in_packets = c->out_packets = 0;
	if (c->first_kex_done) {
		ev->type = SSH_EV_REKEYED;
		return 0;
	}
	c->first_kex_done = true;
	c->state = SSH_ST_SERVICE;
	/*
	 * EXT_INFO must be the packet after our first NEWKEYS (RFC 8308
	 * 2.4); it waits for the client's, so that the client's NEWKEYS
	 * gets an answer. OpenSSH sends its next packet (the service
	 * request) only once its NEWKEYS is acknowledged (Nagle's algorithm
	 * is on before a session), and a TCP stack with nothing to send
	 * back holds that ACK for its delay, 40 ms on Linux: measured, the
	 * whole of the 44 ms this step of a login took.
	 */
	return c->ext_info ? send_ext_info(c) : 0;
}
