/*
 * Synchronous client calls on the netstack's TCP objects
 * (schema/net.capnp). Each call builds its message in the caller's
 * scratch buffer of TCP_SCRATCH bytes, so threads with their own scratch
 * may call at once. Every answer is checked: a count the netstack could
 * not have meant is an error, never trusted.
 */
#ifndef CAPOS_SVC_TCP_H
#define CAPOS_SVC_TCP_H

#include <stdint.h>

#include "net.capnp.h"
#include "rt.h"

#define TCP_SCRATCH	(capos_TcpSocket_maxChunk + 256)
/* An answer that breaks the interface's rules. */
#define TCP_BAD_ANSWER	(-1100)

/* Connects; the ConnectResult union's tag (with *out set for `socket`),
 * or a negative error. */
int tcp_connect(capos_cap_t nm, uint32_t addr, uint16_t port,
    capos_cap_t *out, uint8_t *scratch);
/* Connects through a TcpConnectAuthority, to the one target it allows;
 * as tcp_connect. */
int tcp_connect_to(capos_cap_t authority, capos_cap_t *out,
    uint8_t *scratch);
/* Sends all of data, in chunks of at most maxChunk; 0 or an error. */
int tcp_send_all(capos_cap_t s, const uint8_t *data, uint32_t len,
    uint8_t *scratch);
/* Receives up to max bytes (at most maxChunk); *data points into scratch.
 * The count, 0 at end of stream, or an error. */
int tcp_recv_some(capos_cap_t s, uint32_t max, const uint8_t **data,
    uint8_t *scratch);
/* Receives exactly len bytes into dst; 0, or an error (TCP_BAD_ANSWER
 * when the stream ended first). */
int tcp_recv_exact(capos_cap_t s, uint8_t *dst, uint32_t len,
    uint8_t *scratch);
/* Closes the socket (ignoring the answer) and releases the capability. */
void tcp_close(capos_cap_t s);
/* Has the netstack reset the connection once no byte has moved either
 * way for ms milliseconds (0: never; at most maxIdleMs); 0 or an error. */
int tcp_set_idle_timeout(capos_cap_t s, uint32_t ms);

#endif
