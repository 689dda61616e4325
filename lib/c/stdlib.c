/*
 * Number conversions. One parser serves the whole strto* family: it
 * accumulates the magnitude in unsigned long long and clamps it at a limit
 * that the caller picks for each sign, which is what makes the signed and
 * unsigned variants saturate exactly where ISO C says.
 */
#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

struct parsed {
	unsigned long long magnitude;	/* clamped to the limit of its sign */
	bool negative;
	bool overflow;			/* more digits than the limit allows */
};

/* The value of c as a digit in bases up to 36, or 36 if it is none. */
static int
digit_value(int c)
{
	if (isdigit(c))
		return c - '0';
	if (islower(c))
		return c - 'a' + 10;
	if (isupper(c))
		return c - 'A' + 10;
	return 36;
}

/*
 * Parse [space][sign][0x|0X|0]digits in the given base (0, or 2 to 36).
 * The magnitude may reach pos_limit for a positive number and neg_limit
 * for a negative one; beyond that it stays at the limit and overflow is
 * set, but every digit is still consumed. With no digits (or a bad base)
 * nothing is consumed and *end is s.
 */
static struct parsed
parse(const char *s, char **end, int base, unsigned long long pos_limit,
    unsigned long long neg_limit)
{
	struct parsed r = { 0, false, false };
	const char *p = s;
	unsigned long long limit;
	bool any = false;
	int d;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '+' || *p == '-')
		r.negative = *p++ == '-';

	/* "0x" is a prefix only when a hex digit follows; "0xg" reads as 0. */
	if ((base == 0 || base == 16) && p[0] == '0' &&
	    (p[1] == 'x' || p[1] == 'X') && isxdigit((unsigned char)p[2])) {
		p += 2;
		base = 16;
	} else if (base == 0) {
		base = p[0] == '0' ? 8 : 10;
	}

	if (base >= 2 && base <= 36) {
		limit = r.negative ? neg_limit : pos_limit;
		for (; (d = digit_value((unsigned char)*p)) < base; p++) {
			any = true;
			/* magnitude * base + d <= limit, without overflowing. */
			if (r.overflow ||
			    r.magnitude > (limit - (unsigned)d) / (unsigned)base) {
				r.overflow = true;
				r.magnitude = limit;
			} else {
				r.magnitude = r.magnitude * (unsigned)base +
				    (unsigned)d;
			}
		}
	}
	if (!any) {
		r = (struct parsed){ 0, false, false };
		p = s;
	}
	if (end != NULL)
		*end = (char *)p;
	return r;
}

long long
strtoll(const char *restrict s, char **restrict end, int base)
{
	/* |LLONG_MIN| is one more than LLONG_MAX. */
	struct parsed r = parse(s, end, base, LLONG_MAX,
	    (unsigned long long)LLONG_MAX + 1);

	if (!r.negative)
		return (long long)r.magnitude;
	if (r.magnitude == (unsigned long long)LLONG_MAX + 1)
		return LLONG_MIN;
	return -(long long)r.magnitude;
}

long
strtol(const char *restrict s, char **restrict end, int base)
{
	struct parsed r = parse(s, end, base, LONG_MAX,
	    (unsigned long long)LONG_MAX + 1);

	if (!r.negative)
		return (long)r.magnitude;
	if (r.magnitude == (unsigned long long)LONG_MAX + 1)
		return LONG_MIN;
	return -(long)r.magnitude;
}

/*
 * ISO C negates an unsigned result in its own type ("-1" is ULONG_MAX),
 * but a magnitude that does not fit saturates to the maximum whatever the
 * sign.
 */
unsigned long long
strtoull(const char *restrict s, char **restrict end, int base)
{
	struct parsed r = parse(s, end, base, ULLONG_MAX, ULLONG_MAX);

	if (r.overflow)
		return ULLONG_MAX;
	return r.negative ? -r.magnitude : r.magnitude;
}

unsigned long
strtoul(const char *restrict s, char **restrict end, int base)
{
	struct parsed r = parse(s, end, base, ULONG_MAX, ULONG_MAX);

	if (r.overflow)
		return ULONG_MAX;
	return r.negative ? -(unsigned long)r.magnitude :
	    (unsigned long)r.magnitude;
}

int
atoi(const char *s)
{
	long v = strtol(s, NULL, 10);

	if (v > INT_MAX)
		return INT_MAX;
	if (v < INT_MIN)
		return INT_MIN;
	return (int)v;
}

long
atol(const char *s)
{
	return strtol(s, NULL, 10);
}

long long
atoll(const char *s)
{
	return strtoll(s, NULL, 10);
}
