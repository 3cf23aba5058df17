/* The multiboot2 header: tells GRUB this ELF is a multiboot2 kernel and where to enter it. */
#define MB2_MAGIC 0xe85250d6
#define MB2_ARCH_I386 0

    .section .multiboot2, "a"
    .balign 8
header_start:
    .long MB2_MAGIC
    .long MB2_ARCH_I386
    .long header_end - header_start
    .long -(MB2_MAGIC + MB2_ARCH_I386 + (header_end - header_start))

    /* Entry address tag: enter at the 32-bit physical entry, not the ELF's e_entry. */
    .balign 8
    .short 3, 0
    .long 12
    .long _start32

    /* End tag. */
    .balign 8
    .short 0, 0
    .long 8
header_end:
