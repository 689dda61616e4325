/*
 * The IDT and the first stop for every interrupt and exception. Hardware
 * interrupts go to the handler registered for their vector; an exception
 * in the kernel is a bug, so it prints everything known about it and panics.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/trap.h"
#include "kernel.h"
#include "proc/proc.h"

void user_fault(struct trapframe *tf);

struct idt_entry {
	uint16_t off0;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;
	uint16_t off1;
	uint32_t off2;
	uint32_t zero;
} __attribute__((packed));

extern char trap_vectors[];

static struct idt_entry idt[256];
static irq_handler handlers[256];

static const char *const exception_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow",
	"bound range exceeded", "invalid opcode", "device not available",
	"double fault", "coprocessor segment overrun", "invalid TSS",
	"segment not present", "stack-segment fault",
	"general protection fault", "page fault", "reserved",
	"x87 floating-point error", "alignment check", "machine check",
	"SIMD floating-point error", "virtualization exception",
	"control protection exception", "reserved", "reserved", "reserved",
	"reserved", "reserved", "reserved", "hypervisor injection",
	"VMM communication", "security exception", "reserved",
};

static void
set_gate(int vec, int ist)
{
	uint64_t addr = (uint64_t)trap_vectors + (uint64_t)vec * 16;
	struct idt_entry *e = &idt[vec];

	e->off0 = addr & 0xFFFF;
	e->sel = SEL_KCODE;
	e->ist = (uint8_t)ist;
	e->type = 0x8E;		/* present, DPL 0, 64-bit interrupt gate */
	e->off1 = (addr >> 16) & 0xFFFF;
	e->off2 = (uint32_t)(addr >> 32);
	e->zero = 0;
}

void
idt_init(void)
{
	for (int v = 0; v < 256; v++)
		set_gate(v, 0);
	set_gate(2, IST_NMI);
	set_gate(8, IST_DOUBLE_FAULT);
	set_gate(18, IST_MACHINE_CHECK);
	idt_load();
}

/* Every CPU shares the one IDT: the gates name IST slots, and each CPU's
 * own TSS says where those are. */
void
idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = { sizeof(idt) - 1, (uint64_t)idt };

	__asm__ volatile("lidt %0" : : "m"(ptr));
}

void
irq_set_handler(uint8_t vector, irq_handler h)
{
	handlers[vector] = h;
}

static void
dump_frame(const struct trapframe *tf)
{
	kprintf("  rip %016llx  cs %04llx  rflags %016llx\n",
	    (unsigned long long)tf->rip, (unsigned long long)tf->cs,
	    (unsigned long long)tf->rflags);
	kprintf("  rsp %016llx  ss %04llx  error %llx  cr3 %016llx\n",
	    (unsigned long long)tf->rsp, (unsigned long long)tf->ss,
	    (unsigned long long)tf->error, (unsigned long long)read_cr3());
	kprintf("  rax %016llx  rbx %016llx  rcx %016llx\n",
	    (unsigned long long)tf->rax, (unsigned long long)tf->rbx,
	    (unsigned long long)tf->rcx);
	kprintf("  rdx %016llx  rsi %016llx  rdi %016llx\n",
	    (unsigned long long)tf->rdx, (unsigned long long)tf->rsi,
	    (unsigned long long)tf->rdi);
	kprintf("  rbp %016llx  r8  %016llx  r9  %016llx\n",
	    (unsigned long long)tf->rbp, (unsigned long long)tf->r8,
	    (unsigned long long)tf->r9);
	kprintf("  r10 %016llx  r11 %016llx  r12 %016llx\n",
	    (unsigned long long)tf->r10, (unsigned long long)tf->r11,
	    (unsigned long long)tf->r12);
	kprintf("  r13 %016llx  r14 %016llx  r15 %016llx\n",
	    (unsigned long long)tf->r13, (unsigned long long)tf->r14,
	    (unsigned long long)tf->r15);
}

static void
kernel_exception(struct trapframe *tf)
{
	kprintf("\nexception %llu (%s) in kernel mode\n",
	    (unsigned long long)tf->vector, exception_names[tf->vector]);
	if (tf->vector == 14) {
		kprintf("  fault address %016llx (%s, %s, %s%s)\n",
		    (unsigned long long)read_cr2(),
		    tf->error & 1 ? "protection violation" : "not present",
		    tf->error & 2 ? "write" : "read",
		    tf->error & 4 ? "user" : "supervisor",
		    tf->error & 16 ? ", instruction fetch" : "");
	}
	dump_frame(tf);
	panic("unhandled %s at %016llx", exception_names[tf->vector],
	    (unsigned long long)tf->rip);
}

static void
dispatch(struct trapframe *tf)
{
	if (tf->vector < 32) {
		/* NMI and machine checks are the machine's, not the thread's. */
		if ((tf->cs & 3) != 0 && tf->vector != 2 && tf->vector != 18)
			user_fault(tf);
		else
			kernel_exception(tf);
		return;
	}
	if (tf->vector < 256 && handlers[tf->vector] != NULL) {
		handlers[tf->vector](tf);
		return;
	}
	/*
	 * A vector nobody registered: a device interrupt after its Interrupt
	 * object went away, or one aimed wrong. Acknowledge it and move on.
	 */
	if (tf->vector != VEC_SPURIOUS)
		lapic_eoi();
}

/*
 * Every interrupt and exception. The kernel runs under the big kernel
 * lock (docs/smp.md): from user mode it is taken here and dropped on the
 * way back out (trap_return); an interrupt that woke the idle loop, which
 * halts without it, takes it for the handler only. A TLB flush request is
 * answered without it: the CPU asking holds it and waits.
 */
void
trap_dispatch(struct trapframe *tf)
{
	bool from_user = (tf->cs & 3) != 0, took = false;

	if (tf->vector == VEC_TLB) {
		smp_tlb_irq();
		return;
	}
	/* Another CPU stopping the machine, or a kick; neither the lock
	 * nor GS is trusted here. */
	if (tf->vector == 2) {
		smp_nmi(tf);
		return;
	}
	if (tf->vector == VEC_TIMER && timer_tick_unlocked(tf))
		return;
	if (tf->vector == VEC_WAKE) {
		smp_wake_irq();
		return;
	}
	this_cpu()->quiet_wake = 0;
	if (!bkl_held()) {
		bkl_acquire();
		took = !from_user;
	}
	/* A fault of a thread stopped meanwhile is not its own to report.
	 * An interrupt is first answered by its handler (its EOI): a thread
	 * that leaves here for good never returns to acknowledge it, and an
	 * interrupt left in service blocks every vector of its priority class
	 * on this CPU (the wake IPI's blocked the TLB IPI's, and the CPU
	 * waiting for that flush spun for ever). Stopped threads leave on
	 * the way out instead (kernel_exit_to_user). */
	if (from_user && tf->vector < 32)
		sched_check_killed();
	dispatch(tf);
	if (took)
		bkl_release();
}

/* The way out to user mode (trap.S): a thread stopped by another CPU
 * while it ran here exits instead; otherwise the threads it woke are
 * placed (a thread pinned to another CPU moves there), and the BKL goes
 * if its kernel path took it. An NMI from user mode leaves as it came:
 * it runs on its own stack, where nothing may switch threads. */
void
kernel_exit_to_user(const struct trapframe *tf)
{
	if (tf->vector == 2)
		return;
	sched_check_killed();
	sched_leave_kernel();
	if (bkl_held())
		bkl_release();
}
