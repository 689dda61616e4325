/*
 * The boot-time log level choice (kernel/boot/loglevel.c) over packages
 * built here: the manifest's level, the command line's override, and the
 * fallbacks to info for what is missing, unknown or unreadable.
 */
#include "capos.capnp.h"
#include "capos/abi.h"
#include "boot/loglevel.h"
#include "test.h"

static uint8_t pkg[1024];

/*
 * A boot package whose manifest has kernelParams.logLevel = raw, or no
 * kernelParams at all when raw is negative. Returns its length.
 */
static size_t
make_pkg(int raw)
{
	struct capnp_builder b;
	struct capos_BootPackage_Image_b img;
	struct capos_SystemManifest_b man;
	struct capos_KernelParams_b kp;
	struct capnp_lb l;
	int err = 0;

	err |= capnp_builder_init(&b, pkg, sizeof(pkg));
	err |= capos_BootPackage_Image_init_root(&b, &img);
	err |= capos_BootPackage_Image_init_manifest(&img, &man);
	err |= capos_SystemManifest_init_services(&man, 0, &l);
	if (raw >= 0) {
		err |= capos_SystemManifest_init_kernelParams(&man, &kp);
		capos_KernelParams_set_logLevel(&kp, (enum capos_LogLevel)raw);
	}
	CHECK_EQ(err, 0);
	return capnp_builder_finish(&b);
}

TEST(loglevel_from_the_manifest)
{
	struct loglevel_choice c;
	size_t n = make_pkg(capos_LogLevel_debug);

	loglevel_choose("", pkg, n, &c);
	CHECK_EQ(c.level, CAPOS_LOG_DEBUG);
	CHECK_STR(c.source, "the manifest");
	CHECK_STR(c.note, "");
	n = make_pkg(capos_LogLevel_error);
	loglevel_choose("quiet answer=42", pkg, n, &c);
	CHECK_EQ(c.level, CAPOS_LOG_ERROR);
	CHECK_STR(c.note, "");
}

TEST(loglevel_missing_is_info)
{
	struct loglevel_choice c;
	size_t n = make_pkg(-1);

	loglevel_choose("", pkg, n, &c);
	CHECK_EQ(c.level, CAPOS_LOG_INFO);
	CHECK_STR(c.source, "the default (the manifest sets no kernelParams)");
	CHECK_STR(c.note, "");
	/* No package at all (a kernel booted alone). */
	loglevel_choose("", NULL, 0, &c);
	CHECK_EQ(c.level, CAPOS_LOG_INFO);
	CHECK_STR(c.note, "");
}

TEST(loglevel_unknown_in_the_manifest_is_info_with_a_note)
{
	struct loglevel_choice c;
	size_t n = make_pkg(4);

	loglevel_choose("", pkg, n, &c);
	CHECK_EQ(c.level, CAPOS_LOG_INFO);
	CHECK_STR(c.note, "the manifest's kernelParams.logLevel is 4, not a "
	    "level this kernel knows (error, warn, info, debug); using info");
	n = make_pkg(65535);
	loglevel_choose("", pkg, n, &c);
	CHECK_EQ(c.level, CAPOS_LOG_INFO);
	CHECK(strstr(c.note, "is 65535, not a level") != NULL);
}

TEST(loglevel_command_line_overrides)
{
	struct loglevel_choice c;
	size_t n = make_pkg(capos_LogLevel_info);

	loglevel_choose("stop=console loglevel=debug", pkg, n, &c);
	CHECK_EQ(c.level, CAPOS_LOG_DEBUG);
	CHECK_STR(c.source, "the kernel command line");
	loglevel_choose("loglevel=warn", NULL, 0, &c);
	CHECK_EQ(c.level, CAPOS_LOG_WARN);
	/* A prefix of a name, or a name with more after it, is not one. */
	loglevel_choose("loglevel=deb", pkg, n, &c);
	CHECK_EQ(c.level, CAPOS_LOG_INFO);
	CHECK_STR(c.source, "the manifest");
	CHECK_STR(c.note, "loglevel=deb on the kernel command line is not a "
	    "level (error, warn, info, debug); ignored");
	loglevel_choose("loglevel=debugx", pkg, n, &c);
	CHECK_EQ(c.level, CAPOS_LOG_INFO);
	loglevel_choose("loglevel=", pkg, n, &c);
	CHECK_EQ(c.level, CAPOS_LOG_INFO);
	CHECK(c.note[0] != '\0');
	/* Not the word: "xloglevel=debug" names nothing. */
	loglevel_choose("xloglevel=debug", pkg, n, &c);
	CHECK_EQ(c.level, CAPOS_LOG_INFO);
	CHECK_STR(c.note, "");
}

TEST(loglevel_both_unknown)
{
	struct loglevel_choice c;
	size_t n = make_pkg(9);

	loglevel_choose("loglevel=loud", pkg, n, &c);
	CHECK_EQ(c.level, CAPOS_LOG_INFO);
	CHECK(strstr(c.note, "loglevel=loud") != NULL);
	CHECK(strstr(c.note, "; the manifest's kernelParams.logLevel is 9") !=
	    NULL);
}

TEST(loglevel_hostile_package)
{
	struct loglevel_choice c;
	size_t n = make_pkg(capos_LogLevel_debug);
	uint8_t junk[64];

	/* Every truncation of a good package, and bytes that are none. */
	for (size_t k = 0; k < n; k++) {
		loglevel_choose("", pkg, k, &c);
		CHECK(c.level == CAPOS_LOG_INFO || c.level == CAPOS_LOG_DEBUG);
	}
	memset(junk, 0xff, sizeof(junk));
	loglevel_choose("", junk, sizeof(junk), &c);
	CHECK_EQ(c.level, CAPOS_LOG_INFO);
	CHECK_STR(c.note, "");
	/* A long unknown value is cut to the note's bound. */
	{
		char line[300];

		memset(line, 'x', sizeof(line) - 1);
		memcpy(line, "loglevel=", 9);
		line[sizeof(line) - 1] = '\0';
		loglevel_choose(line, NULL, 0, &c);
		CHECK_EQ(c.level, CAPOS_LOG_INFO);
		CHECK_EQ(strlen(c.note), (size_t)LOGLEVEL_NOTE_MAX - 1);
	}
	CHECK_STR(loglevel_name(CAPOS_LOG_DEBUG), "debug");
	CHECK(loglevel_name(4) == NULL);
}
