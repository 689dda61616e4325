/*
 * The serial console (COM1). See serial.c for the buffers and their
 * bounds.
 */
#ifndef CAPOS_SERIAL_H
#define CAPOS_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void serial_init(void);
/* Writes by polling, after any buffered output (kernel messages). */
void serial_write(const char *s, size_t n);
/*
 * Routes COM1's interrupt and turns on receiving into the buffer; on_rx
 * runs (in the interrupt) when bytes arrived, on_tx when output went out.
 * False when the interrupt cannot be routed (output then stays polled).
 */
bool serial_start_irq(void (*on_rx)(void), void (*on_tx)(void));
/* Buffers all n bytes for the transmit interrupt, or none (false: no
 * room now; try again after on_tx). */
bool serial_queue(const char *s, size_t n);
bool serial_tx_idle(void);
/* Takes up to max received bytes; *dropped is how many were lost to a
 * full buffer since the previous take. */
size_t serial_rx_take(uint8_t *out, size_t max, uint32_t *dropped);
size_t serial_rx_pending(void);

#endif
