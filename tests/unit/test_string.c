/*
 * lib/c's memory and string functions against the host's, at every
 * alignment and length around the word size, with overlapping moves in
 * both directions.
 */
#include "libc_host.h"
#include "test.h"

#define N	64

static unsigned char src[N + 16], a[N + 16], b[N + 16];

static void
fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed * 31 + i * 7);
}

TEST(string_memcpy_memset_every_alignment_and_length)
{
	int bad = 0;

	fill(src, sizeof(src), 1);
	for (size_t off = 0; off < 8; off++) {
		for (size_t len = 0; len <= 40; len++) {
			memset(a, 0xEE, sizeof(a));
			memset(b, 0xEE, sizeof(b));
			capos_memcpy(a + off, src + 3, len);
			memcpy(b + off, src + 3, len);
			bad += memcmp(a, b, sizeof(a)) != 0;
			capos_memset(a + off, 0x5A, len);
			memset(b + off, 0x5A, len);
			bad += memcmp(a, b, sizeof(a)) != 0;
			bad += (capos_memcmp(a, b, sizeof(a)) != 0);
		}
	}
	CHECK_EQ(bad, 0);
}

TEST(string_memmove_overlaps_both_ways)
{
	int bad = 0;

	for (size_t shift = 1; shift < 20; shift++) {
		for (size_t len = 0; len <= 40; len++) {
			fill(a, sizeof(a), (unsigned)len);
			fill(b, sizeof(b), (unsigned)len);
			capos_memmove(a + shift, a, len);	/* dst above */
			memmove(b + shift, b, len);
			bad += memcmp(a, b, sizeof(a)) != 0;
			capos_memmove(a, a + shift, len);	/* dst below */
			memmove(b, b + shift, len);
			bad += memcmp(a, b, sizeof(a)) != 0;
		}
	}
	CHECK_EQ(bad, 0);
}

TEST(string_search_and_bounded_copies)
{
	char buf[16];

	CHECK(capos_strstr("hello world", "o w") != NULL);
	CHECK_STR(capos_strstr("hello world", "o w"), "o world");
	CHECK(capos_strstr("abc", "abcd") == NULL);
	CHECK_STR(capos_strstr("abc", ""), "abc");
	/* strpbrk: the first byte of s in the set, as lib/proto/http uses
	 * it to find a CR or LF in a header value. */
	CHECK_STR(capos_strpbrk("name: a\r\nb", "\r\n"), "\r\nb");
	CHECK(capos_strpbrk("abc", "\r\n") == NULL);
	CHECK(capos_strpbrk("abc", "") == NULL);
	CHECK(capos_strpbrk("", "a") == NULL);
	strcpy(buf, "ab");
	capos_strncat(buf, "cdefg", 3);
	CHECK_STR(buf, "abcde");
	memset(buf, 'X', sizeof(buf));
	capos_strncpy(buf, "hi", 5);
	CHECK(memcmp(buf, "hi\0\0\0X", 6) == 0);
}
