/*
 * Replays inputs through a fuzz target without libFuzzer: linked with one
 * target's LLVMFuzzerTestOneInput and built by the host compiler under
 * ASan and UBSan, it feeds it each file named on the command line, one
 * call per file, as libFuzzer replays a corpus. A finding ends the process
 * with the sanitizer's report; tests/fuzz/run.py then replays each file in
 * a process of its own to name the files that fail.
 *
 *	build/tests/fuzz/kernel_parsers tests/fuzz/corpus/kernel_parsers/ *
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The largest input replayed; libFuzzer's default -max_len is far below. */
#define REPLAY_MAX	(1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads path into a heap buffer of exactly its size, so ASan sees any read
 * past the input's end. Returns 0, or -1 after printing why. */
static int
replay(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf, *exact;
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if ((buf = malloc(REPLAY_MAX + 1)) == NULL) {
		fclose(f);
		fprintf(stderr, "replay: out of memory\n");
		return -1;
	}
	n = fread(buf, 1, REPLAY_MAX + 1, f);
	if (ferror(f) || n > REPLAY_MAX) {
		fprintf(stderr, "replay: %s: %s\n", path, ferror(f) ?
		    "read failed" : "larger than 1 MiB");
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	/* malloc(0) may return NULL: an empty input gets one byte it never
	 * reads. */
	if ((exact = malloc(n > 0 ? n : 1)) == NULL) {
		free(buf);
		fprintf(stderr, "replay: out of memory\n");
		return -1;
	}
	memcpy(exact, buf, n);
	free(buf);
	(void)LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	return 0;
}

int
main(int argc, char **argv)
{
	int bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s input...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (replay(argv[i]) != 0)
			bad = 1;
	return bad;
}
