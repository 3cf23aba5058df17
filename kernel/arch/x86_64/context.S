/* Context switch and the system-call entry. */
#include "layout.h"

#define USER_DATA (0x20 | 3)
#define USER_CODE (0x28 | 3)
#define SYSCALL_VECTOR 0x100

    .section .text

/* switch_context(uint64_t* save_rsp, uint64_t load_rsp) */
    .global switch_context
    .type switch_context, @function
switch_context:
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    ret
    .size switch_context, . - switch_context

/* `syscall` lands here with interrupts off (FMASK), rcx = user rip, r11 = user rflags.
 * Builds an InterruptFrame on the current thread's kernel stack, so that system calls,
 * interrupts and context switches share one saved-state layout and one return path. */
    .global syscall_entry
    .type syscall_entry, @function
syscall_entry:
    mov %rsp, syscall_user_rsp(%rip)
    mov syscall_kernel_rsp(%rip), %rsp
    pushq $USER_DATA
    pushq syscall_user_rsp(%rip)
    pushq %r11
    pushq $USER_CODE
    pushq %rcx
    pushq $0
    pushq $SYSCALL_VECTOR
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    xor %ebp, %ebp                    /* the kernel backtrace ends here */
    mov %rsp, %rdi
    call syscall_dispatch
    jmp interrupt_return
    .size syscall_entry, . - syscall_entry

    .section .bss
    .balign 8
    .global syscall_kernel_rsp
syscall_kernel_rsp: .quad 0
syscall_user_rsp: .quad 0
