/*
 * A JSON reader (RFC 8259) for bytes from outside: it checks the whole
 * text and lays it out as a flat array of tokens, each with its span and
 * the index just past its subtree, so a caller walks objects and arrays
 * without recursion and without copying. Pure: no allocation, no I/O.
 *
 * Bounds: the caller's token array (JSON_E_TOKENS beyond it), nesting of
 * JSON_DEPTH_MAX (JSON_E_DEPTH), texts of up to 2^31 bytes. Refused:
 * control bytes inside strings, unknown escapes, lone surrogates, leading
 * zeros, anything after the value but whitespace.
 */
#ifndef CAPOS_JSON_H
#define CAPOS_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_DEPTH_MAX	32

#define JSON_E_SYNTAX	(-1)
#define JSON_E_DEPTH	(-2)
#define JSON_E_TOKENS	(-3)

enum json_type {
	JSON_OBJECT, JSON_ARRAY, JSON_STRING, JSON_NUMBER, JSON_TRUE,
	JSON_FALSE, JSON_NULL,
};

struct json_tok {
	enum json_type type;
	uint32_t start, len;	/* a string's span excludes its quotes */
	uint32_t size;		/* members of an object, elements of an array */
	uint32_t next;		/* the index just past this token's subtree */
};

/* Checks s[0..n) and fills t (room for max tokens); an object's members
 * are key and value tokens in turn. The number of tokens, or JSON_E_*. */
int json_parse(const char *s, size_t n, struct json_tok *t, int max);

/* The value of member key in object obj, or -1 (keys are compared as
 * decoded; the last of duplicate keys wins, as most readers do). */
int json_member(const char *s, const struct json_tok *t, int obj,
    const char *key);

/* Element i of array arr, or -1. */
int json_elem(const struct json_tok *t, int arr, uint32_t i);

/* Decodes string token tok into out (room bytes, NUL-terminated) as
 * UTF-8; its length, or -1 when it does not fit or holds \u0000. */
int json_string(const char *s, const struct json_tok *tok, char *out,
    size_t room);

/* Writes s[0..n) as a JSON string, quotes included, into out at *len
 * (room bytes in all); -1 when it does not fit. */
int json_put_string(char *out, size_t room, size_t *len, const char *s,
    size_t n);

#endif
