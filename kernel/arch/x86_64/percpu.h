/*
 * Per-CPU data reached through %gs in the kernel. Offsets are used by
 * syscall.S and must match struct percpu.
 */
#ifndef CAPOS_PERCPU_H
#define CAPOS_PERCPU_H

#define PERCPU_KSTACK_TOP	0
#define PERCPU_USER_RSP		8

/* The trapframe vector number of a system call (above all IDT vectors). */
#define VEC_SYSCALL		256

#ifndef __ASSEMBLY__
#include <stdint.h>

struct percpu {
	uint64_t kstack_top;	/* kernel stack of the running thread */
	uint64_t user_rsp;	/* scratch for syscall entry */
};

extern struct percpu cpu0;

/* Sets up SYSCALL/SYSRET, %gs and the FPU for user threads. */
void cpu_init_user(void);
void cpu_set_kernel_stack(uint64_t top);
#endif

#endif
