/*
 * The echo workload of echo.h. Every callback runs inside lwIP, from
 * net_run() or net_inject(); none of them re-enters the wire.
 */
#include <string.h>

#include "echo.h"
#include "net.h"
#include "test.h"

/* ---- The stream ---- */

/* Byte `off` of stream `seed`: cheap, and different at every offset. */
static uint8_t
stream_byte(uint32_t seed, size_t off)
{
	uint64_t x = (uint64_t)(off >> 3) * 0x9e3779b97f4a7c15u ^ seed;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9u;
	x ^= x >> 32;
	return (uint8_t)(x >> ((off & 7) * 8));
}

static uint64_t
fnv1a(uint64_t h, const uint8_t *p, size_t n)
{
	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3u;
	}
	return h;
}

#define FNV_START	0xcbf29ce484222325u

/* tcp_sndbuf() and tcp_recved() both count in u16_t. */
#define CHUNK		0xffff

/* ---- Server ---- */

struct echo_conn {
	struct tcp_pcb *pcb;	/* NULL: slot free */
	struct echo_server *server;
	uint8_t buf[TCP_WND];	/* received, not yet echoed */
	size_t head, count;
	bool eof;		/* the peer has sent FIN */
};

static struct echo_conn conns[ECHO_MAX_CONNS];

static void
conn_release(struct echo_conn *c)
{
	tcp_arg(c->pcb, NULL);
	tcp_recv(c->pcb, NULL);
	tcp_sent(c->pcb, NULL);
	tcp_err(c->pcb, NULL);
	tcp_poll(c->pcb, NULL, 0);
	c->pcb = NULL;
}

/*
 * Echo what the buffer holds, as far as the send buffer allows, then
 * close once the peer has finished and everything went back. Returns
 * ERR_ABRT if it had to abort the connection, which the calling callback
 * must pass on to lwIP.
 */
static err_t
conn_flush(struct echo_conn *c)
{
	while (c->count > 0) {
		size_t n = sizeof(c->buf) - c->head;
		u16_t room = tcp_sndbuf(c->pcb);
		err_t err;

		if (n > c->count)
			n = c->count;
		if (n > room)
			n = room;
		if (n == 0)
			break;
		err = tcp_write(c->pcb, c->buf + c->head, (u16_t)n,
		    TCP_WRITE_FLAG_COPY);
		if (err == ERR_MEM)
			break;
		if (err != ERR_OK) {
			tcp_abort(c->pcb);
			return ERR_ABRT;
		}
		c->head = (c->head + n) % sizeof(c->buf);
		c->count -= n;
		tcp_recved(c->pcb, (u16_t)n);
	}
	tcp_output(c->pcb);
	if (c->eof && c->count == 0 && tcp_close(c->pcb) == ERR_OK) {
		c->server->closed++;
		conn_release(c);
	}
	return ERR_OK;
}

static err_t
conn_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct echo_conn *c = arg;
	size_t tail, first;

	(void)pcb;
	(void)err;
	if (p == NULL) {
		c->eof = true;
		return conn_flush(c);
	}
	if (p->tot_len > sizeof(c->buf) - c->count) {
		c->server->overruns++;
		pbuf_free(p);
		tcp_abort(c->pcb);	/* conn_err counts it */
		return ERR_ABRT;
	}
	tail = (c->head + c->count) % sizeof(c->buf);
	first = sizeof(c->buf) - tail;
	if (first > p->tot_len)
		first = p->tot_len;
	pbuf_copy_partial(p, c->buf + tail, (u16_t)first, 0);
	pbuf_copy_partial(p, c->buf, (u16_t)(p->tot_len - first),
	    (u16_t)first);
	c->count += p->tot_len;
	pbuf_free(p);
	return conn_flush(c);
}

static err_t
conn_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)pcb;
	(void)len;
	return conn_flush(arg);
}

/* Retries a close or a write that found no memory. */
static err_t
conn_poll(void *arg, struct tcp_pcb *pcb)
{
	(void)pcb;
	return conn_flush(arg);
}

/* The pcb is already gone (reset, or aborted by us or by lwIP). */
static void
conn_err(void *arg, err_t err)
{
	struct echo_conn *c = arg;

	(void)err;
	c->server->errors++;
	c->pcb = NULL;
}

static err_t
server_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct echo_server *s = arg;
	struct echo_conn *c = NULL;

	if (err != ERR_OK || pcb == NULL)
		return ERR_VAL;
	for (size_t i = 0; i < ECHO_MAX_CONNS && c == NULL; i++)
		if (conns[i].pcb == NULL)
			c = &conns[i];
	if (c == NULL) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	c->pcb = pcb;
	c->server = s;
	c->head = c->count = 0;
	c->eof = false;
	s->accepted++;
	tcp_backlog_accepted(pcb);
	tcp_arg(pcb, c);
	tcp_recv(pcb, conn_recv);
	tcp_sent(pcb, conn_sent);
	tcp_err(pcb, conn_err);
	tcp_poll(pcb, conn_poll, 2);
	return ERR_OK;
}

err_t
echo_listen(struct echo_server *s, struct netif *nif, u16_t port)
{
	struct tcp_pcb *pcb;
	err_t err;

	memset(s, 0, sizeof(*s));
	pcb = tcp_new();
	if (pcb == NULL)
		return ERR_MEM;
	tcp_bind_netif(pcb, nif);
	err = tcp_bind(pcb, netif_ip_addr4(nif), port);
	if (err != ERR_OK) {
		tcp_close(pcb);
		return err;
	}
	s->listener = tcp_listen(pcb);
	if (s->listener == NULL) {
		tcp_close(pcb);
		return ERR_MEM;
	}
	tcp_arg(s->listener, s);
	tcp_accept(s->listener, server_accept);
	return ERR_OK;
}

void
echo_unlisten(struct echo_server *s)
{
	if (s->listener != NULL)
		tcp_close(s->listener);
	s->listener = NULL;
}

void
echo_server_abort_all(struct echo_server *s)
{
	for (size_t i = 0; i < ECHO_MAX_CONNS; i++)
		if (conns[i].pcb != NULL && conns[i].server == s)
			tcp_abort(conns[i].pcb);	/* conn_err frees it */
}

/* ---- Client ---- */

static void
client_fail(struct echo_client *c, err_t err)
{
	c->failed = true;
	c->err = err;
}

static void
client_release(struct echo_client *c)
{
	tcp_arg(c->pcb, NULL);
	tcp_recv(c->pcb, NULL);
	tcp_sent(c->pcb, NULL);
	tcp_err(c->pcb, NULL);
	tcp_poll(c->pcb, NULL, 0);
	c->pcb = NULL;
}

/*
 * Send as much of the stream as fits, then half-close after the last
 * byte. Returns ERR_ABRT if it aborted the connection.
 */
static err_t
client_push(struct echo_client *c)
{
	uint8_t chunk[CHUNK];

	while (c->written < c->total) {
		size_t n = c->total - c->written;
		u16_t room = tcp_sndbuf(c->pcb);
		err_t err;

		if (n > room)
			n = room;
		if (n == 0)
			break;
		for (size_t i = 0; i < n; i++)
			chunk[i] = stream_byte(c->seed, c->written + i);
		err = tcp_write(c->pcb, chunk, (u16_t)n, TCP_WRITE_FLAG_COPY);
		if (err == ERR_MEM)
			break;
		if (err != ERR_OK) {
			tcp_abort(c->pcb);	/* client_err records it */
			return ERR_ABRT;
		}
		c->sent_sum = fnv1a(c->sent_sum, chunk, n);
		c->written += n;
	}
	if (c->written == c->total && !c->tx_shut &&
	    tcp_shutdown(c->pcb, 0, 1) == ERR_OK)
		c->tx_shut = true;
	tcp_output(c->pcb);
	return ERR_OK;
}

static err_t
client_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)pcb;
	(void)err;
	return client_push(arg);
}

static err_t
client_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct echo_client *c = arg;

	(void)err;
	if (p == NULL) {
		/* The server closes only after echoing everything. */
		client_release(c);
		if (tcp_close(pcb) != ERR_OK) {
			client_fail(c, ERR_MEM);
			tcp_abort(pcb);
			return ERR_ABRT;
		}
		if (c->received != c->total || !c->tx_shut)
			client_fail(c, ERR_CLSD);
		else
			c->done = true;
		return ERR_OK;
	}
	for (struct pbuf *q = p; q != NULL; q = q->next) {
		const uint8_t *b = q->payload;

		for (size_t i = 0; i < q->len; i++)
			if (b[i] != stream_byte(c->seed, c->received + i))
				c->bad_bytes++;
		c->recv_sum = fnv1a(c->recv_sum, b, q->len);
		c->received += q->len;
	}
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return ERR_OK;
}

static err_t
client_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)pcb;
	(void)len;
	return client_push(arg);
}

static err_t
client_poll(void *arg, struct tcp_pcb *pcb)
{
	(void)pcb;
	return client_push(arg);
}

static void
client_err(void *arg, err_t err)
{
	struct echo_client *c = arg;

	client_fail(c, err);
	c->pcb = NULL;
}

err_t
echo_connect(struct echo_client *c, struct netif *nif, const ip4_addr_t *to,
    u16_t port, size_t total, uint32_t seed)
{
	ip_addr_t dst;
	err_t err;

	memset(c, 0, sizeof(*c));
	c->seed = seed;
	c->total = total;
	c->sent_sum = c->recv_sum = FNV_START;
	c->pcb = tcp_new();
	if (c->pcb == NULL)
		return ERR_MEM;
	tcp_bind_netif(c->pcb, nif);
	tcp_arg(c->pcb, c);
	tcp_recv(c->pcb, client_recv);
	tcp_sent(c->pcb, client_sent);
	tcp_err(c->pcb, client_err);
	tcp_poll(c->pcb, client_poll, 2);
	ip_addr_copy_from_ip4(dst, *to);
	err = tcp_connect(c->pcb, &dst, port, client_connected);
	if (err != ERR_OK) {
		tcp_abort(c->pcb);
		c->pcb = NULL;
	}
	return err;
}

void
echo_client_abort(struct echo_client *c)
{
	if (c->pcb != NULL)
		tcp_abort(c->pcb);	/* client_err records it */
}

bool
echo_client_finished(void *client)
{
	const struct echo_client *c = client;

	return c->done || c->failed;
}

bool
echo_set_finished(void *set)
{
	const struct echo_set *s = set;

	for (size_t i = 0; i < s->n; i++)
		if (!echo_client_finished(&s->clients[i]))
			return false;
	return true;
}

void
echo_check_client(const struct echo_client *c, const char *file, int line)
{
	if (c->failed || !c->done)
		test_fail(file, line, "client %u: %s (lwIP error %d) after "
		    "%zu of %zu bytes echoed", (unsigned)c->seed,
		    c->failed ? "failed" : "not finished", (int)c->err,
		    c->received, c->total);
	if (c->received != c->total)
		test_fail(file, line, "client %u: %zu bytes echoed, %zu sent",
		    (unsigned)c->seed, c->received, c->total);
	if (c->recv_sum != c->sent_sum)
		test_fail(file, line, "client %u: checksum %016llx echoed, "
		    "%016llx sent", (unsigned)c->seed,
		    (unsigned long long)c->recv_sum,
		    (unsigned long long)c->sent_sum);
	if (c->bad_bytes != 0)
		test_fail(file, line, "client %u: %zu bytes differ",
		    (unsigned)c->seed, c->bad_bytes);
}
