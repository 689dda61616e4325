/*
 * A test bench for lwIP built with the netstack's configuration: two
 * Ethernet netifs, A (10.0.0.1) and B (10.0.0.2), in the one lwIP instance
 * of this process, joined back to back by an in-memory wire. Nothing
 * touches a socket or a real network.
 *
 * Frames that a netif transmits are queued on the wire and handed to the
 * other netif only by net_run(), from the top level as a NIC's receive
 * path would, never from inside lwIP's output path (lwIP is not
 * reentrant). Time is virtual: each frame carried takes 10 us, and when
 * the wire is idle the clock jumps to lwIP's next timer, so retransmission
 * and TIME_WAIT cost no real time and every run is the same.
 *
 * A connection between the two netifs must be bound to its side with
 * tcp_bind_netif(): both addresses are on one subnet, and an unbound pcb
 * would leave through whichever netif routing finds first.
 */
#ifndef CAPOS_TESTS_LWIP_NET_H
#define CAPOS_TESTS_LWIP_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwip/ip_addr.h"
#include "lwip/netif.h"

/* An Ethernet frame without FCS: 14 bytes of header and 1500 of payload. */
#define NET_FRAME_MAX		1514
/*
 * The shortest frame handed to lwIP: shorter ones are padded with zeros
 * up to Ethernet's 60-byte minimum, as the netstack's receive path must
 * do. lwIP 2.1.3 reads a whole ARP header (28 bytes after the Ethernet
 * header) and the first bytes of an IPv4 header before checking any
 * length; padding makes those reads land on zeros inside the frame.
 */
#define NET_FRAME_MIN		60
/*
 * Bytes after every received frame that lwIP may read (zeros). lwIP 2.1.3's
 * tcp_parseopt() reads an option's length byte before checking that it is
 * inside the header, so a header ending in an option kind costs a read of
 * one byte past the frame. The netstack must receive into buffers with
 * room after the frame (a pool pbuf holds a full frame plus alignment
 * slack); here exactly one byte is allowed, and ASan catches any read
 * further.
 */
#define NET_RX_TAILROOM		1
/*
 * Frames the wire holds at once: more than every stream's windows in both
 * directions. Past it the wire drops, as a full NIC ring would, and counts.
 */
#define NET_WIRE_FRAMES		8192

extern struct netif net_a, net_b;
extern ip4_addr_t net_ip_a, net_ip_b;
extern const uint8_t net_mac_a[6], net_mac_b[6];

/* What the wire does with a frame about to be delivered. */
enum net_verdict {
	NET_DELIVER,
	NET_DROP,
	NET_DUPLICATE,		/* deliver it twice */
	NET_DELAY,		/* deliver it after the next frame */
};

/*
 * Decides the fate of each frame net_run() takes off the wire; NULL
 * delivers everything. It may change the frame's bytes, not its length.
 */
typedef enum net_verdict (*net_filter_fn)(struct netif *to, uint8_t *frame,
    size_t len, void *arg);

/* Bring lwIP and both netifs up (once per process; later calls do nothing). */
void net_setup(void);

void net_set_filter(net_filter_fn fn, void *arg);

/*
 * Deliver frames and fire timers until done(arg) holds or `limit_ms` of
 * virtual time have passed; returns done(arg).
 */
bool net_run(bool (*done)(void *arg), void *arg, uint32_t limit_ms);

/*
 * Hand a frame to a netif's input, as its NIC would: right away, so only
 * from outside lwIP (a test, or a filter).
 */
void net_inject(struct netif *to, const void *frame, size_t len);

/* For net_run(): nothing left on the wire. */
bool net_wire_idle(void *unused);

/* Frames the wire has carried, and dropped because it was full. */
uint64_t net_frames_carried(void);
uint64_t net_wire_overflows(void);

/*
 * Every pool and the heap back where they were after net_setup(): no
 * pcb, segment, pbuf or reassembly left over. Runs the clock on (past
 * TIME_WAIT and reassembly timeouts) until that holds or 10 virtual
 * minutes pass, and records a test failure naming each pool that stayed
 * in use.
 */
bool net_settle(const char *file, int line);
#define NET_SETTLE() net_settle(__FILE__, __LINE__)

/* Deterministic pseudo-random numbers for the tests (xorshift64*). */
uint64_t net_random(uint64_t *state);

/*
 * The Internet checksum of a buffer, added to `sum` (one's complement,
 * not yet folded or inverted), for building frames by hand.
 */
uint32_t net_sum(uint32_t sum, const void *data, size_t len);
uint16_t net_fold(uint32_t sum);

#endif
