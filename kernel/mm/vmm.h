/*
 * Page tables. The kernel owns one set built at boot: a direct map of all
 * RAM at DIRECT_MAP_BASE, the kernel image in the top 2 GiB with per-section
 * permissions, and MMIO windows mapped uncached on request. Every upper-half
 * PML4 slot is filled at boot, so an address space made later shares the
 * kernel half by copying those 256 entries.
 */
#ifndef CAPOS_VMM_H
#define CAPOS_VMM_H

#include <stdbool.h>
#include <stdint.h>

#include "boot/bootinfo.h"

#define DIRECT_MAP_BASE	0xFFFF800000000000ull
#define KERNEL_VMA	0xFFFFFFFF80000000ull

#define PTE_P		(1ull << 0)
#define PTE_W		(1ull << 1)
#define PTE_U		(1ull << 2)
#define PTE_PWT		(1ull << 3)
#define PTE_PCD		(1ull << 4)
#define PTE_PS		(1ull << 7)
#define PTE_NX		(1ull << 63)
#define PTE_ADDR	0x000FFFFFFFFFF000ull

/* Valid once vmm_init has run (identity before that, for early boot). */
void *phys_to_virt(uint64_t pa);
uint64_t virt_to_phys(const void *va);

void vmm_init(const struct bootinfo *bi);

/* Maps one 4 KiB page; returns 0 or -1 (no memory, or a large page). */
int vmm_map_page(uint64_t pml4_pa, uint64_t va, uint64_t pa, uint64_t flags);
/* Maps [pa, pa + len) uncached at its direct-map address and returns it,
 * or NULL when no memory is left for a page table. */
void *vmm_map_mmio(uint64_t pa, uint64_t len);
/* Frames taken for the kernel's own page tables so far. They are never
 * given back: the kernel half is shared by every address space, and what
 * it can grow by is bounded by its layout (kernel stacks, MMIO windows). */
uint64_t vmm_table_frames(void);

uint64_t vmm_kernel_pml4(void);
bool vmm_nx_supported(void);
/* Unmaps one kernel page (from the kernel tables, shared by all spaces)
 * and flushes it here; other CPUs keep it until the caller's
 * tlb_shootdown(0), which must come before the frame is reused. */
void vmm_unmap_kernel_page(uint64_t va);

#endif
