/* crt0: `_start`, the first instruction of every Atoll user program. */

/* rdi holds the start information (ProcessStart*, or BootModuleTable* for init); it stays
   in rdi as the first argument of atoll_runtime_start, which never returns. */
    .section .text.start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    .cfi_startproc
    .cfi_undefined rip      /* debuggers: no caller above this frame */
    xor %ebp, %ebp          /* ends the frame-pointer chain that backtraces walk */
    and $-16, %rsp          /* the SysV ABI wants rsp 16-byte aligned at each call */
    call atoll_runtime_start
    ud2
    .cfi_endproc
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
