/*
 * Serves lib/proto/ssh on a loopback TCP port to the host's OpenSSH
 * client, without capOS: the interoperability check of the engine
 * (tests/ssh_host/run.py, docs/ssh.md). It holds a fixed test host key
 * (never a real one), authorizes one user and one OpenSSH public key, and
 * plays a tiny shell: a greeting, then an echo of every byte, and exit
 * status 0 when the client's input ends. With --stream N it instead
 * writes N bytes of a known pattern (byte i is i % 251) and exits.
 *
 *	serve --port-file F --user NAME --key KEY.pub [--stream N]
 *	      [--rekey-bytes N] [--connections N]
 *
 * It prints its host key as a known_hosts key ("ssh-ed25519 BASE64") on
 * its first line, then one line per connection event: "denied REASON",
 * "auth USER", "rekeyed", "closed ERR".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ssh.h"

static const uint8_t test_host_seed[32] = "capOS ssh engine test host key";
static struct crypto_ed25519_key host;
static const char *user_name;
static uint8_t user_pub[32];

static int
h_sign(void *ctx, const uint8_t *h, size_t len, uint8_t sig[64])
{
	(void)ctx;
	return crypto_ed25519_sign(&host, h, len, sig);
}

static int
h_random(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	while (n > 0) {
		ssize_t k = getrandom(out, n, 0);

		if (k <= 0)
			return -1;
		out += k;
		n -= (size_t)k;
	}
	return 0;
}

static int
h_authorize(void *ctx, const char *user, size_t ulen, const uint8_t pub[32],
    const uint8_t *signed_data, size_t slen, const uint8_t sig[64])
{
	(void)ctx;
	(void)signed_data;
	(void)slen;
	(void)sig;
	if (ulen != strlen(user_name) || memcmp(user, user_name, ulen) != 0)
		return -1;
	return memcmp(pub, user_pub, 32) == 0 ? 0 : -1;
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

	if (f == NULL || fgets(line, sizeof(line), f) == NULL)
		return -1;
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

static int
flush(int fd, struct ssh_conn *c)
{
	const uint8_t *p;
	size_t n;

	while ((n = ssh_output(c, &p)) > 0) {
		ssize_t k = write(fd, p, n);

		if (k <= 0)
			return -1;
		ssh_output_done(c, (size_t)k);
	}
	return 0;
}

static struct ssh_conn conn;

/* One connection, to its end. */
static void
serve(int fd, const struct ssh_config *cfg, size_t stream)
{
	static uint8_t buf[65536], pattern[32768];
	size_t streamed = 0;
	bool shell = false, exited = false;
	int rc = 0;

	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i % 251);
	ssh_init(&conn, cfg);
	while (flush(fd, &conn) == 0) {
		ssize_t got;
		size_t off = 0;

		if (shell && stream > 0 && !exited) {
			/* Keep the pattern going while the window allows. */
			while (streamed < stream) {
				size_t want = stream - streamed, at = streamed % 251;
				int k;

				if (want > sizeof(pattern) - 251)
					want = sizeof(pattern) - 251;
				k = ssh_chan_send(&conn, pattern + at, want);
				if (k <= 0)
					break;
				streamed += (size_t)k;
				if (flush(fd, &conn) != 0)
					break;
			}
			if (streamed == stream && ssh_chan_exit(&conn, 0) == 0)
				exited = true;
			if (flush(fd, &conn) != 0)
				break;
		}
		got = read(fd, buf, sizeof(buf));
		if (got <= 0)
			break;
		while (off < (size_t)got) {
			struct ssh_event ev;

			rc = ssh_input(&conn, buf + off, (size_t)got - off, &ev);
			if (rc < 0)
				break;
			off += (size_t)rc;
			switch (ev.type) {
			case SSH_EV_AUTH_OK:
				printf("auth %.*s\n", (int)ev.ulen, ev.user);
				break;
			case SSH_EV_DENIED:
				printf("denied %s\n", ev.reason);
				break;
			case SSH_EV_REKEYED:
				printf("rekeyed\n");
				break;
			case SSH_EV_PTY:
				printf("pty %s %ux%u\n", ev.term, ev.cols, ev.rows);
				break;
			case SSH_EV_SHELL:
				shell = true;
				if (stream == 0)
					(void)ssh_chan_send(&conn, (const uint8_t *)
					    "capOS ssh engine: hello\r\n", 25);
				break;
			case SSH_EV_DATA:
				(void)ssh_chan_send(&conn, ev.data, ev.len);
				ssh_chan_consumed(&conn, ev.len);
				break;
			case SSH_EV_EOF:
				if (stream == 0 && !exited &&
				    ssh_chan_exit(&conn, 0) == 0)
					exited = true;
				break;
			default:
				break;
			}
			if (flush(fd, &conn) != 0)
				break;
		}
		if (rc < 0)
			break;
		fflush(stdout);
	}
	(void)flush(fd, &conn);
	printf("closed %d\n", rc < 0 ? rc : 0);
	fflush(stdout);
	close(fd);
}

int
main(int argc, char **argv)
{
	struct ssh_config cfg = { .sign = h_sign, .random = h_random,
		.authorize = h_authorize };
	const char *port_file = NULL, *key = NULL;
	size_t stream = 0;
	int conns = 1, s, one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	uint8_t blob[CRYPTO_SSH_ED25519_KEY_BLOB_LEN];
	char b64[128];
	FILE *f;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--port-file") == 0)
			port_file = argv[i + 1];
		else if (strcmp(argv[i], "--user") == 0)
			user_name = argv[i + 1];
		else if (strcmp(argv[i], "--key") == 0)
			key = argv[i + 1];
		else if (strcmp(argv[i], "--stream") == 0)
			stream = strtoul(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--rekey-bytes") == 0)
			cfg.rekey_bytes = strtoull(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--connections") == 0)
			conns = atoi(argv[i + 1]);
	}
	if (port_file == NULL || user_name == NULL || key == NULL ||
	    read_pub(key, user_pub) != 0) {
		fprintf(stderr, "serve: need --port-file, --user and an "
		    "ssh-ed25519 --key\n");
		return 2;
	}
	crypto_ed25519_from_seed(&host, test_host_seed);
	memcpy(cfg.host_pub, host.pub, 32);
	crypto_ssh_ed25519_key_blob(host.pub, blob);
	crypto_base64(blob, sizeof(blob), true, b64, sizeof(b64));
	printf("ssh-ed25519 %s\n", b64);
	fflush(stdout);

	s = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(s, 4) != 0 ||
	    getsockname(s, (struct sockaddr *)&a, &alen) != 0) {
		perror("serve: listen");
		return 1;
	}
	f = fopen(port_file, "w");
	if (f == NULL)
		return 1;
	fprintf(f, "%u\n", ntohs(a.sin_port));
	fclose(f);
	for (int i = 0; i < conns; i++) {
		int fd = accept(s, NULL, NULL);

		if (fd < 0)
			return 1;
		serve(fd, &cfg, stream);
	}
	return 0;
}
