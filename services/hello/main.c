/*
 * hello: the smallest service. It holds one capability, the console, and
 * says so before exiting.
 */
#include "rt.h"

int
main(void)
{
	const struct capos_start *sb = rt_start();

	rt_printf("hello: hello, world from %s, holding %u capability%s\n",
	    sb->name, sb->ncaps, sb->ncaps == 1 ? "" : "ies");
	return 0;
}
