/*
 * The key vault's parts (docs/crypto.md): main.c serves an SSH host key,
 * tls.c a TLS server key. One process holds one key.
 */
#ifndef KEYVAULT_H
#define KEYVAULT_H

#include <stddef.h>
#include <stdint.h>

#include "rt.h"

/* Decodes lower-case hex into at most room bytes; the byte count, or -1
 * for an odd length, a bad digit, or too many digits. */
int keyvault_unhex(const char *s, uint8_t *out, size_t room);

/* Serves "tlsServerKey" with the key and certificate the arguments give
 * ("tls-p256=dev:<64 hex digits>", "tls-cert=<hex DER>"); the exit
 * status. */
int keyvault_tls_main(capos_cap_t entropy);

#endif
