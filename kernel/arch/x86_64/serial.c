/*
 * COM1 at 115200 8N1: the kernel console. Output only for now; each '\n'
 * goes out as "\r\n" because QEMU puts the host terminal in raw mode.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/serial.h"

#define COM1		0x3F8
#define LSR_THRE	0x20

void
serial_init(void)
{
	outb(COM1 + 1, 0x00);	/* no interrupts */
	outb(COM1 + 3, 0x80);	/* DLAB on */
	outb(COM1 + 0, 0x01);	/* divisor 1: 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);	/* 8N1, DLAB off */
	outb(COM1 + 2, 0xC7);	/* FIFOs on, cleared, 14-byte threshold */
	outb(COM1 + 4, 0x03);	/* DTR, RTS */
}

static void
put(char c)
{
	while ((inb(COM1 + 5) & LSR_THRE) == 0)
		;
	outb(COM1, (uint8_t)c);
}

void
serial_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			put('\r');
		put(s[i]);
	}
}
