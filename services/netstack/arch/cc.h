/*
 * lwIP's compiler and platform port for capOS (lwIP includes this from
 * lwip/arch.h, before any lwIP type exists). The same header serves the
 * netstack service, built freestanding against lib/c, and the host test in
 * tests/lwip, built against the host C library; nothing here may depend on
 * which.
 *
 * The netstack program supplies the functions declared at the end; they
 * are the whole of what lwIP asks of its platform with NO_SYS=1 (sys_now()
 * is declared by lwIP itself, in lwip/sys.h).
 */
#ifndef CAPOS_LWIP_ARCH_CC_H
#define CAPOS_LWIP_ARCH_CC_H

#include <stdint.h>

/*
 * lib/c has no <inttypes.h>, so lwIP must not include it; these are the
 * printf formats of lwIP's types on LP64, used only by its debug output.
 */
#define LWIP_NO_INTTYPES_H 1
#define X8_F	"02x"
#define U16_F	"hu"
#define S16_F	"hd"
#define X16_F	"hx"
#define U32_F	"u"
#define S32_F	"d"
#define X32_F	"x"
#define SZT_F	"zu"

/*
 * x86_64 only, so lwIP's default BYTE_ORDER (little endian) is right, and
 * byte swaps are single instructions.
 */
#define lwip_htons(x)		((uint16_t)__builtin_bswap16(x))
#define lwip_htonl(x)		((uint32_t)__builtin_bswap32(x))

/*
 * Routing these through the port keeps lwip/arch.h from pulling in
 * <stdio.h> and <stdlib.h> for its default printf/abort versions.
 */
#define LWIP_PLATFORM_DIAG(args)	do { capos_lwip_diag args; } while (0)
#define LWIP_PLATFORM_ASSERT(msg)					\
	capos_lwip_assert((msg), __FILE__, __LINE__)

/* Source of the DHCP transaction ids and the first ephemeral port. */
#define LWIP_RAND()		capos_lwip_rand()

/* printf-style diagnostics; reached only when LWIP_DEBUG is defined. */
void capos_lwip_diag(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/*
 * An lwIP invariant broke. The stack's state can no longer be trusted, so
 * this must not return: the netstack exits (fail-stop), a test aborts.
 */
_Noreturn void capos_lwip_assert(const char *msg, const char *file, int line);

/*
 * 32 unpredictable bits from the Entropy capability. A netstack without
 * entropy must not start, rather than fall back to a guessable source.
 */
uint32_t capos_lwip_rand(void);

#endif
