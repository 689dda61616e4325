/*
 * The kernel's memory: the global frame allocator and the kernel heap.
 */
#ifndef CAPOS_MEM_H
#define CAPOS_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "boot/bootinfo.h"

/* Sets up frames from the boot memory map, keeping the kernel and modules. */
void mem_init(const struct bootinfo *bi);
/* Moves allocator state into the direct map once the kernel tables are live. */
void mem_relocate(void);

uint64_t frame_alloc(void);		/* 0 when out of memory */
void frame_free(uint64_t pa);
/* n physically contiguous frames, or 0. */
uint64_t frames_alloc_contig(uint64_t n);
void frames_free(uint64_t pa, uint64_t n);
uint64_t frames_free_count(void);
uint64_t frames_total_usable(void);

/* Kernel heap: 16-byte aligned; NULL when out of memory. */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);
/* The bytes kmalloc(size) takes from memory, or 0: a large block's
 * frames, or a small block's share of its slab's frame. */
size_t kmalloc_size(size_t size);
/* Bytes in heap blocks handed out and not yet freed. */
uint64_t heap_bytes_used(void);

#endif
