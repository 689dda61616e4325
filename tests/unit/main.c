/*
 * Host unit test runner: runs every registered test (or those whose names
 * contain the first argument) and ends with "N passed, N failed".
 */
#include <stdarg.h>
#include <stdlib.h>

#include "test.h"

static struct test_case *tests;
static int current_failures;

void
test_register(struct test_case *t)
{
	t->next = tests;
	tests = t;
}

void
test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	current_failures++;
	fprintf(stdout, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

/* Registration runs in reverse link order; put the list back in order. */
static void
reverse_tests(void)
{
	struct test_case *prev = NULL, *t = tests, *next;

	while (t != NULL) {
		next = t->next;
		t->next = prev;
		prev = t;
		t = next;
	}
	tests = prev;
}

int
main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	int passed = 0, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	reverse_tests();
	for (struct test_case *t = tests; t != NULL; t = t->next) {
		if (filter != NULL && strstr(t->name, filter) == NULL)
			continue;
		current_failures = 0;
		t->fn();
		if (current_failures == 0) {
			passed++;
			printf("ok   %s\n", t->name);
		} else {
			failed++;
			printf("FAIL %s\n", t->name);
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
