/*
 * Kernel-wide essentials: console output, panic and the halt paths.
 */
#ifndef CAPOS_KERNEL_H
#define CAPOS_KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capos/abi.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)	(((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))

/*
 * QEMU's isa-debug-exit device turns a write of v to its port into the exit
 * status (v << 1) | 1. These two values are the only statuses a capOS run
 * ends with on purpose; docs/boot.md lists them.
 */
#define EXIT_CLEAN	0x10	/* QEMU exits with 33 */
#define EXIT_PANIC	0x11	/* QEMU exits with 35 */
#define EXIT_INIT_FAILED 0x12	/* QEMU exits with 37: init failed or died */

int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);

/*
 * Console lines by level (docs/boot.md, "Log levels"): printed only when
 * the system's level, log_level (a CAPOS_LOG_*, set once at boot), is at
 * least the line's. kprintf prints at every level: failures, panics and
 * fault dumps.
 */
extern uint32_t log_level;
int klog(uint32_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#define kwarn(...)	klog(CAPOS_LOG_WARN, __VA_ARGS__)
#define kinfo(...)	klog(CAPOS_LOG_INFO, __VA_ARGS__)
#define kdebug(...)	klog(CAPOS_LOG_DEBUG, __VA_ARGS__)

/* Prints the reason and stops the machine with EXIT_PANIC. */
void panic(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

/* The TSC when kmain started, for boot-time measurements. */
extern uint64_t kernel_boot_tsc;

/* 64 random bits: hardware when available (kernel/obj/entropy.c). */
uint64_t random_u64(void);

struct process;
/* Called as each process stops. When init stops, every other process is
 * stopped too and the system halts once they are all gone. */
void kernel_process_stopped(struct process *p);
/* Whether the system is shutting down (no new process may start). */
bool kernel_stopping(void);
/* Run by the idle thread after reaping: halts the machine, with the
 * shutdown leak check, once shutdown has stopped every process. */
void kernel_idle(void);

/* Stops the machine with the given isa-debug-exit value; halts if absent. */
void machine_exit(uint8_t code) __attribute__((noreturn));

#endif
