/*
 * Case-insensitive string comparison in the C locale: only 'A'-'Z' fold
 * to lower case, every other byte compares by its unsigned value, as
 * strcmp does. wolfCrypt's curve lookup by name is the first user.
 */
#include <strings.h>

static int
fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

int
strncasecmp(const char *a, const char *b, size_t n)
{
	for (; n > 0; n--, a++, b++) {
		int d = fold((unsigned char)*a) - fold((unsigned char)*b);

		if (d != 0 || *a == '\0')
			return d;
	}
	return 0;
}

int
strcasecmp(const char *a, const char *b)
{
	return strncasecmp(a, b, (size_t)-1);
}
