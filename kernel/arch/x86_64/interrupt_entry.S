/* Interrupt entry stubs: one per vector, normalising the stack to an InterruptFrame. */

/* Vectors for which the CPU pushes an error code. */
#include "frame_macros.inc"

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
    push_general_registers
    mov %rsp, %rdi
    call interrupt_dispatch
    .global interrupt_return
    .global return_to_user
interrupt_return:
return_to_user:
    pop_general_registers
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
