/*
 * Per-CPU scratch buffers (scratch.h), in frames of their own: about
 * 200 KiB per CPU, too much for a kernel stack or for a static array
 * sized for every CPU the kernel could start.
 */
#include <string.h>

#include "arch/x86_64/percpu.h"
#include "cap/scratch.h"
#include "kernel.h"
#include "mm/mem.h"
#include "mm/vmm.h"

#define SCRATCH_FRAMES	((sizeof(struct cpu_scratch) + 4095) / 4096)

int
scratch_init(uint32_t cpu)
{
	uint64_t pa;

	if (cpus[cpu].scratch != NULL)
		return 0;
	if ((pa = frames_alloc_contig(SCRATCH_FRAMES)) == 0)
		return -1;
	cpus[cpu].scratch = phys_to_virt(pa);
	memset(cpus[cpu].scratch, 0, sizeof(struct cpu_scratch));
	return 0;
}

struct cpu_scratch *
this_scratch(void)
{
	return this_cpu()->scratch;
}
