# Compiler and linker flags for code that runs inside an Atoll node. This is the one place
# they are set: kernel targets link `atoll_kernel_flags`, servers and apps `atoll_user_flags`,
# both built on `atoll_freestanding`. The host's g++ targets x86-64 already, so no cross
# compiler is needed.
add_library(atoll_freestanding INTERFACE)
target_compile_options(atoll_freestanding INTERFACE
  -ffreestanding              # no hosted libc: only freestanding headers, no implicit main
  -fno-exceptions             # no unwinder or personality routines
  $<$<COMPILE_LANGUAGE:CXX>:-fno-rtti>                # no typeinfo; nothing uses dynamic_cast
  $<$<COMPILE_LANGUAGE:CXX>:-fno-threadsafe-statics>  # no __cxa_guard_*: statics set up single-threaded
  $<$<COMPILE_LANGUAGE:CXX>:-fno-use-cxa-atexit>      # statics are never destroyed
  -fno-stack-protector        # no __stack_chk_guard / TLS canary
  -fno-pic -fno-pie           # linked at fixed addresses
  -fno-omit-frame-pointer     # backtraces walk the rbp chain
  -Wall -Wextra
  $<$<COMPILE_LANGUAGE:CXX>:-Wno-missing-field-initializers>
)
target_link_options(atoll_freestanding INTERFACE
  -nostdlib                   # neither crt0 nor libc nor libstdc++
  -static -no-pie             # one fixed-address image, no dynamic loader
  -Wl,--build-id=none         # keeps .note out of the first page that GRUB must see
  -Wl,-z,max-page-size=0x1000 # segments aligned to 4 KiB pages, not 2 MiB (smaller images)
  -Wl,-z,noexecstack
)
target_link_libraries(atoll_freestanding INTERFACE gcc)  # compiler helper routines

# The kernel: ring 0, in the top 2 GiB, never touching the FPU.
add_library(atoll_kernel_flags INTERFACE)
target_link_libraries(atoll_kernel_flags INTERFACE atoll_freestanding)
target_compile_options(atoll_kernel_flags INTERFACE
  -mcmodel=kernel             # symbols live in the top 2 GiB, reachable by sign-extended imm32
  -mno-red-zone               # interrupts push onto the current stack without skipping 128 B
  -mgeneral-regs-only         # no SSE/x87 in the kernel: user FPU state stays untouched
)

# Servers and apps: ring 3, linked low, free to use SSE (the kernel saves FPU state).
add_library(atoll_user_flags INTERFACE)
target_link_libraries(atoll_user_flags INTERFACE atoll_freestanding)
target_compile_options(atoll_user_flags INTERFACE
  -mcmodel=small              # user images live in the low 2 GiB
)
