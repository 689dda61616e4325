/*
 * Interrupt and exception entry. Every vector enters trap_entry (trap.S),
 * which saves the registers below and calls trap_dispatch.
 */
#ifndef CAPOS_TRAP_H
#define CAPOS_TRAP_H

#include <stdint.h>

/* The layout trap.S builds on the stack; keep the two in step. */
struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector;
	uint64_t error;
	/* Pushed by the CPU. */
	uint64_t rip, cs, rflags, rsp, ss;
};

#define VEC_TIMER	32
#define VEC_SERIAL	33	/* COM1, through the I/O APIC */
#define VEC_WAKE	0xF0	/* IPI: a halted CPU looks for work */
#define VEC_TLB		0xF1	/* IPI: flush the TLB (docs/smp.md) */
#define VEC_SPURIOUS	255

typedef void (*irq_handler)(struct trapframe *tf);

void idt_init(void);
/* Loads the IDT idt_init built on this CPU (an AP). */
void idt_load(void);
void irq_set_handler(uint8_t vector, irq_handler h);
void trap_dispatch(struct trapframe *tf);

#endif
