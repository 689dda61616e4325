/*
 * Little-endian reads of untrusted bytes at any alignment, for the parsers
 * of what the loader and firmware hand the kernel (boot information, ELF
 * images, ACPI tables). The caller checks the bounds first.
 */
#ifndef CAPOS_BYTES_H
#define CAPOS_BYTES_H

#include <stdint.h>
#include <string.h>

static inline uint16_t
rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t
rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

#endif
