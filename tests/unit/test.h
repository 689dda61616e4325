/*
 * A tiny host test framework. A test is a function declared with TEST(name);
 * it registers itself before main() runs. CHECK* macros record a failure
 * with the file, line and the values seen, and let the test go on, so one
 * run shows every broken expectation. The runner (main.c) ends its output
 * with "N passed, N failed".
 */
#ifndef CAPOS_TEST_H
#define CAPOS_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
	struct test_case *next;
};

void test_register(struct test_case *t);
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define TEST(name)                                                        \
	static void test_##name(void);                                    \
	static struct test_case test_case_##name = { #name, test_##name,  \
		NULL };                                                   \
	__attribute__((constructor)) static void test_reg_##name(void)    \
	{                                                                 \
		test_register(&test_case_##name);                         \
	}                                                                 \
	static void test_##name(void)

#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond))                                              \
			test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); \
	} while (0)

#define CHECK_EQ(a, b)                                                    \
	do {                                                              \
		long long va_ = (long long)(a), vb_ = (long long)(b);     \
		if (va_ != vb_)                                           \
			test_fail(__FILE__, __LINE__,                     \
			    "%s == %s: %lld != %lld", #a, #b, va_, vb_);  \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                \
	do {                                                              \
		uint64_t va_ = (uint64_t)(a), vb_ = (uint64_t)(b);       \
		if (va_ != vb_)                                           \
			test_fail(__FILE__, __LINE__,                     \
			    "%s == %s: 0x%" PRIx64 " != 0x%" PRIx64, #a,  \
			    #b, va_, vb_);                                \
	} while (0)

#define CHECK_STR(a, b)                                                   \
	do {                                                              \
		const char *sa_ = (a), *sb_ = (b);                        \
		if (sa_ == NULL || sb_ == NULL || strcmp(sa_, sb_) != 0)  \
			test_fail(__FILE__, __LINE__,                     \
			    "%s == %s: \"%s\" != \"%s\"", #a, #b,         \
			    sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");  \
	} while (0)

#endif
