/*
 * lwIP hooks that capOS implements (named by LWIP_HOOK_FILENAME in
 * lwipopts.h, included by the lwIP files that call hooks).
 */
#ifndef CAPOS_LWIP_ARCH_HOOKS_H
#define CAPOS_LWIP_ARCH_HOOKS_H

#include "lwip/ip_addr.h"

/*
 * The initial sequence number of a new TCP connection. lwIP's own choice
 * is a counter, which lets an off-path host guess sequence numbers and
 * inject into connections; the netstack implements RFC 6528 instead (a
 * clock plus a keyed hash of the four-tuple, the key from Entropy).
 */
u32_t capos_lwip_tcp_isn(const ip_addr_t *local_ip, u16_t local_port,
    const ip_addr_t *remote_ip, u16_t remote_port);

#endif
