/*
 * noauth: a test service granted only the console. It tries every way it
 * has to reach the process spawner or the boot package (by name, by every
 * slot of its own table, by the ids those capabilities have in init's
 * table, and by calling the console as something else) and proves that
 * all of them fail.
 */
#include "rt.h"

/* Slots a process table has (kernel/proc/proc.h: PROC_CAP_SLOTS). */
#define SLOTS	256
/* init is process 1; its table's generations start at 1 * 0x9E37 and its
 * first five slots hold the kernel objects it was given at boot. */
#define INIT_GEN	0x9E37u

static uint8_t buf[512] __attribute__((aligned(8)));

static int
try_call(capos_cap_t cap, uint64_t iface, uint16_t method)
{
	struct rt_result res;

	return rt_call(cap, iface, method, NULL, NULL, 0, buf, sizeof(buf),
	    &res);
}

int
main(void)
{
	capos_cap_t con = rt_cap("console", capos_Console_INTERFACE_ID);
	const struct capos_start *sb = rt_start();
	int failures = 0, attempts = 0, rc;

	if (sb->ncaps != 1 || con == CAPOS_CAP_NULL) {
		rt_printf("noauth: expected exactly one capability, the "
		    "console; have %u\n", sb->ncaps);
		return 1;
	}
	if (rt_cap("processSpawner", 0) != CAPOS_CAP_NULL ||
	    rt_cap("bootPackage", 0) != CAPOS_CAP_NULL) {
		rt_printf("noauth: found a spawner or boot package by name\n");
		return 1;
	}
	/* Every other slot of this table, with this table's generation. */
	for (uint32_t i = 0; i < SLOTS; i++) {
		capos_cap_t id = (con & 0xFFFF0000u) | i;

		if (id == con)
			continue;
		attempts += 2;
		if ((rc = try_call(id, capos_ProcessSpawner_INTERFACE_ID,
		    capos_ProcessSpawner_spawn_ORDINAL)) != CAPOS_EBADCAP)
			failures++;
		if ((rc = try_call(id, capos_BootPackage_INTERFACE_ID,
		    capos_BootPackage_listBinaries_ORDINAL)) != CAPOS_EBADCAP)
			failures++;
	}
	/* The ids the spawner and boot package have in init's table. */
	for (uint32_t i = 0; i < 5; i++) {
		attempts++;
		if (try_call((INIT_GEN << 16) | i,
		    capos_ProcessSpawner_INTERFACE_ID,
		    capos_ProcessSpawner_spawn_ORDINAL) != CAPOS_EBADCAP)
			failures++;
	}
	/* The console cannot be called as another interface. */
	attempts++;
	if (try_call(con, capos_ProcessSpawner_INTERFACE_ID,
	    capos_ProcessSpawner_spawn_ORDINAL) != CAPOS_EIFACE)
		failures++;
	if (failures != 0) {
		rt_printf("noauth: %d of %d attempts did not fail as they "
		    "should\n", failures, attempts);
		return 1;
	}
	rt_printf("[proof] no-ambient-authority ok attempts=%d\n", attempts);
	return 0;
}
