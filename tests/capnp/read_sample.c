/*
 * Read a message from stdin (as written by `capnp encode`) and check it.
 * With no argument it must be the sample message; prints "ok NAME" or
 * "FAIL NAME" per check. With "big N" it must be a message whose dataField
 * holds N bytes (i * 7) & 0xff and whose structList holds N/64 elements
 * with id i, which capnp lays out across several segments.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sample.h"

static int failures;

static void
report(const char *name, bool ok)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", name);
	failures += !ok;
}

static void
check_big(const struct t_AllTypes_r *a, uint32_t n, uint32_t nsegs)
{
	struct capnp_data d;
	struct capnp_list l;
	struct t_Inner_r in;
	bool ok;

	report("big: several segments", nsegs > 1);
	ok = t_AllTypes_get_dataField(a, &d) == 0 && d.len == n;
	for (uint32_t i = 0; ok && i < n; i++)
		ok = d.ptr[i] == (uint8_t)(i * 7);
	report("big: data across segments", ok);
	ok = t_AllTypes_get_structList(a, &l) == 0 && l.n == n / 64;
	for (uint32_t i = 0; ok && i < l.n; i++)
		ok = t_Inner_at(&l, i, &in) == 0 && t_Inner_get_id(&in) == i;
	report("big: struct list across segments", ok);
}

int
main(int argc, char **argv)
{
	static uint8_t buf[1 << 20];
	struct t_AllTypes_r a;
	struct capnp_msg m;
	size_t len;
	int err;

	len = fread(buf, 1, sizeof(buf), stdin);
	if ((err = capnp_msg_init(&m, buf, len)) != 0 ||
	    (err = t_AllTypes_read_root(&m, &a)) != 0) {
		printf("FAIL read root: %s\n", capnp_strerror(err));
		return 1;
	}
	if (argc == 3 && strcmp(argv[1], "big") == 0)
		check_big(&a, (uint32_t)atoi(argv[2]), m.nsegs);
	else
		sample_check(&a, report);
	return failures != 0;
}
