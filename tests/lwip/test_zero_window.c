/*
 * Two peers that send without reading, so each closes the other's window
 * (the zero-window live-lock of services/netstack/patches/0001-*). Stock
 * lwIP 2.1.3 counts a zero-window probe's byte as sent, and its ACKs then
 * fall outside the other side's zero window; each side ACKs the other's
 * ACK at once and the wire never rests. With the patch the stalled pair
 * exchanges only its persist probes and their answers, a probe's byte that
 * the peer does take is acknowledged as sent, and once both read again
 * every byte arrives once, in order.
 */
#include "lwip/tcp.h"
#include "net.h"
#include "test.h"

#define HOG_PORT	13
#define LIMIT_MS	(10 * 60 * 1000)
/*
 * The stall is watched for 30 virtual seconds. lwIP probes after 1.5, 3,
 * 6, 12 and 24 s of backoff, so each side sends at most five probes and
 * answers at most five: 20 frames, 60 is ample. The live-lock crosses 100
 * frames in a millisecond of virtual time.
 */
#define STALL_MS	(30 * 1000)
#define STALL_FRAMES	60

/* One end: sends its pattern while `writing`, reads only while `reading`. */
struct hog {
	struct tcp_pcb *pcb;
	uint8_t seed;
	bool writing, reading;
	size_t written;		/* bytes handed to tcp_write */
	size_t received;	/* bytes taken from lwIP */
	size_t unread;		/* received, window not yet given back */
	size_t bad;		/* received bytes off the peer's pattern */
	uint8_t peer_seed;
	bool failed;
};

static struct hog hog_a, hog_b;
static uint8_t pattern[TCP_MSS * 4];

static uint8_t
pattern_byte(uint8_t seed, size_t i)
{
	return (uint8_t)(i * 7 + seed + (i >> 11));
}

static void
hog_fill(struct hog *h)
{
	while (h->writing && h->pcb != NULL) {
		size_t n = tcp_sndbuf(h->pcb);

		if (n > sizeof(pattern))
			n = sizeof(pattern);
		if (n == 0)
			break;
		for (size_t i = 0; i < n; i++)
			pattern[i] = pattern_byte(h->seed, h->written + i);
		if (tcp_write(h->pcb, pattern, (u16_t)n,
		    TCP_WRITE_FLAG_COPY) != ERR_OK)
			break;
		h->written += n;
	}
	if (h->pcb != NULL)
		tcp_output(h->pcb);
}

static err_t
hog_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct hog *h = arg;

	(void)err;
	if (p == NULL)
		return ERR_OK;
	for (struct pbuf *q = p; q != NULL; q = q->next)
		for (u16_t i = 0; i < q->len; i++)
			h->bad += ((uint8_t *)q->payload)[i] !=
			    pattern_byte(h->peer_seed, h->received + i);
	h->received += p->tot_len;
	if (h->reading)
		tcp_recved(pcb, p->tot_len);
	else
		h->unread += p->tot_len;
	pbuf_free(p);
	return ERR_OK;
}

static err_t
hog_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)pcb;
	(void)len;
	hog_fill(arg);
	return ERR_OK;
}

static void
hog_err(void *arg, err_t err)
{
	struct hog *h = arg;

	(void)err;
	h->pcb = NULL;
	h->failed = true;
}

static void
hog_attach(struct hog *h, struct tcp_pcb *pcb)
{
	h->pcb = pcb;
	tcp_arg(pcb, h);
	tcp_recv(pcb, hog_recv);
	tcp_sent(pcb, hog_sent);
	tcp_err(pcb, hog_err);
}

static err_t
hog_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)arg;
	if (err != ERR_OK || pcb == NULL || hog_b.pcb != NULL)
		return ERR_VAL;
	hog_attach(&hog_b, pcb);
	hog_fill(&hog_b);
	return ERR_OK;
}

static err_t
hog_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)pcb;
	if (err == ERR_OK)
		hog_fill(arg);
	return ERR_OK;
}

/* Gives back `n` bytes of window that h has held unread. */
static void
hog_read(struct hog *h, size_t n)
{
	if (n > h->unread)
		n = h->unread;
	h->unread -= n;
	while (n > 0) {
		u16_t k = n > 0xffff ? 0xffff : (u16_t)n;

		tcp_recved(h->pcb, k);
		n -= k;
	}
}

/* Both ends have data queued that the other's zero window holds back. */
static bool
both_stalled(void *unused)
{
	(void)unused;
	return hog_a.pcb != NULL && hog_b.pcb != NULL &&
	    hog_a.pcb->snd_wnd == 0 && hog_b.pcb->snd_wnd == 0 &&
	    hog_a.pcb->unsent != NULL && hog_b.pcb->unsent != NULL &&
	    hog_a.pcb->unacked == NULL && hog_b.pcb->unacked == NULL;
}

static uint64_t stall_start;

static bool
storming(void *unused)
{
	(void)unused;
	return net_frames_carried() - stall_start > STALL_FRAMES;
}

static size_t probe_taken_at;

/* A's probe byte has been taken by B and acknowledged. */
static bool
probe_taken(void *unused)
{
	(void)unused;
	return hog_b.received > probe_taken_at && hog_a.pcb != NULL &&
	    hog_a.pcb->lastack == hog_a.pcb->snd_nxt;
}

/* Everything either side wrote has arrived at the other. */
static bool
drained(void *unused)
{
	(void)unused;
	return hog_b.received == hog_a.written &&
	    hog_a.received == hog_b.written;
}

static bool
both_gone(void *unused)
{
	(void)unused;
	return hog_a.pcb == NULL && hog_b.pcb == NULL;
}

static void
hog_close(struct hog *h)
{
	struct tcp_pcb *pcb = h->pcb;

	h->pcb = NULL;
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	if (tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
}

TEST(lwip_two_zero_window_peers_only_probe)
{
	struct tcp_pcb *lpcb, *pcb;
	ip_addr_t to;
	uint64_t stall_frames;

	net_setup();
	hog_a = (struct hog){ .seed = 11, .peer_seed = 22, .writing = true };
	hog_b = (struct hog){ .seed = 22, .peer_seed = 11, .writing = true };
	lpcb = tcp_new();
	CHECK(lpcb != NULL);
	tcp_bind_netif(lpcb, &net_b);
	CHECK_EQ(tcp_bind(lpcb, &net_b.ip_addr, HOG_PORT), ERR_OK);
	lpcb = tcp_listen(lpcb);
	CHECK(lpcb != NULL);
	tcp_accept(lpcb, hog_accept);
	pcb = tcp_new();
	CHECK(pcb != NULL);
	tcp_bind_netif(pcb, &net_a);
	hog_attach(&hog_a, pcb);
	ip_addr_copy_from_ip4(to, net_ip_b);
	CHECK_EQ(tcp_connect(pcb, &to, HOG_PORT, hog_connected), ERR_OK);

	/* Both windows close: each side sent a window's worth, read none. */
	CHECK(net_run(both_stalled, NULL, LIMIT_MS));
	CHECK(hog_a.unread >= TCP_WND - TCP_MSS);
	CHECK(hog_b.unread >= TCP_WND - TCP_MSS);

	/* The stall costs only probes and their answers. */
	stall_start = net_frames_carried();
	CHECK(!net_run(storming, NULL, STALL_MS));
	stall_frames = net_frames_carried() - stall_start;
	if (stall_frames > STALL_FRAMES)
		test_fail(__FILE__, __LINE__, "%" PRIu64 " frames before "
		    "%d ms of zero windows were over (at most %d expected): "
		    "the peers ACK each other's ACKs", stall_frames, STALL_MS,
		    STALL_FRAMES);
	CHECK(stall_frames >= 4);	/* both sides did probe */
	CHECK(!hog_a.failed && !hog_b.failed);

	/*
	 * B gives back less window than makes lwIP announce it, so A learns
	 * of it only from B's answer to its next probe: B takes the probe's
	 * byte, and A must count it acknowledged.
	 */
	probe_taken_at = hog_b.received;
	hog_read(&hog_b, 100);
	CHECK(net_run(probe_taken, NULL, LIMIT_MS));

	/* Both read again: everything arrives once, in order. */
	hog_a.writing = hog_b.writing = false;
	hog_a.reading = hog_b.reading = true;
	hog_read(&hog_a, hog_a.unread);
	hog_read(&hog_b, hog_b.unread);
	CHECK(net_run(drained, NULL, LIMIT_MS));
	CHECK_EQ(hog_a.bad, 0);
	CHECK_EQ(hog_b.bad, 0);
	CHECK(!hog_a.failed && !hog_b.failed);

	hog_close(&hog_a);
	hog_close(&hog_b);
	tcp_close(lpcb);
	CHECK(net_run(both_gone, NULL, LIMIT_MS));
	NET_SETTLE();
}
