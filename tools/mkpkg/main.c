/*
 * mkpkg: build a boot package from a manifest and the binaries it names.
 *
 *	mkpkg -o out.pkg manifest.bin binary...
 *
 * Each binary is stored under its file name (the part after the last
 * '/'), which is what the manifest's `binary` fields refer to.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkg.h"

static void
usage(void)
{
	fprintf(stderr, "usage: mkpkg -o out.pkg manifest.bin binary...\n");
	exit(2);
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	size_t cap = 1 << 16, n = 0, got;
	uint8_t *buf = malloc(cap);
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		fprintf(stderr, "mkpkg: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	if (buf == NULL || ferror(f)) {
		fprintf(stderr, "mkpkg: %s: read failed\n", path);
		exit(1);
	}
	fclose(f);
	*len = n;
	return buf;
}

int
main(int argc, char **argv)
{
	struct pkg_binary *bins;
	const char *outpath, *slash;
	uint8_t *manifest, *out;
	size_t mlen, cap, len;
	char err[512];
	int nbins;
	FILE *f;

	if (argc < 4 || strcmp(argv[1], "-o") != 0)
		usage();
	outpath = argv[2];
	manifest = slurp(argv[3], &mlen);
	nbins = argc - 4;
	if ((bins = calloc((size_t)nbins + 1, sizeof(*bins))) == NULL)
		return 1;
	for (int i = 0; i < nbins; i++) {
		slash = strrchr(argv[4 + i], '/');
		bins[i].name = slash != NULL ? slash + 1 : argv[4 + i];
		bins[i].data = slurp(argv[4 + i], &bins[i].len);
	}
	cap = pkg_size_bound(mlen, bins, (size_t)nbins);
	if ((out = malloc(cap)) == NULL)
		return 1;
	if (pkg_build(manifest, mlen, bins, (size_t)nbins, out, cap, &len, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "mkpkg: %s: %s\n", argv[3], err);
		return 1;
	}
	if ((f = fopen(outpath, "wb")) == NULL ||
	    fwrite(out, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "mkpkg: %s: write failed\n", outpath);
		remove(outpath);
		return 1;
	}
	return 0;
}
