/*
 * printf-style formatting over a sink. See fmt.h for what is supported.
 */
#include <stdbool.h>
#include <stdint.h>

#include "fmt.h"

enum {
	F_LEFT = 1 << 0,	/* '-' */
	F_PLUS = 1 << 1,	/* '+' */
	F_SPACE = 1 << 2,	/* ' ' */
	F_ALT = 1 << 3,		/* '#' */
	F_ZERO = 1 << 4,	/* '0' */
};

struct spec {
	int flags;
	int width;
	int prec;		/* -1 when absent */
};

struct out {
	fmt_sink sink;
	void *ctx;
	int count;
};

static void
emit(struct out *o, const char *s, size_t n)
{
	if (n == 0)
		return;
	o->sink(o->ctx, s, n);
	o->count += (int)n;
}

static void
emit_repeat(struct out *o, char c, int n)
{
	char buf[16];
	int i;

	for (i = 0; i < (int)sizeof(buf); i++)
		buf[i] = c;
	while (n > 0) {
		int k = n < (int)sizeof(buf) ? n : (int)sizeof(buf);
		emit(o, buf, (size_t)k);
		n -= k;
	}
}

static size_t
bounded_strlen(const char *s, int prec)
{
	size_t n = 0;

	while ((prec < 0 || n < (size_t)prec) && s[n] != '\0')
		n++;
	return n;
}

static void
put_string(struct out *o, const struct spec *sp, const char *s)
{
	size_t n;
	int pad;

	if (s == NULL)
		s = "(null)";
	n = bounded_strlen(s, sp->prec);
	pad = sp->width > (int)n ? sp->width - (int)n : 0;
	if (!(sp->flags & F_LEFT))
		emit_repeat(o, ' ', pad);
	emit(o, s, n);
	if (sp->flags & F_LEFT)
		emit_repeat(o, ' ', pad);
}

/*
 * Formats one integer. The digits are produced right to left into a buffer
 * large enough for 64 bits in octal; sign, prefix, precision zeros and width
 * padding are then laid out around them as C's printf does.
 */
static void
put_integer(struct out *o, const struct spec *sp, uint64_t v, bool negative,
    unsigned base, bool upper, bool is_signed, bool is_pointer)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	int n = 0, zeros = 0, pad, total;
	const char *prefix = "";
	size_t prefix_len;
	char sign = 0;

	while (v != 0) {
		buf[sizeof(buf) - 1 - n++] = digits[v % base];
		v /= base;
	}
	/* An explicit precision of zero prints nothing for a zero value. */
	if (n == 0 && sp->prec != 0)
		buf[sizeof(buf) - 1 - n++] = '0';

	if (is_signed) {
		if (negative)
			sign = '-';
		else if (sp->flags & F_PLUS)
			sign = '+';
		else if (sp->flags & F_SPACE)
			sign = ' ';
	}
	if (is_pointer || ((sp->flags & F_ALT) && base == 16 && n > 0 &&
	    !(n == 1 && buf[sizeof(buf) - 1] == '0')))
		prefix = upper ? "0X" : "0x";
	else if ((sp->flags & F_ALT) && base == 8 &&
	    (n == 0 || buf[sizeof(buf) - n] != '0') && sp->prec <= n)
		prefix = "0";
	prefix_len = 0;
	while (prefix[prefix_len] != '\0')
		prefix_len++;

	if (sp->prec > n)
		zeros = sp->prec - n;
	total = n + zeros + (sign ? 1 : 0) + (int)prefix_len;
	pad = sp->width > total ? sp->width - total : 0;
	/* '0' pads with zeros after the sign, unless a precision is given. */
	if ((sp->flags & F_ZERO) && !(sp->flags & F_LEFT) && sp->prec < 0) {
		zeros += pad;
		pad = 0;
	}
	if (!(sp->flags & F_LEFT))
		emit_repeat(o, ' ', pad);
	if (sign)
		emit(o, &sign, 1);
	emit(o, prefix, prefix_len);
	emit_repeat(o, '0', zeros);
	emit(o, buf + sizeof(buf) - n, (size_t)n);
	if (sp->flags & F_LEFT)
		emit_repeat(o, ' ', pad);
}

enum length { L_INT, L_CHAR, L_SHORT, L_LONG, L_LLONG, L_SIZE, L_PTRDIFF,
	L_INTMAX };

static const char *
parse_length(const char *p, enum length *len)
{
	*len = L_INT;
	switch (*p) {
	case 'h':
		if (p[1] == 'h') {
			*len = L_CHAR;
			return p + 2;
		}
		*len = L_SHORT;
		return p + 1;
	case 'l':
		if (p[1] == 'l') {
			*len = L_LLONG;
			return p + 2;
		}
		*len = L_LONG;
		return p + 1;
	case 'z':
		*len = L_SIZE;
		return p + 1;
	case 't':
		*len = L_PTRDIFF;
		return p + 1;
	case 'j':
		*len = L_INTMAX;
		return p + 1;
	default:
		return p;
	}
}

static int64_t
signed_arg(va_list *ap, enum length len)
{
	switch (len) {
	case L_CHAR:
		return (signed char)va_arg(*ap, int);
	case L_SHORT:
		return (short)va_arg(*ap, int);
	case L_LONG:
		return va_arg(*ap, long);
	case L_LLONG:
		return va_arg(*ap, long long);
	case L_SIZE:
	case L_PTRDIFF:
		return va_arg(*ap, ptrdiff_t);
	case L_INTMAX:
		return va_arg(*ap, long long);
	case L_INT:
	default:
		return va_arg(*ap, int);
	}
}

static uint64_t
unsigned_arg(va_list *ap, enum length len)
{
	switch (len) {
	case L_CHAR:
		return (unsigned char)va_arg(*ap, unsigned int);
	case L_SHORT:
		return (unsigned short)va_arg(*ap, unsigned int);
	case L_LONG:
		return va_arg(*ap, unsigned long);
	case L_LLONG:
		return va_arg(*ap, unsigned long long);
	case L_SIZE:
	case L_PTRDIFF:
		return va_arg(*ap, size_t);
	case L_INTMAX:
		return va_arg(*ap, unsigned long long);
	case L_INT:
	default:
		return va_arg(*ap, unsigned int);
	}
}

/* Reads flags, width and precision; returns the first unread character. */
static const char *
parse_spec(const char *p, struct spec *sp, va_list *ap)
{
	sp->flags = 0;
	sp->width = 0;
	sp->prec = -1;
	for (;; p++) {
		if (*p == '-')
			sp->flags |= F_LEFT;
		else if (*p == '+')
			sp->flags |= F_PLUS;
		else if (*p == ' ')
			sp->flags |= F_SPACE;
		else if (*p == '#')
			sp->flags |= F_ALT;
		else if (*p == '0')
			sp->flags |= F_ZERO;
		else
			break;
	}
	if (*p == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->flags |= F_LEFT;
			sp->width = -sp->width;
		}
		p++;
	} else {
		while (*p >= '0' && *p <= '9' && sp->width < 100000)
			sp->width = sp->width * 10 + (*p++ - '0');
	}
	if (*p == '.') {
		p++;
		sp->prec = 0;
		if (*p == '*') {
			sp->prec = va_arg(*ap, int);
			if (sp->prec < 0)
				sp->prec = -1;
			p++;
		} else {
			while (*p >= '0' && *p <= '9' && sp->prec < 100000)
				sp->prec = sp->prec * 10 + (*p++ - '0');
		}
	}
	return p;
}

int
fmt_vformat(fmt_sink sink, void *ctx, const char *fmt, va_list ap0)
{
	struct out o = { sink, ctx, 0 };
	struct spec sp;
	enum length len;
	const char *p = fmt, *start;
	va_list ap;

	va_copy(ap, ap0);
	while (*p != '\0') {
		if (*p != '%') {
			start = p;
			while (*p != '\0' && *p != '%')
				p++;
			emit(&o, start, (size_t)(p - start));
			continue;
		}
		start = p++;
		p = parse_spec(p, &sp, &ap);
		p = parse_length(p, &len);
		switch (*p) {
		case 'd':
		case 'i': {
			int64_t v = signed_arg(&ap, len);
			uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v :
			    (uint64_t)v;
			put_integer(&o, &sp, mag, v < 0, 10, false, true, false);
			break;
		}
		case 'u':
			put_integer(&o, &sp, unsigned_arg(&ap, len), false, 10,
			    false, false, false);
			break;
		case 'o':
			put_integer(&o, &sp, unsigned_arg(&ap, len), false, 8,
			    false, false, false);
			break;
		case 'x':
		case 'X':
			put_integer(&o, &sp, unsigned_arg(&ap, len), false, 16,
			    *p == 'X', false, false);
			break;
		case 'p':
			put_integer(&o, &sp, (uintptr_t)va_arg(ap, void *),
			    false, 16, false, false, true);
			break;
		case 'c': {
			char c = (char)va_arg(ap, int);
			struct spec cs = sp;
			int pad = cs.width > 1 ? cs.width - 1 : 0;
			if (!(cs.flags & F_LEFT))
				emit_repeat(&o, ' ', pad);
			emit(&o, &c, 1);
			if (cs.flags & F_LEFT)
				emit_repeat(&o, ' ', pad);
			break;
		}
		case 's':
			put_string(&o, &sp, va_arg(ap, const char *));
			break;
		case '%':
			emit(&o, "%", 1);
			break;
		case '\0':
			/* A lone '%' at the end is printed as written. */
			emit(&o, start, (size_t)(p - start));
			va_end(ap);
			return o.count;
		default:
			emit(&o, start, (size_t)(p + 1 - start));
			break;
		}
		p++;
	}
	va_end(ap);
	return o.count;
}

struct bufsink {
	char *buf;
	size_t size;
	size_t used;
};

static void
buf_put(void *ctx, const char *s, size_t n)
{
	struct bufsink *b = ctx;
	size_t i;

	for (i = 0; i < n; i++) {
		if (b->size > 0 && b->used < b->size - 1)
			b->buf[b->used] = s[i];
		b->used++;
	}
}

int
fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct bufsink b = { buf, size, 0 };
	int n;

	n = fmt_vformat(buf_put, &b, fmt, ap);
	if (size > 0)
		buf[b.used < size ? b.used : size - 1] = '\0';
	return n;
}

int
fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
