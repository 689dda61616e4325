/*
 * Per-CPU scratch: the buffers a kernel call fills and consumes on the
 * CPU that serves it. A CPU serves one call at a time (the kernel is never
 * preempted and runs with interrupts masked), and a call never blocks
 * while it holds these: it answers, or goes CALL_PENDING keeping what it
 * needs in its own record. So one set per CPU is enough, and no two CPUs
 * ever write the same one (docs/smp.md, "Per-CPU state").
 */
#ifndef CAPOS_SCRATCH_H
#define CAPOS_SCRATCH_H

#include <stdint.h>

#include "capos/abi.h"
#include "capos.capnp.h"
#include "cap/call.h"

/* Bytes of a spawned process's packed arguments. */
#define SPAWN_ARGS_MAX	2048

struct cpu_scratch {
	/* dispatch.c: a CALL's or RETURN's params, copied from the caller;
	 * the result of the call being served; a reply built for another
	 * thread meanwhile (reply_scratch). Apart, because a call may
	 * trigger replies. */
	uint8_t params[CAPOS_MAX_PARAMS] __attribute__((aligned(8)));
	uint8_t result[CAPOS_MAX_RESULT] __attribute__((aligned(8)));
	uint8_t pending[CAPOS_MAX_RESULT] __attribute__((aligned(8)));
	struct call call;		/* the CALL being served */
	/* spawner.c: the child's start block and packed arguments. */
	struct capos_start start;
	char args[SPAWN_ARGS_MAX];
	/* console.c: the bytes of one ConsoleInput.read answer. */
	uint8_t console_read[capos_ConsoleInput_maxRead];
};

/* Gives CPU cpu its scratch; 0, or -1 when memory is short. Called for
 * each CPU before it serves calls, and before the leak check's baseline:
 * the scratch stays with the CPU. */
int scratch_init(uint32_t cpu);
/* This CPU's scratch. */
struct cpu_scratch *this_scratch(void);

#endif
