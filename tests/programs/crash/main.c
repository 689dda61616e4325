/*
 * crash: a test program that faults on purpose, to show that a faulting
 * process is killed and reported while the system goes on. Its first
 * argument picks the fault: "null" reads address 0, "priv" executes a
 * privileged instruction.
 */
#include <string.h>

#include "rt.h"

int
main(void)
{
	const char *how = rt_argv(0);
	volatile uintptr_t null = 0;

	if (how == NULL) {
		rt_printf("crash: usage: crash null|priv\n");
		return 2;
	}
	rt_printf("crash: about to fault (%s)\n", how);
	rt_flush();
	if (strcmp(how, "null") == 0)
		return *(volatile int *)null;
	if (strcmp(how, "priv") == 0)
		__asm__ volatile("cli; hlt");
	rt_printf("crash: unknown fault %s\n", how);
	return 2;
}
