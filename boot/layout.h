/* Virtual memory layout constants shared by the boot assembly, linker script and kernel. */
#pragma once

#define KERNEL_VIRTUAL_BASE 0xffffffff80000000
#define DIRECT_MAP_BASE 0xffff800000000000
#define PML4_INDEX_DIRECT_MAP 256
#define KERNEL_PHYSICAL_LOAD 0x100000
#define KERNEL_BOOT_STACK_SIZE (32 * 1024)
