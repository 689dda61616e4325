/* Boot protocol numbers shared by boot.S and the C boot-information parser. */
#ifndef CAPOS_BOOT_PROTO_H
#define CAPOS_BOOT_PROTO_H

#define BOOT_PROTO_PVH		1
#define BOOT_PROTO_MULTIBOOT2	2

#endif
