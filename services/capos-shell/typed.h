/*
 * Typed calls: `call CAP.METHOD(ARG=VALUE, ...)` parsed, its arguments
 * checked against the method's schema metadata (lib/capnp/meta.h) and
 * built into a params message; and a result message printed in Cap'n
 * Proto's text form. Pure: the host unit tests run it on the generated
 * metadata.
 *
 * Values: integers (decimal, or 0x hex; a minus sign for signed types),
 * true and false, enumerant names, and "quoted" strings for Text and
 * Data (escapes \" \\ \n \t \xHH). Struct, list and capability
 * parameters are refused with a message: they cannot be typed on a
 * line. A parameter left out takes its default, as Cap'n Proto says.
 *
 * Bounds: TYPED_ARGS_MAX arguments, names of TYPED_NAME_MAX bytes,
 * values of TYPED_VALUE_MAX bytes once unescaped; printing stops at the
 * output's room (ending in "...") and at TYPED_DEPTH levels of nesting.
 */
#ifndef SHELL_TYPED_H
#define SHELL_TYPED_H

#include <stddef.h>
#include <stdint.h>

#include "capnp.h"
#include "meta.h"

#define TYPED_ARGS_MAX	8
#define TYPED_NAME_MAX	31
#define TYPED_VALUE_MAX	512
#define TYPED_DEPTH	8
#define TYPED_ERR_MAX	160

enum typed_value {
	TV_NUMBER,	/* text holds the digits, neg the sign */
	TV_WORD,	/* true, false, an enumerant */
	TV_STRING,	/* quoted; text holds the unescaped bytes */
};

struct typed_arg {
	char name[TYPED_NAME_MAX + 1];
	enum typed_value kind;
	int neg;
	uint64_t num;
	char text[TYPED_VALUE_MAX + 1];
	size_t len;
};

struct typed_call {
	char cap[TYPED_NAME_MAX + 1];
	char method[TYPED_NAME_MAX + 1];
	int nargs;
	struct typed_arg args[TYPED_ARGS_MAX];
};

/* Parses "CAP.METHOD(ARG=VALUE, ...)"; 0, or -1 with a message in err. */
int typed_parse(const char *s, size_t n, struct typed_call *out,
    char err[TYPED_ERR_MAX]);

/* The method of that name, or NULL. */
const struct capnp_meta_method *typed_method(
    const struct capnp_meta_interface *iface, const char *name);

/* Builds the params of m from the call's arguments into b; 0, or -1 with
 * a message naming the argument in err. */
int typed_build(const struct capnp_meta_method *m,
    const struct typed_call *c, struct capnp_builder *b,
    char err[TYPED_ERR_MAX]);

/* Prints struct s of type st as Cap'n Proto text into out (room bytes,
 * NUL-terminated); returns the length written. */
size_t typed_print(const struct capnp_meta_struct *st,
    const struct capnp_struct *s, char *out, size_t room);

#endif
