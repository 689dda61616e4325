/*
 * keyecho: a test program for the kernel's console input (ConsoleInput,
 * docs/abi.md "The console"). It holds "console", "consoleInput",
 * "timer" (for rt_sleep_ns), and for step 4's thread "threadSpawner",
 * "threadControl" and "virtualMemory" (its stack), and nothing else. Argument: "flood=N", the
 * number of bytes the harness sends while keyecho is not reading.
 *
 *   1. prints "[keyecho] ready", sleeps, then reads until N bytes are
 *      accounted for, kept or dropped: the kernel's 4 KiB buffer must have
 *      kept 4096 and counted the rest as dropped
 *   2. prints "[keyecho] type", and echoes each line (ended by CR or LF)
 *      it reads as "[keyecho] line: TEXT"
 *   3. on the line "quit": posts a read that waits, checks that a second
 *      read meanwhile is refused as overloaded, and ends when the waiting
 *      read completes with what the harness types next ("bye", with no
 *      line end, so nothing is left buffered)
 *   4. a thread posts a read and exits without waiting for it; keyecho
 *      prints "[keyecho] orphaned" and sleeps while the harness types
 *      "kept", then prints "[keyecho] reading" and reads: the bytes typed
 *      while only the ended thread's read waited must still be there, not
 *      handed to a thread that can no longer take them (the harness types
 *      "late" after "reading", so a lost "kept" shows as "late")
 */
#include <string.h>

#include "check.h"
#include "rt.h"

#define LINE_MAX	256

static uint8_t rbuf[capos_ConsoleInput_maxRead + 256]
    __attribute__((aligned(8)));
static uint8_t pbuf[64] __attribute__((aligned(8)));
static capos_cap_t input;

/* Prepares a read of up to max bytes into rbuf. */
static void
prep_read(struct capos_sqe *e, uint32_t max)
{
	struct capos_ConsoleInput_read_Params_b p;
	struct capnp_builder b;

	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_ConsoleInput_read_Params_init_root(&b, &p) != 0)
		return;
	capos_ConsoleInput_read_Params_set_max(&p, max);
	rt_prep_call(e, input, capos_ConsoleInput_INTERFACE_ID,
	    capos_ConsoleInput_read_ORDINAL, &b, rbuf, sizeof(rbuf), NULL, 0,
	    0);
}

/* Reads the answer of a completed read: bytes in *d, dropped count. */
static int
read_answer(const struct capos_cqe *cqe, struct capnp_data *d,
    uint32_t *dropped)
{
	struct capos_ConsoleInput_read_Results_r r;
	struct rt_result res;

	if (cqe->status < 0 || (cqe->flags & CAPOS_CQE_EXCEPTION) != 0 ||
	    rt_result_read(cqe, rbuf, &res) != 0)
		return -1;
	r.s = res.root;
	if (capos_ConsoleInput_read_Results_get_bytes(&r, d) != 0)
		return -1;
	*dropped = capos_ConsoleInput_read_Results_get_overflowed(&r);
	return 0;
}

/* One blocking read; its byte count, or -1. */
static int
read_some(struct capnp_data *d, uint32_t *dropped)
{
	struct capos_sqe e;
	struct capos_cqe cqe;

	prep_read(&e, 0);
	if (rt_submit(&e) != 0 || rt_wait(e.user_data, &cqe) != 0)
		return -1;
	return read_answer(&cqe, d, dropped) == 0 ? (int)d->len : -1;
}

static long
flood_size(void)
{
	long v = 0;

	for (int i = 0; i < rt_argc(); i++)
		if (strncmp(rt_argv(i), "flood=", 6) == 0)
			for (const char *a = rt_argv(i) + 6; *a >= '0' &&
			    *a <= '9'; a++)
				v = v * 10 + (*a - '0');
	return v;
}

static void
flood(long n)
{
	struct capnp_data d;
	uint32_t dropped;
	long kept = 0, lost = 0;
	int got;

	rt_printf("[keyecho] ready\n");
	rt_flush();
	expect("a pause to be flooded in", rt_sleep_ns(1000000000ull), 0);
	while (kept + lost < n && (got = read_some(&d, &dropped)) >= 0) {
		kept += got;
		lost += dropped;
	}
	expect("the buffer kept 4096 bytes", kept, 4096);
	expect("and counted the rest as dropped", lost, n - 4096);
	if (test_failed == 0)
		rt_debug("[proof] console-input-overflow ok: %ld bytes sent "
		    "unread, the kernel kept %ld and counted %ld dropped\n", n,
		    kept, lost);
}

/* Echoes lines until "quit". */
static void
echo_lines(void)
{
	char line[LINE_MAX];
	size_t len = 0;
	struct capnp_data d;
	uint32_t dropped;
	int lines = 0;

	rt_printf("[keyecho] type\n");
	rt_flush();
	for (;;) {
		if (read_some(&d, &dropped) < 0) {
			expect("a read", 0, 1);
			return;
		}
		for (uint32_t i = 0; i < d.len; i++) {
			char c = (char)d.ptr[i];

			if (c != '\r' && c != '\n') {
				if (len < sizeof(line) - 1)
					line[len++] = c;
				continue;
			}
			line[len] = '\0';
			if (len == 0)
				continue;
			len = 0;
			if (strcmp(line, "quit") == 0) {
				expect("lines echoed before quit", lines, 2);
				return;
			}
			rt_printf("[keyecho] line: %s\n", line);
			lines++;
		}
	}
}

/* A read waits; a second one is refused; the first completes. */
static void
one_reader(void)
{
	struct capos_sqe first, second;
	struct capos_cqe c1, c2;
	struct capnp_data d;
	uint32_t dropped;

	prep_read(&first, 0);
	expect("a read waits", rt_submit(&first), 0);
	prep_read(&second, 0);
	expect("a second read", rt_submit(&second) == 0 &&
	    rt_wait(second.user_data, &c2) == 0, 1);
	expect("is refused as overloaded", (c2.flags & CAPOS_CQE_EXCEPTION) &&
	    c2.aux == capos_CapException_Type_overloaded, 1);
	rt_printf("[keyecho] waiting\n");
	rt_flush();
	expect("the first completes", rt_wait(first.user_data, &c1), 0);
	expect("with what was typed", read_answer(&c1, &d, &dropped) == 0 &&
	    d.len >= 3 && memcmp(d.ptr, "bye", 3) == 0, 1);
}

/* Posts a read from a thread that then ends without waiting for it. */
static void
post_and_exit(void *arg)
{
	static uint8_t orphan_buf[capos_ConsoleInput_maxRead + 256]
	    __attribute__((aligned(8)));
	struct capos_ConsoleInput_read_Params_b p;
	struct capnp_builder b;
	struct capos_sqe e;

	(void)arg;
	if (capnp_builder_init(&b, pbuf, sizeof(pbuf)) != 0 ||
	    capos_ConsoleInput_read_Params_init_root(&b, &p) != 0)
		rt_thread_exit(1);
	rt_prep_call(&e, input, capos_ConsoleInput_INTERFACE_ID,
	    capos_ConsoleInput_read_ORDINAL, &b, orphan_buf,
	    sizeof(orphan_buf), NULL, 0, 0);
	rt_thread_exit(rt_submit(&e) == 0 ? 0 : 1);
}

/* Bytes typed while only an ended thread's read waits stay buffered. */
static void
orphaned_read(void)
{
	struct rt_thread *t;
	struct capnp_data d;
	char got[8];
	size_t n = 0;
	uint32_t dropped;
	uint64_t v = 1;

	expect("a thread is spawned",
	    rt_thread_spawn(post_and_exit, NULL, 16384, &t), 0);
	expect("and joined", rt_thread_join(t, &v), 0);
	expect("after it posted its read", (long)v, 0);
	rt_printf("[keyecho] orphaned\n");
	rt_flush();
	expect("a pause while the harness types", rt_sleep_ns(1000000000ull),
	    0);
	rt_printf("[keyecho] reading\n");
	rt_flush();
	/* The first four bytes, however the reads split them. */
	while (n < 4) {
		if (read_some(&d, &dropped) < 0) {
			expect("a read after the orphaned one", 0, 1);
			return;
		}
		for (uint32_t i = 0; i < d.len && n < 4; i++)
			got[n++] = (char)d.ptr[i];
	}
	got[n] = '\0';
	if (memcmp(got, "kept", 4) != 0)
		rt_printf("[keyecho] after the orphaned read got: %s\n", got);
	expect("the bytes typed meanwhile were kept for the next read",
	    memcmp(got, "kept", 4), 0);
	if (memcmp(got, "kept", 4) == 0)
		rt_debug("[proof] console-input-orphan ok: bytes typed while "
		    "only an ended thread's read waited reached the next "
		    "read\n");
}

int
main(void)
{
	long n = flood_size();

	input = rt_cap("consoleInput", capos_ConsoleInput_INTERFACE_ID);
	if (input == CAPOS_CAP_NULL || n <= 4096) {
		rt_printf("keyecho: needs consoleInput and flood=N > 4096\n");
		return 2;
	}
	flood(n);
	echo_lines();
	one_reader();
	orphaned_read();
	rt_printf("keyecho: %d checks, %d failed\n", test_checks, test_failed);
	if (test_failed == 0)
		rt_debug("[proof] console-input ok: lines typed reach the "
		    "reader in order, one read waits at a time\n");
	return test_failed != 0;
}
