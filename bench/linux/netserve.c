/*
 * The guest side of the TCP rows (protocol in docs/benchmarks.md). One
 * connection at a time; each starts with a one-byte command:
 *   'u' len:u64le  the client sends len bytes; the reply is the count
 *                  received, u64le, once all have arrived.
 *   'd' len:u64le  the server sends len bytes and closes.
 *   'c'            the server replies "c" and closes (connection setups).
 *   'q'            the server stops; /init then ends the run.
 * The harness on the host does the timing, so both guests are measured by
 * the same client code.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "bench.h"

/* Longest transfer a client may ask for: a bound on outside input. */
#define NET_MAX_LEN (1ULL << 30)

/* A client that stalls this long mid-transfer loses its connection. */
#define NET_IO_TIMEOUT_S 30

static char buf[64 * 1024];

static int
recv_full(int fd, void *p, size_t len)
{
	ssize_t r;

	while (len > 0) {
		r = recv(fd, p, len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p = (char *)p + r;
		len -= (size_t)r;
	}
	return 0;
}

static int
send_full(int fd, const void *p, size_t len)
{
	ssize_t r;

	while (len > 0) {
		r = send(fd, p, len, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		p = (const char *)p + r;
		len -= (size_t)r;
	}
	return 0;
}

static int
recv_len(int fd, uint64_t *len)
{
	if (recv_full(fd, len, sizeof *len) != 0)
		return -1;
	if (*len > NET_MAX_LEN) {
		report_error("net: transfer of %llu bytes refused",
		    (unsigned long long)*len);
		return -1;
	}
	return 0;
}

static int
serve_upload(int fd)
{
	uint64_t len, got = 0;
	ssize_t r;

	if (recv_len(fd, &len) != 0)
		return -1;
	while (got < len) {
		r = recv(fd, buf, len - got < sizeof buf ? len - got : sizeof buf,
		    0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (uint64_t)r;
	}
	return send_full(fd, &got, sizeof got);
}

static int
serve_download(int fd)
{
	uint64_t len, n;

	if (recv_len(fd, &len) != 0)
		return -1;
	while (len > 0) {
		n = len < sizeof buf ? len : sizeof buf;
		if (send_full(fd, buf, n) != 0)
			return -1;
		len -= n;
	}
	return 0;
}

/* Returns 1 when the client asked the server to stop. */
static int
serve_one(int fd)
{
	struct timeval tv = { NET_IO_TIMEOUT_S, 0 };
	unsigned char cmd;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (recv_full(fd, &cmd, 1) != 0)
		return 0;
	switch (cmd) {
	case 'u':
		if (serve_upload(fd) != 0)
			report_error("net: upload: %s", strerror(errno));
		return 0;
	case 'd':
		if (serve_download(fd) != 0)
			report_error("net: download: %s", strerror(errno));
		return 0;
	case 'c':
		send_full(fd, "c", 1);
		return 0;
	case 'q':
		return 1;
	default:
		report_error("net: unknown command 0x%02x", cmd);
		return 0;
	}
}

void
net_serve(int port, int idle_seconds)
{
	struct sockaddr_in sa;
	struct pollfd pfd;
	int ls, fd, one = 1, quit = 0;

	ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0) {
		report_error("net: socket: %s", strerror(errno));
		return;
	}
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(ls, 16) != 0) {
		report_error("net: listen on %d: %s", port, strerror(errno));
		close(ls);
		return;
	}
	report_net(port);
	pfd.fd = ls;
	pfd.events = POLLIN;
	while (!quit) {
		switch (poll(&pfd, 1, idle_seconds * 1000)) {
		case 0:
			report_error("net: no client for %d s", idle_seconds);
			quit = 1;
			continue;
		case -1:
			if (errno != EINTR) {
				report_error("net: poll: %s", strerror(errno));
				quit = 1;
			}
			continue;
		}
		fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		quit = serve_one(fd);
		close(fd);
	}
	close(ls);
}
