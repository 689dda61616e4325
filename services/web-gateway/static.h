/*
 * The page's files, served from memory: tools/embed-files.py writes
 * build/web-gateway/static.c from services/web-gateway/static/ at build
 * time (mk/webgw.mk), so what is served is exactly what is in the tree.
 */
#ifndef CAPOS_WEB_GATEWAY_STATIC_H
#define CAPOS_WEB_GATEWAY_STATIC_H

#include <stddef.h>
#include <stdint.h>

struct wg_file {
	const char *path;	/* the request target, e.g. "/term.js" */
	const char *type;	/* Content-Type */
	const uint8_t *data;
	size_t len;
};

extern const struct wg_file wg_files[];
extern const size_t wg_nfiles;

#endif
