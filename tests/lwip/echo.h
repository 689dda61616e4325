/*
 * TCP echo over lwIP's raw API, the workload of the lwIP tests: a server
 * that sends back every byte it receives, and clients that send a
 * generated stream, check every byte that comes back, and close cleanly.
 *
 * Flow control is end to end, as in the netstack service to come: the
 * server copies received data into a buffer of one receive window and
 * opens the window again (tcp_recved) only as bytes leave that buffer, so a
 * peer that overruns the window is a test failure, not a silent overflow.
 */
#ifndef CAPOS_TESTS_LWIP_ECHO_H
#define CAPOS_TESTS_LWIP_ECHO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwip/tcp.h"

/* Server connections open at once; past it the server refuses (aborts). */
#define ECHO_MAX_CONNS		32

struct echo_server {
	struct tcp_pcb *listener;
	unsigned accepted;	/* connections taken from the listener */
	unsigned closed;	/* connections the server closed cleanly */
	unsigned errors;	/* connections lost to a reset or abort */
	unsigned overruns;	/* peers that sent beyond the window */
};

struct echo_client {
	struct tcp_pcb *pcb;
	uint32_t seed;		/* picks the stream's bytes */
	size_t total;		/* bytes to send */
	size_t written;		/* bytes handed to tcp_write() */
	size_t received;	/* bytes echoed back */
	uint64_t sent_sum;	/* FNV-1a of the stream sent */
	uint64_t recv_sum;	/* FNV-1a of the stream received */
	size_t bad_bytes;	/* received bytes that differ from the stream */
	bool tx_shut;		/* FIN queued after the last byte */
	bool done;		/* everything echoed, both sides closed */
	bool failed;
	err_t err;		/* why it failed, when lwIP said */
};

/* Listen on `port` of netif `nif`; ERR_OK or lwIP's error. */
err_t echo_listen(struct echo_server *s, struct netif *nif, u16_t port);
void echo_unlisten(struct echo_server *s);

/* Reset every connection the server still holds (after a hostile test). */
void echo_server_abort_all(struct echo_server *s);

/* Connect from netif `nif` and echo `total` bytes; ERR_OK or the error. */
err_t echo_connect(struct echo_client *c, struct netif *nif,
    const ip4_addr_t *to, u16_t port, size_t total, uint32_t seed);

/* Reset the client's connection if it is still open. */
void echo_client_abort(struct echo_client *c);

/* For net_run(): the client has finished, or the clients in a set have. */
bool echo_client_finished(void *client);

struct echo_set {
	struct echo_client *clients;
	size_t n;
};
bool echo_set_finished(void *set);

/* Check (with test.h) that a finished client echoed its stream intact. */
void echo_check_client(const struct echo_client *c, const char *file,
    int line);
#define ECHO_CHECK(c) echo_check_client((c), __FILE__, __LINE__)

#endif
