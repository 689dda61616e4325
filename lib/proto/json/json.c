/*
 * The JSON reader (json.h).
 */
#include <string.h>

#include "json.h"

struct parser {
	const char *s;
	size_t n, i;
	struct json_tok *t;
	int max, count;
};

static void
skip_ws(struct parser *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
	    p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

static int
new_tok(struct parser *p, enum json_type type)
{
	if (p->count == p->max)
		return JSON_E_TOKENS;
	memset(&p->t[p->count], 0, sizeof(p->t[0]));
	p->t[p->count].type = type;
	p->t[p->count].start = (uint32_t)p->i;
	return p->count++;
}

static int
hex4(const char *s, uint32_t *v)
{
	*v = 0;
	for (int k = 0; k < 4; k++) {
		char c = s[k];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* A \u escape at s (after the backslash-u), with its pair when it is a
 * high surrogate: the code point, and bytes used in *used; -1 if bad. */
static int64_t
unicode_escape(const char *s, size_t left, size_t *used)
{
	uint32_t hi, lo;

	if (left < 4 || hex4(s, &hi) != 0)
		return -1;
	*used = 4;
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return -1;
	if (hi < 0xd800 || hi > 0xdbff)
		return hi;
	if (left < 10 || s[4] != '\\' || s[5] != 'u' || hex4(s + 6, &lo) != 0 ||
	    lo < 0xdc00 || lo > 0xdfff)
		return -1;
	*used = 10;
	return 0x10000 + ((int64_t)(hi - 0xd800) << 10) + (lo - 0xdc00);
}

static int
parse_string(struct parser *p, enum json_type type)
{
	int k;

	p->i++;
	if ((k = new_tok(p, type)) < 0)
		return k;
	while (p->i < p->n) {
		uint8_t c = (uint8_t)p->s[p->i];

		if (c == '"') {
			p->t[k].len = (uint32_t)(p->i - p->t[k].start);
			p->t[k].next = (uint32_t)k + 1;
			p->i++;
			return k;
		}
		if (c < 0x20)
			return JSON_E_SYNTAX;
		if (c != '\\') {
			p->i++;
			continue;
		}
		if (++p->i >= p->n)
			return JSON_E_SYNTAX;
		c = (uint8_t)p->s[p->i++];
		if (c == 'u') {
			size_t used;

			if (unicode_escape(p->s + p->i, p->n - p->i, &used) < 0)
				return JSON_E_SYNTAX;
			p->i += used;
		} else if (strchr("\"\\/bfnrt", c) == NULL || c == '\0')
			return JSON_E_SYNTAX;
	}
	return JSON_E_SYNTAX;
}

static int
digits(struct parser *p)
{
	size_t b = p->i;

	while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
		p->i++;
	return p->i > b ? 0 : -1;
}

static int
parse_number(struct parser *p)
{
	int k = new_tok(p, JSON_NUMBER);

	if (k < 0)
		return k;
	if (p->s[p->i] == '-')
		p->i++;
	if (p->i < p->n && p->s[p->i] == '0')
		p->i++;
	else if (digits(p) != 0)
		return JSON_E_SYNTAX;
	if (p->i < p->n && p->s[p->i] == '.') {
		p->i++;
		if (digits(p) != 0)
			return JSON_E_SYNTAX;
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		if (digits(p) != 0)
			return JSON_E_SYNTAX;
	}
	p->t[k].len = (uint32_t)(p->i - p->t[k].start);
	p->t[k].next = (uint32_t)k + 1;
	return k;
}

static int
parse_word(struct parser *p, const char *w, enum json_type type)
{
	size_t len = strlen(w);
	int k;

	if (p->n - p->i < len || memcmp(p->s + p->i, w, len) != 0)
		return JSON_E_SYNTAX;
	if ((k = new_tok(p, type)) < 0)
		return k;
	p->i += len;
	p->t[k].len = (uint32_t)len;
	p->t[k].next = (uint32_t)k + 1;
	return k;
}

static int parse_value(struct parser *p, int depth);

/* An object or array: members (key : value) or elements, comma-separated. */
static int
parse_container(struct parser *p, int depth, enum json_type type)
{
	char close = type == JSON_OBJECT ? '}' : ']';
	int k, r;

	if (depth >= JSON_DEPTH_MAX)
		return JSON_E_DEPTH;
	if ((k = new_tok(p, type)) < 0)
		return k;
	p->i++;
	skip_ws(p);
	if (p->i < p->n && p->s[p->i] == close) {
		p->i++;
		goto done;
	}
	for (;;) {
		skip_ws(p);
		if (type == JSON_OBJECT) {
			if (p->i >= p->n || p->s[p->i] != '"')
				return JSON_E_SYNTAX;
			if ((r = parse_string(p, JSON_STRING)) < 0)
				return r;
			skip_ws(p);
			if (p->i >= p->n || p->s[p->i++] != ':')
				return JSON_E_SYNTAX;
		}
		if ((r = parse_value(p, depth + 1)) < 0)
			return r;
		p->t[k].size++;
		skip_ws(p);
		if (p->i >= p->n)
			return JSON_E_SYNTAX;
		if (p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->s[p->i++] != close)
			return JSON_E_SYNTAX;
		break;
	}
done:
	p->t[k].len = (uint32_t)(p->i - p->t[k].start);
	p->t[k].next = (uint32_t)p->count;
	return k;
}

static int
parse_value(struct parser *p, int depth)
{
	skip_ws(p);
	if (p->i >= p->n)
		return JSON_E_SYNTAX;
	switch (p->s[p->i]) {
	case '{':
		return parse_container(p, depth, JSON_OBJECT);
	case '[':
		return parse_container(p, depth, JSON_ARRAY);
	case '"':
		return parse_string(p, JSON_STRING);
	case 't':
		return parse_word(p, "true", JSON_TRUE);
	case 'f':
		return parse_word(p, "false", JSON_FALSE);
	case 'n':
		return parse_word(p, "null", JSON_NULL);
	default:
		if (p->s[p->i] == '-' || (p->s[p->i] >= '0' &&
		    p->s[p->i] <= '9'))
			return parse_number(p);
		return JSON_E_SYNTAX;
	}
}

int
json_parse(const char *s, size_t n, struct json_tok *t, int max)
{
	struct parser p = { s, n, 0, t, max, 0 };
	int r;

	if (n > INT32_MAX)
		return JSON_E_SYNTAX;
	if ((r = parse_value(&p, 0)) < 0)
		return r;
	skip_ws(&p);
	return p.i == n ? p.count : JSON_E_SYNTAX;
}

/* Appends code point cp as UTF-8; -1 without room. */
static int
put_utf8(char *out, size_t room, size_t *len, uint32_t cp)
{
	uint8_t b[4];
	size_t k;

	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | cp >> 18);
		b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (uint8_t)(0x80 | (cp & 0x3f));
		k = 4;
	}
	if (*len + k >= room)
		return -1;
	memcpy(out + *len, b, k);
	*len += k;
	return 0;
}

int
json_string(const char *s, const struct json_tok *tok, char *out, size_t room)
{
	const char *p = s + tok->start, *end = p + tok->len;
	size_t len = 0;

	if (tok->type != JSON_STRING || room == 0)
		return -1;
	while (p < end) {
		uint32_t cp = (uint8_t)*p++;

		if (cp == '\\') {
			char e = *p++;

			switch (e) {
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u': {
				size_t used;
				int64_t v = unicode_escape(p, (size_t)(end - p),
				    &used);

				if (v <= 0)
					return -1;
				cp = (uint32_t)v;
				p += used;
				break;
			}
			default: cp = (uint8_t)e; break;
			}
			if (put_utf8(out, room, &len, cp) != 0)
				return -1;
			continue;
		}
		if (len + 1 >= room)
			return -1;
		out[len++] = (char)cp;
	}
	out[len] = '\0';
	return (int)len;
}

int
json_member(const char *s, const struct json_tok *t, int obj,
    const char *key)
{
	char name[64];
	uint32_t i;
	int found = -1;

	if (t[obj].type != JSON_OBJECT)
		return -1;
	i = (uint32_t)obj + 1;
	for (uint32_t m = 0; m < t[obj].size; m++) {
		uint32_t v = t[i].next;

		if (json_string(s, &t[i], name, sizeof(name)) >= 0 &&
		    strcmp(name, key) == 0)
			found = (int)v;
		i = t[v].next;
	}
	return found;
}

int
json_elem(const struct json_tok *t, int arr, uint32_t i)
{
	uint32_t k;

	if (t[arr].type != JSON_ARRAY || i >= t[arr].size)
		return -1;
	k = (uint32_t)arr + 1;
	while (i-- > 0)
		k = t[k].next;
	return (int)k;
}

int
json_put_string(char *out, size_t room, size_t *len, const char *s,
    size_t n)
{
	static const char hex[] = "0123456789abcdef";

	if (*len + 2 > room)
		return -1;
	out[(*len)++] = '"';
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];
		char e[6];
		size_t k = 0;

		if (c == '"' || c == '\\') {
			e[k++] = '\\';
			e[k++] = (char)c;
		} else if (c == '\n') {
			e[k++] = '\\';
			e[k++] = 'n';
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(e, "\\u00", 4);
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			k = 6;
		} else
			e[k++] = (char)c;
		if (*len + k + 1 > room)
			return -1;
		memcpy(out + *len, e, k);
		*len += k;
	}
	if (*len + 1 > room)
		return -1;
	out[(*len)++] = '"';
	return 0;
}
