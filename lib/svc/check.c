/*
 * Checks for test programs. See check.h.
 */
#include "check.h"
#include "rt.h"

int test_checks, test_failed;

void
expect(const char *what, int64_t got, int64_t want)
{
	test_checks++;
	if (got != want) {
		test_failed++;
		rt_printf("%s: %s: got %lld, want %lld\n", rt_start()->name,
		    what, (long long)got, (long long)want);
	}
}
