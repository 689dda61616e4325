/*
 * A hostile SSH client on the host, for tests/qemu/test_ssh.py: it does
 * what OpenSSH never does, sending signed publickey requests without
 * asking first whether the key is acceptable (docs/ssh.md, "The
 * gateway"). Built on lib/proto/ssh's wire and cipher code and lib/crypto
 * for the host; the transport is curve25519-sha256 with strict key
 * exchange and chacha20-poly1305@openssh.com, the server's host key
 * checked against the pinned one.
 *
 *	signclient --port P --host-key HOST.pub --key USER.pub
 *	    --user NAME --signed-user NAME [--signed N]
 *
 * After the key exchange it sends, one at a time, waiting for each
 * answer:
 *   1. for --user, the key in --key (one the server knows) with a
 *      signature that is not that key's: "bad-signature refused";
 *   2. up to --signed N (default 5) requests for --signed-user with a key
 *      of its own, made afresh and signed correctly, which the engine
 *      verifies and passes on to whoever decides: "signed K sent" as each
 *      goes out, then "signed K refused" (or "accepted").
 * It prints "disconnected: REASON" when the server ends the connection,
 * "done" when all were answered, and "error WHY" (exit status 1) on
 * anything else. Every line is flushed as it is printed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ssh_int.h"

#define CLIENT_ID	"SSH-2.0-capOS-signclient"
#define KEX_LIST	"curve25519-sha256,kex-strict-c-v00@openssh.com"
#define CIPHER		"chacha20-poly1305@openssh.com"

static int fd = -1;
static struct ssh_cipher in_cipher, out_cipher;
static bool in_keyed, out_keyed;
static uint32_t in_seq, out_seq;
static uint8_t session_id[CRYPTO_SHA256_LEN];

static void say(const char *fmt, ...);

static void
fail(const char *why)
{
	say("error %s\n", why);
	exit(1);
}

static void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void
fill_random(uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = getrandom(p, n, 0);

		if (k <= 0)
			fail("getrandom");
		p += k;
		n -= (size_t)k;
	}
}

static void
read_all(uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = read(fd, p, n);

		if (k <= 0) {
			say("disconnected: the connection closed\n");
			exit(0);
		}
		p += k;
		n -= (size_t)k;
	}
}

static void
write_all(const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k <= 0)
			fail("write");
		p += k;
		n -= (size_t)k;
	}
}

/* Sends one payload (RFC 4253 6; PROTOCOL.chacha20poly1305 when keyed). */
static void
send_packet(const uint8_t *payload, size_t len)
{
	static uint8_t pkt[SSH_PACKET_MAX];
	size_t body = 1 + len, pad = 8 - (body + (out_keyed ? 0 : 4)) % 8;

	if (pad < 4)
		pad += 8;
	if (4 + body + pad + SSH_TAG_LEN > sizeof(pkt))
		fail("payload too long");
	memcpy(pkt + 5, payload, len);
	fill_random(pkt + 5 + len, pad);
	body += pad;
	ssh_put_u32(pkt, (uint32_t)body);
	pkt[4] = (uint8_t)pad;
	if (out_keyed) {
		ssh_cipher_seal(&out_cipher, out_seq, pkt, 4 + body,
		    pkt + 4 + body);
		body += SSH_TAG_LEN;
	}
	out_seq++;
	write_all(pkt, 4 + body);
}

/* Receives one payload into buf; its length. */
static size_t
recv_packet(uint8_t *buf)
{
	static uint8_t pkt[SSH_PACKET_MAX];
	uint8_t len[4];
	uint32_t n;
	size_t tag = in_keyed ? SSH_TAG_LEN : 0;

	read_all(pkt, 4);
	if (in_keyed)
		ssh_cipher_length(&in_cipher, in_seq, pkt, len);
	else
		memcpy(len, pkt, 4);
	n = ssh_get_u32(len);
	if (n < 5 || n + 4 + tag > sizeof(pkt))
		fail("bad packet length");
	read_all(pkt + 4, n + tag);
	if (in_keyed && ssh_cipher_open(&in_cipher, in_seq, pkt, 4 + n,
	    pkt + 4 + n) != 0)
		fail("bad MAC");
	in_seq++;
	if (pkt[4] >= n - 1)
		fail("bad padding");
	memcpy(buf, pkt + 5, n - 1 - pkt[4]);
	return n - 1 - pkt[4];
}

/* The next message that is not IGNORE or DEBUG; DISCONNECT ends here. */
static size_t
next_message(uint8_t *buf)
{
	for (;;) {
		size_t n = recv_packet(buf);

		if (n == 0)
			fail("empty packet");
		if (buf[0] == MSG_IGNORE || buf[0] == MSG_DEBUG)
			continue;
		if (buf[0] == MSG_DISCONNECT) {
			struct ssh_rd r = { buf + 1, n - 1, false };
			size_t wl;
			const uint8_t *why;

			(void)ssh_rd_u32(&r);
			why = ssh_rd_str(&r, &wl);
			say("disconnected: %.*s\n", r.bad ? 0 : (int)wl,
			    r.bad ? "" : (const char *)why);
			exit(0);
		}
		return n;
	}
}

static void
hash_str(struct crypto_sha256 *h, const void *p, size_t n)
{
	uint8_t len[4];

	ssh_put_u32(len, (uint32_t)n);
	crypto_sha256_update(h, len, 4);
	crypto_sha256_update(h, p, n);
}

static void
derive(const uint8_t *kmp, size_t kn, const uint8_t h[32], char x,
    uint8_t out[64])
{
	struct crypto_sha256 s;

	crypto_sha256_init(&s);
	crypto_sha256_update(&s, kmp, kn);
	crypto_sha256_update(&s, h, 32);
	crypto_sha256_update(&s, &x, 1);
	crypto_sha256_update(&s, session_id, 32);
	crypto_sha256_final(&s, out);
	crypto_sha256_init(&s);
	crypto_sha256_update(&s, kmp, kn);
	crypto_sha256_update(&s, h, 32);
	crypto_sha256_update(&s, out, 32);
	crypto_sha256_final(&s, out + 32);
}

/* Identification, KEXINIT, ECDH with the host key checked, NEWKEYS. */
static void
key_exchange(const uint8_t host_pub[32])
{
	static uint8_t buf[SSH_PACKET_MAX], ikex[1024], skex[SSH_PACKET_MAX];
	char sid[SSH_ID_MAX + 1];
	size_t sidlen = 0, ikn, skn, n, kl, ql, sl;
	uint8_t e[32], qc[32], k[32], h[32], sig[64], pub[32], key[64];
	uint8_t kmp[4 + 1 + 32];
	struct ssh_wr w = { ikex, 0, sizeof(ikex), false };
	struct ssh_wr kw = { kmp, 0, sizeof(kmp), false };
	struct ssh_rd r;
	const uint8_t *ks, *qs, *sb;
	struct crypto_sha256 hh;

	write_all((const uint8_t *)CLIENT_ID "\r\n", strlen(CLIENT_ID) + 2);
	for (;;) {
		uint8_t ch;

		read_all(&ch, 1);
		if (ch == '\n') {
			if (sidlen > 0 && sid[sidlen - 1] == '\r')
				sidlen--;
			if (sidlen >= 4 && memcmp(sid, "SSH-", 4) == 0)
				break;
			sidlen = 0;
			continue;
		}
		if (sidlen >= SSH_ID_MAX)
			fail("identification line too long");
		sid[sidlen++] = (char)ch;
	}

	ssh_wr_u8(&w, MSG_KEXINIT);
	fill_random(buf, 16);
	ssh_wr_bytes(&w, buf, 16);
	ssh_wr_cstr(&w, KEX_LIST);
	ssh_wr_cstr(&w, "ssh-ed25519");
	ssh_wr_cstr(&w, CIPHER);
	ssh_wr_cstr(&w, CIPHER);
	ssh_wr_cstr(&w, "");
	ssh_wr_cstr(&w, "");
	ssh_wr_cstr(&w, "none");
	ssh_wr_cstr(&w, "none");
	ssh_wr_cstr(&w, "");
	ssh_wr_cstr(&w, "");
	ssh_wr_u8(&w, 0);
	ssh_wr_u32(&w, 0);
	ikn = w.len;
	send_packet(ikex, ikn);
	skn = next_message(skex);
	if (skex[0] != MSG_KEXINIT)
		fail("no KEXINIT from the server");

	fill_random(e, sizeof(e));
	if (crypto_x25519_public(qc, e) != 0)
		fail("x25519");
	w = (struct ssh_wr){ buf, 0, sizeof(buf), false };
	ssh_wr_u8(&w, MSG_KEX_ECDH_INIT);
	ssh_wr_str(&w, qc, sizeof(qc));
	send_packet(buf, w.len);

	n = next_message(buf);
	if (buf[0] != MSG_KEX_ECDH_REPLY)
		fail("no KEX_ECDH_REPLY");
	r = (struct ssh_rd){ buf + 1, n - 1, false };
	ks = ssh_rd_str(&r, &kl);
	qs = ssh_rd_str(&r, &ql);
	sb = ssh_rd_str(&r, &sl);
	if (r.bad || ql != 32 || crypto_ssh_ed25519_parse_key(ks, kl,
	    pub) != 0 || crypto_ssh_ed25519_parse_sig(sb, sl, sig) != 0)
		fail("malformed KEX_ECDH_REPLY");
	if (memcmp(pub, host_pub, 32) != 0)
		fail("the host key is not the pinned one");
	if (crypto_x25519(k, e, qs) != 0)
		fail("x25519 shared secret");
	ssh_wr_mpint(&kw, k, sizeof(k));
	crypto_sha256_init(&hh);
	hash_str(&hh, CLIENT_ID, strlen(CLIENT_ID));
	hash_str(&hh, sid, sidlen);
	hash_str(&hh, ikex, ikn);
	hash_str(&hh, skex, skn);
	hash_str(&hh, ks, kl);
	hash_str(&hh, qc, sizeof(qc));
	hash_str(&hh, qs, ql);
	crypto_sha256_update(&hh, kmp, kw.len);
	crypto_sha256_final(&hh, h);
	if (crypto_ed25519_verify(pub, h, sizeof(h), sig) != 0)
		fail("the host's signature does not verify");
	memcpy(session_id, h, sizeof(h));

	n = next_message(buf);
	if (buf[0] != MSG_NEWKEYS)
		fail("no NEWKEYS");
	buf[0] = MSG_NEWKEYS;
	send_packet(buf, 1);
	/* Strict key exchange: both sequence numbers start again. */
	derive(kmp, kw.len, h, 'C', key);
	ssh_cipher_key(&out_cipher, key);
	derive(kmp, kw.len, h, 'D', key);
	ssh_cipher_key(&in_cipher, key);
	out_keyed = in_keyed = true;
	in_seq = out_seq = 0;
}

/* One signed publickey request: user, the key pub, and a signature by
 * signer (which need not hold pub) over what RFC 4252 7 signs. */
static void
signed_request(const char *user, const uint8_t pub[32],
    const struct crypto_ed25519_key *signer)
{
	static uint8_t msg[1024], data[1024];
	uint8_t blob[CRYPTO_SSH_ED25519_KEY_BLOB_LEN];
	uint8_t sig[64], sigblob[CRYPTO_SSH_ED25519_SIG_BLOB_LEN];
	struct ssh_wr w = { msg, 0, sizeof(msg), false };
	struct ssh_wr d = { data, 0, sizeof(data), false };

	crypto_ssh_ed25519_key_blob(pub, blob);
	ssh_wr_u8(&w, MSG_USERAUTH_REQUEST);
	ssh_wr_cstr(&w, user);
	ssh_wr_cstr(&w, "ssh-connection");
	ssh_wr_cstr(&w, "publickey");
	ssh_wr_u8(&w, 1);
	ssh_wr_cstr(&w, "ssh-ed25519");
	ssh_wr_str(&w, blob, sizeof(blob));
	ssh_wr_str(&d, session_id, sizeof(session_id));
	ssh_wr_bytes(&d, msg, w.len);
	if (w.bad || d.bad || crypto_ed25519_sign(signer, data, d.len,
	    sig) != 0)
		fail("cannot sign");
	crypto_ssh_ed25519_sig_blob(sig, sigblob);
	ssh_wr_str(&w, sigblob, sizeof(sigblob));
	send_packet(msg, w.len);
}

/* The answer to an authentication request: true when it was SUCCESS. */
static bool
auth_answer(void)
{
	static uint8_t buf[SSH_PACKET_MAX];

	for (;;) {
		size_t n = next_message(buf);

		if (buf[0] == MSG_USERAUTH_SUCCESS)
			return true;
		if (buf[0] == MSG_USERAUTH_FAILURE)
			return false;
		if (n > 0 && (buf[0] == MSG_EXT_INFO ||
		    buf[0] == MSG_GLOBAL_REQUEST))
			continue;
		fail("an unexpected message during authentication");
	}
}

static int
b64val(int ch)
{
	if (ch >= 'A' && ch <= 'Z') return ch - 'A';
	if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9') return ch - '0' + 52;
	if (ch == '+') return 62;
	if (ch == '/') return 63;
	return -1;
}

/* The key of an OpenSSH "ssh-ed25519 BASE64 comment" line. */
static int
read_pub(const char *path, uint8_t pub[32])
{
	char line[1024], *b, *end;
	uint8_t blob[128];
	size_t n = 0;
	uint32_t acc = 0;
	int bits = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) == NULL) {
		fclose(f);
		return -1;
	}
	fclose(f);
	if (strncmp(line, "ssh-ed25519 ", 12) != 0)
		return -1;
	b = line + 12;
	end = strpbrk(b, " \n");
	if (end != NULL)
		*end = 0;
	for (; *b != 0 && *b != '='; b++) {
		int v = b64val(*b);

		if (v < 0 || n >= sizeof(blob))
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			blob[n++] = (uint8_t)(acc >> bits);
		}
	}
	return crypto_ssh_ed25519_parse_key(blob, n, pub);
}

int
main(int argc, char **argv)
{
	const char *host_path = NULL, *key_path = NULL, *user = NULL;
	const char *signed_user = NULL;
	uint8_t host_pub[32], known[32], seed[32], buf[64];
	struct crypto_ed25519_key own;
	struct sockaddr_in a = { .sin_family = AF_INET };
	unsigned port = 0, nsigned = 5;
	struct ssh_wr w;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--port") == 0)
			port = (unsigned)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--host-key") == 0)
			host_path = argv[i + 1];
		else if (strcmp(argv[i], "--key") == 0)
			key_path = argv[i + 1];
		else if (strcmp(argv[i], "--user") == 0)
			user = argv[i + 1];
		else if (strcmp(argv[i], "--signed-user") == 0)
			signed_user = argv[i + 1];
		else if (strcmp(argv[i], "--signed") == 0)
			nsigned = (unsigned)atoi(argv[i + 1]);
		else
			fail("unknown option");
	}
	if (port == 0 || port > 65535 || host_path == NULL ||
	    key_path == NULL || user == NULL || signed_user == NULL)
		fail("usage: signclient --port P --host-key F --key F "
		    "--user NAME --signed-user NAME [--signed N]");
	if (read_pub(host_path, host_pub) != 0 || read_pub(key_path,
	    known) != 0)
		fail("cannot read a public key");
	fill_random(seed, sizeof(seed));
	if (crypto_ed25519_from_seed(&own, seed) != 0)
		fail("cannot make a key");

	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		fail("cannot connect");
	key_exchange(host_pub);

	w = (struct ssh_wr){ buf, 0, sizeof(buf), false };
	ssh_wr_u8(&w, MSG_SERVICE_REQUEST);
	ssh_wr_cstr(&w, "ssh-userauth");
	send_packet(buf, w.len);
	if (next_message(buf) == 0 || buf[0] != MSG_SERVICE_ACCEPT)
		fail("ssh-userauth not accepted");

	/* A key the server knows, signed by another: a forged signature. */
	signed_request(user, known, &own);
	if (auth_answer()) {
		say("bad-signature accepted\n");
		return 1;
	}
	say("bad-signature refused\n");
	for (unsigned i = 1; i <= nsigned; i++) {
		bool ok;

		signed_request(signed_user, own.pub, &own);
		say("signed %u sent\n", i);
		ok = auth_answer();
		say("signed %u %s\n", i, ok ? "accepted" : "refused");
		if (ok)
			return 1;
	}
	say("done\n");
	close(fd);
	return 0;
}
