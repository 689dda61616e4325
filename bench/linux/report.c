/*
 * The guest line protocol (docs/benchmarks.md). Each line goes out whole:
 * stdout is line-buffered onto the serial console, and the harness ignores
 * anything that does not start with "[bench] ".
 */
#include <stdarg.h>
#include <stdio.h>

#include "bench.h"

void
report_start(void)
{
	printf("[bench] start\n");
}

void
report_tsc(double hz)
{
	printf("[bench] tsc_hz=%.0f\n", hz);
}

void
report_row(const char *key, double value, const char *unit, uint64_t iters)
{
	printf("[bench] row=%s value=%.3f unit=%s iters=%llu\n", key, value,
	    unit, (unsigned long long)iters);
}

void
report_net(int port)
{
	printf("[bench] net port=%d\n", port);
}

void
report_error(const char *fmt, ...)
{
	va_list ap;

	printf("[bench] error ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void
report_end(void)
{
	printf("[bench] end\n");
}
