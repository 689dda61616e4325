/* The sample message shared by the round-trip suite and the unit tests. */
#ifndef TESTS_CAPNP_SAMPLE_H
#define TESTS_CAPNP_SAMPLE_H

#include "test.capnp.h"

typedef void (*sample_check_fn)(const char *name, bool ok);

/* Build tests/capnp/sample.txt's message; 0 or a CAPNP_E_* code. */
int sample_build(struct capnp_builder *b);

/* Check every field of the sample message, reporting each to ck. */
void sample_check(const struct t_AllTypes_r *a, sample_check_fn ck);

#endif
