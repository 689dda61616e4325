/*
 * Kernel console output and the stop paths.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/serial.h"
#include "arch/x86_64/smp.h"
#include "fmt/fmt.h"
#include "kernel.h"

static void
serial_sink(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	serial_write(s, n);
}

int
kvprintf(const char *fmt, va_list ap)
{
	return fmt_vformat(serial_sink, NULL, fmt, ap);
}

/* Until the boot package is read: the default (docs/boot.md). */
uint32_t log_level = CAPOS_LOG_INFO;

int
klog(uint32_t level, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (level > log_level)
		return 0;
	va_start(ap, fmt);
	n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}

int
kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}

void
machine_exit(uint8_t code)
{
	irq_disable();
	outl(0xF4, code);
	/* No isa-debug-exit device: stay halted rather than run on. */
	for (;;)
		__asm__ volatile("cli; hlt");
}

void
panic(const char *fmt, ...)
{
	static int panicking;
	va_list ap;
	uint32_t stopped;

	irq_disable();
	/* The others first, so that nothing runs on under a broken
	 * invariant or cuts into the message. */
	stopped = smp_stop_others();
	if (panicking++ == 0) {
		kprintf("\npanic: ");
		va_start(ap, fmt);
		kvprintf(fmt, ap);
		va_end(ap);
		kprintf("\n");
		if (smp_cpus_online() > 1)
			kprintf("panic: %u of %u other CPUs stopped\n",
			    stopped, smp_cpus_online() - 1);
	}
	machine_exit(EXIT_PANIC);
}
