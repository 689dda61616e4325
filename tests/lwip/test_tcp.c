/*
 * TCP through lwIP with the netstack's configuration: bulk echo between
 * the two netifs, many connections at once, and a link that loses,
 * duplicates and reorders frames. Every test ends with the stack back at
 * its starting state: no pcb, segment, pbuf or heap byte left in use.
 */
#include "echo.h"
#include "net.h"
#include "test.h"

#define ECHO_PORT	7

/* Virtual time a test may take before it counts as hung. */
#define LIMIT_MS	(10 * 60 * 1000)

TEST(lwip_static_ipv4_on_two_netifs)
{
	net_setup();
	CHECK(netif_is_up(&net_a) && netif_is_link_up(&net_a));
	CHECK(netif_is_up(&net_b) && netif_is_link_up(&net_b));
	CHECK_STR(ip4addr_ntoa(netif_ip4_addr(&net_a)), "10.0.0.1");
	CHECK_STR(ip4addr_ntoa(netif_ip4_addr(&net_b)), "10.0.0.2");
	CHECK_STR(ip4addr_ntoa(netif_ip4_netmask(&net_b)), "255.255.255.0");
}

TEST(lwip_echo_1mib_and_close_both_ends)
{
	struct echo_server srv;
	struct echo_client c;

	net_setup();
	CHECK_EQ(echo_listen(&srv, &net_b, ECHO_PORT), ERR_OK);
	CHECK_EQ(echo_connect(&c, &net_a, &net_ip_b, ECHO_PORT, 1 << 20, 1),
	    ERR_OK);
	CHECK(net_run(echo_client_finished, &c, LIMIT_MS));
	ECHO_CHECK(&c);
	CHECK_EQ(srv.accepted, 1);
	CHECK_EQ(srv.closed, 1);
	CHECK_EQ(srv.errors, 0);
	CHECK_EQ(srv.overruns, 0);
	echo_unlisten(&srv);
	NET_SETTLE();
}

TEST(lwip_echo_16_connections_at_once)
{
	static struct echo_client c[16];
	struct echo_set set = { c, 16 };
	struct echo_server srv;

	net_setup();
	CHECK_EQ(echo_listen(&srv, &net_b, ECHO_PORT), ERR_OK);
	for (size_t i = 0; i < set.n; i++)
		CHECK_EQ(echo_connect(&c[i], &net_a, &net_ip_b, ECHO_PORT,
		    256 * 1024 + i * 1000, 100 + (uint32_t)i), ERR_OK);
	CHECK(net_run(echo_set_finished, &set, LIMIT_MS));
	for (size_t i = 0; i < set.n; i++)
		ECHO_CHECK(&c[i]);
	CHECK_EQ(srv.accepted, 16);
	CHECK_EQ(srv.closed, 16);
	CHECK_EQ(srv.errors, 0);
	CHECK_EQ(net_wire_overflows(), 0);
	echo_unlisten(&srv);
	NET_SETTLE();
}

struct impairment {
	uint64_t rng;
	unsigned drop, dup, delay;	/* per thousand frames */
	unsigned dropped, duplicated, delayed;
};

static enum net_verdict
impair(struct netif *to, uint8_t *frame, size_t len, void *arg)
{
	struct impairment *im = arg;
	unsigned r = (unsigned)(net_random(&im->rng) % 1000);

	(void)to;
	(void)frame;
	(void)len;
	if (r < im->drop) {
		im->dropped++;
		return NET_DROP;
	}
	r -= im->drop;
	if (r < im->dup) {
		im->duplicated++;
		return NET_DUPLICATE;
	}
	r -= im->dup;
	if (r < im->delay) {
		im->delayed++;
		return NET_DELAY;
	}
	return NET_DELIVER;
}

TEST(lwip_echo_over_a_link_that_drops_duplicates_and_reorders)
{
	struct impairment im = { .rng = 42, .drop = 20, .dup = 10,
		.delay = 20 };
	static struct echo_client c[4];
	struct echo_set set = { c, 4 };
	struct echo_server srv;

	net_setup();
	CHECK_EQ(echo_listen(&srv, &net_b, ECHO_PORT), ERR_OK);
	net_set_filter(impair, &im);
	for (size_t i = 0; i < set.n; i++)
		CHECK_EQ(echo_connect(&c[i], &net_a, &net_ip_b, ECHO_PORT,
		    1 << 20, 200 + (uint32_t)i), ERR_OK);
	CHECK(net_run(echo_set_finished, &set, LIMIT_MS));
	net_set_filter(NULL, NULL);
	for (size_t i = 0; i < set.n; i++)
		ECHO_CHECK(&c[i]);
	/*
	 * The impairments happened (about 11000 frames cross the wire), and
	 * the checks above saw them repaired.
	 */
	CHECK(im.dropped > 100);
	CHECK(im.duplicated > 50);
	CHECK(im.delayed > 100);
	CHECK_EQ(srv.closed, 4);
	echo_unlisten(&srv);
	NET_SETTLE();
}

TEST(lwip_connect_to_a_closed_port_is_refused)
{
	struct echo_client c;

	net_setup();
	CHECK_EQ(echo_connect(&c, &net_a, &net_ip_b, 9, 10, 300), ERR_OK);
	CHECK(net_run(echo_client_finished, &c, LIMIT_MS));
	CHECK(c.failed);
	CHECK_EQ(c.err, ERR_RST);
	NET_SETTLE();
}
