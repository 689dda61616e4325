/*
 * Formatted output to the "console" capability, line-buffered: each full
 * line (or a full buffer) becomes one write call. The console is the
 * kernel's Console, or a TextSink served by a process standing in front
 * of it (schema/text.capnp); both take the same write. One lock keeps
 * lines of different threads whole.
 */
#include <string.h>

#include "fmt/fmt.h"
#include "rt.h"
#include "text.capnp.h"

#define LINE_MAX_BYTES	512

static char line[LINE_MAX_BYTES];
static size_t used;
static struct rt_mutex lock;

static void
flush_locked(void)
{
	static uint8_t msg[LINE_MAX_BYTES + 128] __attribute__((aligned(8)));
	static uint8_t out[256] __attribute__((aligned(8)));
	struct capos_Console_write_Params_b p;
	struct capos_TextSink_write_Params_b tp;
	struct capnp_builder b;
	struct rt_result res;
	capos_cap_t con;

	if (used == 0)
		return;
	if ((con = rt_cap("console", capos_Console_INTERFACE_ID)) !=
	    CAPOS_CAP_NULL) {
		if (capnp_builder_init(&b, msg, sizeof(msg)) == 0 &&
		    capos_Console_write_Params_init_root(&b, &p) == 0 &&
		    capos_Console_write_Params_set_bytes(&p, line, used) == 0)
			(void)rt_call(con, capos_Console_INTERFACE_ID,
			    capos_Console_write_ORDINAL, &b, NULL, 0, out,
			    sizeof(out), &res);
	} else if ((con = rt_cap("console", capos_TextSink_INTERFACE_ID)) !=
	    CAPOS_CAP_NULL) {
		if (capnp_builder_init(&b, msg, sizeof(msg)) == 0 &&
		    capos_TextSink_write_Params_init_root(&b, &tp) == 0 &&
		    capos_TextSink_write_Params_set_bytes(&tp, line, used) == 0)
			(void)rt_call(con, capos_TextSink_INTERFACE_ID,
			    capos_TextSink_write_ORDINAL, &b, NULL, 0, out,
			    sizeof(out), &res);
	}
	used = 0;
}

static void
sink(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	while (n > 0) {
		size_t k = sizeof(line) - used;

		if (k > n)
			k = n;
		memcpy(line + used, s, k);
		used += k;
		s += k;
		n -= k;
		if (used == sizeof(line) || memchr(line + used - k, '\n', k))
			flush_locked();
	}
}

void
rt_flush(void)
{
	rt_mutex_lock(&lock);
	flush_locked();
	rt_mutex_unlock(&lock);
}

int
rt_vprintf(const char *fmt, va_list ap)
{
	int n;

	rt_mutex_lock(&lock);
	n = fmt_vformat(sink, NULL, fmt, ap);
	rt_mutex_unlock(&lock);
	return n;
}

int
rt_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = rt_vprintf(fmt, ap);
	va_end(ap);
	return n;
}

bool
rt_log_on(uint32_t level)
{
	return level <= rt_start()->log_level;
}

int
rt_log(uint32_t level, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!rt_log_on(level))
		return 0;
	va_start(ap, fmt);
	n = rt_vprintf(fmt, ap);
	va_end(ap);
	return n;
}
