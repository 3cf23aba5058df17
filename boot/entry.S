/* The 32-bit entry from GRUB: check for long mode, build early page tables, enter 64-bit
 * mode and jump to the higher-half kernel. Runs at its physical (identity) address. */
#include "layout.h"

#define COM1 0x3f8
#define PTE_PRESENT_WRITABLE 0x3
#define PDE_LARGE_PAGE 0x83           /* present, writable, 2 MiB */
#define CR4_PAE (1 << 5)
#define CR4_PGE (1 << 7)
#define EFER_MSR 0xc0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CPUID_EXT_LM (1 << 29)
#define CPUID_EXT_NX (1 << 20)

    .section .boot.text, "ax"
    .code32
    .global _start32
_start32:
    cli
    cld
    mov $boot_stack_top, %esp
    mov %eax, %edi                    /* multiboot2 magic: first argument of kernel_main */
    mov %ebx, %esi                    /* boot information: second argument */

    mov $0x80000000, %eax             /* does CPUID report extended leaves? */
    cpuid
    cmp $0x80000001, %eax
    jb no_long_mode
    mov $0x80000001, %eax
    cpuid
    test $CPUID_EXT_LM, %edx
    jz no_long_mode
    test $CPUID_EXT_NX, %edx
    jz no_long_mode

    call build_early_page_tables

    mov $early_pml4, %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $(CR4_PAE | CR4_PGE), %eax
    mov %eax, %cr4
    mov $EFER_MSR, %ecx
    rdmsr
    or $(EFER_LME | EFER_NXE), %eax
    wrmsr
    mov %cr0, %eax
    or $(CR0_PG | CR0_WP), %eax
    mov %eax, %cr0

    lgdt early_gdt_pointer
    ljmp $0x08, $start64_identity

/* Early tables: 0-4 GiB mapped with 2 MiB pages three times, at 0 (for the jump), at the
 * direct map base and, for the first GiB, at the kernel's -2 GiB base. */
build_early_page_tables:
    push %edi                         /* rep stosl uses edi, which holds the magic */
    mov $early_tables_start, %edi
    mov $((early_tables_end - early_tables_start) / 4), %ecx
    xor %eax, %eax
    rep stosl
    pop %edi

    mov $(early_pdpt_low + PTE_PRESENT_WRITABLE), %eax
    mov %eax, early_pml4
    mov %eax, early_pml4 + 8 * PML4_INDEX_DIRECT_MAP
    mov $(early_pdpt_high + PTE_PRESENT_WRITABLE), %eax
    mov %eax, early_pml4 + 8 * 511

    xor %ecx, %ecx                    /* four page directories for 4 GiB */
1:  mov %ecx, %eax
    shl $12, %eax
    add $(early_pd + PTE_PRESENT_WRITABLE), %eax
    mov %eax, early_pdpt_low(, %ecx, 8)
    inc %ecx
    cmp $4, %ecx
    jne 1b
    mov $(early_pd + PTE_PRESENT_WRITABLE), %eax
    mov %eax, early_pdpt_high + 8 * 510

    xor %ecx, %ecx                    /* 2048 large pages: 0 .. 4 GiB */
2:  mov %ecx, %eax
    shl $21, %eax
    or $PDE_LARGE_PAGE, %eax
    mov %eax, early_pd(, %ecx, 8)
    inc %ecx
    cmp $2048, %ecx
    jne 2b
    ret

/* Without long mode there is nothing to do: say so on the serial console and halt. */
no_long_mode:
    mov $no_long_mode_message, %esi
1:  lodsb
    test %al, %al
    jz 3f
    mov %al, %bl
    mov $(COM1 + 5), %dx              /* wait for the transmitter */
2:  in %dx, %al
    test $0x20, %al
    jz 2b
    mov $COM1, %dx
    mov %bl, %al
    out %al, %dx
    jmp 1b
3:  hlt
    jmp 3b

    .code64
start64_identity:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    movabs $start64_higher_half, %rax
    jmp *%rax

    .section .boot.rodata, "a"
no_long_mode_message:
    .asciz "Atoll: this CPU lacks 64-bit long mode or NX; cannot boot.\r\n"
    .balign 8
early_gdt:
    .quad 0
    .quad 0x00af9a000000ffff          /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff          /* 0x10: data */
early_gdt_end:
early_gdt_pointer:
    .short early_gdt_end - early_gdt - 1
    .long early_gdt

    .section .boot.bss, "aw", @nobits
    .balign 4096
early_tables_start:
early_pml4: .skip 4096
early_pdpt_low: .skip 4096
early_pdpt_high: .skip 4096
early_pd: .skip 4 * 4096
early_tables_end:
    .skip 4096
boot_stack_top:

/* Higher half: switch to the kernel's boot stack and call kernel_main(magic, info). */
    .section .text.entry, "ax"
    .code64
start64_higher_half:
    movabs $kernel_boot_stack_top, %rsp
    xor %ebp, %ebp                    /* terminates the backtrace */
    mov %edi, %edi                    /* zero-extend both arguments */
    mov %esi, %esi
    call kernel_main
1:  cli
    hlt
    jmp 1b

    .section .bss
    .balign 16
    .global kernel_boot_stack_bottom
kernel_boot_stack_bottom:
    .skip KERNEL_BOOT_STACK_SIZE
    .global kernel_boot_stack_top
kernel_boot_stack_top:
