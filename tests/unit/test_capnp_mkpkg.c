/* mkpkg's checks (tools/mkpkg/pkg.c) on manifests built in the test. */
#include <stdlib.h>

#include "capos.capnp.h"
#include "pkg.h"
#include "test.h"

static uint8_t manifest[4096];
static uint8_t out[8192];

/*
 * A manifest of two services: "a" (binary "a") exporting "log", and
 * "b" (binary bbin) with one grant from service src's export exp.
 */
static size_t
make_manifest(const char *bname, const char *bbin, const char *src,
    const char *exp)
{
	struct capnp_builder b;
	struct capos_SystemManifest_b sm;
	struct capos_Service_b s;
	struct capos_Export_b e;
	struct capos_Grant_b g;
	struct capos_Grant_source_b gs;
	struct capos_Grant_source_serviceExport_b x;
	struct capnp_lb l, sl;
	int err = 0;

	err |= capnp_builder_init(&b, manifest, sizeof(manifest));
	err |= capos_SystemManifest_init_root(&b, &sm);
	err |= capos_SystemManifest_init_services(&sm, 2, &sl);
	err |= capos_Service_b_at(&sl, 0, &s);
	err |= capos_Service_set_name(&s, "a", 1);
	err |= capos_Service_set_binary(&s, "a", 1);
	err |= capos_Service_init_exports(&s, 1, &l);
	err |= capos_Export_b_at(&l, 0, &e);
	err |= capos_Export_set_name(&e, "log", 3);
	err |= capos_Service_b_at(&sl, 1, &s);
	err |= capos_Service_set_name(&s, bname, strlen(bname));
	err |= capos_Service_set_binary(&s, bbin, strlen(bbin));
	err |= capos_Service_init_grants(&s, 1, &l);
	err |= capos_Grant_b_at(&l, 0, &g);
	err |= capos_Grant_set_name(&g, "log", 3);
	gs = capos_Grant_init_source(&g);
	x = capos_Grant_source_init_serviceExport(&gs);
	err |= capos_Grant_source_serviceExport_set_service(&x, src,
	    strlen(src));
	err |= capos_Grant_source_serviceExport_set_export(&x, exp,
	    strlen(exp));
	CHECK_EQ(err, 0);
	return capnp_builder_finish(&b);
}

static const uint8_t code[] = "\x7f" "ELF";
static const struct pkg_binary bins[] = {
	{ "a", code, 4 }, { "b", code, 4 },
};

static int
build(size_t mlen, size_t nbins, char *err)
{
	size_t len;

	return pkg_build(manifest, mlen, bins, nbins, out, sizeof(out), &len,
	    err, 256);
}

TEST(mkpkg_accepts_a_consistent_manifest)
{
	struct capos_BootPackage_Image_r img;
	struct capos_SystemManifest_r sm;
	struct capos_BootPackage_Binary_r bin;
	struct capnp_list l;
	struct capnp_data d;
	struct capnp_msg m;
	char err[256] = "";
	size_t len;

	len = make_manifest("b", "b", "a", "log");
	CHECK_EQ(pkg_build(manifest, len, bins, 2, out, sizeof(out), &len,
	    err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK(len <= pkg_size_bound(len, bins, 2));
	CHECK_EQ(capnp_msg_init(&m, out, len), 0);
	CHECK_EQ(capos_BootPackage_Image_read_root(&m, &img), 0);
	CHECK_EQ(capos_BootPackage_Image_get_manifest(&img, &sm), 0);
	CHECK_EQ(capos_SystemManifest_get_services(&sm, &l), 0);
	CHECK_EQ(l.n, 2);
	CHECK_EQ(capos_BootPackage_Image_get_binaries(&img, &l), 0);
	CHECK_EQ(l.n, 2);
	CHECK_EQ(capos_BootPackage_Binary_at(&l, 1, &bin), 0);
	CHECK_EQ(capos_BootPackage_Binary_get_data(&bin, &d), 0);
	CHECK_EQ(d.len, 4);
}

TEST(mkpkg_refuses_a_missing_binary)
{
	char err[256];

	CHECK_EQ(build(make_manifest("b", "nosuch", "a", "log"), 2, err), -1);
	CHECK_STR(err, "service \"b\": binary \"nosuch\" is not in the "
	    "package");
}

TEST(mkpkg_refuses_a_duplicate_service)
{
	char err[256];

	CHECK_EQ(build(make_manifest("a", "b", "a", "log"), 2, err), -1);
	CHECK_STR(err, "duplicate service \"a\"");
}

TEST(mkpkg_refuses_an_unknown_source)
{
	char err[256];

	CHECK_EQ(build(make_manifest("b", "b", "c", "log"), 2, err), -1);
	CHECK_STR(err, "service \"b\": grant \"log\": unknown service \"c\"");
	CHECK_EQ(build(make_manifest("b", "b", "a", "x"), 2, err), -1);
	CHECK_STR(err, "service \"b\": grant \"log\": service \"a\" exports "
	    "no \"x\"");
}

TEST(mkpkg_refuses_a_corrupt_manifest)
{
	char err[256];

	CHECK_EQ(build(5, 2, err), -1);
	CHECK_STR(err, "manifest: truncated message");
}
