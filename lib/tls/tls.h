/*
 * lib/tls: TLS 1.3 server connections over capOS TcpSockets, on wolfSSL's
 * TLS layer built with lib/tls/user_settings.h (docs/tls.md).
 *
 * The server's private key never enters the process: the certificate
 * comes from a TlsServerKey (schema/crypto.capnp) at tls_server_init, and
 * each handshake's CertificateVerify is signed by that TlsServerKey's
 * sign call, from wolfSSL's ECC signing callback. Records move over the
 * connection's TcpSocket with blocking calls (lib/svc/tcp.h), one
 * connection at a time, or with memory I/O (below), where the caller
 * moves the records and may serve many connections side by side from
 * one thread.
 *
 * Memory: wolfSSL allocates through lib/crypto's counting allocator, and
 * each connection's blocks are charged to that connection's own account
 * (struct tls_conn's acct), held to the connection bound
 * (TLS_CONN_MEM_MAX unless the caller of tls_server_init sets a smaller
 * one); the server context's blocks to an account of the context's.
 * Past its bound a connection's allocation fails, and its handshake or
 * record with it, with an error (MEMORY_E, "the connection's memory
 * bound was reached"); the other connections are not touched.
 */
#ifndef CAPOS_TLS_H
#define CAPOS_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "capos/abi.h"
#include "crypto.h"

/*
 * The bound on one connection's heap (docs/tls.md measures it): wolfSSL's
 * connection object, the handshake's keys and hashes, and its input and
 * output buffers, which grow to one full record (16 KiB of plaintext plus
 * the AEAD's overhead) each way.
 */
#define TLS_CONN_MEM_MAX	(64u << 10)

/* Errors, besides wolfSSL's own negative codes (tls_strerror names the
 * ones a peer can cause). */
#define TLS_ENOKEY	(-2001)	/* the TlsServerKey did not answer well */
#define TLS_EINIT	(-2002)	/* wolfSSL refused the configuration */
#define TLS_ECLOSED	(-2003)	/* the peer ended the stream cleanly */
#define TLS_ESIGN	(-2004)	/* CertificateVerify was not signed */
#define TLS_EAGAIN	(-2005)	/* memory I/O: feed input or drain output */
#define TLS_EDEADLINE	(-2006)	/* the connection's deadline passed */

/*
 * Memory I/O (tls_accept_mem): the caller moves the records itself, so a
 * program can wait on its socket and on other calls at once. What wolfSSL
 * writes goes to `out` (TLS_MEM_OUT bytes; the caller sends and drains it
 * with tls_out_done); what it reads comes from the caller's bytes given
 * with tls_feed, which are not copied and must stay until taken
 * (tls_fed reports how many are left). A handshake flight and one record
 * of TLS_MEM_WRITE_MAX bytes of data fit in `out` together, so a caller
 * that writes at most that much while `out` is empty never sees
 * TLS_EAGAIN from tls_write; one that does must repeat the same write.
 */
#define TLS_MEM_OUT		(8u << 10)
#define TLS_MEM_WRITE_MAX	4096u

/*
 * A handshake must end within TLS_HANDSHAKE_MS of tls_accept, however
 * the peer paces its bytes: a server that serves one connection at a
 * time is otherwise held by a client sending a byte just before each
 * idle timeout. The time comes from the process's "timer" capability
 * (rt_now_ns); without one there is no deadline. The clock is read
 * before each read from the socket, so a read already waiting ends at
 * the socket's own idle timeout: set one (tcp_set_idle_timeout), and
 * the connection is held at most the deadline plus that timeout.
 */
#define TLS_HANDSHAKE_MS	10000u

struct tls_conn {
	void *ssl;		/* wolfSSL's WOLFSSL object */
	capos_cap_t sock;
	int io_err;		/* the last TcpSocket failure, for reports */
	struct crypto_account acct;	/* this connection's heap */
	size_t mem_peak;	/* heap this connection held at most */
	/* Memory I/O only. */
	int mem;
	const uint8_t *in;	/* the caller's received bytes not yet taken */
	size_t in_len;
	size_t out_len;		/* <= TLS_MEM_OUT */
	uint8_t out[TLS_MEM_OUT];
	uint64_t deadline_ns;	/* rt_now_ns past which reads fail; 0: none */
	int timed_out;		/* a read found the deadline passed */
};

/* Fetches the certificate from key (a TlsServerKey) and sets up the
 * server: TLS 1.3 only, TLS_AES_128_GCM_SHA256, X25519 and secp256r1,
 * ecdsa_secp256r1_sha256 signed by key. entropy is an Entropy cap that
 * seeds each connection's generator. conn_mem bounds each connection's
 * heap (0 or more than TLS_CONN_MEM_MAX: TLS_CONN_MEM_MAX). 0, or an
 * error. */
int tls_server_init(capos_cap_t key, capos_cap_t entropy, size_t conn_mem);

/* Runs the server side of a handshake on sock (kept by the caller);
 * 0 once the connection is established, or an error, after which the
 * connection is already freed. */
int tls_accept(struct tls_conn *c, capos_cap_t sock);
/* Starts a connection with memory I/O (above); 0 or MEMORY_E. Then
 * tls_handshake until it returns 0: TLS_EAGAIN asks for more input (or
 * for `out` to be drained); another error has freed the connection. */
int tls_accept_mem(struct tls_conn *c);
int tls_handshake(struct tls_conn *c);
/* Memory I/O: the bytes received (kept by the caller until taken), and
 * n bytes of `out` sent. */
void tls_feed(struct tls_conn *c, const uint8_t *p, size_t n);
void tls_out_done(struct tls_conn *c, size_t n);
/* Bounds what follows on an established connection (reads and writes
 * of application data) to ms milliseconds from now, as the handshake is
 * bounded; 0 lifts it. Past it they fail with TLS_EDEADLINE. */
void tls_set_deadline(struct tls_conn *c, uint32_t ms);
/* Reads up to n bytes of application data (memory I/O: TLS_EAGAIN when
 * no whole record is in yet): the count, TLS_ECLOSED at
 * the peer's close_notify or end of stream, or an error. */
int tls_read(struct tls_conn *c, uint8_t *buf, size_t n);
/* Writes all n bytes as application data; 0 or an error. */
int tls_write(struct tls_conn *c, const uint8_t *buf, size_t n);
/* Sends close_notify (once established) and frees the connection. */
void tls_close(struct tls_conn *c);

/* The negotiated version, suite and group, for reports ("" before). */
const char *tls_version(const struct tls_conn *c);
const char *tls_cipher(const struct tls_conn *c);
/* A sentence for an error from the functions above. */
const char *tls_strerror(int err);

#endif
