/*
 * lib/c's ctype and number conversions. The host C library, in the "C"
 * locale the runner never leaves, is the reference wherever ISO C defines
 * the result; behaviour that ISO C leaves open (values outside unsigned
 * char, atoi out of range, a bad base) is checked against what lib/c
 * promises in its headers.
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <strings.h>

#include "libc_host.h"
#include "test.h"

struct ctype_pair {
	const char *name;
	int (*ours)(int);
	int (*host)(int);
};

/* The host's classifiers may be macros; wrap them to take their address. */
#define HOST(f)                                                           \
	static int host_##f(int c)                                        \
	{                                                                 \
		return f(c);                                              \
	}
HOST(isalnum) HOST(isalpha) HOST(isblank) HOST(iscntrl) HOST(isdigit)
HOST(isgraph) HOST(islower) HOST(isprint) HOST(ispunct) HOST(isspace)
HOST(isupper) HOST(isxdigit)

static const struct ctype_pair classes[] = {
	{ "isalnum", capos_isalnum, host_isalnum },
	{ "isalpha", capos_isalpha, host_isalpha },
	{ "isblank", capos_isblank, host_isblank },
	{ "iscntrl", capos_iscntrl, host_iscntrl },
	{ "isdigit", capos_isdigit, host_isdigit },
	{ "isgraph", capos_isgraph, host_isgraph },
	{ "islower", capos_islower, host_islower },
	{ "isprint", capos_isprint, host_isprint },
	{ "ispunct", capos_ispunct, host_ispunct },
	{ "isspace", capos_isspace, host_isspace },
	{ "isupper", capos_isupper, host_isupper },
	{ "isxdigit", capos_isxdigit, host_isxdigit },
};

TEST(libc_ctype_matches_c_locale_for_every_byte_and_eof)
{
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		for (int c = EOF; c <= UCHAR_MAX; c++) {
			int ours = classes[i].ours(c) != 0;
			int host = classes[i].host(c) != 0;

			if (ours != host)
				test_fail(__FILE__, __LINE__, "%s(%d): %d, "
				    "C locale says %d", classes[i].name, c,
				    ours, host);
		}
	}
	for (int c = EOF; c <= UCHAR_MAX; c++) {
		CHECK_EQ(capos_tolower(c), tolower(c));
		CHECK_EQ(capos_toupper(c), toupper(c));
	}
}

TEST(libc_ctype_values_outside_unsigned_char_are_in_no_class)
{
	static const int odd[] = { INT_MIN, -129, -128, -2, 256, 0x141,
		INT_MAX };

	for (size_t k = 0; k < sizeof(odd) / sizeof(odd[0]); k++) {
		for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]);
		    i++)
			CHECK_EQ(classes[i].ours(odd[k]), 0);
		CHECK_EQ(capos_tolower(odd[k]), odd[k]);
		CHECK_EQ(capos_toupper(odd[k]), odd[k]);
	}
}

/*
 * Inputs for the conversions: signs, spaces, prefixes, stray letters, and
 * values on both sides of every limit.
 */
static const char *const numbers[] = {
	"0", "1", "-1", "+1", "  42", "\t\n\v\f\r 7", "42abc", "abc", "",
	"-", "+", "+-1", " - 5", "0x", "0X", "0x1f", "0X1F", "0xg", "-0x10",
	"0x-1", "010", "08", "09", "z", "Z", "zz", "1010", "7fffffff",
	"2147483647", "2147483648", "-2147483648", "-2147483649",
	"9223372036854775807", "9223372036854775808",
	"-9223372036854775808", "-9223372036854775809",
	"18446744073709551615", "18446744073709551616",
	"-18446744073709551615", "-18446744073709551616",
	"99999999999999999999999999999999999999", "0x7fffffffffffffff",
	"0x8000000000000000", "0xffffffffffffffff", "0x10000000000000000",
	"-0x8000000000000000", "-0x8000000000000001",
	"1000000000000000000000000000000000000000000000000000000000000000",
	"777777777777777777777", "1777777777777777777777",
	"2000000000000000000000", "3w5e11264sgsf", "3w5e11264sgsg",
	"\x80" "1", "1\x80", "12 34", "0000000000000000000000000000001",
};

static const int bases[] = { 0, 2, 8, 10, 16, 36 };

#define FOR_EACH_CASE(s, base)                                            \
	for (size_t i_ = 0; i_ < sizeof(numbers) / sizeof(numbers[0]); i_++) \
		for (size_t j_ = 0; j_ < sizeof(bases) / sizeof(bases[0]) && \
		    ((s) = numbers[i_], (base) = bases[j_], 1); j_++)

#define SAME_CONVERSION(fn, fmt)                                          \
	do {                                                              \
		char *oe_, *he_;                                          \
		__typeof__(fn(s, NULL, 0)) ov_ = capos_##fn(s, &oe_, base); \
		__typeof__(fn(s, NULL, 0)) hv_ = fn(s, &he_, base);       \
		if (ov_ != hv_ || oe_ != he_)                             \
			test_fail(__FILE__, __LINE__, #fn "(\"%s\", %d): " \
			    fmt " ending at %td; host: " fmt              \
			    " ending at %td", s, base, ov_, oe_ - s, hv_, \
			    he_ - s);                                     \
	} while (0)

TEST(libc_strto_family_matches_host_values_and_end_pointers)
{
	const char *s;
	int base;

	FOR_EACH_CASE(s, base) {
		SAME_CONVERSION(strtol, "%ld");
		SAME_CONVERSION(strtoll, "%lld");
		SAME_CONVERSION(strtoul, "%lu");
		SAME_CONVERSION(strtoull, "%llu");
	}
}

TEST(libc_strtol_saturates_and_consumes_every_digit)
{
	const char *s = "123456789012345678901234567890xyz";
	char *end;

	CHECK(capos_strtol(s, &end, 10) == LONG_MAX);
	CHECK_EQ(end - s, 30);
	s = "-123456789012345678901234567890";
	CHECK(capos_strtol(s, &end, 10) == LONG_MIN);
	CHECK_EQ(end - s, 31);
	CHECK(capos_strtol("-9223372036854775808", NULL, 10) == LONG_MIN);
	CHECK(capos_strtol("9223372036854775807", NULL, 10) == LONG_MAX);
	CHECK(capos_strtoll("-9223372036854775809", NULL, 0) == LLONG_MIN);
	CHECK(capos_strtoll("0x8000000000000000", NULL, 0) == LLONG_MAX);
}

TEST(libc_strtoul_negates_in_range_and_saturates_beyond)
{
	CHECK(capos_strtoul("-1", NULL, 10) == ULONG_MAX);
	CHECK(capos_strtoul("-18446744073709551615", NULL, 10) == 1);
	CHECK(capos_strtoul("-18446744073709551616", NULL, 10) == ULONG_MAX);
	CHECK(capos_strtoul("18446744073709551616", NULL, 10) == ULONG_MAX);
	CHECK(capos_strtoull("0x1ffffffffffffffff", NULL, 16) == ULLONG_MAX);
	CHECK(capos_strtoul("zz", NULL, 36) == 35 * 36 + 35);
}

TEST(libc_strto_consumes_nothing_without_digits_or_with_a_bad_base)
{
	static const char *const none[] = { "", " ", "-", "+", " +x", "0x",
		"xyz" };
	static const int bad_bases[] = { -1, 1, 37, 100 };
	char *end;

	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		const char *s = none[i];
		/* "0x" without a hex digit is the number 0 followed by 'x'. */
		long want_len = s[0] == '0' ? 1 : 0;

		CHECK_EQ(capos_strtol(s, &end, 16), 0);
		CHECK_EQ(end - s, want_len);
	}
	for (size_t i = 0; i < sizeof(bad_bases) / sizeof(bad_bases[0]);
	    i++) {
		const char *s = "123";

		CHECK_EQ(capos_strtol(s, &end, bad_bases[i]), 0);
		CHECK(end == s);
		CHECK(capos_strtoull(s, &end, bad_bases[i]) == 0);
		CHECK(end == s);
	}
	CHECK_EQ(capos_strtol("123", NULL, 10), 123);
}

TEST(libc_atoi_reads_decimal_and_saturates_to_int)
{
	CHECK_EQ(capos_atoi("  -17 apples"), -17);
	CHECK_EQ(capos_atoi("0x10"), 0);
	CHECK_EQ(capos_atoi("010"), 10);
	CHECK_EQ(capos_atoi(""), 0);
	CHECK_EQ(capos_atoi("2147483647"), INT_MAX);
	CHECK_EQ(capos_atoi("2147483648"), INT_MAX);
	CHECK_EQ(capos_atoi("-2147483648"), INT_MIN);
	CHECK_EQ(capos_atoi("-99999999999999999999999"), INT_MIN);
	CHECK(capos_atol("-9223372036854775809") == LONG_MIN);
	CHECK(capos_atoll("9223372036854775808") == LLONG_MAX);
}

/* strcasecmp and strncasecmp against the host's, in the C locale, over
 * every pair of bytes in one position and a few longer strings. */
TEST(libc_strcasecmp_folds_only_ascii_letters_like_the_c_locale)
{
	static const char *const pairs[][2] = {
		{ "SECP256R1", "secp256r1" }, { "abc", "abd" }, { "abc", "ab" },
		{ "", "" }, { "", "a" }, { "Zebra", "zEBRA" }, { "a[", "A{" },
		{ "@", "`" }, { "\xc4", "\xe4" },
	};
	char a[2] = { 0 }, b[2] = { 0 };

	for (int x = 1; x < 256; x++) {
		for (int y = 1; y < 256; y++) {
			int ours, host;

			a[0] = (char)x;
			b[0] = (char)y;
			ours = capos_strcasecmp(a, b);
			host = strcasecmp(a, b);
			if ((ours < 0) != (host < 0) || (ours > 0) != (host > 0))
				test_fail(__FILE__, __LINE__,
				    "strcasecmp(0x%02x, 0x%02x): %d, host %d",
				    x, y, ours, host);
		}
	}
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		const char *p = pairs[i][0], *q = pairs[i][1];

		CHECK_EQ(capos_strcasecmp(p, q) < 0, strcasecmp(p, q) < 0);
		CHECK_EQ(capos_strcasecmp(p, q) > 0, strcasecmp(p, q) > 0);
		for (size_t n = 0; n < 12; n++) {
			CHECK_EQ(capos_strncasecmp(p, q, n) < 0,
			    strncasecmp(p, q, n) < 0);
			CHECK_EQ(capos_strncasecmp(p, q, n) > 0,
			    strncasecmp(p, q, n) > 0);
		}
	}
}
