/*
 * lib/crypto's own sources include wolfCrypt through this header, so the
 * configuration (user_settings.h) always comes first.
 */
#ifndef CAPOS_CRYPTO_WC_H
#define CAPOS_CRYPTO_WC_H

#include <string.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/types.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include "crypto.h"

/* wolfCrypt takes lengths as 32-bit words; longer input goes in pieces
 * of this size. */
#define CRYPTO_CHUNK	((size_t)1 << 30)

#endif
