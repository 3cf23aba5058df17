/* atoll_thread_entry: where threads made by spawn_thread() enter user mode. */

/* The kernel starts the thread with rsp = stack_top and rdi = argument (thread_create);
   spawn_thread passes the same address for both: a ThreadLaunch at the top of the stack.
   rdi stays the first argument of atoll_thread_main, which never returns. */
    .text
    .globl atoll_thread_entry
    .type atoll_thread_entry, @function
atoll_thread_entry:
    .cfi_startproc
    .cfi_undefined rip
    xor %ebp, %ebp
    and $-16, %rsp
    call atoll_thread_main
    ud2
    .cfi_endproc
    .size atoll_thread_entry, . - atoll_thread_entry

    .section .note.GNU-stack, "", @progbits
