# Compiler and linker flags for code that runs inside an Atoll node. This is the one place
# they are set; kernel (and later server and app) targets link `atoll_freestanding`.
# The host's g++ targets x86-64 already, so no cross compiler is needed.
add_library(atoll_freestanding INTERFACE)
target_compile_options(atoll_freestanding INTERFACE
  -ffreestanding              # no hosted libc: only freestanding headers, no implicit main
  -fno-exceptions             # no unwinder or personality routines in the kernel
  -fno-rtti                   # no typeinfo; nothing uses dynamic_cast
  -fno-threadsafe-statics     # no __cxa_guard_*: statics are set up before threads exist
  -fno-use-cxa-atexit         # kernel statics are never destroyed
  -fno-stack-protector        # no __stack_chk_guard / TLS canary before the kernel sets one up
  -fno-pic -fno-pie           # linked at a fixed higher-half address
  -mcmodel=kernel             # symbols live in the top 2 GiB, reachable by sign-extended imm32
  -mno-red-zone               # interrupts push onto the current stack without skipping 128 B
  -mgeneral-regs-only         # no SSE/x87 in the kernel: user FPU state stays untouched
  -fno-omit-frame-pointer     # the panic backtrace walks the rbp chain
  -Wall -Wextra
  $<$<COMPILE_LANGUAGE:CXX>:-Wno-missing-field-initializers>
)
target_link_options(atoll_freestanding INTERFACE
  -nostdlib                   # neither crt0 nor libc nor libstdc++
  -static -no-pie             # one fixed-address image, no dynamic loader
  -Wl,--build-id=none         # keeps .note out of the first page that GRUB must see
  -Wl,-z,max-page-size=0x1000 # segments aligned to 4 KiB pages, not 2 MiB (smaller ISO)
  -Wl,-z,noexecstack
)
target_link_libraries(atoll_freestanding INTERFACE gcc)  # compiler helper routines
