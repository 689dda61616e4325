/*
 * libFuzzer target for the kernel's parsers of untrusted bytes: boot
 * information (PVH and Multiboot2, the input standing in for physical
 * memory), ELF images from the boot package, ring submissions, and ring
 * indices. The first input byte picks the parser. Under ASan any read
 * outside the input is caught.
 *
 *	make fuzz && build/fuzz/kernel_parsers -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/bootinfo.h"
#include "cap/ring.h"
#include "proc/elf.h"

struct mem {
	const uint8_t *p;
	size_t n;
};

static const void *
read_mem(void *ctx, uint64_t pa, uint64_t len)
{
	struct mem *m = ctx;

	if (pa == 0 || pa >= m->n || len > m->n - pa)
		return NULL;
	return m->p + pa;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bootinfo bi;
	struct elf_image img;
	struct mem m;
	uint8_t *copy;

	if (size < 2)
		return 0;
	/* An exact-size heap copy, so ASan sees reads past the end. */
	if ((copy = malloc(size - 1)) == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	m.p = copy;
	m.n = size - 1;
	switch (data[0] % 4) {
	case 0:
		(void)bootinfo_from_pvh(&bi, 8, read_mem, &m);
		break;
	case 1:
		(void)bootinfo_from_multiboot2(&bi, 8, read_mem, &m);
		break;
	case 2:
		(void)elf_check(copy, m.n, 0x400000, 0x100000000000ull, &img);
		break;
	case 3:
		if (m.n >= sizeof(struct capos_sqe)) {
			struct capos_sqe e;

			memcpy(&e, copy, sizeof(e));
			(void)ring_sqe_check(&e);
		}
		break;
	}
	free(copy);
	return 0;
}
