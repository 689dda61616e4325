/*
 * lib/crypto's known-answer tests (kat.c), one entry per family. run
 * returns NULL when every vector and refusal of the family checked out,
 * or the name of the first one that did not.
 */
#ifndef CAPOS_CRYPTO_KAT_H
#define CAPOS_CRYPTO_KAT_H

#include <stddef.h>

struct crypto_kat {
	const char *id;		/* short name, for proof lines */
	const char *what;	/* the source of the vectors */
	const char *(*run)(void);
};

extern const struct crypto_kat crypto_kats[];
extern const size_t crypto_nkats;

#endif
