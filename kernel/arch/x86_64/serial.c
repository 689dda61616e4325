/*
 * COM1 at 115200 8N1: the kernel console. Each '\n' goes out as "\r\n"
 * because QEMU puts the host terminal in raw mode.
 *
 * Once serial_start_irq has routed COM1's interrupt, both directions run
 * from it, so the kernel never spins on the port for user output:
 *   receive   every byte goes into a RX_SIZE buffer; bytes that arrive
 *             while it is full are dropped and counted
 *   transmit  serial_queue puts whole writes into a TX_SIZE buffer that
 *             the transmitter-empty interrupt drains; a write that does
 *             not fit is refused and its caller waits (kernel/obj/
 *             console.c)
 * Kernel messages (serial_write) are still written by polling, after the
 * buffered output, so lines stay whole and a panic always gets out.
 */
#include <stdbool.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/serial.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/trap.h"

#define COM1		0x3F8
#define COM1_IRQ	4
#define REG_IER		1
#define REG_IIR		2
#define REG_MCR		4
#define REG_LSR		5
#define IER_RX		0x01
#define IER_THRE	0x02
#define IIR_NONE	0x01
#define LSR_DR		0x01
#define LSR_THRE	0x20
#define MCR_OUT2	0x08	/* gates the UART's interrupt line on a PC */
#define FIFO_BYTES	16

#define RX_SIZE		4096
#define TX_SIZE		16384

static uint8_t rx[RX_SIZE], tx[TX_SIZE];
static uint32_t rx_head, rx_len, rx_dropped;
static uint32_t tx_head, tx_len;
static uint8_t ier;
static bool irq_on;
static void (*rx_hook)(void), (*tx_hook)(void);

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
	while ((inb(COM1 + REG_LSR) & LSR_THRE) == 0)
		;
	outb(COM1, (uint8_t)c);
}

/* Moves buffered output into the transmitter while it has room. */
static void
tx_pump(void)
{
	while (tx_len > 0 && (inb(COM1 + REG_LSR) & LSR_THRE) != 0) {
		for (int i = 0; i < FIFO_BYTES && tx_len > 0; i++) {
			outb(COM1, tx[tx_head]);
			tx_head = (tx_head + 1) % TX_SIZE;
			tx_len--;
		}
	}
	ier = tx_len > 0 ? ier | IER_THRE : ier & ~IER_THRE;
	outb(COM1 + REG_IER, ier);
}

void
serial_write(const char *s, size_t n)
{
	/* Buffered output first: it was written earlier. */
	while (tx_len > 0) {
		put((char)tx[tx_head]);
		tx_head = (tx_head + 1) % TX_SIZE;
		tx_len--;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			put('\r');
		put(s[i]);
	}
}

bool
serial_queue(const char *s, size_t n)
{
	size_t need = n;

	if (!irq_on) {
		serial_write(s, n);
		return true;
	}
	for (size_t i = 0; i < n; i++)
		need += s[i] == '\n';
	if (need > TX_SIZE - tx_len)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			tx[(tx_head + tx_len++) % TX_SIZE] = '\r';
		tx[(tx_head + tx_len++) % TX_SIZE] = (uint8_t)s[i];
	}
	tx_pump();
	return true;
}

bool
serial_tx_idle(void)
{
	return tx_len == 0;
}

size_t
serial_rx_take(uint8_t *out, size_t max, uint32_t *dropped)
{
	size_t n = 0;

	while (n < max && rx_len > 0) {
		out[n++] = rx[rx_head];
		rx_head = (rx_head + 1) % RX_SIZE;
		rx_len--;
	}
	*dropped = rx_dropped;
	rx_dropped = 0;
	return n;
}

size_t
serial_rx_pending(void)
{
	return rx_len;
}

static void
serial_irq(struct trapframe *tf)
{
	bool got = false;

	(void)tf;
	/* Until the UART has nothing pending: the line is edge-triggered. */
	while ((inb(COM1 + REG_IIR) & IIR_NONE) == 0 ||
	    (inb(COM1 + REG_LSR) & LSR_DR) != 0) {
		while ((inb(COM1 + REG_LSR) & LSR_DR) != 0) {
			uint8_t c = inb(COM1);

			if (rx_len < RX_SIZE) {
				rx[(rx_head + rx_len) % RX_SIZE] = c;
				rx_len++;
			} else {
				rx_dropped++;
			}
			got = true;
		}
		tx_pump();
		if ((ier & IER_THRE) != 0 &&
		    (inb(COM1 + REG_LSR) & LSR_THRE) == 0)
			break;	/* the transmitter is busy: it will interrupt */
	}
	lapic_eoi();
	if (got && rx_hook != NULL)
		rx_hook();
	if (tx_hook != NULL)
		tx_hook();
}

bool
serial_start_irq(void (*on_rx)(void), void (*on_tx)(void))
{
	rx_hook = on_rx;
	tx_hook = on_tx;
	irq_set_handler(VEC_SERIAL, serial_irq);
	if (!ioapic_route_isa(COM1_IRQ, VEC_SERIAL))
		return false;
	outb(COM1 + REG_MCR, 0x03 | MCR_OUT2);
	ier = IER_RX;
	outb(COM1 + REG_IER, ier);
	irq_on = true;
	return true;
}
