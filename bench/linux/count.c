/*
 * /init run as /bin/count (a link in the image): what capOS's count
 * (services/count) prints, "count: N" lines for N = 1, 2, ..., in writes
 * of whole lines up to COUNT_WRITE bytes, until a write fails. The SSH
 * stream row (bench/ssh.py) runs it in the shell Dropbear started, as
 * capOS's runs count in capos-shell, so both channels carry the same
 * bytes from a producer with the same write size.
 */
#include <stdio.h>
#include <unistd.h>

#include "bench.h"

#define COUNT_WRITE	1024

int
count_main(void)
{
	char text[COUNT_WRITE];
	unsigned long n = 1;

	for (;;) {
		size_t len = 0;

		/* A line is at most 28 bytes ("count: " and 20 digits). */
		while (len + 32 <= sizeof(text))
			len += (size_t)snprintf(text + len, sizeof(text) - len,
			    "count: %lu\n", n++);
		for (size_t off = 0; off < len;) {
			ssize_t k = write(1, text + off, len - off);

			if (k <= 0)
				return 0;
			off += (size_t)k;
		}
	}
}
