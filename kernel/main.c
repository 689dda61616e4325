/*
 * kmain: the C entry point, reached from boot.S on the boot stack with the
 * boot protocol and the physical address of its information block.
 */
#include <string.h>

#include "arch/x86_64/boot_proto.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/pci.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/serial.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/trap.h"
#include "boot/bootinfo.h"
#include "boot/loglevel.h"
#include "cap/scratch.h"
#include "kernel.h"
#include "mm/mem.h"
#include "mm/pmm.h"
#include "mm/vmm.h"
#include "obj/objects.h"
#include "proc/proc.h"
#include "proc/timeout.h"

#define EARLY_IDENTITY_LIMIT	(4ull << 30)
#define TIMER_PROOF_NS		2000000ull	/* the boot timer check */
/* init's VirtualMemory quota; services granted init's capability share it. */
#define INIT_VM_QUOTA		(64ull << 20)

void kmain(uint32_t proto, uint32_t info_pa);

static struct bootinfo bootinfo;

static volatile bool timer_probe_done;

static void
timer_probe_fired(struct timeout *to)
{
	(void)to;
	timer_probe_done = true;
}

/* Boot information is read through boot.S's identity map of the low 4 GiB. */
static const void *
early_phys(void *ctx, uint64_t pa, uint64_t len)
{
	(void)ctx;
	if (pa == 0 || pa >= EARLY_IDENTITY_LIMIT ||
	    len > EARLY_IDENTITY_LIMIT - pa)
		return NULL;
	return (const void *)(uintptr_t)pa;
}

static void
read_bootinfo(uint32_t proto, uint32_t info_pa)
{
	int err;

	switch (proto) {
	case BOOT_PROTO_PVH:
		err = bootinfo_from_pvh(&bootinfo, info_pa, early_phys, NULL);
		break;
	case BOOT_PROTO_MULTIBOOT2:
		err = bootinfo_from_multiboot2(&bootinfo, info_pa, early_phys,
		    NULL);
		break;
	default:
		panic("boot: unknown boot protocol %u", proto);
	}
	if (err != 0)
		panic("boot: unusable %s boot information (error %d)",
		    proto == BOOT_PROTO_PVH ? "PVH" : "Multiboot2", err);
}

/*
 * Sets the console's level before the first line it governs: the boot
 * package is read through the boot identity map, as the boot information
 * is. What was chosen is said after the banner (report_log_level).
 */
static struct loglevel_choice log_choice;

static void
choose_log_level(void)
{
	const struct boot_module *m = &bootinfo.modules[0];
	const uint8_t *pkg = NULL;

	if (bootinfo.nmodules != 0)
		pkg = early_phys(NULL, m->base, m->len);
	loglevel_choose(bootinfo.cmdline, pkg, pkg != NULL ? m->len : 0,
	    &log_choice);
	log_level = log_choice.level;
}

static void
report_log_level(void)
{
	if (log_choice.note[0] != '\0')
		kprintf("log: %s\n", log_choice.note);
	kdebug("log: level %s, from %s\n", loglevel_name(log_level),
	    log_choice.source);
}

static void
print_banner(void)
{
	uint64_t usable = 0;

	for (uint32_t i = 0; i < bootinfo.nregions; i++)
		if (bootinfo.regions[i].type == MEM_USABLE)
			usable += bootinfo.regions[i].len;
	kinfo("capOS %s x86_64, booted via %s\n", CAPOS_VERSION,
	    bootinfo.proto == BOOT_PROTO_PVH ? "PVH" : "Multiboot2");
	kinfo("memory: %llu MiB usable in %u regions\n",
	    (unsigned long long)(usable >> 20), bootinfo.nregions);
	if (bootinfo.dropped != 0)
		kwarn("boot: %u boot entries dropped\n", bootinfo.dropped);
	if (bootinfo.cmdline[0] != '\0')
		kdebug("cmdline: %s\n", bootinfo.cmdline);
	for (uint32_t i = 0; i < bootinfo.nmodules; i++)
		kdebug("module %u: %s at %#llx, %llu bytes\n", i,
		    bootinfo.modules[i].name[0] ? bootinfo.modules[i].name :
		    "(unnamed)", (unsigned long long)bootinfo.modules[i].base,
		    (unsigned long long)bootinfo.modules[i].len);
}

/* Proves the tick runs: waits for a few ticks and checks time moved. */
static void
check_timer(void)
{
	static struct timeout probe;
	uint64_t t0 = time_ns(), start = timer_ticks();

	/* A short kernel timeout: the interrupt must come, and not early. */
	probe.fire = timer_probe_fired;
	timeout_arm(&probe, t0 + TIMER_PROOF_NS);
	timer_reprogram();
	while (!timer_probe_done)
		wait_for_interrupt();
	if (time_ns() < t0 + TIMER_PROOF_NS)
		panic("timer: the probe timeout fired early");
	kdebug("[proof] timer ok ticks=%llu elapsed_us=%llu\n",
	    (unsigned long long)(timer_ticks() - start),
	    (unsigned long long)((time_ns() - t0) / 1000));
}

/* Boot-parameter self-tests that must end in a readable panic. */
static void
run_fault_tests(void)
{
	if (bootinfo_has_arg(&bootinfo, "test=fault")) {
		/* Through a volatile so the compiler cannot see the address. */
		volatile uintptr_t unmapped = 0x8;

		kprintf("test: reading from an unmapped address\n");
		(void)*(volatile uint64_t *)unmapped;
	}
	if (bootinfo_has_arg(&bootinfo, "test=ud")) {
		kprintf("test: executing an invalid instruction\n");
		__asm__ volatile("ud2");
	}
}

static struct process *init_proc;
uint64_t kernel_boot_tsc;

/*
 * The shutdown leak check. Free frames and heap bytes are taken just before
 * init starts; when init has ended, every other process is stopped, and
 * once the idle thread has reaped them all the same figures must be back.
 * Frames the kernel's own page tables took meanwhile are counted apart
 * (vmm_table_frames): they stay with the kernel for good and are bounded.
 */
static struct {
	uint64_t frames, heap, tables;
	bool stopping;
	uint8_t exit_code;
} shutdown;

/* The kernel command line, as NUL-separated words: init's arguments. */
static size_t
cmdline_args(char *out, size_t max)
{
	size_t n = 0;
	const char *p = bootinfo.cmdline;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		while (*p != ' ' && *p != '\0' && n + 1 < max)
			out[n++] = *p++;
		if (n + 1 >= max)
			break;
		out[n++] = '\0';
	}
	return n;
}

/* Adds one capability to init's table and its CapSet. */
static void
grant_init(struct capos_start *sb, const char *name, struct kobj *obj,
    uint64_t iface)
{
	struct capos_capset_entry *e = &sb->caps[sb->ncaps++];

	if (obj == NULL)
		panic("boot: cannot create %s for init", name);
	strncpy(e->name, name, sizeof(e->name) - 1);
	e->interface_id = iface;
	e->cap = captable_insert(&init_proc->caps, obj, iface, 0);
}

/* Starts init from the boot package, if there is one. */
static int
start_init(void)
{
	static struct capos_start sb;
	static char args[BOOT_CMDLINE_MAX + 1];
	const struct boot_module *m;
	const uint8_t *elf;
	const char *why;
	struct kobj *pkg, *obj;
	size_t len;
	int err;

	if (bootinfo.nmodules == 0)
		return -1;
	m = &bootinfo.modules[0];
	pkg = bootpkg_create(phys_to_virt(m->base), m->len, &why);
	if (pkg == NULL)
		panic("boot: boot package rejected: %s", why);
	if (bootpkg_find(pkg, "init", 4, &elf, &len) != 0)
		panic("boot: the boot package has no init binary");
	/* init is the root of every tree of spawns, and each child's limit
	 * is carved out of its spawner's (kmem.h): init is granted all the
	 * memory there is and the whole process table, and the manifest
	 * divides them. */
	if ((init_proc = process_create("init", frames_free_count() *
	    PAGE_SIZE, MAX_PROCS, NULL)) == NULL)
		panic("boot: cannot create the init process");
	sb.magic = CAPOS_START_MAGIC;
	sb.version = 1;
	strncpy(sb.name, "init", sizeof(sb.name) - 1);
	grant_init(&sb, "console", console_create(),
	    capos_Console_INTERFACE_ID);
	grant_init(&sb, "bootPackage", pkg, capos_BootPackage_INTERFACE_ID);
	grant_init(&sb, "processSpawner", spawner_create(pkg),
	    capos_ProcessSpawner_INTERFACE_ID);
	grant_init(&sb, "virtualMemory", vm_create(INIT_VM_QUOTA),
	    capos_VirtualMemory_INTERFACE_ID);
	grant_init(&sb, "entropy", entropy_create(),
	    capos_Entropy_INTERFACE_ID);
	grant_init(&sb, "endpointFactory", endpoint_factory_create(),
	    capos_EndpointFactory_INTERFACE_ID);
	grant_init(&sb, "timer", timer_create(), capos_Timer_INTERFACE_ID);
	grant_init(&sb, "threadSpawner", thread_spawner_create(),
	    capos_ThreadSpawner_INTERFACE_ID);
	grant_init(&sb, "threadControl", thread_control_create(),
	    capos_ThreadControl_INTERFACE_ID);
	grant_init(&sb, "parkSpace", park_create(),
	    capos_ParkSpace_INTERFACE_ID);
	grant_init(&sb, "deviceManager", device_manager_create(),
	    capos_DeviceManager_INTERFACE_ID);
	if ((obj = console_input_create()) != NULL)
		grant_init(&sb, "consoleInput", obj,
		    capos_ConsoleInput_INTERFACE_ID);
	if ((err = process_start(init_proc, elf, len, &sb, args,
	    cmdline_args(args, sizeof(args)))) != 0)
		panic("boot: cannot start init (error %d)", err);
	return 0;
}

void
kernel_process_stopped(struct process *p)
{
	if (p != init_proc)
		return;
	if (p->status.kind == EXIT_EXITED) {
		kinfo("init exited with status %d; halting\n",
		    p->status.code);
		shutdown.exit_code = p->status.code == 0 ? EXIT_CLEAN :
		    EXIT_INIT_FAILED;
	} else {
		kprintf("init died; halting\n");
		shutdown.exit_code = EXIT_INIT_FAILED;
	}
	init_proc = NULL;
	shutdown.stopping = true;
	processes_stop_all();
}

bool
kernel_stopping(void)
{
	return shutdown.stopping;
}

void
kernel_idle(void)
{
	uint64_t frames, heap, tables;

	/* Every process gone, and their last words out of the console. */
	if (!shutdown.stopping || process_count() != 0 || !console_idle())
		return;
	smp_report();
	/* Measured with nothing else running: every other CPU halted for
	 * good. A CPU that does not answer may still be changing what is
	 * counted, so the check cannot be trusted without it. */
	if (smp_cpus_online() > 1) {
		uint32_t stopped = smp_stop_others();

		if (stopped != smp_cpus_online() - 1)
			panic("shutdown: %u of %u other CPUs stopped",
			    stopped, smp_cpus_online() - 1);
		kdebug("[proof] smp-stop ok the %u other CPUs halted before "
		    "the leak check\n", stopped);
	}
	frames = frames_free_count();
	heap = heap_bytes_used();
	tables = vmm_table_frames() - shutdown.tables;
	/*
	 * The check runs at every level; a failure stops the machine with
	 * the panic status, so it is seen whatever the console shows.
	 */
	if (frames + tables != shutdown.frames || heap != shutdown.heap)
		panic("shutdown leak check: %lld frames and %lld heap bytes "
		    "not returned (free frames %llu, before init %llu; kernel "
		    "tables +%llu; heap %llu, before init %llu)",
		    (long long)(shutdown.frames - frames - tables),
		    (long long)(heap - shutdown.heap),
		    (unsigned long long)frames,
		    (unsigned long long)shutdown.frames,
		    (unsigned long long)tables, (unsigned long long)heap,
		    (unsigned long long)shutdown.heap);
	kdebug("[proof] no-leak ok frames=%llu heap=%llu\n",
	    (unsigned long long)frames, (unsigned long long)heap);
	machine_exit(shutdown.exit_code);
}

void
kmain(uint32_t proto, uint32_t info_pa)
{
	kernel_boot_tsc = rdtsc();
	serial_init();
	gdt_init();
	percpu_init(0);
	idt_init();
	read_bootinfo(proto, info_pa);
	choose_log_level();
	print_banner();
	report_log_level();
	/* Firmware tables are read while the boot identity map lasts. */
	smp_discover(&bootinfo, info_pa, early_phys, NULL);

	mem_init(&bootinfo);
	vmm_init(&bootinfo);
	mem_relocate();
	kdebug("frames: %llu free of %llu usable\n",
	    (unsigned long long)frames_free_count(),
	    (unsigned long long)frames_total_usable());

	timer_init();
	irq_enable();
	check_timer();
	run_fault_tests();
	irq_disable();
	if (scratch_init(0) != 0)
		panic("no memory for the boot CPU's call buffers");
	smp_start_aps(&bootinfo);

	console_start();
	cpu_init_user();
	sched_init();
	pci_init(bootinfo.regions, bootinfo.nregions);
	kdebug("[proof] boot ok\n");
	shutdown.frames = frames_free_count();
	shutdown.heap = heap_bytes_used();
	shutdown.tables = vmm_table_frames();
	if (start_init() != 0) {
		kinfo("no boot package: nothing to run; halting\n");
		machine_exit(EXIT_CLEAN);
	}
	sched_run();
}
