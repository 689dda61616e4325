/*
 * count: prints "count: N" lines, N = 1, 2, ..., to its console until a
 * write fails, then exits. It holds one capability, "console" (in the
 * default system a TextSink served by the shell that ran it), and takes no
 * arguments. It shows Ctrl-C in the shell, which kills it; should the shell
 * let go of its output instead, the next write fails and count ends.
 *
 * Lines go out in writes of whole lines up to COUNT_WRITE bytes: each
 * write is a call to the shell and the shell's call to its terminal, and
 * one call per 12-byte line would make count's output, over SSH or
 * Telnet, a measure of those round trips rather than of the transport.
 */
#include "fmt/fmt.h"
#include "rt.h"
#include "text.capnp.h"

#define COUNT_WRITE	1024

int
main(void)
{
	capos_cap_t out = rt_cap("console", capos_TextSink_INTERFACE_ID);
	uint8_t pbuf[COUNT_WRITE + 256] __attribute__((aligned(8)));
	uint8_t rbuf[256] __attribute__((aligned(8)));
	struct capos_TextSink_write_Params_b p;
	struct capnp_builder b;
	struct rt_result res;
	char text[COUNT_WRITE];
	unsigned long n = 1;

	if (out == CAPOS_CAP_NULL)
		return 1;
	for (;;) {
		size_t len = 0;

		/* A line is at most 28 bytes ("count: " and 20 digits). */
		while (len + 32 <= sizeof(text))
			len += (size_t)fmt_snprintf(text + len,
			    sizeof(text) - len, "count: %lu\n", n++);
		if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
		    capos_TextSink_write_Params_init_root(&b, &p) != 0 ||
		    capos_TextSink_write_Params_set_bytes(&p, text, len) != 0)
			return 1;
		if (rt_call(out, capos_TextSink_INTERFACE_ID,
		    capos_TextSink_write_ORDINAL, &b, NULL, 0, rbuf,
		    sizeof(rbuf), &res) != 0)
			return 0;
	}
}
