/*
 * Character classes of the "C" locale. ASCII ranges compared directly: the
 * classes are fixed, so a table would only add 256 bytes to read wrong.
 * Bytes 0x80-0xff belong to no class in this locale, and neither do EOF
 * or any other value outside 0..255.
 */
#include <ctype.h>

static int
in_range(int c, int lo, int hi)
{
	return c >= lo && c <= hi;
}

int
isdigit(int c)
{
	return in_range(c, '0', '9');
}

int
islower(int c)
{
	return in_range(c, 'a', 'z');
}

int
isupper(int c)
{
	return in_range(c, 'A', 'Z');
}

int
isalpha(int c)
{
	return islower(c) || isupper(c);
}

int
isalnum(int c)
{
	return isalpha(c) || isdigit(c);
}

int
isxdigit(int c)
{
	return isdigit(c) || in_range(c, 'a', 'f') || in_range(c, 'A', 'F');
}

/* Space, and \t \n \v \f \r, which are consecutive (9 to 13). */
int
isspace(int c)
{
	return c == ' ' || in_range(c, '\t', '\r');
}

int
isblank(int c)
{
	return c == ' ' || c == '\t';
}

int
iscntrl(int c)
{
	return in_range(c, 0x00, 0x1f) || c == 0x7f;
}

int
isprint(int c)
{
	return in_range(c, 0x20, 0x7e);
}

int
isgraph(int c)
{
	return in_range(c, 0x21, 0x7e);
}

int
ispunct(int c)
{
	return isgraph(c) && !isalnum(c);
}

int
tolower(int c)
{
	return isupper(c) ? c - 'A' + 'a' : c;
}

int
toupper(int c)
{
	return islower(c) ? c - 'a' + 'A' : c;
}
