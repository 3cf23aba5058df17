/* Context switch and the system-call entry. */
#include "layout.h"
#include "frame_macros.inc"

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
    push_general_registers
    xor %ebp, %ebp                    /* the kernel backtrace ends here */
    mov %rsp, %rdi
    call syscall_dispatch
    /* Back out with sysretq, which takes rip from rcx and rflags from r11: only when the
     * frame holds rcx = rip and r11 = rflags, as `syscall` left them, does it restore the
     * frame exactly. A frame rewound to restart its call, or rewritten by
     * thread_write_state while the thread was stopped, leaves through iretq instead.
     * sysretq raises #GP in ring 0 if rcx is not canonical; the saved rip here always is,
     * because no task can map the last page below 2^47 (Task::map_* refuse it), so a
     * syscall instruction can never end at 2^47, and thread_write_state refuses any rip
     * outside user space. */
    pop_general_registers
    cmp 16(%rsp), %rcx                /* rip, past vector and error code */
    jne 1f
    cmp 32(%rsp), %r11                /* rflags */
    jne 1f
    mov 40(%rsp), %rsp                /* the user stack: nothing may interrupt from here */
    sysretq
1:  add $16, %rsp                     /* vector and error code */
    iretq
    .size syscall_entry, . - syscall_entry

    .section .bss
    .balign 8
    .global syscall_kernel_rsp
syscall_kernel_rsp: .quad 0
syscall_user_rsp: .quad 0
