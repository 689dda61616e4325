/*
 * The formatter against the host C library: for each case both must produce
 * the same text and the same return value.
 */
#include <limits.h>
#include <stdint.h>

#include "fmt/fmt.h"
#include "test.h"

/* Some cases below are deliberately malformed formats. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-overflow"

#define SAME(...)                                                         \
	do {                                                              \
		char want_[256], got_[256];                               \
		int wn_ = snprintf(want_, sizeof(want_), __VA_ARGS__);    \
		int gn_ = fmt_snprintf(got_, sizeof(got_), __VA_ARGS__);  \
		CHECK_STR(got_, want_);                                   \
		CHECK_EQ(gn_, wn_);                                       \
	} while (0)

TEST(fmt_integers_match_libc)
{
	SAME("%d %i %u", 0, -1, 4000000000u);
	SAME("%d %d", INT_MAX, INT_MIN);
	SAME("%ld %lu %lld %llu", LONG_MIN, ULONG_MAX, LLONG_MIN, ULLONG_MAX);
	SAME("%hhd %hhu %hd %hu", 300, 300, 70000, 70000);
	SAME("%zu %zd %td %jd", (size_t)123, (ssize_t)-5, (ptrdiff_t)-9,
	    (intmax_t)77);
	SAME("%x %X %o %#x %#X %#o", 0xbeefu, 0xbeefu, 8u, 255u, 255u, 8u);
	SAME("%#x %#o %#.0o %.0d|%.0x|", 0u, 0u, 0u, 0, 0u);
	SAME("%lx %llx %016llx", 0xffffffffffUL, 0x123456789abcdefULL,
	    0xabcULL);
}

TEST(fmt_width_precision_flags_match_libc)
{
	SAME("[%5d] [%-5d] [%05d] [%+d] [% d] [%+5d]", 42, 42, 42, 42, 42, -42);
	SAME("[%.3d] [%8.3d] [%-8.3d] [%08.3d] [%-08d]", 7, -7, 7, 7, 7);
	SAME("[%*d] [%-*d] [%*d] [%.*d]", 6, 1, 6, 1, -6, 1, 4, 3);
	SAME("[%#10x] [%#-10x] [%#010x]", 0x1fu, 0x1fu, 0x1fu);
	SAME("[%10s] [%-10s] [%.2s] [%10.3s] [%.*s]", "abc", "abc", "abc",
	    "abcdef", 3, "abcdef");
	SAME("[%c] [%3c] [%-3c] [%%]", 'x', 'y', 'z');
}

TEST(fmt_pointer_and_null_string)
{
	char buf[64];

	fmt_snprintf(buf, sizeof(buf), "%p", (void *)0xffff800000001000UL);
	CHECK_STR(buf, "0xffff800000001000");
	fmt_snprintf(buf, sizeof(buf), "%s", (char *)NULL);
	CHECK_STR(buf, "(null)");
}

TEST(fmt_truncates_and_reports_full_length)
{
	char buf[8];

	memset(buf, 'Q', sizeof(buf));
	CHECK_EQ(fmt_snprintf(buf, 5, "%s-%d", "hello", 12345), 11);
	CHECK_STR(buf, "hell");
	CHECK_EQ(buf[5], 'Q');
	CHECK_EQ(fmt_snprintf(NULL, 0, "%d", 123456), 6);
	CHECK_EQ(fmt_snprintf(buf, 1, "abc"), 3);
	CHECK_EQ(buf[0], '\0');
}

TEST(fmt_unknown_and_trailing_percent_printed_as_written)
{
	char buf[32];

	CHECK_EQ(fmt_snprintf(buf, sizeof(buf), "a%qb"), 4);
	CHECK_STR(buf, "a%qb");
	CHECK_EQ(fmt_snprintf(buf, sizeof(buf), "end%"), 4);
	CHECK_STR(buf, "end%");
	CHECK_EQ(fmt_snprintf(buf, sizeof(buf), "%-"), 2);
	CHECK_STR(buf, "%-");
}
