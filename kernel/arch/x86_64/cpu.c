/*
 * CPU setup for user mode: SYSCALL/SYSRET MSRs, the kernel %gs base, and
 * SSE state so userspace may use the full x86_64 register set.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/percpu.h"

#define MSR_STAR	0xC0000081
#define MSR_LSTAR	0xC0000082
#define MSR_FMASK	0xC0000084
#define MSR_GS_BASE	0xC0000101
#define MSR_KGS_BASE	0xC0000102
#define MSR_TSC_AUX	0xC0000103
#define EFER_SCE	(1ull << 0)

#define RFLAGS_TF	(1u << 8)
#define RFLAGS_IF	(1u << 9)
#define RFLAGS_DF	(1u << 10)
#define RFLAGS_IOPL	(3u << 12)
#define RFLAGS_NT	(1u << 14)
#define RFLAGS_AC	(1u << 18)
#define CR4_UMIP	(1u << 11)
#define CR4_SMEP	(1u << 20)
#define CR4_SMAP	(1u << 21)

struct percpu cpus[SMP_MAX_CPUS];

extern char syscall_entry[];

void
percpu_init(uint32_t id)
{
	struct percpu *p = &cpus[id];
	uint32_t r[4];

	p->self = p;
	p->id = id;
	p->timer_due = UINT64_MAX;	/* no one-shot programmed yet */
	/* In the kernel GS holds the per-CPU block; user mode gets the
	 * other base (0) by swapgs on every way out. */
	wrmsr(MSR_GS_BASE, (uint64_t)p);
	wrmsr(MSR_KGS_BASE, 0);
	/* RDTSCP hands user code this word with the time: the CPU's number,
	 * which lets the SMP tests see where their threads ran (as Linux's
	 * getcpu does). Written only where RDTSCP exists. */
	cpuid(0x80000000, 0, r);
	if (r[0] >= 0x80000001) {
		cpuid(0x80000001, 0, r);
		if (r[3] & (1u << 27))
			wrmsr(MSR_TSC_AUX, id);
	}
}

void
cpu_init_user(void)
{
	uint64_t cr0, cr4;
	uint32_t r[4];

	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	/* SYSRET loads CS = STAR[63:48] + 16 and SS = STAR[63:48] + 8. */
	wrmsr(MSR_STAR, ((uint64_t)(SEL_UDATA - 8 - 3) << 48) |
	    ((uint64_t)SEL_KCODE << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	/* NT must not survive into the kernel: IRETQ with NT set faults. */
	wrmsr(MSR_FMASK, RFLAGS_TF | RFLAGS_IF | RFLAGS_DF | RFLAGS_AC |
	    RFLAGS_IOPL | RFLAGS_NT);

	/* SSE on: CR0.MP set, CR0.EM clear; CR4.OSFXSR and OSXMMEXCPT. */
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	cr0 = (cr0 | (1u << 1)) & ~(1ull << 2);
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
	/*
	 * The kernel reaches user memory only through the direct map, so it
	 * can forbid itself user pages outright (SMEP, SMAP); UMIP keeps
	 * descriptor-table addresses from user code.
	 */
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= (1u << 9) | (1u << 10);
	cpuid(7, 0, r);
	if (r[1] & (1u << 7))
		cr4 |= CR4_SMEP;
	if (r[1] & (1u << 20))
		cr4 |= CR4_SMAP;
	if (r[2] & (1u << 2))
		cr4 |= CR4_UMIP;
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
}

void
cpu_set_kernel_stack(uint64_t top)
{
	this_cpu()->kstack_top = top;
	tss_set_kernel_stack(top);
}
