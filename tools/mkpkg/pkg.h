/*
 * Boot packages: one Cap'n Proto message (BootPackage.Image) holding the
 * system manifest and the binaries it names. pkg_build() checks the
 * manifest against the binaries before building anything.
 */
#ifndef MKPKG_PKG_H
#define MKPKG_PKG_H

#include <stddef.h>
#include <stdint.h>

struct pkg_binary {
	const char *name;
	const uint8_t *data;
	size_t len;
};

/* An upper bound on the size of the package for these inputs. */
size_t pkg_size_bound(size_t manifest_len, const struct pkg_binary *bins,
    size_t nbins);

/*
 * Build the package into out. On success returns 0 and sets *outlen; on
 * failure returns -1 and writes into err a message naming the offending
 * service, grant or binary, or the manifest's size when init could not
 * read it (over CAPOS_MANIFEST_MAX).
 */
int pkg_build(const void *manifest, size_t manifest_len,
    const struct pkg_binary *bins, size_t nbins, void *out, size_t outcap,
    size_t *outlen, char *err, size_t errlen);

#endif
