/*
 * The console's log level, chosen once before the kernel's first line
 * that it governs. The boot package is untrusted bytes and, this early,
 * not yet checked as a whole (bootpkg_create does that before init
 * starts): only the few words on the way to kernelParams are read,
 * through the validating reader with a small traversal budget. An
 * unreadable package leaves the default, info; starting init reports
 * what is wrong with it.
 */
#include <string.h>

#include "capos/abi.h"
#include "capos.capnp.h"
#include "fmt/fmt.h"
#include "loglevel.h"

/* Root, manifest and kernelParams: a few words; the budget is slack. */
#define READ_BUDGET	64
#define READ_NESTING	4
#define CMDLINE_WORD	"loglevel="

_Static_assert(CAPOS_LOG_ERROR == capos_LogLevel_error &&
    CAPOS_LOG_WARN == capos_LogLevel_warn &&
    CAPOS_LOG_INFO == capos_LogLevel_info &&
    CAPOS_LOG_DEBUG == capos_LogLevel_debug,
    "CAPOS_LOG_* are the schema's LogLevel values");

static const char *const names[] = {
	[CAPOS_LOG_ERROR] = "error",
	[CAPOS_LOG_WARN] = "warn",
	[CAPOS_LOG_INFO] = "info",
	[CAPOS_LOG_DEBUG] = "debug",
};

const char *
loglevel_name(uint32_t level)
{
	return level < sizeof(names) / sizeof(names[0]) ? names[level] : NULL;
}

/*
 * Finds `loglevel=` on the command line. Returns 1 with the value in
 * *val and its length in *n, or 0 when the word is absent.
 */
static int
cmdline_value(const char *p, const char **val, size_t *n)
{
	size_t w = strlen(CMDLINE_WORD);

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (strncmp(p, CMDLINE_WORD, w) == 0) {
			*val = p + w;
			for (*n = 0; (*val)[*n] != ' ' && (*val)[*n] != '\0';
			    (*n)++)
				;
			return 1;
		}
		while (*p != ' ' && *p != '\0')
			p++;
	}
	return 0;
}

static int
level_named(const char *s, size_t n, uint32_t *level)
{
	for (uint32_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0) {
			*level = i;
			return 1;
		}
	return 0;
}

/*
 * Reads kernelParams.logLevel. Returns 1 with the raw value, 0 when the
 * manifest has no kernelParams (the schema's default applies), -1 when
 * the package cannot be read that far.
 */
static int
manifest_value(const uint8_t *pkg, size_t len, uint32_t *raw)
{
	struct capos_BootPackage_Image_r img;
	struct capos_SystemManifest_r man;
	struct capos_KernelParams_r kp;
	struct capnp_msg m;

	if (pkg == NULL || capnp_msg_init(&m, pkg, len) != CAPNP_OK)
		return -1;
	m.budget = READ_BUDGET;
	m.nesting = READ_NESTING;
	if (capos_BootPackage_Image_read_root(&m, &img) != CAPNP_OK ||
	    capos_BootPackage_Image_get_manifest(&img, &man) != CAPNP_OK)
		return -1;
	if (!capos_SystemManifest_has_kernelParams(&man))
		return 0;
	if (capos_SystemManifest_get_kernelParams(&man, &kp) != CAPNP_OK)
		return -1;
	*raw = (uint32_t)capos_KernelParams_get_logLevel(&kp);
	return 1;
}

void
loglevel_choose(const char *cmdline, const uint8_t *pkg, size_t len,
    struct loglevel_choice *out)
{
	const char *val;
	uint32_t raw;
	size_t n;
	int r;

	out->level = CAPOS_LOG_INFO;
	out->source = "the default";
	out->note[0] = '\0';
	if (cmdline_value(cmdline, &val, &n)) {
		if (level_named(val, n, &out->level)) {
			out->source = "the kernel command line";
			return;
		}
		/* The value is bounded by the command line's own bound. */
		fmt_snprintf(out->note, sizeof(out->note), "%s%.*s on the "
		    "kernel command line is not a level (error, warn, info, "
		    "debug); ignored", CMDLINE_WORD, (int)n, val);
	}
	r = manifest_value(pkg, len, &raw);
	if (r == 0) {
		out->source = "the default (the manifest sets no kernelParams)";
	} else if (r == 1 && loglevel_name(raw) != NULL) {
		out->level = raw;
		out->source = "the manifest";
	} else if (r == 1) {
		size_t k = strlen(out->note);

		fmt_snprintf(out->note + k, sizeof(out->note) - k, "%sthe "
		    "manifest's kernelParams.logLevel is %u, not a level this "
		    "kernel knows (error, warn, info, debug); using info",
		    k != 0 ? "; " : "", raw);
	}
}
