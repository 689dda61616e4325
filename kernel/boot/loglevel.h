/*
 * Choosing the console's log level at boot (docs/boot.md, "Log levels").
 * Pure code over the command line and the boot package's bytes, so host
 * tests run it on packages they build.
 */
#ifndef CAPOS_LOGLEVEL_H
#define CAPOS_LOGLEVEL_H

#include <stddef.h>
#include <stdint.h>

#define LOGLEVEL_NOTE_MAX	160

struct loglevel_choice {
	uint32_t level;		/* CAPOS_LOG_* */
	const char *source;	/* where the level came from, for the console */
	/* Why a level that was named could not be used, or "". */
	char note[LOGLEVEL_NOTE_MAX];
};

/*
 * The level is the command line's `loglevel=NAME` when NAME is a level,
 * else the package manifest's kernelParams.logLevel when the manifest
 * can be read and the value is a level, else info. pkg may be NULL.
 */
void loglevel_choose(const char *cmdline, const uint8_t *pkg, size_t len,
    struct loglevel_choice *out);

/* The level's name, or NULL for a value that is not a level. */
const char *loglevel_name(uint32_t level);

#endif
