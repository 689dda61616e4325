/*
 * Checking a manifest against its binaries, and building the package.
 * The manifest comes from `capnp eval`, but it is read with the same
 * validating reader the kernel uses, so a corrupt file is an error here
 * rather than a surprise at boot.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "capos.capnp.h"
#include "capos/abi.h"
#include "pkg.h"

/* One past the last KernelObject enumerant. */
#define KERNEL_OBJECTS (capos_KernelObject_consoleInput + 1)

struct check {
	struct capos_SystemManifest_r manifest;
	struct capnp_list services;
	const struct pkg_binary *bins;
	size_t nbins;
	char *err;
	size_t errlen;
};

static int
fail(struct check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
capnp_fail(struct check *c, const char *what, int err)
{
	return fail(c, "%s: %s", what, capnp_strerror(err));
}

static bool
text_eq(const struct capnp_text *t, const char *s)
{
	return t->len == strlen(s) && memcmp(t->str, s, t->len) == 0;
}

/* Find the service called name; returns its index or -1. */
static int
find_service(struct check *c, const char *name, struct capos_Service_r *out)
{
	struct capnp_text t;

	for (uint32_t i = 0; i < c->services.n; i++) {
		if (capos_Service_at(&c->services, i, out) != 0 ||
		    capos_Service_get_name(out, &t) != 0)
			continue;
		if (text_eq(&t, name))
			return (int)i;
	}
	return -1;
}

static bool
exports(const struct capos_Service_r *s, const char *name)
{
	struct capos_Export_r e;
	struct capnp_list l;
	struct capnp_text t;

	if (capos_Service_get_exports(s, &l) != 0)
		return false;
	for (uint32_t i = 0; i < l.n; i++)
		if (capos_Export_at(&l, i, &e) == 0 &&
		    capos_Export_get_name(&e, &t) == 0 && text_eq(&t, name))
			return true;
	return false;
}

static int
check_export(struct check *c, const char *svc, const char *grant,
    struct capos_Grant_source_serviceExport_r *x)
{
	struct capos_Service_r from;
	struct capnp_text s, e;
	int err;

	if ((err = capos_Grant_source_serviceExport_get_service(x, &s)) != 0 ||
	    (err = capos_Grant_source_serviceExport_get_export(x, &e)) != 0)
		return capnp_fail(c, "grant", err);
	if (find_service(c, s.str, &from) < 0)
		return fail(c, "service \"%s\": grant \"%s\": unknown service "
		    "\"%s\"", svc, grant, s.str);
	if (!exports(&from, e.str))
		return fail(c, "service \"%s\": grant \"%s\": service \"%s\" "
		    "exports no \"%s\"", svc, grant, s.str, e.str);
	return 0;
}

static int
check_grant(struct check *c, const char *svc, struct capnp_list *grants,
    uint32_t i)
{
	struct capos_Grant_r g, other;
	struct capos_Grant_source_r src;
	struct capos_Grant_source_serviceExport_r x;
	struct capnp_text name, on;
	int err;

	if ((err = capos_Grant_at(grants, i, &g)) != 0 ||
	    (err = capos_Grant_get_name(&g, &name)) != 0)
		return capnp_fail(c, "grant", err);
	if (name.len == 0)
		return fail(c, "service \"%s\": grant %u has no name", svc, i);
	for (uint32_t j = 0; j < i; j++)
		if (capos_Grant_at(grants, j, &other) == 0 &&
		    capos_Grant_get_name(&other, &on) == 0 &&
		    text_eq(&on, name.str))
			return fail(c, "service \"%s\": duplicate grant \"%s\"",
			    svc, name.str);
	src = capos_Grant_get_source(&g);
	switch (capos_Grant_source_which(&src)) {
	case capos_Grant_source_which_kernel:
		if (capos_Grant_source_get_kernel(&src) >= KERNEL_OBJECTS)
			return fail(c, "service \"%s\": grant \"%s\": unknown "
			    "kernel object %u", svc, name.str,
			    (unsigned)capos_Grant_source_get_kernel(&src));
		return 0;
	case capos_Grant_source_which_serviceExport:
		x = capos_Grant_source_get_serviceExport(&src);
		return check_export(c, svc, name.str, &x);
	case capos_Grant_source_which_init:
		if ((err = capos_Grant_source_get_init(&src, &on)) != 0)
			return capnp_fail(c, "grant", err);
		if (on.len == 0)
			return fail(c, "service \"%s\": grant \"%s\": empty "
			    "init capability name", svc, name.str);
		return 0;
	case capos_Grant_source_which_device:
		/* Whether the device exists is known only at boot. */
		return 0;
	}
	return fail(c, "service \"%s\": grant \"%s\": unknown source %u", svc,
	    name.str, (unsigned)capos_Grant_source_which(&src));
}

static bool
have_binary(struct check *c, const struct capnp_text *name)
{
	for (size_t i = 0; i < c->nbins; i++)
		if (text_eq(name, c->bins[i].name))
			return true;
	return false;
}

static int
check_service(struct check *c, uint32_t i)
{
	struct capos_Service_r s, other;
	struct capnp_text name, bin;
	struct capnp_list grants;
	int err;

	if ((err = capos_Service_at(&c->services, i, &s)) != 0 ||
	    (err = capos_Service_get_name(&s, &name)) != 0 ||
	    (err = capos_Service_get_binary(&s, &bin)) != 0 ||
	    (err = capos_Service_get_grants(&s, &grants)) != 0)
		return capnp_fail(c, "service", err);
	if (name.len == 0)
		return fail(c, "service %u has no name", i);
	if (find_service(c, name.str, &other) != (int)i)
		return fail(c, "duplicate service \"%s\"", name.str);
	if (!have_binary(c, &bin))
		return fail(c, "service \"%s\": binary \"%s\" is not in the "
		    "package", name.str, bin.str);
	for (uint32_t j = 0; j < grants.n; j++)
		if (check_grant(c, name.str, &grants, j) != 0)
			return -1;
	return 0;
}

static int
check_manifest(struct check *c, struct capnp_msg *m)
{
	int err;

	if ((err = capos_SystemManifest_read_root(m, &c->manifest)) != 0 ||
	    (err = capos_SystemManifest_get_services(&c->manifest,
	    &c->services)) != 0)
		return capnp_fail(c, "manifest", err);
	for (size_t i = 0; i < c->nbins; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->bins[i].name, c->bins[j].name) == 0)
				return fail(c, "duplicate binary \"%s\"",
				    c->bins[i].name);
	for (uint32_t i = 0; i < c->services.n; i++)
		if (check_service(c, i) != 0)
			return -1;
	return 0;
}

size_t
pkg_size_bound(size_t manifest_len, const struct pkg_binary *bins,
    size_t nbins)
{
	/* Framing and root, then per binary its list entry and two blobs. */
	size_t n = 64 + manifest_len;

	for (size_t i = 0; i < nbins; i++)
		n += 40 + strlen(bins[i].name) + bins[i].len;
	return n;
}

static int
build(struct check *c, void *out, size_t outcap, size_t *outlen)
{
	struct capos_BootPackage_Image_b img;
	struct capos_BootPackage_Binary_b bin;
	struct capnp_builder b;
	struct capnp_lb l;
	int err;

	if ((err = capnp_builder_init(&b, out, outcap)) != 0 ||
	    (err = capos_BootPackage_Image_init_root(&b, &img)) != 0 ||
	    (err = capos_BootPackage_Image_set_manifest(&img,
	    &c->manifest)) != 0 ||
	    (err = capos_BootPackage_Image_init_binaries(&img,
	    (uint32_t)c->nbins, &l)) != 0)
		return capnp_fail(c, "package", err);
	for (size_t i = 0; i < c->nbins; i++) {
		if ((err = capos_BootPackage_Binary_b_at(&l, (uint32_t)i,
		    &bin)) != 0 ||
		    (err = capos_BootPackage_Binary_set_name(&bin,
		    c->bins[i].name, strlen(c->bins[i].name))) != 0 ||
		    (err = capos_BootPackage_Binary_set_data(&bin,
		    c->bins[i].data, c->bins[i].len)) != 0)
			return fail(c, "binary \"%s\": %s", c->bins[i].name,
			    capnp_strerror(err));
	}
	*outlen = capnp_builder_finish(&b);
	return 0;
}

/*
 * Init reads the manifest with BootPackage.manifest, whose result message
 * holds a copy of it and must fit CAPOS_MANIFEST_MAX bytes. The result is
 * built here exactly as the kernel builds it, in out (free until the
 * package is built), and its size compared with the limit.
 */
static int
check_manifest_size(struct check *c, void *out, size_t outcap)
{
	struct capos_BootPackage_manifest_Results_b res;
	struct capnp_builder b;
	size_t len;
	int err;

	if ((err = capnp_builder_init(&b, out, outcap)) != 0 ||
	    (err = capos_BootPackage_manifest_Results_init_root(&b,
	    &res)) != 0 ||
	    (err = capos_BootPackage_manifest_Results_set_manifest(&res,
	    &c->manifest)) != 0) {
		if (err != CAPNP_E_NOSPACE)
			return capnp_fail(c, "manifest", err);
		return fail(c, "manifest too large: init receives it as a "
		    "message of more than %zu bytes and reads at most %u "
		    "(CAPOS_MANIFEST_MAX)", outcap, CAPOS_MANIFEST_MAX);
	}
	len = capnp_builder_finish(&b);
	if (len > CAPOS_MANIFEST_MAX)
		return fail(c, "manifest too large: init receives it as a "
		    "%zu-byte message and reads at most %u (CAPOS_MANIFEST_MAX)",
		    len, CAPOS_MANIFEST_MAX);
	return 0;
}

int
pkg_build(const void *manifest, size_t manifest_len,
    const struct pkg_binary *bins, size_t nbins, void *out, size_t outcap,
    size_t *outlen, char *err, size_t errlen)
{
	struct check c = { .bins = bins, .nbins = nbins, .err = err,
	    .errlen = errlen };
	struct capnp_msg m;
	int e;

	if ((e = capnp_msg_init(&m, manifest, manifest_len)) != 0)
		return capnp_fail(&c, "manifest", e);
	if (check_manifest(&c, &m) != 0 ||
	    check_manifest_size(&c, out, outcap) != 0)
		return -1;
	return build(&c, out, outcap, outlen);
}
