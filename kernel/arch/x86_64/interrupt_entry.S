/* Interrupt entry stubs: one per vector, normalising the stack to an InterruptFrame. */

/* Vectors for which the CPU pushes an error code. */
    .section .text
    .altmacro

.macro interrupt_stub vector
    .balign 16
interrupt_stub_\vector:
    .if !((\vector == 8) || ((\vector >= 10) && (\vector <= 14)) || (\vector == 17) || (\vector == 21) || (\vector == 29) || (\vector == 30))
    pushq $0                          /* no error code from the CPU: keep the layout */
    .endif
    pushq $\vector
    jmp interrupt_common
.endm

.set vector, 0
.rept 256
    interrupt_stub %vector
    .set vector, vector + 1
.endr

interrupt_common:
    cld
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
    mov %rsp, %rdi
    call interrupt_dispatch
    .global interrupt_return
    .global return_to_user
interrupt_return:
return_to_user:
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    add $16, %rsp                     /* vector and error code */
    iretq

/* The stubs' addresses, for the IDT. */
.macro stub_address vector
    .quad interrupt_stub_\vector
.endm
    .section .rodata
    .balign 8
    .global interrupt_stub_table
interrupt_stub_table:
.set vector, 0
.rept 256
    stub_address %vector
    .set vector, vector + 1
.endr
