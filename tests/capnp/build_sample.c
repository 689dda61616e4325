/*
 * Write the sample message, built with the generated builders, to stdout;
 * the suite decodes it with `capnp decode` and compares the text.
 */
#include <stdio.h>

#include "sample.h"

static uint8_t buf[16384];

int
main(void)
{
	struct capnp_builder b;
	size_t len;
	int err;

	if ((err = capnp_builder_init(&b, buf, sizeof(buf))) != 0 ||
	    (err = sample_build(&b)) != 0) {
		fprintf(stderr, "build_sample: %s\n", capnp_strerror(err));
		return 1;
	}
	len = capnp_builder_finish(&b);
	return fwrite(buf, 1, len, stdout) == len ? 0 : 1;
}
