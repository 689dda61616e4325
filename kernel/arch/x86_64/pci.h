/*
 * PCI configuration space through the legacy ports (mechanism #1), and the
 * table of devices found at boot. Only the kernel touches configuration
 * space; drivers get read access to their own device through DeviceMmio.
 */
#ifndef CAPOS_PCI_H
#define CAPOS_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_MAX_DEVICES	64

struct pci_bar {
	uint64_t base;		/* physical address (memory BARs only) */
	uint64_t size;
	bool mem;		/* a memory BAR (I/O BARs are not offered) */
};

struct pci_dev {
	uint8_t bus, slot, fn;
	uint16_t vendor, device;
	uint8_t class_code, subclass;
	struct pci_bar bar[6];
	uint8_t msix_cap;	/* offset of the MSI-X capability, or 0 */
	uint8_t msix_vector;	/* the vector its MSI-X table targets, or 0 */
	uint32_t npools;	/* live DMA pools (kernel/obj/device.c) */
	void *retired_pools;	/* released pools whose frames wait */
};

struct mem_region;

/* Finds the devices on every bus; memory BARs that fail the checks in
 * pcibar.h (against the firmware's memory map `regions`) are not offered. */
void pci_init(const struct mem_region *regions, uint32_t nregions);
uint32_t pci_read(const struct pci_dev *d, uint16_t off, int width);
void pci_write(const struct pci_dev *d, uint16_t off, int width, uint32_t v);

/* The index-th device matching vendor (and device unless 0), or NULL. */
struct pci_dev *pci_find(uint16_t vendor, uint16_t device, uint16_t index);
uint32_t pci_count(void);
struct pci_dev *pci_at(uint32_t i);

#endif
