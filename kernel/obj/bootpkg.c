/*
 * BootPackage: the read-only boot package (manifest and binaries) that came
 * in as the boot module. The bytes are untrusted: the image is checked once
 * at boot (every binary has a name and data, names are unique), and every
 * later call reads it again through the validating reader.
 */
#include <string.h>

#include "cap/call.h"
#include "kernel.h"
#include "obj/objects.h"

#define MAX_BINARIES	64
/* Reading a whole package visits each word about once. */
#define PKG_BUDGET_FACTOR	2
#define PKG_NESTING		16

struct bootpkg {
	struct kobj obj;
	const uint8_t *image;
	size_t len;
};

static int
open_image(const struct bootpkg *pkg, struct capnp_msg *m,
    struct capos_BootPackage_Image_r *img)
{
	if (capnp_msg_init(m, pkg->image, pkg->len) != CAPNP_OK)
		return -1;
	m->budget = (uint64_t)pkg->len / 8 * PKG_BUDGET_FACTOR + 64;
	/* Deep copies of the manifest recurse once per level. */
	m->nesting = PKG_NESTING;
	return capos_BootPackage_Image_read_root(m, img) == CAPNP_OK ? 0 : -1;
}

/*
 * Reads binary i's name, and its data when `data` is not NULL. Reading the
 * data is charged to the traversal budget by its size, so lookups read
 * names first and only the data they need.
 */
static int
binary_at(const struct capnp_list *l, uint32_t i, struct capnp_text *name,
    struct capnp_data *data)
{
	struct capos_BootPackage_Binary_r b;

	if (capos_BootPackage_Binary_at(l, i, &b) != CAPNP_OK ||
	    capos_BootPackage_Binary_get_name(&b, name) != CAPNP_OK)
		return -1;
	if (data != NULL &&
	    capos_BootPackage_Binary_get_data(&b, data) != CAPNP_OK)
		return -1;
	return 0;
}

static int
find(const struct bootpkg *pkg, const char *name, size_t name_len,
    struct capnp_data *data)
{
	struct capos_BootPackage_Image_r img;
	struct capnp_list bins;
	struct capnp_text n;
	struct capnp_msg m;

	if (open_image(pkg, &m, &img) != 0 ||
	    capos_BootPackage_Image_get_binaries(&img, &bins) != CAPNP_OK)
		return -1;
	for (uint32_t i = 0; i < bins.n; i++) {
		if (binary_at(&bins, i, &n, NULL) != 0)
			return -1;
		if (n.len == name_len && memcmp(n.str, name, name_len) == 0)
			return binary_at(&bins, i, &n, data);
	}
	return -1;
}

int
bootpkg_find(struct kobj *obj, const char *name, size_t name_len,
    const uint8_t **data, size_t *len)
{
	struct capnp_data d;

	if (find((struct bootpkg *)obj, name, name_len, &d) != 0)
		return -1;
	*data = d.ptr;
	*len = d.len;
	return 0;
}

static int
pkg_manifest(struct bootpkg *pkg, struct call *c)
{
	struct capos_BootPackage_Image_r img;
	struct capos_SystemManifest_r man;
	struct capos_BootPackage_manifest_Results_b res;
	struct capnp_msg m;

	if (open_image(pkg, &m, &img) != 0 ||
	    capos_BootPackage_Image_get_manifest(&img, &man) != CAPNP_OK)
		return call_exception(c, capos_CapException_Type_failed,
		    "boot package unreadable");
	if (capos_BootPackage_manifest_Results_init_root(call_result(c),
	    &res) != CAPNP_OK ||
	    capos_BootPackage_manifest_Results_set_manifest(&res, &man) !=
	    CAPNP_OK)
		return call_exception(c, capos_CapException_Type_failed,
		    "manifest does not fit the result buffer");
	return CALL_DONE;
}

static int
pkg_list(struct bootpkg *pkg, struct call *c)
{
	struct capos_BootPackage_Image_r img;
	struct capos_BootPackage_listBinaries_Results_b res;
	struct capos_BootPackage_BinaryInfo_b info;
	struct capnp_list bins;
	struct capnp_lb out;
	struct capnp_text n;
	struct capnp_data d;
	struct capnp_msg m;

	if (open_image(pkg, &m, &img) != 0 ||
	    capos_BootPackage_Image_get_binaries(&img, &bins) != CAPNP_OK)
		return call_exception(c, capos_CapException_Type_failed,
		    "boot package unreadable");
	if (capos_BootPackage_listBinaries_Results_init_root(call_result(c),
	    &res) != CAPNP_OK ||
	    capos_BootPackage_listBinaries_Results_init_binaries(&res, bins.n,
	    &out) != CAPNP_OK)
		return call_exception(c, capos_CapException_Type_failed,
		    "result buffer");
	for (uint32_t i = 0; i < bins.n; i++) {
		if (binary_at(&bins, i, &n, &d) != 0 ||
		    capos_BootPackage_BinaryInfo_b_at(&out, i, &info) !=
		    CAPNP_OK ||
		    capos_BootPackage_BinaryInfo_set_name(&info, n.str,
		    n.len) != CAPNP_OK)
			return call_exception(c,
			    capos_CapException_Type_failed, "result buffer");
		capos_BootPackage_BinaryInfo_set_size(&info, d.len);
	}
	return CALL_DONE;
}

static int
pkg_read(struct bootpkg *pkg, struct call *c)
{
	struct capos_BootPackage_readBinary_Params_r p;
	struct capos_BootPackage_ReadResult_b res;
	struct capnp_text name;
	struct capnp_data d;
	struct capnp_msg m;
	uint64_t off;
	uint32_t max;
	int err;

	if (call_params(c, &m, &p.s) != 0 ||
	    capos_BootPackage_readBinary_Params_get_name(&p, &name) !=
	    CAPNP_OK)
		return call_exception(c, capos_CapException_Type_failed,
		    "malformed readBinary params");
	off = capos_BootPackage_readBinary_Params_get_offset(&p);
	max = capos_BootPackage_readBinary_Params_get_maxBytes(&p);
	if (max > capos_BootPackage_maxChunk)
		max = capos_BootPackage_maxChunk;
	if (capos_BootPackage_ReadResult_init_root(call_result(c), &res) !=
	    CAPNP_OK)
		return call_exception(c, capos_CapException_Type_failed,
		    "result buffer");
	if (find(pkg, name.str, name.len, &d) != 0) {
		capos_BootPackage_ReadResult_set_notFound(&res);
		return CALL_DONE;
	}
	if (off > d.len) {
		capos_BootPackage_ReadResult_set_badOffset(&res);
		return CALL_DONE;
	}
	if (max > d.len - off)
		max = (uint32_t)(d.len - off);
	err = capos_BootPackage_ReadResult_set_bytes(&res, d.ptr + off, max);
	if (err != CAPNP_OK)
		return call_exception(c, capos_CapException_Type_failed,
		    "chunk does not fit the result buffer");
	return CALL_DONE;
}

static int
bootpkg_call(struct kobj *obj, struct call *c)
{
	struct bootpkg *pkg = (struct bootpkg *)obj;

	switch (c->method) {
	case capos_BootPackage_manifest_ORDINAL:
		return pkg_manifest(pkg, c);
	case capos_BootPackage_listBinaries_ORDINAL:
		return pkg_list(pkg, c);
	case capos_BootPackage_readBinary_ORDINAL:
		return pkg_read(pkg, c);
	default:
		return call_exception(c, capos_CapException_Type_unimplemented,
		    "BootPackage has no such method");
	}
}

static const struct kobj_ops bootpkg_ops = {
	.name = "BootPackage",
	.call = bootpkg_call,
	.release = NULL,	/* lives as long as the kernel */
};

/* Checks every binary once: a name, data, and no duplicate names. */
static const char *
check_image(const struct bootpkg *pkg)
{
	struct capos_BootPackage_Image_r img;
	struct capos_SystemManifest_r man;
	struct capnp_list bins;
	struct capnp_text n, n2;
	struct capnp_data d;
	struct capnp_msg m;

	if (open_image(pkg, &m, &img) != 0)
		return "not a Cap'n Proto boot package";
	if (!capos_BootPackage_Image_has_manifest(&img) ||
	    capos_BootPackage_Image_get_manifest(&img, &man) != CAPNP_OK)
		return "no readable manifest";
	if (capos_BootPackage_Image_get_binaries(&img, &bins) != CAPNP_OK)
		return "unreadable binary list";
	if (bins.n > MAX_BINARIES)
		return "too many binaries";
	for (uint32_t i = 0; i < bins.n; i++) {
		if (binary_at(&bins, i, &n, &d) != 0 || n.len == 0)
			return "a binary without a readable name or data";
		for (uint32_t j = 0; j < i; j++) {
			if (binary_at(&bins, j, &n2, NULL) != 0)
				return "unreadable binary";
			if (n.len == n2.len && memcmp(n.str, n2.str, n.len) == 0)
				return "two binaries with the same name";
		}
	}
	return NULL;
}

struct kobj *
bootpkg_create(const uint8_t *image, size_t len, const char **why)
{
	static struct bootpkg pkg;

	pkg.image = image;
	pkg.len = len;
	if ((*why = check_image(&pkg)) != NULL)
		return NULL;
	kobj_init(&pkg.obj, &bootpkg_ops);
	return kobj_ref(&pkg.obj);
}
